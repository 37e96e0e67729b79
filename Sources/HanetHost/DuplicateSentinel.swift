import Glibc
import HanetLinks
import HanetFirewall

/// Watches a host whose guests are open for their twins on the network
/// (`DuplicateDetector`), and answers by policy: the counterpart of the
/// guard, which watches a blocked host.
///
/// Fencing is the cluster's answer to two hosts with the same guests
/// open; when it fails (no fence device, a fence that did nothing, a
/// partition without fencing, a mistaken command), both hosts answer for
/// the same addresses. The rule here: **the host that opened later yields**.
/// A host that sees its guests' MACs arrive on an uplink within
/// `yieldWindowMilliseconds` (300 ms) of its own opening opened after the
/// other one (which announces its guests the moment it sees the later
/// host's, so the later host sees them at once): it blocks its guests again (both locks) and records why; the agent
/// then refuses to promote it until a hold-down, with random jitter, has
/// passed. A host that has been open longer stays open and announces its
/// guests out of that uplink: the switches send their traffic back to it,
/// and the later host, whose bridge now learns those MACs on its uplink,
/// sees the duplicate too and yields. If both opened within the window of
/// each other, both yield; the jittered hold-downs make one of them open
/// first next time, and the other yields to it.
///
/// The same process follows this node's quorum (`QuorumWatch`, with
/// quorum_block): an open host outside the quorate partition blocks its
/// guests within milliseconds of corosync's verdict, without waiting for
/// Pacemaker, whose answer (no-quorum-policy=stop) comes seconds later, or
/// never when its own stack is wedged.
public struct DuplicateSentinel {
    /// What a host does when it sees its guests' twins.
    public enum Policy: String, CaseIterable, Sendable {
        /// The later host blocks its guests again; the earlier announces its own.
        case yield
        /// Log and record only; both hosts stay open.
        case report
        /// No sentinel.
        case off
    }

    public let configuration: VhostNetConfiguration
    /// A backend opened in the sentinel itself (descriptors are not shared).
    public let backend: GuestBlockBackend
    public let links: LinkManager
    /// To forget a guest MAC the bridge learned on the uplink.
    public let fdb: BridgeFDB
    /// Subscribed before the first read of the ports: no event is missed.
    /// Nil with duplicate_policy=off (the sentinel then only follows quorum).
    public let events: FDBMonitor?
    /// Nil with quorum_block=false, or where corosync's quorum service is
    /// not reachable (no cluster stack: an init script, a tool).
    public let quorum: QuorumSource?
    public let record: DuplicateRecord
    /// CLOCK_MONOTONIC ms at which this host's guests were opened.
    public let openedAt: Int
    /// A finding within this many ms of opening means this host opened later.
    /// 300 ms: the chain (later host opens and announces, the earlier one
    /// sees it and announces back, the later one sees that) took 23 ms in
    /// the lab. Short on purpose: a standby whose guests leak (booted
    /// without the boot-time block, or guard and port lock off and its
    /// ruleset flushed) within this window after a switchover would make
    /// the new host yield.
    public var yieldWindowMilliseconds = 300
    /// Seconds a yielded host stays blocked at least; a random 0-100 % more
    /// is added. Short: while the split brain lasts, Pacemaker's recovery
    /// tries the promote again after it, so the later host yields again (a
    /// duplicate window of tens of ms every 5-10 s, each logged); a
    /// promote the cluster wants once whole again waits at most this long.
    public var holdDownSeconds = 5
    public let log: (String) -> Void

    public init(configuration: VhostNetConfiguration, backend: GuestBlockBackend, links: LinkManager, fdb: BridgeFDB,
                events: FDBMonitor?, quorum: QuorumSource?, record: DuplicateRecord, openedAt: Int,
                log: @escaping (String) -> Void) {
        self.configuration = configuration
        self.backend = backend
        self.links = links
        self.fdb = fdb
        self.events = events
        self.quorum = quorum
        self.record = record
        self.openedAt = openedAt
        self.log = log
    }

    /// Runs until an end request on `stopSocket` (see `GuardProcess`), or
    /// until it has blocked the guests again (yield, quorum loss).
    public func run(stopSocket: Int32, knownGuestMACs: Set<MACAddress>) -> Never {
        var detector = DuplicateDetector(policy: configuration.policy, knownGuestMACs: knownGuestMACs)
        var ports = portNames()
        var announced: [MACAddress: [Int]] = [:]
        if events != nil {
            log("sentinel: watching for this host's guests on other hosts (duplicate_policy=\(configuration.duplicatePolicy.rawValue), \(detector.guestMACs.count) known guest MAC(s))")
        }
        var fds = [pollfd(fd: stopSocket, events: Int16(POLLIN), revents: 0)]
        let eventSlot = fds.count
        if let events { fds.append(pollfd(fd: events.fileDescriptor, events: Int16(POLLIN), revents: 0)) }
        let quorumSlot = fds.count
        if let quorum {
            log("sentinel: following this node's quorum (quorum_block=true; quorate now: \(quorum.quorate))")
            judgeQuorum(quorum, connected: true, stopSocket: stopSocket)
            fds.append(pollfd(fd: quorum.fileDescriptor, events: Int16(POLLIN), revents: 0))
        }
        while true {
            if poll(&fds, nfds_t(fds.count), -1) < 0 && errno != EINTR { usleep(100_000) }
            if fds[0].revents != 0 {
                switch GuardProcess.acceptRequest(stopSocket) {
                case .end: _exit(0)
                case .refused(let pid, let uid): log("sentinel: ignored a request from uid \(uid) (pid \(pid)): only root ends it")
                case .none: break
                }
            }
            if let quorum, fds[quorumSlot].revents != 0 {
                let hungUp = fds[quorumSlot].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
                let connected = quorum.dispatch() && !hungUp
                judgeQuorum(quorum, connected: connected, stopSocket: stopSocket)
            }
            guard let events, fds[eventSlot].revents != 0 else { continue }
            let batch: (entries: [FDBEntry], overrun: Bool)
            do { batch = try events.drain() } catch {
                log("sentinel: reading forwarding-table events failed (\(error))")
                usleep(100_000)
                continue
            }
            if batch.overrun { log("sentinel: forwarding-table events were lost (receive buffer overrun)") }
            for entry in batch.entries {
                if let bridge = entry.bridgeIndex, ports.bridges.contains(bridge), ports.names[entry.portIndex] == nil {
                    ports = portNames() // a port that joined since
                }
                guard let finding = detector.observe(entry, port: ports.names[entry.portIndex]) else { continue }
                respond(to: finding, entry: entry, announced: &announced)
            }
        }
    }

