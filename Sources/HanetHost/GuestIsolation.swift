import Glibc
import HanetLinks
import HanetNetlink
import HanetFirewall

/// The vhostnet agent's logic, usable directly from Swift: block or unblock
/// every guest port of the configured bridges, and answer "could a guest on
/// this host reach the network?".
///
/// As a `HostResource`, start is unblock and stop is block: "running" means
/// the guests can reach the network. No call forks: the guard that keeps a
/// block in place is a separate, explicit `startGuard()`.
public final class GuestIsolation: HostResource {
    /// The policy and the unblock behaviour (announcements).
    public let configuration: VhostNetConfiguration
    /// The firewall implementation chosen by `open` (or given by the caller).
    public let backend: GuestBlockBackend
    /// Why that backend, for the log (`auto: nf_tables is available ...`).
    public let backendReason: String
    private let openRoute: () throws -> NetlinkConnection
    private var routeHandles: (links: LinkManager, fdb: BridgeFDB)?
    private let registry: GuestMACRegistry
    private let guardProcess: GuardProcess
    private let sentinelProcess: GuardProcess
    /// What the sentinel concluded, if it saw this host's guests elsewhere.
    public let duplicateRecord: DuplicateRecord
    private let log: (String) -> Void

    /// `openRoute` gives the rtnetlink connection for link and FDB work
    /// (a real socket, or a fake in tests); it is called at most once.
    public init(configuration: VhostNetConfiguration, backend: GuestBlockBackend, backendReason: String,
                openRoute: @escaping () throws -> NetlinkConnection, stateDirectory: String,
                log: @escaping (String) -> Void = { _ in }) {
        self.configuration = configuration
        self.backend = backend
        self.backendReason = backendReason
        self.openRoute = openRoute
        self.registry = GuestMACRegistry(stateDirectory: stateDirectory, policyTag: configuration.policy.ownerTag)
        self.guardProcess = GuardProcess(stateDirectory: stateDirectory, policyTag: configuration.policy.ownerTag)
        self.sentinelProcess = GuardProcess(stateDirectory: stateDirectory, policyTag: configuration.policy.ownerTag, role: "sentinel")
        self.duplicateRecord = DuplicateRecord(stateDirectory: stateDirectory, policyTag: configuration.policy.ownerTag)
        self.log = log
    }

    /// Opens everything in the caller's namespace, choosing the backend.
    /// Every netlink reply is waited for at most `timeout` (an agent passes
    /// its action's deadline; the guard, a long-lived process of its own,
    /// opens its sockets with the default).
    public static func open(_ configuration: VhostNetConfiguration, stateDirectory: String, timeout: NetlinkTimeout = .default,
                            log: @escaping (String) -> Void = { _ in }) throws -> GuestIsolation {
        let selection: GuestBlockBackendChoice.Selection
        do {
            selection = try configuration.backend.select(timeout: timeout)
        } catch let error as GuestBlockBackendChoice.Unavailable {
            throw HostError(.backendUnavailable, object: configuration.backend.rawValue, error.description)
        }
        return GuestIsolation(configuration: configuration, backend: selection.backend, backendReason: selection.reason,
                              openRoute: { try NetlinkConnection(bus: NetlinkConstants.route, timeout: timeout) },
                              stateDirectory: stateDirectory, log: log)
    }

    /// The rtnetlink side, opened on first use: monitor only reads the
    /// firewall and never pays for this socket.
    private func route() throws -> (links: LinkManager, fdb: BridgeFDB) {
        if let handles = routeHandles { return handles }
        let connection = try openRoute()
        let handles = (links: LinkManager(connection: connection), fdb: BridgeFDB(connection: connection))
        routeHandles = handles
        return handles
    }

    // MARK: validate

    /// The configuration's rules, then what would keep this host's
    /// firewall from seeing guest traffic (legacy iptables without
    /// br_netfilter): the block would be there and not work.
    public func validate() throws {
        try configuration.validate()
        log("backend \(backend.name): \(backendReason)")
        if let first = backend.problems(for: configuration.policy).first {
            throw HostError(.backendUnavailable, object: backend.name, first.description)
        }
    }

    // MARK: block (stop)

    /// Installs the complete block. Works whether or not the bridges and
    /// guest ports exist now: rules match port-name patterns, so a guest
    /// that attaches later is blocked from its first frame.
    public func block() throws {
        // An open host's watcher has nothing left to watch.
        stopSentinel()
        // Only announcements need the MACs; without them a block costs the
        // same for one guest or a thousand.
        if configuration.announce > 0 { rememberGuests() }
        try backend.block(configuration.policy)
        log("guests blocked on \(bridgeList) (\(backend.name); \(backendReason))")
        if configuration.portLock && !configuration.policy.selectsByIdentity { lockPorts() }
    }

