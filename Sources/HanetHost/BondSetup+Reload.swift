import HanetLinks

/// Live changes to a running bond (OCF 1.1 `reload-agent`, LSB `reload`).
///
/// The bonding driver (6.1) changes most options on an up bond with
/// slaves: the monitors (miimon, updelay, downdelay, arp_*, ns_ip6_target),
/// primary and primary_reselect, peer notification, xmit_hash_policy,
/// min_links, the 802.3ad actor identity, packets_per_slave, lp_interval,
/// resend_igmp, use_carrier, all_slaves_active; and the link's MAC, MTU,
/// ARP and multicast flags. It refuses mode, lacp_rate, ad_select,
/// lacp_active, ad_user_port_key and tlb_dynamic_lb on an up bond (EBUSY,
/// `BOND_OPTFLAG_IFDOWN`) and mode and fail_over_mac while it has slaves
/// (`BOND_OPTFLAG_NOSLAVES`); those, the slaves and the VLANs take a
/// restart, and a reload that finds one differing fails naming it.
extension BondSetup: ReloadableResource {
    @discardableResult
    public func reload() throws -> [String] {
        let c = configuration
        try c.validate()
        let all = try links.list()
        guard let link = all.first(where: { $0.name == c.bond }), let have = link.kind?.bond else {
            throw HostError(.notRunning, object: c.bond.value, "bond \(c.bond) does not exist: nothing to reload")
        }
        let record = try state.read()
        guard record["created"] == "1" || record["started"] == "1" else {
            throw HostError(.notRunning, object: c.bond.value, "bond \(c.bond) was not started by this resource: nothing to reload")
        }
        try checkNoRestartNeeded(link: link, in: all, record: record)

        var done: [String] = []
        var options = c.options
        options.activeSlaveIndex = nil // a start-time choice: a reload keeps the slave that is active now
        options.primaryIndex = c.primary.flatMap { primary in all.first { $0.name == primary }?.index }
        let delta = options.difference(from: have)
        if let restart = Self.restartOnlyOptions(delta).first {
            throw HostError(.needsRestart, object: c.bond.value, "bond \(c.bond): the kernel changes \(restart) only on a bond that is down or has no slaves: it takes a restart")
        }
        if delta != Bond() {
            try links.modify(c.bond, kind: .bond(delta))
            done.append("bond options " + Self.optionNames(delta).joined(separator: " "))
        }
        done += try links.align(link, mtu: c.mtu, mac: c.mac, arp: c.arp, multicast: c.multicast)
        for line in done { log("reload: " + line) }
        return done
    }

    /// The slaves and VLANs are structure, not options: a different set
    /// takes a restart (which releases and enslaves in the recorded way).
    private func checkNoRestartNeeded(link: Link, in all: [Link], record: [String: String]) throws {
        let c = configuration
        if let mode = link.kind?.bond?.mode, mode != c.mode {
            throw HostError(.needsRestart, object: c.bond.value, "bond \(c.bond) runs mode \(mode), configured \(c.mode): a new mode takes a restart")
        }
        let enslaved = Set(all.filter { $0.masterIndex == link.index }.map(\.name))
        if enslaved != Set(c.slaves) {
            throw HostError(.needsRestart, object: c.bond.value, "bond \(c.bond) has slaves \(enslaved.map(\.value).sorted().joined(separator: " ")), configured \(c.slaves.map(\.value).joined(separator: " ")): new slaves take a restart")
        }
        let configured = try Set(c.vlans.map { try c.vlanName($0).value })
        let recorded = Set(record.keys.filter { $0.hasPrefix("vlan.") }.map { String($0.dropFirst(5)) })
        let present = Set(configured.filter { name in all.contains { $0.name.value == name && $0.parentIndex == link.index } })
        if present != configured || !recorded.subtracting(configured).isEmpty {
            throw HostError(.needsRestart, object: c.bond.value, "bond \(c.bond): VLANs differ from vlans=\(c.vlans.map(String.init).joined(separator: " ")): new VLANs take a restart")
        }
    }

    /// The options in `delta` the driver refuses on an up bond with slaves.
    static func restartOnlyOptions(_ delta: Bond) -> [String] {
        [("mode", delta.mode != nil), ("fail_over_mac", delta.failOverMAC != nil), ("lacp_rate", delta.lacpRate != nil),
         ("ad_select", delta.adSelect != nil), ("lacp_active", delta.lacpActive != nil),
         ("ad_user_port_key", delta.adUserPortKey != nil), ("tlb_dynamic_lb", delta.tlbDynamicLB != nil)]
            .filter(\.1).map(\.0)
    }

    /// The parameter names of the options set in `delta`, for the log.
    static func optionNames(_ d: Bond) -> [String] {
        let named: [(String, Bool)] = [
            ("miimon", d.miimon != nil), ("updelay", d.updelay != nil), ("downdelay", d.downdelay != nil),
            ("arp_interval", d.arpInterval != nil), ("arp_ip_target", d.arpIPTargets != nil),
            ("arp_validate", d.arpValidate != nil), ("primary", d.primaryIndex != nil),
            ("primary_reselect", d.primaryReselect != nil), ("xmit_hash_policy", d.xmitHashPolicy != nil),
            ("num_grat_arp", d.numPeerNotifications != nil), ("all_slaves_active", d.allSlavesActive != nil),
            ("min_links", d.minLinks != nil), ("ad_actor_sys_prio", d.adActorSysPrio != nil),
            ("ad_actor_system", d.adActorSystem != nil), ("arp_all_targets", d.arpAllTargets != nil),
            ("arp_missed_max", d.arpMissedMax != nil), ("ns_ip6_target", d.nsIP6Targets != nil),
            ("peer_notif_delay", d.peerNotifyDelay != nil), ("resend_igmp", d.resendIGMP != nil),
            ("use_carrier", d.useCarrier != nil), ("packets_per_slave", d.packetsPerSlave != nil),
            ("lp_interval", d.lpInterval != nil),
        ]
        return named.filter(\.1).map(\.0)
    }
}
