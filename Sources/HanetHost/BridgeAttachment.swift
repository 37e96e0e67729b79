import Glibc
import HanetLinks
import HanetNetlink

/// The bridge agent's logic, usable directly from Swift: create or adopt a
/// bridge, attach the uplink, and undo exactly what was done.
///
/// Ownership is recorded in a state file named from the bridge (under
/// HA_RSCTMP, cleared by a reboot) *before* each change, so an agent killed
/// halfway leaves a record that the next stop can act on; the created bridge
/// also carries an alias so administrators see who made it in `ip link`.
public final class BridgeAttachment: HostResource {
    /// What start brings about and health compares with.
    public let configuration: BridgeConfiguration
    /// The rtnetlink handle, in the namespace the caller chose (or a fake kernel).
    public let links: LinkManager
    let state: StateFile
    let log: (String) -> Void

    /// Set on bridges this type creates, so `ip link` shows who made them.
    public static let alias = "hanet: created by ocf:hanet:bridge"

    /// - Parameters:
    ///   - stateDirectory: where the ownership record lives (HA_RSCTMP for
    ///     agents; a tmpfs, so a reboot clears it with the links it describes).
    ///   - log: one line per change made.
    public init(configuration: BridgeConfiguration, links: LinkManager, stateDirectory: String,
                log: @escaping (String) -> Void = { _ in }) {
        self.configuration = configuration
        self.links = links
        self.state = StateFile(directory: stateDirectory, name: "hanet-bridge-" + configuration.bridge.value)
        self.log = log
    }

    // MARK: validate

    /// The configuration's rules, then checks against the kernel that do
    /// not change anything. A missing interface is this host's problem
    /// (`HostError`), never a configuration error.
    public func validate() throws {
        _ = try validateReportingPitfalls()
    }

    /// `validate()`, and the uplink's `BridgePitfall`s from the same link
    /// dump, for the caller to log as warnings.
    public func validateReportingPitfalls() throws -> [BridgePitfall] {
        try configuration.validate()
        let all = try links.list()
        let byName = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        if let existing = byName[configuration.bridge], existing.kind?.kernelName != "bridge" {
            throw HostError(.wrongKind, object: configuration.bridge.value,
                            "\(configuration.bridge) exists but is a \(existing.kind?.kernelName ?? "plain") interface, not a bridge")
        }
        if byName[configuration.bridge] == nil && !configuration.create {
            throw HostError(.missingInterface, object: configuration.bridge.value,
                            "bridge \(configuration.bridge) does not exist on this node and create=false")
        }
        guard let uplinkName = configuration.uplink else { return [] }
        if let vlan = configuration.vlanSubinterface {
            try checkVLANSubinterface(vlan, in: all)
            // Start will make it; until then the parent's bond mode is what can hurt.
            if byName[uplinkName] == nil { return BridgePitfall.check(uplink: vlan.parent, bridge: configuration.bridge, in: all, addresses: []) }
        }
        guard let uplink = byName[uplinkName] else { throw Self.missingUplink(uplinkName) }
        if let masterIndex = uplink.masterIndex, let master = all.first(where: { $0.index == masterIndex }),
           master.name != configuration.bridge {
            let what = master.kind?.kernelName == "bond" ? "a slave of bond" : "already a port of \(master.kind?.kernelName ?? "master")"
            throw HostError(.alreadyEnslaved, object: uplinkName.value,
                            "uplink \(uplinkName) is \(what) \(master.name), not of \(configuration.bridge)")
        }
        // Best effort: a warning never fails validate.
        // With move_addresses the uplink's addresses are about to move.
        let addresses = configuration.moveAddresses ? [] : (try? links.addresses(ofIndex: uplink.index)) ?? []
        return BridgePitfall.check(uplink: uplinkName, bridge: configuration.bridge, in: all, addresses: addresses)
    }

    // MARK: start

