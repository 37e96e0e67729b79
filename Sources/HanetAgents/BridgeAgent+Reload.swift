import HanetOCF

extension BridgeAgent {
    /// What `BridgeAttachment.reload()` changes on a live bridge (ports
    /// stay attached, the bridge is not re-created). The rest (bridge,
    /// uplink, create, vlan_filtering, uplink_vlans, pvid) takes a restart.
    static let reloadableParameters: Set<String> = ["arp", "multicast", "stp", "forward_delay", "mac", "mtu", "uplink_vlans", "pvid"]
}