    /// The second lock, after the firewall's. Not fatal: the firewall
    /// block is in place, and failing a stop gets a node fenced.
    private func lockPorts() {
        do {
            let pass = try portLock().lock()
            if !pass.changed.isEmpty {
                log("port lock: \(pass.changed.count) guest port(s) disabled (\(pass.changed.map(\.value).joined(separator: " ")))")
            }
            if !pass.stpBridges.isEmpty {
                log("port lock: STP runs on \(pass.stpBridges.map(\.value).joined(separator: " ")), which owns its port states; the firewall block is the only lock there")
            }
        } catch {
            log("port lock: could not disable the guest ports (\(error)); the firewall block is in place")
        }
    }

    /// The guest ports' lock (`GuestPortLock`) on this host's rtnetlink socket.
    public func portLock() throws -> GuestPortLock {
        GuestPortLock(policy: configuration.policy, links: try route().links)
    }

    /// Leaves a guard behind that restores the block whenever it vanishes
    /// (see `BlockGuard`); returns its pid.
    ///
    /// This forks the calling process (twice, no exec): call it only from a
    /// single-threaded process such as an agent, never from a program with
    /// threads of its own, where the child could inherit a held lock. A
    /// guard already running for this policy is replaced.
    ///
    /// - Throws: `HostError.guardUnavailable` when no guard could start,
    ///   e.g. because another local user holds its socket name. The block
    ///   is untouched either way.
    @discardableResult
    public func startGuard() throws(HostError) -> Int32 {
        let policy = configuration.policy
        let choice = configuration.backend
        let log = self.log
        let locksPorts = configuration.portLock
        let pid = try guardProcess.start { stopSocket in
            // Fresh sockets: the parent's were closed when the guard detached.
            guard let selection = try? choice.select() else { _exit(1) }
            // Subscribed before the guard's first check: no link change is missed.
            let events = locksPorts ? try? LinkMonitor() : nil
            let lock = locksPorts ? (try? LinkManager()).map { GuestPortLock(policy: policy, links: $0) } : nil
            if locksPorts && (events == nil || lock == nil) { log("guard: no link events: the port lock is not kept") }
            BlockGuard(policy: policy, backend: selection.backend, portLock: events == nil ? nil : lock,
                       linkEvents: events, log: log).run(stopSocket: stopSocket)
        }
        log("guard running (pid \(pid))")
        return pid
    }

    /// Leaves a sentinel behind on a host whose guests are open (see
    /// `DuplicateSentinel`); returns its pid. Forks like `startGuard()`.
    /// `openedAt` is the CLOCK_MONOTONIC ms at which the guests opened.
    @discardableResult
    public func startSentinel(openedAt: Int) throws(HostError) -> Int32 {
        let configuration = self.configuration
        let known = Set(registry.load().keys)
        let record = duplicateRecord
        let log = self.log
        let pidFile = sentinelProcess.pidFile
        let pid = try sentinelProcess.start { stopSocket in
            // Fresh sockets, subscribed before the sentinel reads the ports.
            // libquorum is loaded here, in the detached child only.
            let watchesDuplicates = configuration.duplicatePolicy != .off
            let events = watchesDuplicates ? try? FDBMonitor() : nil
            guard let connection = try? NetlinkConnection(bus: NetlinkConstants.route),
                  let selection = try? configuration.backend.select(), events != nil || !watchesDuplicates else { _exit(1) }
            var quorum: QuorumSource?
            if configuration.quorumBlock {
                do { quorum = try CorosyncQuorum() } catch {
                    log("sentinel: not following quorum: \(error)")
                }
            }
            // duplicate_policy=off and no corosync here: nothing to watch.
            guard events != nil || quorum != nil else { unlink(pidFile); _exit(0) }
            DuplicateSentinel(configuration: configuration, backend: selection.backend, links: LinkManager(connection: connection),
                              fdb: BridgeFDB(connection: connection), events: events, quorum: quorum, record: record,
                              openedAt: openedAt, log: log).run(stopSocket: stopSocket, knownGuestMACs: known)
        }
        log("sentinel running (pid \(pid))")
        return pid
    }

    /// Ends the sentinel, if any (`block` does it first).
    public func stopSentinel() {
        if case .guardProcess = sentinelProcess.stop() { log("sentinel ended") }
    }

    /// Whether a sentinel for this policy runs in this network namespace.
    public var sentinelRunning: Bool { sentinelProcess.running() }

    /// Whether a guard for this policy runs in this network namespace.
    public var guardRunning: Bool { guardProcess.running() }

    /// Who holds the guard's socket name: a guard, nobody, or another
    /// user's process (then no guard can start until it lets go).
    public var guardHolder: GuardHolder { guardProcess.holder() }

