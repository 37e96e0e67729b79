import HanetLinks

/// Desired state of one bond (the `ocf:hanet:bond` parameters).
public struct BondConfiguration: Equatable, Sendable {
    /// The bond device (`bond`), created if absent, adopted if present.
    public var bond: InterfaceName
    /// Two or more NICs (`slaves`); each is brought down before it is enslaved,
    /// as kernels up to 6.1 require, and restored to its old state at stop.
    public var slaves: [InterfaceName]
    /// Driver options. `primaryIndex` is resolved from `primary` at start.
    public var options: Bond
    /// The slave preferred while it has link (`primary`): active-backup,
    /// balance-tlb and balance-alb only; resolved to its ifindex at start.
    public var primary: InterfaceName?
    /// The slave made active once the bond is up (`active_slave`):
    /// active-backup, balance-tlb and balance-alb only. It is a start-time
    /// choice: a later failover (or `primary`) may pick another slave, and
    /// monitor does not count that as a fault.
    public var activeSlave: InterfaceName?
    /// A fixed address (`mac`), e.g. `fe:ff:ff:ff:ff:ff` in the Xen recipe;
    /// nil: the first slave's, as the driver chooses.
    public var mac: MACAddress?
    /// 68-65535 (`mtu`); nil leaves the driver's.
    public var mtu: UInt32?
    /// false for a bond that only carries a bridge (`ip link set bond0 arp off`).
    public var arp: Bool = true
    /// false together with `arp` for a pure bridge uplink.
    public var multicast: Bool = true
    /// 802.1Q ids; each becomes `<bond>.<id>`, up, ready for a bridge.
    public var vlans: [UInt16] = []
    /// Whether partial slave loss is reported as degraded (the agent's 190)
    /// or as running with a warning; `health()` always says degraded.
    public var reportDegraded: Bool = true

    /// Nothing is checked here: call `validate()` (start does).
    public init(bond: InterfaceName, slaves: [InterfaceName], options: Bond) {
        self.bond = bond
        self.slaves = slaves
        self.options = options
    }

    /// The bonding mode; active-backup when `options` leaves it unset, as the driver does.
    public var mode: BondMode { options.mode ?? .activeBackup }

    /// `<bond>.<id>`, or an error when that name would not be a valid
    /// interface name (longer than 15 bytes).
    public func vlanName(_ id: UInt16) throws(ConfigurationError) -> InterfaceName {
        do {
            return try InterfaceName(validating: "\(bond.value).\(id)")
        } catch {
            throw ConfigurationError("vlans", "\(bond.value).\(id) would be longer than 15 characters")
        }
    }

