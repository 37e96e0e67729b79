import Glibc
import CLinuxNet
import HanetNetlink

/// Subscribes to link events (RTMGRP_LINK) in one namespace.
///
/// Used by `hanet watch` to print bond failovers as the kernel performs
/// them: the agent never polls for failover, the kernel's miimon does it.
public final class LinkMonitor {
    private let socket: NetlinkSocket
    private var queued: [LinkEvent] = []

    /// Subscribes in `namespace`, asking for a 1 MiB receive buffer so that a
    /// burst (many guest ports changing at once) is less likely to overrun it.
    /// Equivalent to: `ip monitor link`.
    public init(namespace: NetworkNamespace = .current) throws(NetlinkError) {
        socket = try NetlinkSocket(bus: NetlinkConstants.route, groups: UInt32(RTMGRP_LINK), namespace: namespace)
        socket.setReceiveBufferSize(1 << 20)
    }

    /// The socket's descriptor, for poll(2) next to others.
    public var fileDescriptor: Int32 { socket.fileDescriptor }

    /// Reads and drops every notification queued now, decoded or not
    /// (AF_BRIDGE port-state copies included); returns how many datagrams.
    /// For a caller that re-reads the state it cares about once after any
    /// change: an overrun (ENOBUFS) counts as one, since that re-read
    /// covers what was lost.
    @discardableResult
    public func drain() -> Int {
        queued.removeAll()
        var count = 0
        while (try? socket.waitReadable(timeoutMilliseconds: 0)) == true {
            let received: Result<[UInt8], NetlinkError> = Result { () throws(NetlinkError) in try socket.receive() }
            if case .failure(let error) = received, error.errno != ENOBUFS { break }
            count += 1
        }
        return count
    }

    /// The next event, or nil if none arrived within `timeoutMilliseconds`
    /// (-1 waits forever).
    public func next(timeoutMilliseconds: Int32 = -1) throws -> LinkEvent? {
        while queued.isEmpty {
            guard try socket.waitReadable(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
            let received: Result<[UInt8], NetlinkError> = Result { () throws(NetlinkError) in try socket.receive() }
            guard case .success(let datagram) = received else {
                if case .failure(let error) = received, error.errno != ENOBUFS { throw error }
                return .overrun
            }
            for message in try NetlinkMessage.split(datagram: datagram[...]) {
                switch Int32(message.type) {
                case Int32(RTM_NEWLINK):
                    if let link = try Link(message: message) { queued.append(.changed(link)) }
                case Int32(RTM_DELLINK):
                    if let link = try Link(message: message) { queued.append(.removed(link)) }
                default:
                    continue
                }
            }
        }
        return queued.removeFirst()
    }
}
