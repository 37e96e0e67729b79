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
/// and ending it is race-free: `stop` connects, the guard exits, and `stop`
/// returns only when the connection reports end-of-file. A pid file under
/// HA_RSCTMP is kept for administrators.
public struct GuardProcess {
    /// For administrators only; the guard is found through its socket, never through this file.
    public let pidFile: String
    /// The abstract socket name (`hanet-vhostnet-guard-<tag>`), per network namespace.
    public let socketName: String

    /// One guard per policy (`GuestBlockPolicy.ownerTag`) and namespace.
    public init(stateDirectory: String, policyTag: String) {
        pidFile = stateDirectory + "/hanet-vhostnet-\(policyTag).guard"
        socketName = "hanet-vhostnet-guard-\(policyTag)"
    }

    /// Forks the guard; returns its pid once it listens (nil if it failed).
    /// `body` runs in the detached child with the listening socket and
    /// never returns; it must exit when a connection arrives.
    public func start(_ body: @escaping (_ stopSocket: Int32) -> Never) -> Int32? {
        _ = stop() // at most one guard per policy and namespace
        // The pid file is for administrators only: without a safe directory
        // the guard runs without one (it is found through its socket).
        let pidDirectoryUsable = (try? StateDirectory.prepare(String(pidFile[..<(pidFile.lastIndex(of: "/") ?? pidFile.startIndex)]))) != nil
        var ready: [Int32] = [0, 0]
        guard pipe(&ready) == 0 else { return nil }
        let first = fork()
        if first < 0 { close(ready[0]); close(ready[1]); return nil }
        if first == 0 {
            close(ready[0])
            _ = setsid()
            let second = fork()
            if second != 0 { _exit(second < 0 ? 1 : 0) }
            guard let listener = listen() else { _exit(0) } // another guard holds the name
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
        if poll(&pfd, 1, 2000) > 0, read(ready[0], &pid, MemoryLayout<Int32>.size) == MemoryLayout<Int32>.size {
            close(ready[0])
            return pid
        }
        close(ready[0])
        return nil
    }

    /// True if a guard for this policy is listening in this namespace.
    public func running() -> Bool {
        guard let fd = connect() else { return false }
        close(fd)
        return true
    }

    /// Ends the guard, if any, and waits (bounded) until it is gone.
    @discardableResult
    public func stop() -> Bool {
        guard let fd = connect() else {
            unlink(pidFile)
            return false
        }
        // The guard exits on accept; its end closes our connection.
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var byte: UInt8 = 0
        for _ in 0..<4 {
            if poll(&pfd, 1, 500) > 0, read(fd, &byte, 1) <= 0 { break }
        }
        close(fd)
        unlink(pidFile)
        return true
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
        guard bound == 0, Glibc.listen(fd, 4) == 0 else { close(fd); return nil }
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
