import Glibc
import HanetLinks
import HanetNetlink

/// The bond agent's logic, usable directly from Swift: create or adopt a
/// bond, enslave its slaves, add VLANs, and undo exactly that.
///
/// Failover itself is the kernel's job (miimon / arp monitoring); this type
/// only sets the bond up and reports what the driver says, from one dump.
public final class BondSetup: HostResource {
    /// What start brings about and health compares with.
    public let configuration: BondConfiguration
    /// The rtnetlink handle, in the namespace the caller chose (or a fake kernel).
    public let links: LinkManager
    let state: StateFile
    let log: (String) -> Void

    /// Set on bonds this type creates, so `ip link` shows who made them.
    public static let alias = "hanet: created by ocf:hanet:bond"

    /// - Parameters:
    ///   - stateDirectory: where the ownership record lives (HA_RSCTMP for
    ///     agents; a tmpfs, so a reboot clears it with the links it describes).
    ///   - log: one line per change made.
    public init(configuration: BondConfiguration, links: LinkManager, stateDirectory: String,
                log: @escaping (String) -> Void = { _ in }) {
        self.configuration = configuration
        self.links = links
        self.state = StateFile(directory: stateDirectory, name: "hanet-bond-" + configuration.bond.value)
        self.log = log
    }

    // MARK: validate

