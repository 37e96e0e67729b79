import Glibc

/// Starts and ends the guard as a detached process, without exec.
///
/// The agent forks itself (twice, with a new session, stdio on /dev/null,
/// every other descriptor closed) so Pacemaker's executor, which waits for
/// the agent's pipes to close, is never held up and no other program runs.
///
/// The guard listens on an abstract Unix socket named after its policy.
/// Abstract names live in the network namespace, like the block itself, so
/// any agent call for the same policy in the same namespace finds the guard
/// whatever its HA_RSCTMP, a second guard cannot start (the name is taken),
/// and ending it is race-free: `stop` connects, asks, and returns only when
/// the connection reports end-of-file and the process is gone. A pid file under HA_RSCTMP is kept
/// for administrators.
///
/// Any local user can connect to, or bind, an abstract name. So both ends
/// check the other's credentials (SO_PEERCRED): the guard ends only when a
/// process of its own user asks, and a name held by another user is
/// reported (`GuardHolder.foreign`), never taken for a guard.
public struct GuardProcess {
    /// For administrators only; the guard is found through its socket, never through this file.
    public let pidFile: String
    /// The abstract socket name (`hanet-vhostnet-guard-<tag>`), per network namespace.
    public let socketName: String

    /// One guard per policy (`GuestBlockPolicy.ownerTag`) and namespace.
    /// `role` names another process of the same kind: "sentinel", the
    /// open host's watcher (`DuplicateSentinel`).
    public init(stateDirectory: String, policyTag: String, role: String = "guard") {
        pidFile = stateDirectory + "/hanet-vhostnet-\(policyTag).\(role)"
        socketName = "hanet-vhostnet-\(role)-\(policyTag)"
    }

    /// Forks the guard; returns its pid once it listens. `body` runs in the
    /// detached child with the listening socket and never returns; it ends
    /// when `acceptRequest` says so.
    ///
    /// - Throws: `HostError.guardUnavailable` naming the reason: the name
    ///   is held by another user, or the guard did not report listening.
    public func start(_ body: @escaping (_ stopSocket: Int32) -> Never) throws(HostError) -> Int32 {
        // At most one guard per policy and namespace.
        if case .foreign(let pid, let uid) = stop() { throw squatted(pid: pid, uid: uid) }
        // The pid file is for administrators only: without a safe directory
        // the guard runs without one (it is found through its socket).
        let pidDirectoryUsable = (try? StateDirectory.prepare(String(pidFile[..<(pidFile.lastIndex(of: "/") ?? pidFile.startIndex)]))) != nil
        var ready: [Int32] = [0, 0]
        guard pipe(&ready) == 0 else { throw HostError(.guardUnavailable, object: "@" + socketName, errno: errno, "the guard cannot start: pipe failed") }
        let first = fork()
        if first < 0 {
            let code = errno
            close(ready[0]); close(ready[1])
            throw HostError(.guardUnavailable, object: "@" + socketName, errno: code, "the guard cannot start: fork failed (\(String(cString: strerror(code))))")
        }
        if first == 0 {
            close(ready[0])
            _ = setsid()
            let second = fork()
            if second != 0 { _exit(second < 0 ? 1 : 0) }
            guard let listener = listen() else {
                // Taken between the check and the bind: the parent asks who.
                var failed: Int32 = -1
                _ = write(ready[1], &failed, MemoryLayout<Int32>.size)
                _exit(0)
            }
            DetachedProcess.detach(keeping: [ready[1], listener])
            let record = "\(getpid())\n"
            // Created afresh, exclusively, never through a planted link.
            unlink(pidFile)
            let fd = pidDirectoryUsable ? open(pidFile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) : -1
            if fd >= 0 {
                _ = record.withCString { write(fd, $0, strlen($0)) }
                close(fd)
            }
            var pid = getpid()
            _ = write(ready[1], &pid, MemoryLayout<Int32>.size)
            close(ready[1])
            body(listener)
        }
        close(ready[1])
        var status: Int32 = 0
        _ = waitpid(first, &status, 0)
        // Bounded wait for "listening": a start right after always finds it.
        var pid: Int32 = 0
        var pfd = pollfd(fd: ready[0], events: Int16(POLLIN), revents: 0)
        let answered = poll(&pfd, 1, 2000) > 0 && read(ready[0], &pid, MemoryLayout<Int32>.size) == MemoryLayout<Int32>.size
        close(ready[0])
        if answered && pid > 0 { return pid }
        if case .foreign(let holder, let uid) = holder() { throw squatted(pid: holder, uid: uid) }
        throw HostError(.guardUnavailable, object: "@" + socketName,
                        "the guard did not start (\(answered ? "its socket name was taken" : "no answer within 2 s")); the block is in place, but nothing restores it if it is removed")
    }

    private func squatted(pid: Int32, uid: UInt32) -> HostError {
        HostError(.guardUnavailable, object: "@" + socketName, errno: EADDRINUSE,
                  "the guard cannot start: its socket @\(socketName) is held by uid \(uid) (pid \(pid)), not by a guard; the block is in place, but nothing restores it if it is removed")
    }

