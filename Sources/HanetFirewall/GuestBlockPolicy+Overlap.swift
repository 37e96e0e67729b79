import HanetLinks

extension GuestBlockPolicy {
    /// Why this group and `other` would block some of the same guests (one
    /// line naming what they share), or nil when they are disjoint.
    ///
    /// Several vhostnet resources may share bridges only if no frame is
    /// theirs both: then each can open its guests while the other's stay
    /// blocked. Two groups overlap on a shared bridge when a port name
    /// matches both groups' guest ports (minus exempt ones) and either group
    /// takes every guest of such a port (selected by port alone) or both
    /// select a common MAC or libvirt domain.
    public func overlap(with other: GuestBlockPolicy) -> String? {
        let bridges = self.bridges.filter { other.bridges.contains($0) }
        guard !bridges.isEmpty else { return nil }
        let ports = guestPorts.flatMap { mine in other.guestPorts.filter { mine.overlaps($0) }.map { (mine, $0) } }
        guard let (mine, theirs) = ports.first(where: { pair in
            // A pattern pair both groups exempt entirely (vif0.0 exempt in both) shares nothing.
            !(exemptPorts.contains { $0 == pair.0 || $0 == pair.1 } && other.exemptPorts.contains { $0 == pair.0 || $0 == pair.1 })
        }) else { return nil }
        let place = "on bridge \(bridges[0].value), ports \(mine)" + (mine == theirs ? "" : " and \(theirs)")
        if !selectsByIdentity || !other.selectsByIdentity {
            let whole = !selectsByIdentity ? "this group" : "the other group"
            return "both block guests \(place): \(whole) selects every guest there by port (give each group guest_macs or guest_domains)"
        }
        if let domain = guestDomains.first(where: { other.guestDomains.contains($0) }) {
            return "both select libvirt domain \(domain) \(place)"
        }
        for a in selectedMACs {
            if let b = other.selectedMACs.first(where: { a.overlaps($0) }) {
                return "both select " + (a == b ? "MAC \(a)" : "MACs \(a) and \(b)") + " \(place)"
            }
        }
        return nil
    }
}
