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

    /// Runs until the process is killed.
    public func run() -> Never {
        log("guard: watching the guest block (\(backend.name)) on " + policy.bridges.map(\.value).joined(separator: " "))
        _ = restoreIfNeeded(cause: "guard start")
        if backend is NFTablesBackend, let monitor = try? NFTablesChangeMonitor(table: NFTablesBackend.tableName(for: policy)) {
            let me = UInt32(getpid())
            while true {
                do {
                    switch try monitor.next() {
                    case .transaction(let t)? where t.touchedTable && t.processID != me:
                        let who = "\(t.processName ?? "unknown process") (pid \(t.processID.map(String.init) ?? "?"))"
                        _ = restoreIfNeeded(cause: "\(who) changed the table: " + t.operations.joined(separator: ", "))
                    case .overrun?:
                        _ = restoreIfNeeded(cause: "lost change notifications")
                    default:
                        continue
                    }
                } catch {
                    log("guard: event socket failed (\(error)); polling instead")
                    break
                }
            }
        }
        while true {
            usleep(useconds_t(pollMilliseconds) * 1000)
            _ = restoreIfNeeded(cause: "periodic check")
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