    /// Ends the guard, if any. `unblock` calls it first, so it never races
    /// a guard that would put the block back. A name held by another user
    /// is left alone and logged.
    public func stopGuard() {
        switch guardProcess.stop() {
        case .guardProcess: log("guard ended")
        case .foreign(let pid, let uid): log("the guard's socket name is held by uid \(uid) (pid \(pid)), not by a guard: left alone")
        case .none: break
        }
    }

    // MARK: unblock (start)

    /// What an unblock did beyond removing the block.
    public struct UnblockReport: Equatable, Sendable {
        /// Bridges whose learned forwarding entries were flushed.
        public var flushedBridges: [InterfaceName] = []
        /// Entries removed one by one, on a kernel without bulk deletion.
        public var flushedOneByOne = 0
        /// Guest MACs to announce (RARP) out of the uplinks; announced
        /// already unless `unblock(announcing: false)` left it to the caller.
        public var announcement: Announcement?
        /// The bridges' ports that are neither guest nor exempt ports.
        public var uplinks: [InterfaceName] { announcement?.uplinks.map(\.name) ?? [] }
    }

    /// Who to announce where: every known guest MAC out of every uplink.
    public struct Announcement: Equatable, Sendable {
        public struct Uplink: Equatable, Sendable {
            public var name: InterfaceName
            public var index: Int32
        }
        /// Unicast guest MACs, in numeric order.
        public var macs: [MACAddress]
        public var uplinks: [Uplink]
    }

    /// Removes the block, then makes the guests reachable at once.
    ///
    /// While this host was the standby, its bridges learned every guest MAC
    /// on the uplink (from the active twin's frames) and would drop frames
    /// for those guests until each sends something itself. So each bridge
    /// forgets what it learned, in one request whatever the number of
    /// guests (what a switch does on a topology change; frames flood until
    /// relearned). With `announce` > 0, each known guest MAC is then
    /// announced out of the uplinks, so the switches learn it too: that
    /// part reads the ports and the forwarding table, and grows with them.
    ///
    /// - Parameter announcing: false returns as soon as the guests are open
    ///   and leaves the announcement rounds (`announce` rounds,
    ///   `announceIntervalMilliseconds` apart) to the caller:
    ///   `announce(_:)` here, or `announceInBackground(_:)`.
    @discardableResult
    public func unblock(announcing: Bool = true) throws -> UnblockReport {
        stopGuard()
        // The port lock first, whatever port_lock says now (it may have
        // been on when this host blocked): the firewall's commit is then
        // the one moment the guests come back.
        let unlocked = try portLock().unlock()
        if !unlocked.changed.isEmpty {
            log("port lock: \(unlocked.changed.count) guest port(s) forwarding again (\(unlocked.changed.map(\.value).joined(separator: " ")))")
        }
        try backend.unblock(configuration.policy)
        var report = UnblockReport()
        let (links, fdb) = try route()
        var known = configuration.announce > 0 ? registry.load() : [:]
        var uplinks: [Announcement.Uplink] = []
        for bridgeName in configuration.policy.bridges {
            guard let bridge = try links.link(named: bridgeName), bridge.kind?.kernelName == "bridge" else {
                log("bridge \(bridgeName) does not exist: nothing to relearn there")
                continue
            }
            if configuration.announce > 0 {
                // Before the flush: what the bridge learned on guest ports.
                let learned = try learnedGuests(on: bridge, links: links, fdb: fdb)
                known.merge(learned.macs) { _, new in new }
                uplinks += learned.uplinks.map { Announcement.Uplink(name: $0.name, index: $0.index) }
            }
            if case .oneByOne(let count) = try fdb.flushLearned(bridgeIndex: bridge.index) {
                report.flushedOneByOne += count
            }
            report.flushedBridges.append(bridgeName)
        }
        let macs = known.keys.filter { !$0.isMulticast }.sorted { $0.integerValue < $1.integerValue }
        if configuration.announce > 0, !macs.isEmpty, !uplinks.isEmpty {
            report.announcement = Announcement(macs: macs, uplinks: uplinks)
        }
        let flushed = report.flushedBridges.map(\.value).joined(separator: " ")
        let announced = configuration.announce == 0 ? "" : (announcing ? ", announced " : ", announcing ")
            + "\(report.announcement?.macs.count ?? 0) guest MAC(s)"
            + (uplinks.isEmpty ? " (no uplink port)" : " out of " + uplinks.map(\.name.value).joined(separator: " "))
        log("guests unblocked on \(bridgeList): learned forwarding entries flushed on \(flushed.isEmpty ? "no bridge" : flushed)"
            + (report.flushedOneByOne > 0 ? " (\(report.flushedOneByOne) one by one: no bulk delete in this kernel)" : "")
            + announced)
        if announcing, let announcement = report.announcement { try announce(announcement) }
        return report
    }