    /// Idempotent: a second start changes nothing. On failure, what this
    /// start created is rolled back before the error is reported.
    /// - Parameter validating: false when the caller has just run
    ///   `validate()` (agents validate before every start).
    @discardableResult
    public func start(validating: Bool = true) throws -> [String] {
        if validating { try validate() }
        var done: [String] = []
        var createdNow = false
        var attachedNow = false
        // Recorded but not confirmed: the kernel refused, or its answer was
        // lost (ETIMEDOUT, ENOBUFS) and only the kernel knows. Rollback asks it.
        var createRecorded = false
        var attachRecorded = false
        var vlanProgress = VLANProgress()
        do {
            let c = configuration
            // Before the bridge, which takes the uplink's address.
            if let vlan = c.vlanSubinterface {
                try ensureVLANSubinterface(vlan, progress: &vlanProgress, done: &done)
            }
            let existing = try links.link(named: c.bridge)
            var bridgeOptions = Bridge(stp: c.stp, forwardDelaySeconds: c.forwardDelay)
            if c.forwardDelay == nil { bridgeOptions.forwardDelayCentiseconds = nil }
            if c.vlanFiltering {
                bridgeOptions.vlanFiltering = true
                bridgeOptions.defaultPVID = c.pvid
            }
            if existing == nil {
                // Record the intent first: if we die after the kernel made
                // the bridge, stop still knows it is ours.
                try state.update { $0["created"] = "1" }
                createRecorded = true
                let mac = try c.mac ?? uplinkMAC() ?? c.derivedMAC
                do {
                    try links.add(c.bridge, kind: .bridge(bridgeOptions), mac: mac, mtu: c.mtu)
                    createdNow = true
                    try? links.setAlias(c.bridge, Self.alias)
                    done.append("created bridge \(c.bridge) (address \(mac))")
                } catch let error as NetlinkError where error.errno == EEXIST {
                    try state.update { $0["created"] = nil } // someone else made it first
                    createRecorded = false
                }
            }
            if !createdNow {
                let desired = LinkManager.Desired(name: c.bridge, kind: .bridge(bridgeOptions), mac: c.mac, mtu: c.mtu)
                if case .adopted(let changes) = try links.ensure(desired) {
                    done.append("adopted bridge \(c.bridge): set " + changes.joined(separator: ", "))
                }
            }
            guard let bridge = try links.link(named: c.bridge) else {
                throw HostError(.vanished, object: c.bridge.value, "bridge \(c.bridge) vanished during start")
            }
            // MTU and address were set by add or ensure above.
            done += try links.align(bridge, arp: c.arp, multicast: c.multicast)
            if let uplinkName = c.uplink {
                guard let uplink = try links.link(named: uplinkName) else { throw Self.missingUplink(uplinkName) }
                if uplink.masterIndex != bridge.index {
                    try state.update { $0["attached"] = uplinkName.value }
                    attachRecorded = true
                    try links.setMaster(uplinkName, master: c.bridge)
                    attachedNow = true
                    done.append("attached \(uplinkName) to \(c.bridge)")
                }
                if !uplink.isUp {
                    try links.setUp(uplinkName, true)
                    done.append("brought \(uplinkName) up")
                }
                done += try addMissingUplinkVLANs(uplink)
            }
            if !bridge.isUp {
                try links.setUp(c.bridge, true)
                done.append("brought \(c.bridge) up")
            }
            if let uplinkName = c.uplink, let uplink = try links.link(named: uplinkName) {
                done += try moveAddressesToBridge(uplink: uplink, bridge: bridge)
            }
            try state.update { $0["started"] = "1" }
            // The kernel may quietly adjust what we set (a bridge takes the
            // lowest port MTU): a start that monitor would call failed is
            // a failed start, rolled back now rather than flapping later.
            let reached = try health()
            if reached.state != .running {
                throw HostError(.notConverged, object: c.bridge.value, "start did not reach the configured state: \(reached.reason)")
            }
        } catch {
            rollback(created: createdNow || createRecorded, attached: attachedNow, attachRecorded: attachRecorded)
            rollbackVLANSubinterface(vlanProgress)
            throw Self.explainingMissingVLANFiltering(error, configuration)
        }
        for line in done { log(line) }
        return done
    }

    private func uplinkMAC() throws -> MACAddress? {
        guard let uplink = configuration.uplink else { return nil }
        return try links.link(named: uplink)?.mac
    }

    /// Undoes this start and clears each record once the kernel agrees:
    /// a record stays only while the kernel could not be asked, and then
    /// the next stop acts on it. `created` includes a creation whose answer
    /// never came (the bridge was absent just before; if it exists now, it
    /// is ours); `attachRecorded` without `attached` is an enslave that was
    /// refused or unanswered, detached only if the kernel did attach.
    private func rollback(created: Bool, attached: Bool, attachRecorded: Bool) {
        // Addresses first, while the uplink is still a port: the host stays reachable.
        if let back = try? moveAddressesBack() { for line in back { log("rolled back: " + line) } }
        var detached = false
        if attached, let uplink = configuration.uplink, (try? links.setMaster(uplink, master: nil)) != nil {
            detached = true
            log("rolled back: detached \(uplink)")
        }
        var bridgeGone = false
        if created, let deleted = try? links.ensureAbsent(configuration.bridge) {
            bridgeGone = true
            try? state.update { $0["created"] = nil }
            if deleted { log("rolled back: deleted \(configuration.bridge)") }
        }
        if attachRecorded, let uplink = configuration.uplink {
            // A deleted bridge has released its ports.
            var settled = detached || bridgeGone
            if !settled, let isPort = uplinkIsPort(uplink) {
                settled = !isPort || (try? links.setMaster(uplink, master: nil)) != nil
                if isPort && settled { log("rolled back: detached \(uplink)") }
            }
            if settled { try? state.update { $0["attached"] = nil } }
        }
        try? state.update { $0["started"] = nil }
    }

