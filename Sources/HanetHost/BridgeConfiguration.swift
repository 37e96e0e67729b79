import HanetLinks

/// Desired state of one bridge attachment (the `ocf:hanet:bridge` parameters).
public struct BridgeConfiguration: Equatable, Sendable {
    /// The bridge guests attach to (`bridge`), e.g. xenbr1 or vmbr10.
    public var bridge: InterfaceName
    /// The NIC, bond or VLAN (`bond0.10`) that connects the bridge to the network.
    public var uplink: InterfaceName?
    /// Create the bridge if it does not exist; false = it must already exist.
    public var create: Bool = true
    /// false for a bridge that carries only guest traffic and has no address (`ip link set xenbr1 arp off`).
    public var arp: Bool = true
    /// false together with `arp` for a pure guest bridge.
    public var multicast: Bool = true
    /// Kernel STP; needed only where the bridge closes a loop.
    public var stp: Bool = false
    /// Seconds; nil = the kernel's default (15 s with STP, irrelevant without).
    public var forwardDelay: UInt32?
    /// nil = a stable address: the uplink's, or one derived from the bridge
    /// name, pinned so it no longer follows the lowest port MAC.
    public var mac: MACAddress?
    /// 68-65535; nil leaves the kernel's (which follows the lowest port MTU).
    public var mtu: UInt32?
    /// A VLAN-aware bridge (Proxmox's "VLAN aware"): ports forward only their
    /// VLANs. false leaves an adopted bridge's setting alone.
    public var vlanFiltering: Bool = false
    /// VLANs the uplink carries tagged (a trunk to the switch); guest ports
    /// keep what the hypervisor gives them.
    public var uplinkVLANs: [UInt16] = []
    /// The bridge's default PVID (new ports' untagged VLAN); nil = the kernel's (1).
    public var pvid: UInt16?
    /// Set when `uplink` is a VLAN this resource may create on another
    /// device (`uplink` is then its name, see `attachVLAN`).
    public private(set) var vlanSubinterface: VLANSubinterface?
    /// The uplink's addresses and routes move to the bridge at start and
    /// back at stop, as Xen's `network-bridge` did (seed 001).
    public var moveAddresses: Bool = true

    /// Defaults as the agent's: created if absent, ARP and multicast on, STP off.
    public init(bridge: InterfaceName, uplink: InterfaceName? = nil) {
        self.bridge = bridge
        self.uplink = uplink
    }

    /// Makes the uplink VLAN `id` on `parent`, named `<parent>.<id>`.
    public mutating func attachVLAN(_ id: UInt16, on parent: InterfaceName) throws(ConfigurationError) {
        let vlan = VLANSubinterface(parent: parent, id: id)
        uplink = try vlan.name()
        vlanSubinterface = vlan
    }

    /// The kernel's rules for a bridge, checked before anything changes.
    public func validate() throws(ConfigurationError) {
        if uplink == bridge { throw ConfigurationError("uplink", "cannot be the bridge itself (\(bridge))") }
        if let vlan = vlanSubinterface {
            if vlan.parent == bridge { throw ConfigurationError("uplink", "cannot be the bridge itself (\(bridge))") }
            if uplink != (try vlan.name()) { throw ConfigurationError("vlan_id", "the uplink must be \(try vlan.name())") }
        }
        if let delay = forwardDelay {
            guard delay <= 30 else { throw ConfigurationError("forward_delay", "must be 0-30 seconds (got \(delay))") }
            if stp && delay < 2 { throw ConfigurationError("forward_delay", "must be 2-30 seconds when stp=on (got \(delay))") }
        }
        if let mac, mac.isMulticast || mac.isZero { throw ConfigurationError("mac", "\(mac) is not a unicast address") }
        if let mtu, !(68...65535).contains(mtu) { throw ConfigurationError("mtu", "must be 68-65535 (got \(mtu))") }
        if let bad = uplinkVLANs.first(where: { !BridgeVLAN.ids.contains($0) }) {
            throw ConfigurationError("uplink_vlans", "VLAN ids are 1-4094 (got \(bad))")
        }
        if !uplinkVLANs.isEmpty && !vlanFiltering { throw ConfigurationError("uplink_vlans", "needs vlan_filtering=true") }
        if !uplinkVLANs.isEmpty && uplink == nil { throw ConfigurationError("uplink_vlans", "needs an uplink") }
        if let pvid {
            guard vlanFiltering else { throw ConfigurationError("pvid", "needs vlan_filtering=true") }
            guard BridgeVLAN.ids.contains(pvid) else { throw ConfigurationError("pvid", "must be 1-4094 (got \(pvid))") }
        }
    }

    /// A locally administered unicast MAC derived from the bridge name:
    /// the same on every node and across restarts.
    public var derivedMAC: MACAddress {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("hanet-bridge:" + bridge.value).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let b = withUnsafeBytes(of: hash.littleEndian) { Array($0) }
        return MACAddress((b[0] & 0xfc) | 0x02, b[1], b[2], b[3], b[4], b[5])
    }
}
