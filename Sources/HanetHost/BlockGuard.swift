import Glibc
import HanetFirewall
import HanetLinks

/// Keeps the guest block in place on a standby host, event-driven.
///
/// Pacemaker's stopped-role monitor notices a vanished block only at its
/// next interval; the guard reacts to the kernel's own change notification
/// and restores the block within milliseconds, logging who removed it. It
/// only ever *blocks*: it never unblocks, and `start` ends it before
/// unblocking, so it cannot fight the cluster.
public struct BlockGuard {
    /// The block it keeps in place.
    public let policy: GuestBlockPolicy
    /// A backend opened in the guard itself: descriptors are not shared with the agent that forked it.
    public let backend: GuestBlockBackend
    /// One line per restore, naming who removed the block (syslog in the agent).
    public let log: (String) -> Void
    /// How often a backend without change events (legacy iptables) is re-checked.
    public var pollMilliseconds: Int32 = 250
    /// The second lock it keeps in place, re-applied on link events; nil
    /// when the port lock is off (port_lock=false).
    public let portLock: GuestPortLock?
    /// Link events, subscribed before the block was checked, so no change
    /// in between is missed.
    public let linkEvents: LinkMonitor?

    /// Changes nothing until `run` or `restoreIfNeeded` is called.
    public init(policy: GuestBlockPolicy, backend: GuestBlockBackend, portLock: GuestPortLock? = nil,
                linkEvents: LinkMonitor? = nil, log: @escaping (String) -> Void) {
        self.policy = policy
        self.backend = backend
        self.portLock = portLock
        self.linkEvents = linkEvents
        self.log = log
    }

    /// Runs until asked to stop: an end request on `stopSocket` (a
    /// listening socket, see `GuardProcess.acceptRequest`) from a process
    /// of the guard's own user ends it at once; another user's is logged
    /// and ignored. Without a stop socket (`hanet guard` in the
    /// foreground) it runs until killed.
    public func run(stopSocket: Int32 = -1) -> Never {
        log("guard: watching the guest block (\(backend.name)) on " + policy.bridges.map(\.value).joined(separator: " "))
        // Subscribe before the first check: a change in between is not lost.
        let feed = backend.changeFeed(for: policy)
        _ = restoreIfNeeded(cause: "guard start")
        relockPortsIfNeeded(cause: "guard start")
        if feed == nil { log("guard: no change events from \(backend.name); polling every \(pollMilliseconds) ms") }
        var fds = [pollfd(fd: stopSocket, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: feed?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: portLock == nil ? -1 : linkEvents?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, 3, feed == nil ? pollMilliseconds : -1)
            if ready < 0 && errno != EINTR { usleep(100_000) }
            if fds[2].revents != 0 {
                linkEvents?.drain()
                relockPortsIfNeeded(cause: "a link change")
            }
            if fds[0].revents != 0 {
                switch GuardProcess.acceptRequest(stopSocket) {
                case .end:
                    log("guard: ended by an unblock")
                    _exit(0)
                case .refused(let pid, let uid):
                    log("guard: ignored a request from uid \(uid) (pid \(pid)): only root ends the guard")
                case .none:
                    break
                }
            }
            guard let feed else {
                _ = restoreIfNeeded(cause: "periodic check")
                continue
            }
            guard fds[1].revents != 0 else { continue }
            do {
                while let change = try feed.next(timeoutMilliseconds: 0) {
                    switch change {
                    case .changed(let what): _ = restoreIfNeeded(cause: what)
                    case .lost: _ = restoreIfNeeded(cause: "lost change notifications")
                    }
                }
            } catch {
                log("guard: reading change events failed (\(error)); re-checking")
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

    /// Re-applies the port lock where the kernel lifted it (a port that
    /// came up, flapped, was re-enslaved, or a new guest port): one port
    /// dump per bridge, a request per port that changes.
    public func relockPortsIfNeeded(cause: String) {
        guard let portLock else { return }
        let started = Self.milliseconds()
        do {
            let pass = try portLock.lock()
            guard !pass.changed.isEmpty else { return }
            let names = pass.changed.map(\.value).joined(separator: " ")
            log("guard: port lock restored on \(names) in \(Self.milliseconds() - started) ms after \(cause)")
        } catch {
            log("guard: could not restore the port lock after \(cause): \(error)")
        }
    }

    /// CLOCK_MONOTONIC in ms: the clock of `startSentinel(openedAt:)`.
    public static func milliseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int(ts.tv_sec) * 1000 + Int(ts.tv_nsec) / 1_000_000
    }
}