    /// Whether the kernel has `uplink` as a port of our bridge; nil when it
    /// cannot tell (then the record stays for stop).
    private func uplinkIsPort(_ uplink: InterfaceName) -> Bool? {
        do {
            guard let port = try links.link(named: uplink), let bridge = try links.link(named: configuration.bridge) else { return false }
            return port.masterIndex == bridge.index
        } catch {
            return nil
        }
    }

    // MARK: stop

    /// Detaches the uplink only if this agent attached it; deletes the
    /// bridge only if this agent created it and no other ports remain.
    /// Never takes a port down that it did not create. Succeeds when
    /// already stopped.
    @discardableResult
    public func stop() throws -> [String] {
        var done = try moveAddressesBack()
        let record = try state.read()
        let all = try links.list()
        let bridge = all.first { $0.name == configuration.bridge && $0.kind?.kernelName == "bridge" }
        if let attachedName = record["attached"], let uplinkName = try? InterfaceName(validating: attachedName) {
            if let bridge, let uplink = all.first(where: { $0.name == uplinkName }), uplink.masterIndex == bridge.index {
                try links.setMaster(uplinkName, master: nil)
                done.append("detached \(uplinkName) from \(configuration.bridge)")
            }
            try state.update { $0["attached"] = nil }
        }
        done += try deleteCreatedVLANSubinterface(record: record)
        if record["created"] == "1" {
            if let bridge {
                let others = all.filter { $0.masterIndex == bridge.index && $0.name.value != record["attached"] }
                if others.isEmpty {
                    _ = try links.ensureAbsent(configuration.bridge)
                    done.append("deleted bridge \(configuration.bridge)")
                    try state.update { $0["created"] = nil }
                } else {
                    done.append("left bridge \(configuration.bridge) in place: ports " + others.map(\.name.value).sorted().joined(separator: " ") + " remain")
                }
            } else {
                try state.update { $0["created"] = nil }
            }
        }
        try state.update { $0["started"] = nil }
        for line in done { log(line) }
        return done
    }

    // MARK: monitor

    /// One dump, then checks in order. Level 10 also requires uplink carrier.
    public func health(checkLevel: Int = 0) throws -> Health {
        let c = configuration
        let all = try links.list()
        guard let bridge = all.first(where: { $0.name == c.bridge }) else {
            return .stopped("bridge \(c.bridge) does not exist")
        }
        guard bridge.kind?.kernelName == "bridge" else {
            return .failed("\(c.bridge) is a \(bridge.kind?.kernelName ?? "plain") interface, not a bridge")
        }
        if let uplinkName = c.uplink {
            guard let uplink = all.first(where: { $0.name == uplinkName }) else {
                return .stopped("uplink \(uplinkName) does not exist")
            }
            guard uplink.masterIndex == bridge.index else {
                return .stopped("uplink \(uplinkName) is not attached to \(c.bridge)")
            }
            // The parent first: the kernel takes a VLAN down with it.
            if let wrong = vlanSubinterfaceProblem(uplink: uplink, in: all) { return .failed(wrong) }
            guard uplink.isUp else { return .failed("uplink \(uplinkName) is down") }
            if checkLevel >= 10 && !uplink.hasCarrier {
                return .failed("uplink \(uplinkName) has no carrier")
            }
            if let wrong = try addressMoveProblem(uplink: uplink) { return .failed(wrong) }
        } else if try state.read()["started"] != "1" {
            return .stopped("bridge \(c.bridge) exists but was not started by this resource")
        }
        guard bridge.isUp else { return .failed("bridge \(c.bridge) is down") }
        if bridge.flags.contains(.noARP) == c.arp {
            return .failed("bridge \(c.bridge) has arp \(c.arp ? "off" : "on"), expected \(c.arp ? "on" : "off")")
        }
        if bridge.flags.contains(.multicast) != c.multicast {
            return .failed("bridge \(c.bridge) has multicast \(c.multicast ? "off" : "on"), expected \(c.multicast ? "on" : "off")")
        }
        if let mac = c.mac, bridge.mac != mac {
            return .failed("bridge \(c.bridge) has address \(bridge.mac?.description ?? "none"), expected \(mac)")
        }
        if let mtu = c.mtu, bridge.mtu != mtu {
            return .failed("bridge \(c.bridge) has mtu \(bridge.mtu.map(String.init) ?? "?"), expected \(mtu)")
        }
        if let stp = bridge.kind?.bridge?.stp, stp != c.stp {
            return .failed("bridge \(c.bridge) has STP \(stp ? "on" : "off"), expected \(c.stp ? "on" : "off")")
        }
        if let wrong = try vlanProblem(bridge: bridge, in: all) { return .failed(wrong) }
        return .running("bridge \(c.bridge) is up" + (c.uplink.map { " with uplink \($0)" } ?? ""))
    }

    private static func missingUplink(_ name: InterfaceName) -> HostError {
        HostError(.missingInterface, object: name.value, "uplink \(name) does not exist on this node")
    }
}
