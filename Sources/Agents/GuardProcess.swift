import Glibc

/// Starts and ends the guard as a detached process, without exec.
///
/// The agent forks itself (twice, with a new session, stdio on /dev/null,
/// every other descriptor closed) so Pacemaker's executor, which waits for
/// the agent's pipes to close, is never held up and no other program is
/// run. A pid file under HA_RSCTMP records the guard with its start time,
/// so a recycled pid is never mistaken for it.
public struct GuardProcess {
    public let pidFile: String

    public init(stateDirectory: String, policyTag: String) {
        pidFile = stateDirectory + "/hanet-vhostnet-\(policyTag).guard"
    }

    /// Forks the guard; returns once its pid file exists (or it failed).
    /// `body` runs in the detached child and never returns.
    public func start(_ body: @escaping () -> Never) -> Int32? {
        _ = stop() // at most one guard per policy
        try? StateFile.makeDirectory(String(pidFile[..<(pidFile.lastIndex(of: "/") ?? pidFile.startIndex)]))
        var ready: [Int32] = [0, 0]
        guard pipe(&ready) == 0 else { return nil }
        let first = fork()
        if first < 0 { close(ready[0]); close(ready[1]); return nil }
        if first == 0 {
            close(ready[0])
            _ = setsid()
            let second = fork()
            if second != 0 { _exit(second < 0 ? 1 : 0) }
            detach(keeping: ready[1])
            let pid = getpid()
            let record = "\(pid) \(Self.startTime(of: pid) ?? "0")\n"
            let fd = open(pidFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd >= 0 {
                _ = record.withCString { write(fd, $0, strlen($0)) }
                close(fd)
            }
            var byte: UInt8 = 1
            _ = write(ready[1], &byte, 1)
            close(ready[1])
            body()
        }
        close(ready[1])
        var status: Int32 = 0
        _ = waitpid(first, &status, 0)
        // Wait (bounded) for the guard to say its pid file is written, so a
        // start that follows at once always finds it and ends it first.
        var pfd = pollfd(fd: ready[0], events: Int16(POLLIN), revents: 0)
        _ = poll(&pfd, 1, 2000)
        close(ready[0])
        return running()
    }

    /// The guard's pid if it is running (and really is the recorded process).
    public func running() -> Int32? {
        guard let text = Self.read(pidFile) else { return nil }
        let parts = text.split(separator: " ").map { $0.trimmingCharacters() }
        guard let pid = parts.first.flatMap({ Int32($0) }), pid > 1 else { return nil }
        guard let recorded = parts.dropFirst().first, Self.startTime(of: pid) == recorded else { return nil }
        return pid
    }

    /// Ends the guard and waits until it is gone (TERM, then KILL after 1 s).
    /// Returns true if a guard was running.
    @discardableResult
    public func stop() -> Bool {
        defer { unlink(pidFile) }
        guard let pid = running() else { return false }
        kill(pid, SIGTERM)
        for attempt in 0..<200 {
            if kill(pid, 0) != 0 && errno == ESRCH { return true }
            if Self.startTime(of: pid) == nil { return true }
            if attempt == 100 { kill(pid, SIGKILL) }
            usleep(10_000)
        }
        return true
    }

    private func detach(keeping keep: Int32) {
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, 0); dup2(null, 1); dup2(null, 2)
            if null > 2 { close(null) }
        }
        var fd: Int32 = 3
        while fd < 1024 {
            if fd != keep { close(fd) }
            fd += 1
        }
        umask(0o022)
        _ = chdir("/")
    }

    /// Field 22 of /proc/PID/stat: start time in clock ticks since boot.
    static func startTime(of pid: Int32) -> String? {
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so start time (22) is index 19.
        guard fields.count > 19, fields[0] != "Z" else { return nil }
        return String(fields[19])
    }

    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }
}

private extension Substring {
    func trimmingCharacters() -> String { String(self.filter { !$0.isWhitespace }) }
}
