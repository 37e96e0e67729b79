import Glibc

/// The xtables lock, taken exactly like `iptables -w`.
///
/// libiptc takes no lock of its own: it reads the whole table, edits it in
/// memory and writes it back with one `SO_SET_REPLACE`. Two writers that
/// interleave either fail (`EAGAIN`, the entry count changed) or, worse, the
/// second silently undoes the first (`-R` keeps the count). Every iptables
/// command since 1.6 serialises on `flock(LOCK_EX)` of `/run/xtables.lock`
/// (or `$XTABLES_LOCKFILE`); the file lives on the host's filesystem, so the
/// one lock covers every network namespace. We take the same lock around
/// each read-modify-commit.
///
/// The wait is bounded (polling `LOCK_NB`), so a wedged iptables process
/// turns into a clear error instead of a Pacemaker operation timeout.
final class IPTablesLock {
    /// `$XTABLES_LOCKFILE`, else `/run/xtables.lock` (what iptables 1.8 uses).
    static var defaultPath: String {
        if let value = getenv("XTABLES_LOCKFILE"), value.pointee != 0 {
            return String(cString: value)
        }
        return "/run/xtables.lock"
    }

    private let fd: Int32
    let path: String

    /// Blocks until the lock is ours or `timeout` has passed.
    init(path: String = IPTablesLock.defaultPath, timeout: Duration = .seconds(10)) throws(IPTablesError) {
        self.path = path
        // Same mode and flags as iptables' xtables_lock().
        let opened = open(path, O_CREAT | O_CLOEXEC | O_RDONLY, 0o600)
        guard opened >= 0 else {
            throw IPTablesError(operation: "open", object: path, errno: Glibc.errno,
                                message: "cannot open the xtables lock file")
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var pause: Duration = .microseconds(200)
        while true {
            if flock(opened, LOCK_EX | LOCK_NB) == 0 { break }
            let code = Glibc.errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK else {
                close(opened)
                throw IPTablesError(operation: "flock", object: path, errno: code)
            }
            if clock.now >= deadline {
                close(opened)
                throw IPTablesError(operation: "flock", object: path, errno: ETIMEDOUT,
                                    message: "another iptables process has held the xtables lock for more than \(timeout)")
            }
            Self.sleep(pause)
            // Back off to 10 ms: short enough to follow a busy iptables-restore closely.
            pause = min(pause * 2, .milliseconds(10))
        }
        fd = opened
    }

    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && Glibc.errno == EINTR { request = remaining }
    }

    /// Releases the lock (closing the descriptor drops the flock).
    deinit { close(fd) }
}