    /// Blocks and exits when this node is outside the quorate partition.
    /// A block that fails is retried every 100 ms (there is nothing else
    /// this process could do that keeps the promise), while root may still
    /// end it: a demote must not hang on a sentinel stuck retrying.
    private func judgeQuorum(_ quorum: QuorumSource, connected: Bool, stopSocket: Int32) {
        guard case .block(let reason) = QuorumWatch().judge(quorate: quorum.quorate, connected: connected) else { return }
        let now = BlockGuard.milliseconds()
        let seen = Int(time(nil))
        var failures = 0
        while true {
            do {
                try blockAgain()
                break
            } catch {
                if failures == 0 { log("sentinel: \(reason), but the guests could not be blocked: \(error); retrying every 100 ms") }
                failures += 1
                var stop = pollfd(fd: stopSocket, events: Int16(POLLIN), revents: 0)
                if poll(&stop, 1, 100) > 0, case .end = GuardProcess.acceptRequest(stopSocket) { _exit(0) }
            }
        }
        try? record.write(DuplicateRecord.Entry(decision: .quorumLost, macs: [], uplink: "", seen: seen, holdUntil: 0))
        log("sentinel: \(reason): guests blocked in \(BlockGuard.milliseconds() - now) ms, without waiting for Pacemaker")
        _exit(0)
    }

    /// Both locks, as `GuestIsolation.block()` sets them.
    private func blockAgain() throws {
        try backend.block(configuration.policy)
        if configuration.portLock {
            _ = try? GuestPortLock(policy: configuration.policy, links: links).lock()
        }
    }

    private func respond(to finding: DuplicateDetector.Finding, entry: FDBEntry, announced: inout [MACAddress: [Int]]) {
        let now = BlockGuard.milliseconds()
        let sinceOpen = now - openedAt
        let seen = Int(time(nil))
        if configuration.duplicatePolicy == .yield && sinceOpen <= yieldWindowMilliseconds {
            do {
                try blockAgain()
            } catch {
                log("sentinel: \(finding); this host opened \(sinceOpen) ms ago, after the other, but could not block its guests: \(error)")
                return
            }
            let hold = holdDownSeconds + Int.random(in: 0...holdDownSeconds)
            try? record.write(DuplicateRecord.Entry(decision: .yielded, macs: finding.macs, uplink: finding.uplink.value,
                                                     seen: seen, holdUntil: seen + hold))
            log("sentinel: \(finding); this host opened \(sinceOpen) ms ago, after the other: it yields, guests blocked again in \(BlockGuard.milliseconds() - now) ms, not to open again for \(hold) s")
            _exit(0)
        }
        // Stay open. This host's own bridge now sends the guest's frames
        // to the uplink (it learned the MAC there): forget that, so frames
        // for a guest that stays silent reach it again (flooded until it
        // answers from its own port).
        try? fdb.delete(entry)
        // Announce: the switches come back to this host, and
        // the later host sees the duplicate too. After each of the later
        // host's announcements (its rounds are 100 ms apart), so the last
        // word is this host's; at most 5 times per MAC in 10 s, so two
        // hosts that both stay cannot keep answering each other.
        let fresh = finding.macs.filter { mac in
            let recent = (announced[mac] ?? []).filter { now - $0 < 10_000 }
            return recent.count < 5 && now - (recent.last ?? Int.min / 2) >= 20
        }
        guard !fresh.isEmpty else { return }
        for mac in fresh { announced[mac] = (announced[mac] ?? []).filter { now - $0 < 10_000 } + [now] }
        try? record.write(DuplicateRecord.Entry(decision: .kept, macs: fresh, uplink: finding.uplink.value, seen: seen, holdUntil: 0))
        var note = ""
        if configuration.duplicatePolicy == .yield, let uplink = try? links.link(named: finding.uplink) {
            do {
                try Announcer(interface: uplink.name, index: uplink.index).announce(fresh)
                note = "; announced them out of \(uplink.name) so the later host yields"
            } catch {
                note = "; announcing them failed: \(error)"
            }
        }
        log("sentinel: \(finding); this host has been open \(sinceOpen / 1000) s and stays open\(note)")
    }

    /// The ports of the policy's bridges, by ifindex: one port dump per bridge.
    private func portNames() -> (names: [Int32: InterfaceName], bridges: Set<Int32>) {
        var names: [Int32: InterfaceName] = [:]
        var bridges: Set<Int32> = []
        for bridgeName in configuration.policy.bridges {
            guard let bridge = try? links.link(named: bridgeName) else { continue }
            bridges.insert(bridge.index)
            for port in (try? links.ports(ofMasterIndex: bridge.index)) ?? [] { names[port.index] = port.name }
        }
        return (names, bridges)
    }
}
