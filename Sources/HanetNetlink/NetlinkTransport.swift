/// The boundary between hanet and the kernel's netlink sockets.
///
/// Everything above talks to this protocol, so the same link and firewall
/// logic runs against the real kernel (`NetlinkSocket`) or a scripted fake
/// that records requests and replays replies (tests).
public protocol NetlinkTransport: AnyObject {
    /// The port the kernel uses to address us (checked on every reply).
    var portID: UInt32 { get }
    /// Sends one datagram (which may hold several messages, e.g. a batch).
    func send(_ datagram: [UInt8]) throws(NetlinkError)
    /// Receives one datagram, waiting as long as it takes (event sockets,
    /// which wait for the world to change). `ENOBUFS` means the kernel
    /// dropped messages for us: the caller must resynchronise with a dump.
    func receive() throws(NetlinkError) -> [UInt8]
    /// Receives one datagram, waiting no later than `deadline`; nil when
    /// nothing arrived by then (nil deadline: as `receive()`). Replies to
    /// requests are read this way, so that a reply that never comes is an
    /// error instead of a hang.
    ///
    /// The default calls `receive()` and so never gives up: a transport
    /// that can actually wait for nothing (a socket) must implement it.
    func receive(deadline: ContinuousClock.Instant?) throws(NetlinkError) -> [UInt8]?
    /// Makes room for a large batch (one datagram) and for the replies to
    /// it; 0 leaves a side as it is. A fake kernel has nothing to size.
    func reserveBuffers(sendBytes: Int, receiveBytes: Int)
}

extension NetlinkTransport {
    /// Calls `receive()`: a transport that cannot wait for nothing never gives up.
    public func receive(deadline: ContinuousClock.Instant?) throws(NetlinkError) -> [UInt8]? {
        try receive()
    }

    /// Does nothing: a transport without kernel buffers (a fake) has nothing to size.
    public func reserveBuffers(sendBytes: Int, receiveBytes: Int) {}
}
