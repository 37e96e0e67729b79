import Glibc

/// Request/reply discipline over a `NetlinkTransport`.
///
/// Every request gets a fresh sequence number, and only replies carrying that
/// sequence and our port are accepted: anything else (a late reply to an
/// abandoned request, an event) is skipped rather than misread as the answer.
///
/// No wait is unbounded: each wait for a reply datagram ends at `timeout`
/// (5 s unless the caller chose), as an error naming the operation and
/// object, `RTM_GETLINK xenbr1: no reply within 5000 ms (ETIMEDOUT)`. After
/// such an error (or a failed receive) a late answer may still arrive; its
/// sequence keeps it from being taken for the next request's, but a dump
/// abandoned halfway keeps the socket busy (EBUSY for the next dump), so a
/// long-lived caller should open a new connection.
public final class NetlinkConnection {
    /// The socket (or fake kernel) underneath; callers reach it to size its
    /// buffers before a large batch (`reserveBuffers`).
    public let transport: NetlinkTransport
    /// How long each wait for a reply may take.
    public let timeout: NetlinkTimeout
    private var sequence: UInt32

    /// Tries of a dump the kernel flags as interrupted before giving up.
    public static let dumpAttempts = 5

    /// One message of a batch, with the names used if the kernel rejects it.
    public struct BatchItem {
        /// The message. `batch` adds `NLM_F_REQUEST` and the sequence number and
        /// waits for an ACK only if `NLM_F_ACK` is set here.
        public var request: NetlinkRequest
        /// Names the message in the `NetlinkError` if the kernel rejects it (`NFT_MSG_NEWRULE`).
        public var operation: String
        /// What the message is about, for the same error (`bridge hanet_1a2b3c4d`); nil for nothing.
        public var object: String?
        /// Pairs `request` with the names its error would carry.
        public init(_ request: NetlinkRequest, operation: String, object: String? = nil) {
            self.request = request
            self.operation = operation
            self.object = object
        }
    }

    /// Talks through an open transport. The first request carries
    /// `firstSequence + 1`; tests fix it to compare golden bytes, otherwise
    /// it is derived from the clock. Each wait for a reply ends at `timeout`.
    public init(transport: NetlinkTransport, firstSequence: UInt32? = nil, timeout: NetlinkTimeout = .default) {
        self.transport = transport
        self.timeout = timeout
        // Distinct start values keep two short-lived agents' sequences apart
        // in traces; tests pass a fixed value for golden bytes.
        sequence = firstSequence ?? UInt32(truncatingIfNeeded: time(nil))
    }

    /// Opens a real socket on `bus` inside `namespace`.
    public convenience init(bus: Int32 = NetlinkConstants.route, namespace: NetworkNamespace = .current,
                            timeout: NetlinkTimeout = .default) throws(NetlinkError) {
        self.init(transport: try NetlinkSocket(bus: bus, namespace: namespace), timeout: timeout)
    }

    private func nextSequence() -> UInt32 {
        sequence &+= 1
        if sequence == 0 { sequence = 1 }
        return sequence
    }

    /// Sends a change and waits for the kernel's ACK. Replies that arrive
    /// before the ACK (e.g. with NLM_F_ECHO) are returned.
    @discardableResult
    public func execute(_ request: NetlinkRequest, operation: String, object: String? = nil) throws -> [NetlinkMessage] {
        var request = request
        request.flags |= NetlinkConstants.request | NetlinkConstants.ack
        let seq = nextSequence()
        try send(request.encoded(sequence: seq, portID: transport.portID), operation: operation, object: object)
        var replies: [NetlinkMessage] = []
        while true {
            for message in try receiveMessages(operation: operation, object: object) where message.sequence == seq && accepts(message) {
                if message.type == NetlinkConstants.error {
                    try Self.checkError(message, operation: operation, object: object)
                    return replies
                }
                replies.append(message)
            }
        }
    }

    /// A single-object query (`RTM_GETLINK` by name): one reply or an error.
    public func get(_ request: NetlinkRequest, operation: String, object: String? = nil) throws -> NetlinkMessage {
        var request = request
        request.flags |= NetlinkConstants.request
        let seq = nextSequence()
        try send(request.encoded(sequence: seq, portID: transport.portID), operation: operation, object: object)
        while true {
            for message in try receiveMessages(operation: operation, object: object) where message.sequence == seq && accepts(message) {
                if message.type == NetlinkConstants.error {
                    try Self.checkError(message, operation: operation, object: object)
                    continue // a bare ACK before the reply is not an answer
                }
                return message
            }
        }
    }

