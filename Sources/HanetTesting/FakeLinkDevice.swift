import CLinuxNet
import HanetLinks

/// One interface as the fake kernel stores it: only what an administrator
/// or a driver sets. Everything the kernel *derives* (carrier of a bridge,
/// LOWER_UP, a slave's MII status, the active slave) is computed when a
/// link is reported (`FakeLinkKernel.reported`), so it can never go stale.
struct FakeLinkDevice {
    var index: Int32
    var name: InterfaceName
    /// nil for a physical NIC (and loopback): no IFLA_INFO_KIND, cannot be deleted.
    var kind: LinkKind?
    var mac: MACAddress
    var mtu: UInt32
    /// Administrative flags only: up, NOARP, MULTICAST, BROADCAST, LOOPBACK, PROMISC.
    var flags: LinkFlags
    /// Physical carrier (a cable). Read for NICs and dummies; bridges,
    /// bonds, VLANs and veths derive theirs from other links.
    var carrier: Bool
    var masterIndex: Int32?
    /// A VLAN's lower device, a veth's peer.
    var parentIndex: Int32?
    var alias: String?
    /// Bridge: an MTU set after creation stops the kernel from following
    /// the lowest port MTU (BROPT_MTU_SET_BY_USER). One given at creation does not.
    var mtuSetByUser = false
    /// Bond: no address was given, so the first slave's becomes the bond's
    /// (NET_ADDR_RANDOM), as the bonding driver does.
    var macIsRandom = false
    /// Bond slave: enslave order (the driver keeps slaves in a list), the
    /// address and MTU it had before, restored on release.
    var slaveOrder = 0
    var permanentMAC: MACAddress?
    var originalMTU: UInt32?
    /// Bond: primary slave by ifindex, as last set (reported only while it is a slave).
    var primaryIndex: Int32?
    /// Bond: the slave last made active by hand (`active_slave`); it stays
    /// active while its link is up and the primary's is not.
    var chosenActiveIndex: Int32?
    /// Bridge port set to `disabled` by hand (`bridge link set state 0`);
    /// any change of the port itself lifts it, as the kernel's carrier check does.
    var portDisabled = false

    var kindName: String? { kind?.kernelName }
    var isBridge: Bool { kindName == "bridge" }
    var isBond: Bool { kindName == "bond" }

    /// Flags a freshly created virtual interface has: ether_setup's
    /// BROADCAST | MULTICAST, down.
    static let etherFlags: LinkFlags = [.broadcast, .multicast]
    /// Flags `ifi_change` may touch through dev_change_flags.
    static let changeableFlags: LinkFlags = [.up, .noARP, .multicast, .promiscuous]
}

extension Bridge {
    /// The bridge driver's defaults (br_dev_setup), as `ip -d link` shows
    /// them: a reported bridge always carries every option.
    static let kernelDefaults: Bridge = {
        var bridge = Bridge(stp: false)
        bridge.forwardDelayCentiseconds = 1500
        bridge.helloTimeCentiseconds = 200
        bridge.maxAgeCentiseconds = 2000
        bridge.ageingTimeCentiseconds = 30000
        bridge.vlanFiltering = false
        return bridge
    }()

    /// `self` with every option `delta` sets.
    func merging(_ delta: Bridge) -> Bridge {
        var merged = self
        if let v = delta.stp { merged.stp = v }
        if let v = delta.forwardDelayCentiseconds { merged.forwardDelayCentiseconds = v }
        if let v = delta.helloTimeCentiseconds { merged.helloTimeCentiseconds = v }
        if let v = delta.maxAgeCentiseconds { merged.maxAgeCentiseconds = v }
        if let v = delta.ageingTimeCentiseconds { merged.ageingTimeCentiseconds = v }
        if let v = delta.vlanFiltering { merged.vlanFiltering = v }
        return merged
    }
}

extension Bond {
    /// The bonding driver's defaults for a bond made over netlink
    /// (bond_check_params): balance-rr, and miimon 100 because neither
    /// miimon nor arp_interval was given.
    static let kernelDefaults: Bond = {
        var bond = Bond(mode: .balanceRR, miimon: 100)
        bond.updelay = 0
        bond.downdelay = 0
        bond.arpInterval = 0
        bond.arpValidate = ARPValidate.none
        bond.primaryReselect = .always
        bond.failOverMAC = FailOverMAC.none
        bond.xmitHashPolicy = .layer2
        bond.numPeerNotifications = 1
        bond.allSlavesActive = false
        bond.minLinks = 0
        bond.lacpRate = .slow
        bond.adSelect = .stable
        bond.lacpActive = true
        bond.arpAllTargets = .any
        bond.arpMissedMax = 2
        bond.peerNotifyDelay = 0
        bond.tlbDynamicLB = true
        bond.resendIGMP = 1
        bond.useCarrier = true
        bond.packetsPerSlave = 1
        bond.lpInterval = 1
        return bond
    }()

    /// `self` with every option `delta` sets. The primary and the active
    /// slave are kept apart by the kernel model (they name slaves).
    func merging(_ delta: Bond) -> Bond {
        var merged = self
        if let v = delta.mode { merged.mode = v }
        if let v = delta.miimon { merged.miimon = v }
        if let v = delta.updelay { merged.updelay = v }
        if let v = delta.downdelay { merged.downdelay = v }
        if let v = delta.arpInterval { merged.arpInterval = v }
        if let v = delta.arpIPTargets { merged.arpIPTargets = v.isEmpty ? nil : v }
        if let v = delta.arpValidate { merged.arpValidate = v }
        if let v = delta.primaryReselect { merged.primaryReselect = v }
        if let v = delta.failOverMAC { merged.failOverMAC = v }
        if let v = delta.xmitHashPolicy { merged.xmitHashPolicy = v }
        if let v = delta.numPeerNotifications { merged.numPeerNotifications = v }
        if let v = delta.allSlavesActive { merged.allSlavesActive = v }
        if let v = delta.minLinks { merged.minLinks = v }
        if let v = delta.lacpRate { merged.lacpRate = v }
        if let v = delta.adSelect { merged.adSelect = v }
        if let v = delta.adActorSysPrio { merged.adActorSysPrio = v }
        if let v = delta.adUserPortKey { merged.adUserPortKey = v }
        if let v = delta.adActorSystem { merged.adActorSystem = v }
        if let v = delta.lacpActive { merged.lacpActive = v }
        if let v = delta.arpAllTargets { merged.arpAllTargets = v }
        if let v = delta.arpMissedMax { merged.arpMissedMax = v }
        if let v = delta.nsIP6Targets { merged.nsIP6Targets = v.isEmpty ? nil : v }
        if let v = delta.peerNotifyDelay { merged.peerNotifyDelay = v }
        if let v = delta.tlbDynamicLB { merged.tlbDynamicLB = v }
        if let v = delta.resendIGMP { merged.resendIGMP = v }
        if let v = delta.useCarrier { merged.useCarrier = v }
        if let v = delta.packetsPerSlave { merged.packetsPerSlave = v }
        if let v = delta.lpInterval { merged.lpInterval = v }
        merged.primaryIndex = nil
        merged.activeSlaveIndex = nil
        return merged
    }
}

extension LinkKind {
    /// A new link's kind as the kernel reports it: the driver's defaults
    /// overlaid with what the request set.
    var withKernelDefaults: LinkKind {
        switch self {
        case .bridge(let bridge): return .bridge(Bridge.kernelDefaults.merging(bridge))
        case .bond(let bond): return .bond(Bond.kernelDefaults.merging(bond))
        case .veth: return .veth(Veth())
        default: return self
        }
    }
}
