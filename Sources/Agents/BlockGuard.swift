import Glibc
import Firewall
import Netlink

/// Keeps the guest block in place on a standby host, event-driven.
///
/// Pacemaker's stopped-role monitor notices a vanished block only at its
/// next interval; the guard reacts to the kernel's own change notification
/// and restores the block within milliseconds, logging who removed it. It
/// only ever *blocks*: it never unblocks, and `start` ends it before
/// unblocking, so it cannot fight the cluster.
public struct BlockGuard {
    public let policy: GuestBlockPolicy
    public let backend: GuestBlockBackend
    public let log: (String) -> Void
    /// Legacy iptables has no change events: how often it is re-checked.
    public var pollMilliseconds: Int32 = 250

    public init(policy: GuestBlockPolicy, backend: GuestBlockBackend, log: @escaping (String) -> Void) {
        self.policy = policy
        self.backend = backend
        self.log = log
    }

    /// Runs until asked to stop: any connection to `stopSocket` (a
    /// listening socket) ends the guard at once, before anything else.
    /// Without a stop socket (`hanet guard` in the foreground) it runs
    /// until killed.
    public func run(stopSocket: Int32 = -1) -> Never {
        log("guard: watching the guest block (\(backend.name)) on " + policy.bridges.map(\.value).joined(separator: " "))
        _ = restoreIfNeeded(cause: "guard start")
        let monitor = backend is NFTablesBackend ? try? NFTablesChangeMonitor(table: NFTablesBackend.tableName(for: policy)) : nil
        if backend is NFTablesBackend && monitor == nil { log("guard: no nf_tables events; polling every \(pollMilliseconds) ms") }
        let me = UInt32(getpid())
        var fds = [pollfd(fd: stopSocket, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: monitor?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, 2, monitor == nil ? pollMilliseconds : -1)
            if ready < 0 && errno != EINTR { usleep(100_000) }
            if fds[0].revents != 0 {
                log("guard: ended by an unblock")
                _exit(0)
            }
            guard let monitor else {
                _ = restoreIfNeeded(cause: "periodic check")
                continue
            }
            guard fds[1].revents != 0 else { continue }
            do {
                while let event = try monitor.next(timeoutMilliseconds: 0) {
                    switch event {
                    case .transaction(let t) where t.touchedTable && t.processID != me:
                        let who = "\(t.processName ?? "unknown process") (pid \(t.processID.map(String.init) ?? "?"))"
                        _ = restoreIfNeeded(cause: "\(who) changed the table: " + t.operations.joined(separator: ", "))
                    case .overrun:
                        _ = restoreIfNeeded(cause: "lost change notifications")
                    default:
                        continue
                    }
                }
            } catch {
                log("guard: reading nf_tables events failed (\(error)); re-checking")
                _ = restoreIfNeeded(cause: "event error")
            }
        }
    }

    /// Re-installs the block unless it is complete; returns true if it did.
    @discardableResult
    public func restoreIfNeeded(cause: String) -> Bool {
        let started = Self.milliseconds()
        do {
            let state = try backend.inspect(policy)
            guard state != .blocked else { return false }
            try backend.block(policy)
            let elapsed = Self.milliseconds() - started
            log("guard: block restored in \(elapsed) ms after \(cause) (found \(state))")
            return true
        } catch {
            log("guard: could not restore the block after \(cause): \(error)")
            return false
        }
    }

    static func milliseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int(ts.tv_sec) * 1000 + Int(ts.tv_nsec) / 1_000_000
    }
}
