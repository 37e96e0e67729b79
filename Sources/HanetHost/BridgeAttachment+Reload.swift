import HanetLinks

/// Live changes to a running bridge (OCF 1.1 `reload-agent`, LSB `reload`).
///
/// Everything here the kernel changes on an up bridge with ports, without
/// re-creating it or detaching a port: the ARP and multicast flags, STP,
/// the forward delay, the MAC, the MTU, the VLANs the uplink carries and the
/// default PVID. The bridge, its uplink, `create` and turning
/// `vlan_filtering` on are not reloadable (Pacemaker restarts instead);
/// a reload that finds one of them differing says so and fails, so the
/// change is applied by a restart rather than ignored.
extension BridgeAttachment: ReloadableResource {
    @discardableResult
    public func reload() throws -> [String] {
        let c = configuration
        try c.validate()
        let all = try links.list()
        guard let bridge = all.first(where: { $0.name == c.bridge }), bridge.kind?.kernelName == "bridge" else {
            throw HostError(.notRunning, object: c.bridge.value, "bridge \(c.bridge) does not exist: nothing to reload")
        }
        if let uplinkName = c.uplink {
            guard let uplink = all.first(where: { $0.name == uplinkName }), uplink.masterIndex == bridge.index else {
                throw HostError(.needsRestart, object: c.bridge.value, "uplink \(uplinkName) is not a port of \(c.bridge): a new uplink takes a restart")
            }
        } else if try state.read()["started"] != "1" {
            throw HostError(.notRunning, object: c.bridge.value, "bridge \(c.bridge) was not started by this resource: nothing to reload")
        }

        var done = try links.align(bridge, mtu: c.mtu, mac: c.mac, arp: c.arp, multicast: c.multicast)
        done += try reloadSpanningTree(bridge.kind?.bridge ?? Bridge())
        let vlanChanges = try reloadVLANs(bridge: bridge, in: all)
        done += vlanChanges
        // Read again after a VLAN change: the check must see what the reload set.
        let now = vlanChanges.isEmpty ? bridge : try links.link(named: c.bridge) ?? bridge
        if let wrong = try vlanProblem(bridge: now, in: all) {
            throw HostError(.needsRestart, object: c.bridge.value, "\(wrong): VLAN settings take a restart")
        }
        for line in done { log("reload: " + line) }
        return done
    }

    /// STP and the forward delay, each only if it differs, in the order the
    /// kernel accepts: it checks a forward delay against the STP state it
    /// has when the delay arrives (2-30 s with STP on), and a changelink
    /// request applies the delay before the STP state. So a delay is sent
    /// on its own, before STP goes on or after it goes off.
    private func reloadSpanningTree(_ have: Bridge) throws -> [String] {
        let c = configuration
        let stpChanges = have.stp != c.stp
        let delayChanges = c.forwardDelay.map { $0 != have.forwardDelaySeconds } ?? false
        var done: [String] = []
        func sendDelay() throws {
            guard delayChanges, let delay = c.forwardDelay else { return }
            try links.modify(c.bridge, kind: .bridge(Bridge(forwardDelaySeconds: delay)))
            done.append("forward_delay \(delay)")
        }
        func sendSTP() throws {
            guard stpChanges else { return }
            try links.modify(c.bridge, kind: .bridge(Bridge(stp: c.stp)))
            done.append("stp \(c.stp ? "on" : "off")")
        }
        if c.stp {
            try sendDelay()
            try sendSTP()
        } else {
            try sendSTP()
            try sendDelay()
        }
        return done
    }
}
