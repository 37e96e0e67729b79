import Glibc
import HanetLinks
import HanetNetlink

/// A VLAN-aware bridge: vlan_filtering, the bridge's default PVID and the
/// VLANs its uplink carries tagged. Guest ports are left to the hypervisor
/// (Proxmox and libvirt set a guest's VLAN on its port themselves).
extension BridgeAttachment {
    /// Adds the configured uplink VLANs it lacks, in one request. Nothing
    /// is recorded: the uplink's VLANs go with it when stop detaches it.
    func addMissingUplinkVLANs(_ uplink: Link) throws -> [String] {
        let c = configuration
        guard c.vlanFiltering, !c.uplinkVLANs.isEmpty else { return [] }
        let have = Set(try links.bridgeVLANs(ofIndex: uplink.index).map(\.id))
        let missing = c.uplinkVLANs.filter { !have.contains($0) }
        guard !missing.isEmpty else { return [] }
        try links.addBridgeVLANs(missing, portIndex: uplink.index, name: uplink.name)
        return ["uplink \(uplink.name) carries VLAN(s) \(missing.map(String.init).joined(separator: " "))"]
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
