import Glibc
import CLinuxNet

/// A real netlink socket (libmnl), optionally opened inside another netns.
public final class NetlinkSocket: NetlinkTransport {
    private let socket: OpaquePointer
    /// The port the kernel assigned at bind (`MNL_SOCKET_AUTOPID`): our address for replies.
    public let portID: UInt32
    /// The netlink family it was opened on (`NETLINK_ROUTE`, `NETLINK_NETFILTER`).
    public let bus: Int32
    private var buffer: [UInt8]

    /// Opens and binds a socket on `bus` inside `namespace`, asking for
    /// extended ACKs (the kernel's reason for a refusal) and capped ACKs.
    ///
    /// - Parameters:
    ///   - bus: `NetlinkConstants.route` or `.netfilter`.
    ///   - groups: legacy multicast group bitmask (e.g. RTMGRP_LINK) for event sockets.
    ///   - namespace: where the socket is created. It stays bound there for its
    ///     whole life, whichever thread uses it later.
    public init(bus: Int32, groups: UInt32 = 0, namespace: NetworkNamespace = .current) throws(NetlinkError) {
        let opened: OpaquePointer?
        do {
            opened = try namespace.perform { mnl_socket_open2(bus, Int32(SOCK_CLOEXEC.rawValue)) }
        } catch let error as NetlinkError {
            throw error
        } catch {
            throw NetlinkError(operation: "socket", object: namespace.description, errno: EINVAL)
        }
        guard let opened else {
            throw NetlinkError(operation: "socket", object: namespace.description, errno: Glibc.errno)
        }
        socket = opened
        self.bus = bus
        // Extended ACKs: the kernel tells us *why* ("Device can not be
        // enslaved while up"), and capped ACKs keep error replies small.
        var one: Int32 = 1
        _ = mnl_socket_setsockopt(socket, Int32(NETLINK_EXT_ACK), &one, socklen_t(MemoryLayout<Int32>.size))
        _ = mnl_socket_setsockopt(socket, Int32(NETLINK_CAP_ACK), &one, socklen_t(MemoryLayout<Int32>.size))
        guard mnl_socket_bind(socket, UInt32(groups), pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let code = Glibc.errno
            mnl_socket_close(socket)
            throw NetlinkError(operation: "bind", object: namespace.description, errno: code)
        }
        portID = mnl_socket_get_portid(socket)
        // Large enough for one dump datagram of any rtnetlink or nf_tables reply.
        buffer = [UInt8](repeating: 0, count: 64 * 1024)
    }

    deinit { mnl_socket_close(socket) }

    /// The socket's descriptor, for poll(2) next to others; owned by this
    /// object and closed with it.
    public var fileDescriptor: Int32 { mnl_socket_get_fd(socket) }

    /// Sends one datagram; a failure throws `NetlinkError` named `sendto`.
    public func send(_ datagram: [UInt8]) throws(NetlinkError) {
        let sent = datagram.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, $0.count) }
        guard sent >= 0 else { throw NetlinkError(operation: "sendto", errno: Glibc.errno) }
    }

    /// Waits for the next datagram (up to 64 KiB) as long as it takes
    /// (event sockets), retrying on `EINTR`. `ENOBUFS` means the kernel
    /// dropped messages for this socket; a larger datagram fails with `ENOSPC`.
    public func receive() throws(NetlinkError) -> [UInt8] {
        while true {
            if let datagram = try receiveOnce(flags: 0) { return datagram }
        }
    }

    /// The kernel answers a request within the `send` that carried it, so
    /// the reply is almost always queued already: one non-blocking receive
    /// gets it, and only an empty socket costs a `poll` up to `deadline`.
    public func receive(deadline: ContinuousClock.Instant?) throws(NetlinkError) -> [UInt8]? {
        guard let deadline else { return try receive() }
        while true {
            if let datagram = try receiveOnce(flags: Int32(MSG_DONTWAIT)) { return datagram }
            guard try waitReadable(until: deadline) else { return nil }
        }
    }

    /// One `recv`; nil when the socket was empty (non-blocking) or a signal
    /// interrupted the call. MSG_TRUNC makes the kernel report a datagram's
    /// full length, so one that did not fit the buffer is an error rather
    /// than a silently cut reply.
    private func receiveOnce(flags: Int32) throws(NetlinkError) -> [UInt8]? {
        let fd = fileDescriptor
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, flags | Int32(MSG_TRUNC)) }
        if count > buffer.count {
            throw NetlinkError(operation: "recvfrom", errno: ENOSPC,
                               kernelMessage: "a datagram of \(count) bytes does not fit the \(buffer.count)-byte buffer")
        }
        if count >= 0 { return Array(buffer[0..<count]) }
        let code = Glibc.errno
        if code == EINTR || code == EAGAIN { return nil }
        throw NetlinkError(operation: "recvfrom", errno: code)
    }

    /// Waits until a datagram is readable; false on timeout (-1 waits
    /// forever). Lets event loops keep a deadline without a second thread.
    public func waitReadable(timeoutMilliseconds: Int32) throws(NetlinkError) -> Bool {
        try waitReadable(until: timeoutMilliseconds < 0 ? nil : .now + .milliseconds(timeoutMilliseconds))
    }

    /// Waits until a datagram is readable or `deadline` has passed (nil:
    /// forever); false on timeout. The one place where a wait meets a
    /// signal: EINTR resumes the wait with the time that remains, so a
    /// signal neither ends it early nor makes it longer.
    public func waitReadable(until deadline: ContinuousClock.Instant?) throws(NetlinkError) -> Bool {
        var pfd = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            // Rounded up: poll must not return before the deadline.
            let timeout = deadline.map { Int32(clamping: NetlinkTimeout.milliseconds($0 - .now)) } ?? -1
            let ready = poll(&pfd, 1, timeout)
            if ready >= 0 { return ready > 0 }
            if Glibc.errno == EINTR { continue }
            throw NetlinkError(operation: "poll", errno: Glibc.errno)
        }
    }

    /// Joins a multicast group by number (needed for groups > 32, e.g. NFNLGRP_NFTABLES).
    public func join(group: UInt32) throws(NetlinkError) {
        var value = Int32(bitPattern: group)
        guard mnl_socket_setsockopt(socket, Int32(NETLINK_ADD_MEMBERSHIP), &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw NetlinkError(operation: "NETLINK_ADD_MEMBERSHIP", object: "group \(group)", errno: Glibc.errno)
        }
    }

    /// Raises the send buffer past the default: a 1000-rule nf_tables batch
    /// (~316 KB) fails with EMSGSIZE otherwise. FORCE needs CAP_NET_ADMIN,
    /// which every writer has; fall back to the capped variant otherwise.
    public func reserveBuffers(sendBytes: Int, receiveBytes: Int) {
        if sendBytes > 0 { setSendBufferSize(sendBytes) }
        if receiveBytes > 0 { setReceiveBufferSize(receiveBytes) }
    }

    /// Sets `SO_SNDBUF`, past `net.core.wmem_max` through `SO_SNDBUFFORCE`
    /// when the process has CAP_NET_ADMIN; the kernel doubles the value for
    /// its bookkeeping. Failures are ignored: a batch that still does not fit
    /// fails with `EMSGSIZE` when sent.
    public func setSendBufferSize(_ bytes: Int) {
        var size = Int32(clamping: bytes)
        let fd = fileDescriptor
        if setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Event sockets that fall behind get ENOBUFS; a bigger buffer makes that rarer.
    public func setReceiveBufferSize(_ bytes: Int) {
        var size = Int32(clamping: bytes)
        let fd = fileDescriptor
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}