    /// A dump: all replies up to NLMSG_DONE, in one consistent snapshot.
    /// The kernel flags a dump that raced a change with NLM_F_DUMP_INTR; we
    /// retry, because a half-old, half-new list is worse than a late one.
    /// After `dumpAttempts` interrupted tries we fail rather than return a
    /// list that may mix two states: a monitor or a rollback acting on it
    /// would act on links or rules that were never there together. The
    /// errno is EINTR, the flag's own word; not EAGAIN, which the kernel
    /// itself sends in ACKs, so the two causes stay apart in a log.
    public func dump(_ request: NetlinkRequest, operation: String, object: String? = nil) throws -> [NetlinkMessage] {
        for _ in 1...Self.dumpAttempts {
            let (messages, interrupted) = try dumpOnce(request, operation: operation, object: object)
            if !interrupted { return messages }
        }
        throw NetlinkError(operation: operation, object: object, errno: EINTR,
                           kernelMessage: "dump interrupted \(Self.dumpAttempts) times by concurrent changes")
    }

    private func dumpOnce(_ request: NetlinkRequest, operation: String, object: String?) throws -> ([NetlinkMessage], Bool) {
        var request = request
        request.flags |= NetlinkConstants.request | NetlinkConstants.dump
        let seq = nextSequence()
        try send(request.encoded(sequence: seq, portID: transport.portID), operation: operation, object: object)
        var results: [NetlinkMessage] = []
        var interrupted = false
        while true {
            for message in try receiveMessages(operation: operation, object: object) where message.sequence == seq && accepts(message) {
                if message.flags & NetlinkConstants.dumpInterrupted != 0 { interrupted = true }
                switch message.type {
                case NetlinkConstants.done:
                    // NLMSG_DONE may carry a negative errno for a failed dump.
                    if message.payload.count >= 4 {
                        let code = message.payload.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
                        if code < 0 {
                            try Self.checkError(message, operation: operation, object: object)
                        }
                    }
                    return (results, interrupted)
                case NetlinkConstants.error:
                    try Self.checkError(message, operation: operation, object: object)
                    return (results, interrupted)
                case NetlinkConstants.noop, NetlinkConstants.overrun:
                    continue
                default:
                    results.append(message)
                }
            }
        }
    }

    /// Sends several messages in one datagram (an nf_tables transaction) and
    /// waits until every message that asked for an ACK got one. The first
    /// rejected message ends the wait with an error naming that message.
    public func batch(_ items: [BatchItem]) throws {
        guard !items.isEmpty else { return }
        var datagram: [UInt8] = []
        var pending: [UInt32: Int] = [:]
        var bySequence: [UInt32: Int] = [:]
        for (index, item) in items.enumerated() {
            var request = item.request
            request.flags |= NetlinkConstants.request
            let seq = nextSequence()
            if request.flags & NetlinkConstants.ack != 0 { pending[seq] = index }
            bySequence[seq] = index
            datagram += request.encoded(sequence: seq, portID: transport.portID)
        }
        let first = items[0]
        try send(datagram, operation: first.operation, object: first.object)
        while !pending.isEmpty {
            // A lost answer is the transaction's, named by its first message.
            for message in try receiveMessages(operation: first.operation, object: first.object)
            where accepts(message) && message.type == NetlinkConstants.error {
                guard let index = bySequence[message.sequence] else { continue }
                try Self.checkError(message, operation: items[index].operation, object: items[index].object)
                pending[message.sequence] = nil
            }
        }
    }

    /// Sends many independent changes, `chunk` per datagram, each with its
    /// own ACK, and returns each one's outcome (nil: done) instead of
    /// stopping at the first refusal: for the same change on many objects
    /// (a state on every guest port), where one refusal (a port that went
    /// down) says nothing about the others. One round trip per chunk
    /// instead of one per object; the chunk keeps the ACKs of one datagram
    /// well inside the socket's receive buffer.
    public func executeEach(_ items: [BatchItem], chunk: Int = 128) throws -> [NetlinkError?] {
        var outcomes: [NetlinkError?] = Array(repeating: nil, count: items.count)
        var start = 0
        while start < items.count {
            let end = min(items.count, start + max(1, chunk))
            var datagram: [UInt8] = []
            var pending: [UInt32: Int] = [:]
            for index in start..<end {
                var request = items[index].request
                request.flags |= NetlinkConstants.request | NetlinkConstants.ack
                let seq = nextSequence()
                pending[seq] = index
                datagram += request.encoded(sequence: seq, portID: transport.portID)
            }
            try send(datagram, operation: items[start].operation, object: items[start].object)
            while !pending.isEmpty {
                for message in try receiveMessages(operation: items[start].operation, object: items[start].object)
                where accepts(message) && message.type == NetlinkConstants.error {
                    guard let index = pending.removeValue(forKey: message.sequence) else { continue }
                    do {
                        try Self.checkError(message, operation: items[index].operation, object: items[index].object)
                    } catch let error as NetlinkError {
                        outcomes[index] = error
                    }
                }
            }
            start = end
        }
        return outcomes
    }

