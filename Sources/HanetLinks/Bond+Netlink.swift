import CLinuxNet
import HanetNetlink

extension Bond {
    init(attributes: NetlinkAttributes) throws(NetlinkDecodeError) {
        self.init()
        for attribute in attributes {
            switch Int(attribute.type) {
            case IFLA_BOND_MODE: mode = BondMode(rawValue: try attribute.u8())
            case IFLA_BOND_ACTIVE_SLAVE: activeSlaveIndex = try attribute.i32()
            case IFLA_BOND_MIIMON: miimon = try attribute.u32()
            case IFLA_BOND_UPDELAY: updelay = try attribute.u32()
            case IFLA_BOND_DOWNDELAY: downdelay = try attribute.u32()
            case IFLA_BOND_ARP_INTERVAL: arpInterval = try attribute.u32()
            case IFLA_BOND_ARP_IP_TARGET:
                var targets: [IPv4Address] = []
                for target in try attribute.nested() where target.value.count == 4 {
                    let b = target.bytes
                    targets.append(IPv4Address(b[0], b[1], b[2], b[3]))
                }
                arpIPTargets = targets
            case IFLA_BOND_ARP_VALIDATE: arpValidate = ARPValidate(rawValue: try attribute.u32())
            case IFLA_BOND_PRIMARY: primaryIndex = try attribute.i32()
            case IFLA_BOND_PRIMARY_RESELECT: primaryReselect = PrimaryReselect(rawValue: try attribute.u8())
            case IFLA_BOND_FAIL_OVER_MAC: failOverMAC = FailOverMAC(rawValue: try attribute.u8())
            case IFLA_BOND_XMIT_HASH_POLICY: xmitHashPolicy = XmitHashPolicy(rawValue: try attribute.u8())
            case IFLA_BOND_NUM_PEER_NOTIF: numPeerNotifications = try attribute.u8()
            case IFLA_BOND_ALL_SLAVES_ACTIVE: allSlavesActive = try attribute.u8() != 0
            case IFLA_BOND_MIN_LINKS: minLinks = try attribute.u32()
            case IFLA_BOND_AD_LACP_RATE: lacpRate = LACPRate(rawValue: try attribute.u8())
            case IFLA_BOND_AD_SELECT: adSelect = ADSelect(rawValue: try attribute.u8())
            case IFLA_BOND_AD_INFO: adInfo = try BondADInfo(attributes: try attribute.nested())
            case IFLA_BOND_AD_ACTOR_SYS_PRIO: adActorSysPrio = try attribute.u16()
            case IFLA_BOND_AD_USER_PORT_KEY: adUserPortKey = try attribute.u16()
            case IFLA_BOND_AD_ACTOR_SYSTEM: adActorSystem = MACAddress(bytes: attribute.value)
            case IFLA_BOND_AD_LACP_ACTIVE: lacpActive = try attribute.u8() != 0
            case IFLA_BOND_ARP_ALL_TARGETS: arpAllTargets = ARPAllTargets(rawValue: try attribute.u32())
            case IFLA_BOND_MISSED_MAX: arpMissedMax = try attribute.u8()
            case IFLA_BOND_NS_IP6_TARGET:
                nsIP6Targets = try attribute.nested().compactMap { IPv6Address(bytes: $0.value) }
            case IFLA_BOND_PEER_NOTIF_DELAY: peerNotifyDelay = try attribute.u32()
            case IFLA_BOND_TLB_DYNAMIC_LB: tlbDynamicLB = try attribute.u8() != 0
            case IFLA_BOND_RESEND_IGMP: resendIGMP = try attribute.u32()
            case IFLA_BOND_USE_CARRIER: useCarrier = try attribute.u8() != 0
            case IFLA_BOND_PACKETS_PER_SLAVE: packetsPerSlave = try attribute.u32()
            case IFLA_BOND_LP_INTERVAL: lpInterval = try attribute.u32()
            default: break
            }
        }
    }

    var hasAttributes: Bool { self != Bond() }

