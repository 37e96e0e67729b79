import Glibc
import HanetLinks
import HanetNetlink

/// A VLAN-aware bridge: vlan_filtering, the bridge's default PVID and the
/// VLANs its uplink carries tagged. Guest ports are left to the hypervisor
/// (Proxmox and libvirt set a guest's VLAN on its port themselves).
extension BridgeAttachment {
    /// Adds the configured uplink VLANs it lacks, in one request. The ids
    /// it added are recorded (`vlans_added`), so that a reload may take
    /// back one that leaves the list, and never one somebody else added;
    /// at stop the uplink's VLANs go with it when stop detaches it.
    func addMissingUplinkVLANs(_ uplink: Link) throws -> [String] {
        let c = configuration
        guard c.vlanFiltering, !c.uplinkVLANs.isEmpty else { return [] }
        let have = Set(try links.bridgeVLANs(ofIndex: uplink.index).map(\.id))
        let missing = c.uplinkVLANs.filter { !have.contains($0) }
        guard !missing.isEmpty else { return [] }
        let added = Self.vlanIDs(in: try state.read()["vlans_added"]).union(missing)
        try state.update { $0["vlans_added"] = added.sorted().map(String.init).joined(separator: ",") }
        try links.addBridgeVLANs(missing, portIndex: uplink.index, name: uplink.name)
        return ["uplink \(uplink.name) carries VLAN(s) \(missing.map(String.init).joined(separator: " "))"]
    }

    /// reload: the uplink's VLAN list and the default PVID, changed on the
    /// live bridge (the kernel moves ports that had the old default PVID
    /// to the new one). A VLAN that leaves the list is removed only if this
    /// resource added it. Turning vlan_filtering on takes a restart.
    func reloadVLANs(bridge: Link, in all: [Link]) throws -> [String] {
        let c = configuration
        guard c.vlanFiltering else { return [] }
        guard bridge.kind?.bridge?.vlanFiltering == true else {
            throw HostError(.needsRestart, object: c.bridge.value, "bridge \(c.bridge) does not filter VLANs: vlan_filtering=true takes a restart")
        }
        var done: [String] = []
        if let pvid = c.pvid, bridge.kind?.bridge?.defaultPVID != pvid {
            var change = Bridge()
            change.defaultPVID = pvid
            try links.modify(c.bridge, kind: .bridge(change))
            done.append("pvid \(pvid)")
        }
        guard let uplinkName = c.uplink, let uplink = all.first(where: { $0.name == uplinkName }) else { return done }
        let recorded = Self.vlanIDs(in: try state.read()["vlans_added"])
        let have = Set(try links.bridgeVLANs(ofIndex: uplink.index).map(\.id))
        let gone = recorded.subtracting(c.uplinkVLANs).intersection(have).sorted()
        if !gone.isEmpty {
            try links.removeBridgeVLANs(gone, portIndex: uplink.index, name: uplink.name)
            done.append("uplink \(uplink.name) no longer carries VLAN(s) \(gone.map(String.init).joined(separator: " "))")
        }
        let kept = recorded.intersection(c.uplinkVLANs)
        try state.update { $0["vlans_added"] = kept.isEmpty ? nil : kept.sorted().map(String.init).joined(separator: ",") }
        done += try addMissingUplinkVLANs(uplink)
        return done
    }

    static func vlanIDs(in text: String?) -> Set<UInt16> {
        Set((text ?? "").split(separator: ",").compactMap { UInt16($0) })
    }

    /// Why the bridge's VLAN setup is not what is configured; nil when it
    /// is (or nothing is configured). One AF_BRIDGE dump, only when
    /// uplink VLANs are configured.
    func vlanProblem(bridge: Link, in all: [Link]) throws -> String? {
        let c = configuration
        guard c.vlanFiltering else { return nil }
        guard bridge.kind?.bridge?.vlanFiltering == true else { return "bridge \(c.bridge) does not filter VLANs (vlan_filtering=true)" }
        if let pvid = c.pvid, let have = bridge.kind?.bridge?.defaultPVID, have != pvid {
            return "bridge \(c.bridge) has default PVID \(have), expected \(pvid)"
        }
        guard !c.uplinkVLANs.isEmpty, let uplinkName = c.uplink, let uplink = all.first(where: { $0.name == uplinkName }) else { return nil }
        let have = Set(try links.bridgeVLANs(ofIndex: uplink.index).map(\.id))
        let missing = c.uplinkVLANs.filter { !have.contains($0) }
        return missing.isEmpty ? nil : "uplink \(uplinkName) does not carry VLAN(s) \(missing.map(String.init).joined(separator: " "))"
    }

    /// A kernel built without CONFIG_BRIDGE_VLAN_FILTERING refuses the
    /// option with a bare EOPNOTSUPP: say which feature is missing (still
    /// "not installed" to Pacemaker: another node may have it).
    static func explainingMissingVLANFiltering(_ error: Error, _ c: BridgeConfiguration) -> Error {
        guard c.vlanFiltering, let netlink = error as? NetlinkError, netlink.errno == EOPNOTSUPP else { return error }
        return HostError(.backendUnavailable, object: c.bridge.value, errno: EOPNOTSUPP,
                         "this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING): vlan_filtering=true cannot be set on \(c.bridge)")
    }
}