    private func accepts(_ message: NetlinkMessage) -> Bool {
        message.portID == transport.portID || message.portID == 0
    }

    private func send(_ datagram: [UInt8], operation: String, object: String?) throws(NetlinkError) {
        do {
            try transport.send(datagram)
        } catch {
            throw Self.inContext(error, operation: operation, object: object)
        }
    }

    /// One reply datagram, split into messages, within `timeout`. Errors
    /// name the operation waited for: "recvfrom: ENOBUFS" alone does not
    /// tell an administrator which request lost its answer.
    private func receiveMessages(operation: String, object: String?) throws -> [NetlinkMessage] {
        let start = ContinuousClock.now
        let (end, cutByDeadline) = timeout.wait(from: start)
        let received: [UInt8]?
        do {
            received = try transport.receive(deadline: end)
        } catch {
            throw Self.inContext(error, operation: operation, object: object)
        }
        guard let datagram = received else {
            let waited = NetlinkTimeout.milliseconds(end - start)
            throw NetlinkError(operation: operation, object: object, errno: ETIMEDOUT,
                               kernelMessage: "no reply within \(waited) ms" + (cutByDeadline ? ", all that was left before the deadline" : ""))
        }
        do {
            return try NetlinkMessage.split(datagram: datagram[...])
        } catch {
            throw NetlinkDecodeError([operation, object, "reply"].compactMap { $0 }.joined(separator: " "), "\(error.context) \(error.reason)")
        }
    }

    /// A socket-level failure (`recvfrom`, `sendto`, `poll`) retold as the
    /// operation's: `RTM_GETLINK xenbr1: recvfrom: ... (ENOBUFS)`.
    static func inContext(_ error: NetlinkError, operation: String, object: String?) -> NetlinkError {
        var why = error.kernelMessage ?? Errno.describe(error.errno)
        if error.operation == "recvfrom" && error.errno == ENOBUFS {
            why = "the socket's receive buffer overflowed and the reply was dropped"
        }
        return NetlinkError(operation: operation, object: object, errno: error.errno, kernelMessage: "\(error.operation): \(why)")
    }

    /// Decodes an NLMSG_ERROR (or failed NLMSG_DONE): 0 is an ACK, a negative
    /// errno a failure, with the extended-ACK message text if present.
    static func checkError(_ message: NetlinkMessage, operation: String, object: String?) throws {
        guard message.payload.count >= 4 else {
            throw NetlinkDecodeError("\(operation) reply", "error message of \(message.payload.count) bytes")
        }
        let code = message.payload.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        if code == 0 { return }
        // The kernel sends -errno, errno below 4096 (MAX_ERRNO). Anything
        // else is malformed, and -Int32.min would trap.
        guard code < 0 && code > -4096 else {
            throw NetlinkDecodeError("\(operation) reply", "error code \(code) is not a negative errno")
        }
        var kernelMessage: String?
        if message.flags & NetlinkConstants.ackTLVs != 0 && message.type == NetlinkConstants.error {
            // After the errno comes the original header, plus its payload
            // unless the kernel capped it (NETLINK_CAP_ACK).
            var offset = 4 + 16
            if message.flags & NetlinkConstants.capped == 0, message.payload.count >= 8 {
                let originalLength = Int(ByteReader.u32(message.payload[...], at: 4))
                offset = 4 + ((originalLength + 3) & ~3)
            }
            if offset <= message.payload.count,
               let tlvs = try? NetlinkAttributes(message.payload[offset...], context: "extended ack"),
               let text = tlvs[NetlinkConstants.errAttrMessage] {
                kernelMessage = try? text.string()
            }
        }
        throw NetlinkError(operation: operation, object: object, errno: -code, kernelMessage: kernelMessage)
    }
}