    /// Writes only what is set, mode first: the kernel applies attributes in
    /// order and some (xmit_hash_policy, lacp_rate) are only valid for the
    /// mode that must already be in effect. Each group follows the order
    /// of the `ip link add ... type bond` line captured for the tests, so
    /// the bytes can be compared with iproute2's.
    func encode(into request: inout NetlinkRequest) {
        if let mode { request.attribute(UInt16(IFLA_BOND_MODE), u8: mode.rawValue) }
        if let miimon { request.attribute(UInt16(IFLA_BOND_MIIMON), u32: miimon) }
        if let updelay { request.attribute(UInt16(IFLA_BOND_UPDELAY), u32: updelay) }
        if let downdelay { request.attribute(UInt16(IFLA_BOND_DOWNDELAY), u32: downdelay) }
        if let peerNotifyDelay { request.attribute(UInt16(IFLA_BOND_PEER_NOTIF_DELAY), u32: peerNotifyDelay) }
        if let useCarrier { request.attribute(UInt16(IFLA_BOND_USE_CARRIER), u8: useCarrier ? 1 : 0) }
        if let arpInterval { request.attribute(UInt16(IFLA_BOND_ARP_INTERVAL), u32: arpInterval) }
        if let arpIPTargets {
            request.nest(UInt16(IFLA_BOND_ARP_IP_TARGET), flagged: false) { nest in
                for (i, target) in arpIPTargets.enumerated() { nest.attribute(UInt16(i), bytes: target.bytes) }
            }
        }
        if let nsIP6Targets {
            request.nest(UInt16(IFLA_BOND_NS_IP6_TARGET), flagged: false) { nest in
                for (i, target) in nsIP6Targets.enumerated() { nest.attribute(UInt16(i), bytes: target.bytes) }
            }
        }
        if let arpValidate { request.attribute(UInt16(IFLA_BOND_ARP_VALIDATE), u32: arpValidate.rawValue) }
        if let arpAllTargets { request.attribute(UInt16(IFLA_BOND_ARP_ALL_TARGETS), u32: arpAllTargets.rawValue) }
        if let arpMissedMax { request.attribute(UInt16(IFLA_BOND_MISSED_MAX), u8: arpMissedMax) }
        if let primaryIndex { request.attribute(UInt16(IFLA_BOND_PRIMARY), u32: UInt32(bitPattern: primaryIndex)) }
        if let primaryReselect { request.attribute(UInt16(IFLA_BOND_PRIMARY_RESELECT), u8: primaryReselect.rawValue) }
        if let failOverMAC { request.attribute(UInt16(IFLA_BOND_FAIL_OVER_MAC), u8: failOverMAC.rawValue) }
        if let xmitHashPolicy { request.attribute(UInt16(IFLA_BOND_XMIT_HASH_POLICY), u8: xmitHashPolicy.rawValue) }
        if let numPeerNotifications { request.attribute(UInt16(IFLA_BOND_NUM_PEER_NOTIF), u8: numPeerNotifications) }
        if let allSlavesActive { request.attribute(UInt16(IFLA_BOND_ALL_SLAVES_ACTIVE), u8: allSlavesActive ? 1 : 0) }
        if let minLinks { request.attribute(UInt16(IFLA_BOND_MIN_LINKS), u32: minLinks) }
        if let lacpRate { request.attribute(UInt16(IFLA_BOND_AD_LACP_RATE), u8: lacpRate.rawValue) }
        if let adSelect { request.attribute(UInt16(IFLA_BOND_AD_SELECT), u8: adSelect.rawValue) }
        if let lacpActive { request.attribute(UInt16(IFLA_BOND_AD_LACP_ACTIVE), u8: lacpActive ? 1 : 0) }
        if let adActorSysPrio { request.attribute(UInt16(IFLA_BOND_AD_ACTOR_SYS_PRIO), u16: adActorSysPrio) }
        if let adUserPortKey { request.attribute(UInt16(IFLA_BOND_AD_USER_PORT_KEY), u16: adUserPortKey) }
        if let adActorSystem { request.attribute(UInt16(IFLA_BOND_AD_ACTOR_SYSTEM), bytes: adActorSystem.array) }
        if let resendIGMP { request.attribute(UInt16(IFLA_BOND_RESEND_IGMP), u32: resendIGMP) }
        if let packetsPerSlave { request.attribute(UInt16(IFLA_BOND_PACKETS_PER_SLAVE), u32: packetsPerSlave) }
        if let tlbDynamicLB { request.attribute(UInt16(IFLA_BOND_TLB_DYNAMIC_LB), u8: tlbDynamicLB ? 1 : 0) }
        if let lpInterval { request.attribute(UInt16(IFLA_BOND_LP_INTERVAL), u32: lpInterval) }
        if let activeSlaveIndex { request.attribute(UInt16(IFLA_BOND_ACTIVE_SLAVE), u32: UInt32(bitPattern: activeSlaveIndex)) }
    }
}

extension BondADInfo {
    init(attributes: NetlinkAttributes) throws(NetlinkDecodeError) {
        for attribute in attributes {
            switch Int(attribute.type) {
            case IFLA_BOND_AD_INFO_AGGREGATOR: aggregatorID = try attribute.u16()
            case IFLA_BOND_AD_INFO_NUM_PORTS: numberOfPorts = try attribute.u16()
            case IFLA_BOND_AD_INFO_ACTOR_KEY: actorKey = try attribute.u16()
            case IFLA_BOND_AD_INFO_PARTNER_KEY: partnerKey = try attribute.u16()
            case IFLA_BOND_AD_INFO_PARTNER_MAC: partnerMAC = MACAddress(bytes: attribute.value)
            default: break
            }
        }
    }
}

extension BondSlaveState {
    init(attributes: NetlinkAttributes) throws(NetlinkDecodeError) {
        self.init()
        for attribute in attributes {
            switch Int(attribute.type) {
            case IFLA_BOND_SLAVE_STATE: role = Role(rawValue: try attribute.u8())
            case IFLA_BOND_SLAVE_MII_STATUS: miiStatus = MIIStatus(rawValue: try attribute.u8())
            case IFLA_BOND_SLAVE_LINK_FAILURE_COUNT: linkFailureCount = try attribute.u32()
            case IFLA_BOND_SLAVE_PERM_HWADDR: permanentMAC = MACAddress(bytes: attribute.value)
            case IFLA_BOND_SLAVE_AD_AGGREGATOR_ID: aggregatorID = try attribute.u16()
            case IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE: actorOperPortState = try attribute.u8()
            case IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE: partnerOperPortState = try attribute.u16().lowByte
            default: break
            }
        }
    }
}

private extension UInt16 { var lowByte: UInt8 { UInt8(truncatingIfNeeded: self) } }