    /// True if a guard for this policy is listening in this namespace.
    public func running() -> Bool {
        if case .guardProcess = holder() { return true }
        return false
    }

    /// Who listens on the name: one connect, no request (the guard reads
    /// end-of-file and goes on watching).
    public func holder() -> GuardHolder {
        guard let fd = connect() else { return .none }
        defer { close(fd) }
        return Self.classify(fd)
    }

    /// Ends the guard, if any, and waits (bounded) until it is gone.
    /// Returns who held the name: a `.foreign` holder is left alone.
    @discardableResult
    public func stop() -> GuardHolder {
        guard let fd = connect() else {
            unlink(pidFile)
            return .none
        }
        defer { close(fd) }
        let holder = Self.classify(fd)
        guard case .guardProcess = holder else { return holder }
        var request = Self.endRequest
        _ = write(fd, &request, 1)
        // The guard exits on the request; its end closes our connection.
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var byte: UInt8 = 0
        for _ in 0..<4 {
            if poll(&pfd, 1, 500) > 0, read(fd, &byte, 1) <= 0 { break }
        }
        // The kernel closes an exiting process's descriptors a moment
        // before the process is gone: wait (bounded) for that too, so
        // "stopped" means no such process, not only no open socket.
        if case .guardProcess(let pid) = holder { Self.waitGone(pid, milliseconds: 500) }
        unlink(pidFile)
        return holder
    }

    /// Until /proc no longer shows `pid` running (gone, or a zombie).
    private static func waitGone(_ pid: Int32, milliseconds: Int) {
        for _ in 0..<milliseconds {
            let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
            if fd < 0 { return }
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = read(fd, &buffer, buffer.count)
            close(fd)
            // "pid (comm) S ...": the state follows the last ')'.
            guard count > 0, let paren = buffer[..<count].lastIndex(of: UInt8(ascii: ")")),
                  paren + 2 < count else { return }
            let state = buffer[paren + 2]
            if state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") { return }
            usleep(1000)
        }
    }

    // MARK: the guard's side

    /// What a connection to the guard asked.
    public enum Request: Equatable, Sendable {
        /// A process of the guard's user asked it to end.
        case end
        /// A check that it runs (no request), or nothing to accept.
        case none
        /// Another user's process connected: ignored, named for the log.
        case refused(pid: Int32, uid: UInt32)
    }

    /// Accepts one pending connection on the guard's listening socket and
    /// says what it asked. Another user's connection is closed at once,
    /// unread, so it can neither end the guard nor hold it up; its own
    /// user's is read for at most 200 ms. On `.end` the listener is closed
    /// and the requester's connection left open: the caller must exit,
    /// which ends it.
    public static func acceptRequest(_ listener: Int32) -> Request {
        // The listener is non-blocking: a connection closed before this
        // accept leaves nothing to wait for.
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return .none }
        guard let peer = credentials(fd) else { close(fd); return .refused(pid: 0, uid: UInt32.max) }
        guard peer.uid == geteuid() else { close(fd); return .refused(pid: peer.pid, uid: peer.uid) }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var byte: UInt8 = 0
        guard poll(&pfd, 1, 200) > 0, read(fd, &byte, 1) == 1, byte == endRequest else { close(fd); return .none }
        // The name is freed now; the requester's connection stays open until
        // the guard exits, so its end-of-file means the guard is gone.
        close(listener)
        return .end
    }

    private static let endRequest = UInt8(ascii: "E")

    /// `struct ucred`, which Glibc hides behind _GNU_SOURCE: pid, uid, gid.
    private struct Credentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    private static func credentials(_ fd: Int32) -> Credentials? {
        var peer = Credentials()
        var length = socklen_t(MemoryLayout<Credentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0,
              length == socklen_t(MemoryLayout<Credentials>.size) else { return nil }
        return peer
    }

    /// The listener's credentials, as the kernel recorded them at listen().
    private static func classify(_ fd: Int32) -> GuardHolder {
        guard let peer = credentials(fd) else { return .foreign(pid: 0, uid: UInt32.max) }
        return peer.uid == geteuid() ? .guardProcess(pid: peer.pid) : .foreign(pid: peer.pid, uid: peer.uid)
    }

    // MARK: sockets

    private func address() -> (sockaddr_un, socklen_t) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketName.utf8.prefix(100))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw[0] = 0 // abstract namespace
            for (i, b) in bytes.enumerated() { raw[i + 1] = b }
        }
        let length = MemoryLayout<sa_family_t>.size + 1 + bytes.count
        return (address, socklen_t(length))
    }

    private func listen() -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var (address, length) = address()
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else { close(fd); return nil }
        // A connection closed before accept must not block the guard.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    private func connect() -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var (address, length) = address()
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        guard connected == 0 else { close(fd); return nil }
        return fd
    }

}