    /// The announcement rounds. Before each round after the first, the
    /// block is checked: once this host is blocked again (demoted while the
    /// rounds went on), announcing its guests would pull their traffic to a
    /// host that drops it, so the rounds stop.
    public func announce(_ announcement: Announcement) throws {
        let policy = configuration.policy
        try announce(announcement, blockedAgain: { [backend] in (try? backend.inspect(policy)) == .blocked })
    }

    private func announce(_ announcement: Announcement, blockedAgain: () -> Bool) throws {
        let announcers = try announcement.uplinks.map { try Announcer(interface: $0.name, index: $0.index) }
        for round in 0..<configuration.announce {
            if round > 0 {
                usleep(useconds_t(configuration.announceIntervalMilliseconds * 1000))
                if blockedAgain() {
                    log("announcements stopped after \(round) round(s): the guests are blocked again")
                    return
                }
            }
            for announcer in announcers { try announcer.announce(announcement.macs) }
        }
    }

    /// `announce(_:)` in a detached process, so an unblock returns as soon
    /// as the guests are open. Forks like `startGuard()`: for single-threaded
    /// programs only. False if the process could not be started.
    @discardableResult
    public func announceInBackground(_ announcement: Announcement) -> Bool {
        let log = self.log
        let policy = configuration.policy
        let choice = configuration.backend
        return DetachedProcess.spawn {
            // Fresh sockets: the parent's were closed when the child detached.
            let backend = try? choice.select().backend
            do {
                try announce(announcement, blockedAgain: { (try? backend?.inspect(policy)) == .blocked })
            } catch {
                log("announcements failed: \(error)")
            }
            _exit(0)
        }
    }

    // MARK: HostResource

    /// Unblock: guests of this host may reach the network.
    @discardableResult
    public func start(validating: Bool = true) throws -> [String] {
        if validating { try validate() }
        let report = try unblock()
        return ["unblocked guests on \(bridgeList)"] + report.flushedBridges.map { "flushed learned entries on \($0)" }
    }

    /// Block, without a guard (see `startGuard()`).
    @discardableResult
    public func stop() throws -> [String] {
        try block()
        return ["blocked guests on \(bridgeList)"]
    }

    // MARK: health

    /// Stopped only when the complete block is verified; running otherwise,
    /// also when the block vanished (ruleset flush, reload, hand edit) or is
    /// incomplete: a host whose guests may reach the network is active, and
    /// a cluster must see it so.
    public func health(checkLevel: Int = 0) throws -> Health {
        switch try backend.inspect(configuration.policy) {
        case .blocked:
            return .stopped("guests on \(bridgeList) are blocked")
        case .unblocked:
            return .running("no block installed: guests on \(bridgeList) can reach the network")
        case .incomplete(let reason):
            return .running("block incomplete (\(reason)): guests on \(bridgeList) may reach the network")
        }
    }

    /// Records the guest MACs the bridges have learned on guest ports. Done
    /// when this host is about to be blocked (stop): the moment after which
    /// its bridges stop learning them, and before which they were live here.
    public func rememberGuests() {
        guard let (links, fdb) = try? route() else { return }
        var seen: [MACAddress: String] = [:]
        for bridgeName in configuration.policy.bridges {
            guard let bridge = try? links.link(named: bridgeName),
                  let learned = try? learnedGuests(on: bridge, links: links, fdb: fdb) else { continue }
            seen.merge(learned.macs) { _, new in new }
        }
        if !seen.isEmpty { registry.record(seen) }
    }

    /// The MACs `bridge` learned on its guest ports (MAC -> port name), and
    /// its uplinks (ports neither guest nor exempt): one port dump and one
    /// forwarding-table dump.
    private func learnedGuests(on bridge: Link, links: LinkManager, fdb: BridgeFDB) throws
        -> (macs: [MACAddress: String], uplinks: [Link]) {
        let ports = try links.ports(ofMasterIndex: bridge.index)
        var guestNames: [Int32: String] = [:]
        for port in ports where configuration.policy.isGuest(port: port.name.value) {
            guestNames[port.index] = port.name.value
        }
        let uplinks = ports.filter { guestNames[$0.index] == nil && !isExempt($0.name.value) }
        var macs: [MACAddress: String] = [:]
        if !guestNames.isEmpty {
            for entry in try fdb.entries(bridgeIndex: bridge.index) where entry.isDynamic {
                if let port = guestNames[entry.portIndex], configuration.policy.selects(mac: entry.mac) { macs[entry.mac] = port }
            }
        }
        return (macs, uplinks)
    }

    private func isExempt(_ port: String) -> Bool {
        configuration.policy.exemptPorts.contains { $0.matches(port) }
    }

    private var bridgeList: String { configuration.policy.bridges.map(\.value).joined(separator: " ") }
}