    /// The bonding driver's rules, as one-line reasons naming the parameter
    /// instead of the kernel's bare EINVAL, checked before anything changes.
    /// A bond built in Swift gets the same checks as one built by the agent.
    public func validate() throws(ConfigurationError) {
        let o = options
        guard slaves.count >= 2 else { throw ConfigurationError("slaves", "a bond needs two or more slaves (got \(slaves.count))") }
        for (i, slave) in slaves.enumerated() where slaves[..<i].contains(slave) {
            throw ConfigurationError("slaves", "lists \(slave) twice")
        }
        if slaves.contains(bond) { throw ConfigurationError("slaves", "cannot contain the bond itself (\(bond))") }

        let arpInterval = o.arpInterval ?? 0
        let targets = o.arpIPTargets ?? []
        let nsTargets = o.nsIP6Targets ?? []
        for (i, target) in nsTargets.enumerated() {
            guard target.isUsableNSTarget else {
                throw ConfigurationError("ns_ip6_target", "\(target) cannot be a target (the kernel refuses ::, ::1 and multicast)")
            }
            if nsTargets[..<i].contains(target) { throw ConfigurationError("ns_ip6_target", "lists \(target) twice") }
        }
        if arpInterval > 0 {
            if let miimon = o.miimon, miimon > 0 {
                throw ConfigurationError("arp_interval", "ARP monitoring and miimon are mutually exclusive (miimon=\(miimon))")
            }
            if [.ieee8023ad, .balanceTLB, .balanceALB].contains(mode) {
                throw ConfigurationError("arp_interval", "ARP monitoring does not work with mode \(mode) (the kernel refuses it; use miimon)")
            }
            guard !targets.isEmpty || !nsTargets.isEmpty else {
                throw ConfigurationError("arp_ip_target", "required with arp_interval (or ns_ip6_target)")
            }
            guard targets.count <= 16 else { throw ConfigurationError("arp_ip_target", "at most 16 targets (got \(targets.count))") }
            guard nsTargets.count <= 16 else { throw ConfigurationError("ns_ip6_target", "at most 16 targets (got \(nsTargets.count))") }
        } else {
            for (name, set) in [("arp_ip_target", !targets.isEmpty), ("ns_ip6_target", !nsTargets.isEmpty),
                                ("arp_all_targets", o.arpAllTargets != nil), ("arp_missed_max", o.arpMissedMax != nil)] where set {
                throw ConfigurationError(name, "needs arp_interval")
            }
            if o.miimon == 0 {
                throw ConfigurationError("miimon", "0 without arp_interval leaves the bond without link monitoring: it would never fail over")
            }
        }
        if let monitor = o.miimon, monitor > 0 {
            for (name, value) in [("updelay", o.updelay), ("downdelay", o.downdelay), ("peer_notif_delay", o.peerNotifyDelay)]
            where (value ?? 0) % monitor != 0 {
                throw ConfigurationError(name, "must be a multiple of miimon (\(monitor))")
            }
        }
        if let delay = o.peerNotifyDelay {
            guard delay <= 300_000 else { throw ConfigurationError("peer_notif_delay", "must be 0-300000 ms (got \(delay))") }
            // The driver counts it in miimon ticks: without MII monitoring it refuses it (EPERM).
            let miimon = o.miimon ?? (arpInterval > 0 ? 0 : 100)
            if delay > 0 && miimon == 0 { throw ConfigurationError("peer_notif_delay", "needs miimon (the kernel counts it in miimon intervals)") }
        }
        if mode != .ieee8023ad {
            for (name, set) in [("lacp_rate", o.lacpRate != nil), ("ad_select", o.adSelect != nil),
                                ("lacp_active", o.lacpActive != nil), ("ad_actor_sys_prio", o.adActorSysPrio != nil),
                                ("ad_user_port_key", o.adUserPortKey != nil), ("ad_actor_system", o.adActorSystem != nil)] where set {
                throw ConfigurationError(name, "only applies to mode 802.3ad (mode is \(mode))")
            }
        }
        if o.adActorSysPrio == 0 { throw ConfigurationError("ad_actor_sys_prio", "must be 1-65535 (got 0)") }
        if let key = o.adUserPortKey, key > 1023 { throw ConfigurationError("ad_user_port_key", "must be 0-1023 (got \(key))") }
        if let system = o.adActorSystem, system.isMulticast {
            throw ConfigurationError("ad_actor_system", "\(system) is a multicast address (the kernel refuses it)")
        }
        if o.arpMissedMax == 0 { throw ConfigurationError("arp_missed_max", "must be 1-255 (got 0)") }
        if let count = o.resendIGMP, count > 255 { throw ConfigurationError("resend_igmp", "must be 0-255 (got \(count))") }
        if let count = o.packetsPerSlave {
            guard count <= 65535 else { throw ConfigurationError("packets_per_slave", "must be 0-65535 (got \(count))") }
            guard mode == .balanceRR else { throw ConfigurationError("packets_per_slave", "only applies to mode balance-rr (mode is \(mode))") }
        }
        if o.tlbDynamicLB != nil && ![.balanceTLB, .balanceALB].contains(mode) {
            throw ConfigurationError("tlb_dynamic_lb", "only applies to balance-tlb and balance-alb (mode is \(mode))")
        }
        if let seconds = o.lpInterval, !(1...2_147_483_647).contains(seconds) {
            throw ConfigurationError("lp_interval", "must be 1-2147483647 seconds (got \(seconds))")
        }
        if o.xmitHashPolicy != nil && ![.balanceXOR, .ieee8023ad, .balanceTLB].contains(mode) {
            throw ConfigurationError("xmit_hash_policy", "only applies to balance-xor, 802.3ad and balance-tlb (mode is \(mode))")
        }
        if o.arpValidate != nil && arpInterval == 0 {
            throw ConfigurationError("arp_validate", "needs arp_interval")
        }
        if let primary {
            guard slaves.contains(primary) else {
                throw ConfigurationError("primary", "\(primary) is not one of slaves (\(slaves.map(\.value).joined(separator: " ")))")
            }
            guard [.activeBackup, .balanceTLB, .balanceALB].contains(mode) else {
                throw ConfigurationError("primary", "only applies to active-backup, balance-tlb and balance-alb (mode is \(mode))")
            }
        }
        if let activeSlave {
            guard slaves.contains(activeSlave) else {
                throw ConfigurationError("active_slave", "\(activeSlave) is not one of slaves (\(slaves.map(\.value).joined(separator: " ")))")
            }
            guard [.activeBackup, .balanceTLB, .balanceALB].contains(mode) else {
                throw ConfigurationError("active_slave", "only applies to active-backup, balance-tlb and balance-alb (mode is \(mode))")
            }
        }
        if let mac, mac.isMulticast || mac.isZero { throw ConfigurationError("mac", "\(mac) is not a unicast address") }
        if let mtu, !(68...65535).contains(mtu) { throw ConfigurationError("mtu", "must be 68-65535 (got \(mtu))") }
        for (i, id) in vlans.enumerated() {
            guard Vlan.validIDs.contains(id) else { throw ConfigurationError("vlans", "'\(id)' is not a VLAN id (1-4094)") }
            guard !vlans[..<i].contains(id) else { throw ConfigurationError("vlans", "VLAN \(id) is listed twice") }
            _ = try vlanName(id)
        }
    }
}
