import HanetNetlink

/// A scripted kernel: records every datagram sent and answers from a queue.
///
/// Each reply is a closure of the request's sequence number and our port, so
/// scripts can answer "ACK this" or "fail with EBUSY and this message"
/// without knowing the sequence in advance.
///
/// Faults are scripted the same way, one per request: an answer that never
/// comes (`expectNoReply`), a receive that fails (`expectReceiveFailure`,
/// e.g. ENOBUFS when the socket overflowed), a send that fails
/// (`expectSendFailure`), and datagrams cut short or flagged as an
/// interrupted dump (`truncated`, `dumpInterrupted`).
///
/// The fake has no clock. A receive with a deadline (how
/// `NetlinkConnection` waits for replies) finds an empty queue and returns
/// "nothing by the deadline" at once, so the timeout path runs without
/// sleeping; `timeouts` counts those. A receive without a deadline (event
/// sockets) on an empty queue would block forever on a real kernel: here it
/// throws, because the script ran out.
public final class FakeNetlinkTransport: NetlinkTransport {
    public typealias Reply = (_ sequence: UInt32, _ portID: UInt32) -> [UInt8]
    public let portID: UInt32
    public private(set) var sent: [[UInt8]] = []
    /// Receives that ended at their deadline with nothing queued.
    public private(set) var timeouts = 0
    private var script: [Step] = []
    private var pending: [Result<[UInt8], NetlinkError>] = []

    /// What the kernel does with one request.
    private enum Step {
        case answer([Reply])
        case failReceive(Int32)
        case failSend(Int32)
    }

    public init(portID: UInt32 = 4242) { self.portID = portID }

    /// Queues the datagrams to answer the next `send` with. With none, the
    /// request is taken and its answer never comes (`expectNoReply`).
    public func expect(_ replies: Reply...) { script.append(.answer(replies)) }

    /// The next request is taken and never answered: the wait for it runs
    /// into the connection's deadline.
    public func expectNoReply() { script.append(.answer([])) }

    /// The next request is taken, then the receive for its answer fails
    /// with `errno`, as a socket reports ENOBUFS after dropping the reply.
    public func expectReceiveFailure(_ errno: Int32) { script.append(.failReceive(errno)) }

    /// The next send fails with `errno` (EMSGSIZE, ENOBUFS, EINTR...):
    /// nothing reaches the kernel.
    public func expectSendFailure(_ errno: Int32) { script.append(.failSend(errno)) }

    public func send(_ datagram: [UInt8]) throws(NetlinkError) {
        sent.append(datagram)
        guard !script.isEmpty else {
            throw NetlinkError(operation: "fake kernel", errno: 95, kernelMessage: "no scripted reply for request #\(sent.count)")
        }
        let seq = datagram.count >= 12 ? UInt32(datagram[8]) | UInt32(datagram[9]) << 8 | UInt32(datagram[10]) << 16 | UInt32(datagram[11]) << 24 : 0
        switch script.removeFirst() {
        case .answer(let replies):
            pending.append(contentsOf: replies.map { .success($0(seq, portID)) })
        case .failReceive(let errno):
            pending.append(.failure(NetlinkError(operation: "recvfrom", errno: errno)))
        case .failSend(let errno):
            throw NetlinkError(operation: "sendto", errno: errno)
        }
    }

    public func receive() throws(NetlinkError) -> [UInt8] {
        guard !pending.isEmpty else {
            throw NetlinkError(operation: "fake kernel", errno: 11, kernelMessage: "nothing left to receive")
        }
        return try pending.removeFirst().get()
    }

    public func receive(deadline: ContinuousClock.Instant?) throws(NetlinkError) -> [UInt8]? {
        if pending.isEmpty, deadline != nil {
            timeouts += 1
            return nil
        }
        return try receive()
    }

    // MARK: reply builders

    public static func message(type: UInt16, flags: UInt16 = 0, sequence: UInt32, portID: UInt32, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v) { out.append(contentsOf: $0) } }
        put(UInt32(16 + payload.count)); put(type); put(flags); put(sequence); put(portID)
        out += payload
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    /// NLMSG_ERROR with errno 0.
    public static func ack() -> Reply {
        { seq, port in message(type: 2, flags: 0x100, sequence: seq, portID: port, payload: [0, 0, 0, 0] + [UInt8](repeating: 0, count: 16)) }
    }

    /// NLMSG_ERROR with -errno and an extended-ACK message, capped, as the kernel sends it.
    public static func error(_ errno: Int32, message text: String? = nil) -> Reply {
        { seq, port in
            var payload: [UInt8] = withUnsafeBytes(of: -errno) { Array($0) } + [UInt8](repeating: 0, count: 16)
            var flags: UInt16 = 0x100
            if let text {
                flags |= 0x200
                let body = Array(text.utf8) + [0]
                payload += withUnsafeBytes(of: UInt16(4 + body.count)) { Array($0) } + [1, 0] + body
                while payload.count % 4 != 0 { payload.append(0) }
            }
            return message(type: 2, flags: flags, sequence: seq, portID: port, payload: payload)
        }
    }

    /// A data reply (e.g. RTM_NEWLINK) carrying `payload`, optionally part of a dump.
    public static func data(type: UInt16, payload: [UInt8], multi: Bool = false) -> Reply {
        { seq, port in message(type: type, flags: multi ? 2 : 0, sequence: seq, portID: port, payload: payload) }
    }

    public static func done() -> Reply {
        { seq, port in message(type: 3, flags: 2, sequence: seq, portID: port, payload: [0, 0, 0, 0]) }
    }

    /// Several messages in one datagram (as dumps arrive).
    public static func datagram(_ parts: Reply...) -> Reply {
        { seq, port in parts.flatMap { $0(seq, port) } }
    }

    /// `reply` cut after its first `count` bytes, as if the datagram had
    /// been truncated in the middle of a message.
    public static func truncated(_ reply: @escaping Reply, to count: Int) -> Reply {
        { seq, port in Array(reply(seq, port).prefix(count)) }
    }

    /// `reply` with NLM_F_DUMP_INTR set on every message of its datagram,
    /// as the kernel flags a dump that raced a change.
    public static func dumpInterrupted(_ reply: @escaping Reply) -> Reply {
        { seq, port in
            var bytes = reply(seq, port)
            var offset = 0
            while bytes.count - offset >= 16 {
                let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
                bytes[offset + 7] |= UInt8(NetlinkConstants.dumpInterrupted >> 8)
                bytes[offset + 6] |= UInt8(NetlinkConstants.dumpInterrupted & 0xff)
                guard length >= 16 else { break }
                offset += (length + 3) & ~3
            }
            return bytes
        }
    }
}