    /// The driver's rules (`BondConfiguration.validate`), then this host's
    /// interfaces, checked before anything changes.
    public func validate() throws {
        let c = configuration
        try c.validate()
        let all = try links.list()
        let byIndex = Dictionary(all.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        let existing = all.first { $0.name == c.bond }
        if let existing {
            guard let bond = existing.kind?.bond else {
                throw HostError(.wrongKind, object: c.bond.value,
                                "\(c.bond) exists but is a \(existing.kind?.kernelName ?? "plain") interface, not a bond")
            }
            let enslaved = all.filter { $0.masterIndex == existing.index }
            if let mode = bond.mode, mode != c.mode, !enslaved.isEmpty {
                throw HostError(.wrongKind, object: c.bond.value, "bond \(c.bond) runs mode \(mode) with slaves \(enslaved.map(\.name.value).joined(separator: " ")); the mode can only be changed on a bond without slaves")
            }
            if existing.isUp {
                // BOND_OPTFLAG_IFDOWN: the driver refuses these on an up bond
                // (EBUSY) even after the slaves were touched; say so first.
                let delta = c.options.difference(from: bond)
                let downOnly = [("mode", delta.mode != nil), ("lacp_rate", delta.lacpRate != nil), ("ad_select", delta.adSelect != nil),
                                ("lacp_active", delta.lacpActive != nil), ("ad_user_port_key", delta.adUserPortKey != nil),
                                ("tlb_dynamic_lb", delta.tlbDynamicLB != nil)].filter(\.1).map(\.0)
                if !downOnly.isEmpty {
                    throw HostError(.wrongKind, object: c.bond.value, "bond \(c.bond) is up and the kernel changes \(downOnly.joined(separator: ", ")) only while it is down; set them down or as the bond has them")
                }
            }
        }
        for slave in c.slaves {
            guard let link = all.first(where: { $0.name == slave }) else { throw Self.missingSlave(slave) }
            if let masterIndex = link.masterIndex, masterIndex != existing?.index {
                let master = byIndex[masterIndex]
                throw HostError(.alreadyEnslaved, object: slave.value, "slave \(slave) is already a port of \(master?.kind?.kernelName ?? "master") \(master?.name.value ?? "ifindex \(masterIndex)"), not of \(c.bond)")
            }
        }
    }

    // MARK: start

    /// - Parameter validating: false when the caller has just run
    ///   `validate()` (agents validate before every start).
    @discardableResult
    public func start(validating: Bool = true) throws -> [String] {
        if validating { try validate() }
        var done: [String] = []
        var createdBond = false
        var enslavedNow: [InterfaceName] = []
        var vlansNow: [InterfaceName] = []
        do {
            let c = configuration
            var options = c.options
            options.primaryIndex = nil // needs the slave's ifindex, set below
            if try links.link(named: c.bond) == nil {
                try state.update { $0["created"] = "1" }
                do {
                    try links.add(c.bond, kind: .bond(options), mac: c.mac, mtu: c.mtu)
                    createdBond = true
                    try? links.setAlias(c.bond, Self.alias)
                    done.append("created bond \(c.bond) mode \(c.mode)")
                } catch let error as NetlinkError where error.errno == EEXIST {
                    try state.update { $0["created"] = nil }
                } catch { try? state.update { $0["created"] = nil }; throw error } // refused: nothing of ours to record
            }
            if !createdBond {
                try state.update { $0["adopted"] = "1" }
                let outcome = try links.ensure(.init(name: c.bond, kind: .bond(options), mac: c.mac, mtu: c.mtu))
                if case .adopted(let changes) = outcome { done.append("adopted bond \(c.bond): set " + changes.joined(separator: ", ")) }
            }
            guard let bond = try links.link(named: c.bond) else {
                throw HostError(.vanished, object: c.bond.value, "bond \(c.bond) vanished during start")
            }
            for slave in c.slaves {
                guard let link = try links.link(named: slave) else { throw Self.missingSlave(slave) }
                if link.masterIndex == bond.index { continue }
                // Remember how we found it, so stop can leave it that way.
                try state.update { $0["slave.\(slave.value)"] = link.isUp ? "up" : "down" }
                enslavedNow.append(slave) // before any change: a rollback restores what it recorded
                // Kernels up to 6.1 refuse to enslave a link that is up.
                if link.isUp { try links.setUp(slave, false) }
                try links.setMaster(slave, master: c.bond)
                done.append("enslaved \(slave)")
            }
            if let primary = c.primary, let primaryLink = try links.link(named: primary),
               bond.kind?.bond?.primaryIndex != primaryLink.index {
                var withPrimary = Bond()
                withPrimary.primaryIndex = primaryLink.index
                try links.modify(c.bond, kind: .bond(withPrimary))
                done.append("primary \(primary)")
            }
            if bond.flags.contains(.noARP) == c.arp { try links.setARP(c.bond, c.arp) }
            if bond.flags.contains(.multicast) != c.multicast { try links.setMulticast(c.bond, c.multicast) }
            if !bond.isUp {
                try links.setUp(c.bond, true)
                done.append("brought \(c.bond) up")
            }
            if let active = c.activeSlave, try selectActiveSlave(active) { done.append("active slave \(active)") }
            for id in c.vlans {
                let name = try c.vlanName(id)
                if let existing = try links.link(named: name) {
                    guard existing.kind?.vlan?.id == id, existing.parentIndex == bond.index else {
                        throw HostError(.wrongKind, object: name.value, "\(name) exists but is not VLAN \(id) on \(c.bond)")
                    }
                } else {
                    try state.update { $0["vlan.\(name.value)"] = "created" }
                    do { try links.add(name, kind: .vlan(Vlan(id: id)), parent: c.bond) } catch { try? state.update { $0["vlan.\(name.value)"] = nil }; throw error }
                    vlansNow.append(name)
                    done.append("created VLAN \(name)")
                }
                try links.setUp(name, true)
            }
            try state.update { $0["started"] = "1" }
        } catch {
            rollback(createdBond: createdBond, enslaved: enslavedNow, vlans: vlansNow)
            throw error
        }
        for line in done { log(line) }
        waitForCarrier()
        return done
    }

    /// Makes `slave` the active slave unless it already is. The driver takes
    /// one only once its MII monitor saw the link up and the bond has an
    /// active slave to replace (EINVAL before), so this waits for both, as
    /// long as `waitForCarrier` would. True when it changed the active slave.
    private func selectActiveSlave(_ slave: InterfaceName) throws -> Bool {
        let o = configuration.options
        let budgetMs = min(5000, Int(o.updelay ?? 0) + 3 * Int(o.miimon ?? o.arpInterval ?? 100) + 300)
        var waited = 0
        while true {
            let all = try links.list()
            guard let bond = all.first(where: { $0.name == configuration.bond }),
                  let link = all.first(where: { $0.name == slave }) else { break }
            if bond.kind?.bond?.activeSlaveIndex == link.index { return false }
            let ready = link.bondSlave?.miiStatus == .up && (bond.kind?.bond?.activeSlaveIndex ?? 0) != 0
            if ready || waited >= budgetMs {
                var choice = Bond()
                choice.activeSlaveIndex = link.index
                try links.modify(configuration.bond, kind: .bond(choice))
                return true
            }
            usleep(50_000)
            waited += 50
        }
        throw Self.missingSlave(slave)
    }

    /// The first monitor follows start at once; give miimon (plus updelay)
    /// the time to see the slaves' links, so it does not report a failure
    /// that is only the driver not having looked yet. Bounded: a bond whose
    /// cables are all out is reported by monitor, not hidden by start.
    private func waitForCarrier() {
        let o = configuration.options
        let budgetMs = min(5000, Int(o.updelay ?? 0) + 3 * Int(o.miimon ?? o.arpInterval ?? 100) + 300)
        var waited = 0
        while waited < budgetMs {
            if let h = try? health(), h.state == .running { return }
            usleep(50_000)
            waited += 50
        }
        if let h = try? health(), h.state != .running { log("after start: \(h.reason)") }
    }

    private func rollback(createdBond: Bool, enslaved: [InterfaceName], vlans: [InterfaceName]) {
        for vlan in vlans {
            _ = try? links.ensureAbsent(vlan)
            try? state.update { $0["vlan.\(vlan.value)"] = nil }
        }
        for slave in enslaved { release(slave) }
        if createdBond {
            _ = try? links.ensureAbsent(configuration.bond)
            try? state.update { $0["created"] = nil }
        }
        try? state.update { $0["started"] = nil; $0["adopted"] = nil }
        log("rolled back: " + (vlans.map(\.value) + enslaved.map { "slave " + $0.value } + (createdBond ? ["bond " + configuration.bond.value] : [])).joined(separator: ", "))
    }

    /// Releases a slave from this bond and restores the up/down state it
    /// had before. A slave that another tool has moved to a master of its
    /// own meanwhile is left there, as it is: it is no longer ours.
    private func release(_ slave: InterfaceName) {
        let record = (try? state.read()) ?? [:]
        let bondIndex = (try? links.link(named: configuration.bond))??.index
        if let link = try? links.link(named: slave) {
            if let master = link.masterIndex, master == bondIndex {
                try? links.setMaster(slave, master: nil)
                if let before = record["slave.\(slave.value)"] { try? links.setUp(slave, before == "up") }
            } else if link.masterIndex == nil, let before = record["slave.\(slave.value)"] {
                try? links.setUp(slave, before == "up")
            } else {
                log("rollback: \(slave) is a port of another master now: left as it is")
            }
        }
        try? state.update { $0["slave.\(slave.value)"] = nil }
    }

    // MARK: stop

    /// Deletes the VLANs and the bond only if this type created them,
    /// releases only the slaves it enslaved and restores their up/down
    /// state; an adopted bond stays. Succeeds when nothing is set up.
    @discardableResult
    public func stop() throws -> [String] {
        var done: [String] = []
        let record = try state.read()
        for key in record.keys.sorted() where key.hasPrefix("vlan.") {
            let name = String(key.dropFirst(5))
            if let vlan = try? InterfaceName(validating: name), try links.ensureAbsent(vlan) {
                done.append("deleted VLAN \(name)")
            }
            try state.update { $0[key] = nil }
        }
        let bond = try links.link(named: configuration.bond)
        for key in record.keys.sorted() where key.hasPrefix("slave.") {
            let name = String(key.dropFirst(6))
            guard let slave = try? InterfaceName(validating: name) else { continue }
            if let link = try links.link(named: slave), let bond, link.masterIndex == bond.index {
                try links.setMaster(slave, master: nil)
                done.append("released \(slave)")
            }
            if try links.link(named: slave) != nil {
                try links.setUp(slave, record[key] == "up")
            }
            try state.update { $0[key] = nil }
        }
        if record["created"] == "1" {
            if bond != nil, try links.ensureAbsent(configuration.bond) { done.append("deleted bond \(configuration.bond)") }
            try state.update { $0["created"] = nil }
        }
        try state.update { $0["started"] = nil; $0["adopted"] = nil }
        for line in done { log(line) }
        return done
    }

    // MARK: monitor

    /// One dump. Degraded while some slaves are down and one carries the
    /// traffic (running instead when `reportDegraded` is false); level 10
    /// also checks the VLANs and, for 802.3ad, that the partner answered LACP.
    public func health(checkLevel: Int = 0) throws -> Health {
        let c = configuration
        let all = try links.list()
        guard let link = all.first(where: { $0.name == c.bond }) else {
            return .stopped("bond \(c.bond) does not exist")
        }
        guard let bond = link.kind?.bond else {
            return .failed("\(c.bond) is a \(link.kind?.kernelName ?? "plain") interface, not a bond")
        }
        let record = try state.read()
        if record["created"] != "1" && record["started"] != "1" {
            return .stopped("bond \(c.bond) exists but was not started by this resource")
        }
        if let mode = bond.mode, mode != c.mode {
            return .failed("bond \(c.bond) runs mode \(mode), expected \(c.mode)")
        }
        guard link.isUp else { return .failed("bond \(c.bond) is down") }

        var up: [InterfaceName] = [], down: [InterfaceName] = []
        let aggregator = bond.adInfo?.aggregatorID
        for slave in c.slaves {
            let s = all.first { $0.name == slave }
            let enslaved = s?.masterIndex == link.index
            var healthy = enslaved && s?.bondSlave?.miiStatus == .up && (s?.isUp ?? false)
            if c.mode == .ieee8023ad, healthy, let aggregator {
                healthy = s?.bondSlave?.aggregatorID == aggregator
            }
            if healthy { up.append(slave) } else { down.append(slave) }
        }
        if c.mode == .ieee8023ad {
            let needed = max(1, Int(bond.minLinks ?? c.options.minLinks ?? 0))
            if up.count < needed {
                return .failed("bond \(c.bond): \(up.count) of \(c.slaves.count) slaves in the active aggregator, min_links \(needed)")
            }
        } else if up.isEmpty {
            return .failed("bond \(c.bond): no slave has link (" + down.map(\.value).joined(separator: " ") + " down)")
        }
        if checkLevel >= 10 {
            for id in c.vlans {
                let name = try c.vlanName(id)
                guard let vlan = all.first(where: { $0.name == name }), vlan.kind?.vlan?.id == id, vlan.parentIndex == link.index else {
                    return .failed("VLAN \(name) is missing")
                }
                guard vlan.isUp else { return .failed("VLAN \(name) is down") }
            }
            if c.mode == .ieee8023ad, !(bond.adInfo?.partnerAnswered ?? false) {
                return .failed("bond \(c.bond): no LACP partner answered (partner MAC 00:00:00:00:00:00)")
            }
        }
        if !down.isEmpty {
            return .degraded("bond \(c.bond) degraded: slaves down: " + down.map(\.value).joined(separator: " "))
        }
        return .running("bond \(c.bond): all \(up.count) slaves up")
    }

    private static func missingSlave(_ name: InterfaceName) -> HostError {
        HostError(.missingInterface, object: name.value, "slave \(name) does not exist on this node")
    }
}
