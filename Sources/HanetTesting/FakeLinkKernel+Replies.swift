import Glibc
import CLinuxNet
import HanetNetlink
import HanetLinks

/// Replies in the kernel's wire format, built with hanet's own TLV writer
/// (`NetlinkRequest` is a message builder: a reply is a message too) and
/// read back by the library's real decoders, so a fake reply that the
/// decoders would misread fails the tests that use it.
extension FakeLinkKernel {
    /// One RTM_NEWLINK for `link`, attributes in rtnl_fill_ifinfo's order.
    func linkMessage(_ link: Link) -> NetlinkRequest {
        var message = NetlinkRequest(type: UInt16(RTM_NEWLINK), flags: 0)
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_UNSPEC)
        header.ifi_type = link.flags.contains(.loopback) ? 772 : 1 // ARPHRD_LOOPBACK / ARPHRD_ETHER
        header.ifi_index = link.index
        header.ifi_flags = link.flags.rawValue
        message.append(header: header)
        message.attribute(UInt16(IFLA_IFNAME), string: link.name.value)
        if let mtu = link.mtu { message.attribute(UInt16(IFLA_MTU), u32: mtu) }
        if let parent = link.parentIndex { message.attribute(UInt16(IFLA_LINK), i32: parent) }
        if let master = link.masterIndex { message.attribute(UInt16(IFLA_MASTER), u32: UInt32(bitPattern: master)) }
        if let carrier = link.carrier { message.attribute(UInt16(IFLA_CARRIER), u8: carrier ? 1 : 0) }
        if let state = link.operState { message.attribute(UInt16(IFLA_OPERSTATE), u8: state.rawValue) }
        if let alias = link.alias { message.attribute(UInt16(IFLA_IFALIAS), string: alias) }
        if let mac = link.mac { message.attribute(UInt16(IFLA_ADDRESS), bytes: mac.array) }
        if link.kind != nil || link.slaveKind != nil {
            message.nest(UInt16(IFLA_LINKINFO), flagged: false) { info in
                if let kind = link.kind {
                    info.attribute(UInt16(IFLA_INFO_KIND), string: kind.kernelName)
                    switch kind {
                    case .bridge(let bridge): info.nest(UInt16(IFLA_INFO_DATA), flagged: false) { encode(bridge, into: &$0) }
                    case .bond(let bond): info.nest(UInt16(IFLA_INFO_DATA), flagged: false) { encode(bond, into: &$0) }
                    case .vlan(let vlan):
                        info.nest(UInt16(IFLA_INFO_DATA), flagged: false) { data in
                            data.attribute(UInt16(IFLA_VLAN_ID), u16: vlan.id)
                            data.attribute(UInt16(IFLA_VLAN_PROTOCOL), u16: vlan.protocolID.bigEndian)
                        }
                    default: break
                    }
                }
                if let slaveKind = link.slaveKind {
                    info.attribute(UInt16(IFLA_INFO_SLAVE_KIND), string: slaveKind)
                    if let slave = link.bondSlave {
                        info.nest(UInt16(IFLA_INFO_SLAVE_DATA), flagged: false) { encode(slave, into: &$0) }
                    }
                    if let state = link.bridgePortState {
                        info.nest(UInt16(IFLA_INFO_SLAVE_DATA), flagged: false) { $0.attribute(UInt16(IFLA_BRPORT_STATE), u8: state.rawValue) }
                    }
                }
            }
        }
        return message
    }

    /// One RTM_NEWNEIGH (AF_BRIDGE) for a forwarding entry.
    func neighbourMessage(_ entry: FDBEntry) -> NetlinkRequest {
        var message = NetlinkRequest(type: UInt16(RTM_NEWNEIGH), flags: 0)
        var header = ndmsg()
        header.ndm_family = UInt8(AF_BRIDGE)
        header.ndm_ifindex = entry.portIndex
        header.ndm_state = entry.state
        header.ndm_flags = entry.flags
        message.append(header: header)
        message.attribute(UInt16(NDA_LLADDR), bytes: entry.mac.array)
        if let bridge = entry.bridgeIndex { message.attribute(UInt16(NDA_MASTER), u32: UInt32(bitPattern: bridge)) }
        if let vlan = entry.vlan { message.attribute(UInt16(NDA_VLAN), u16: vlan) }
        return message
    }

    /// One RTM_NEWADDR, as inet_fill_ifaddr / inet6_fill_ifaddr send it:
    /// IFA_LOCAL and IFA_ADDRESS for IPv4, IFA_ADDRESS for IPv6.
    func addressMessage(_ address: InterfaceAddress) -> NetlinkRequest {
        var message = NetlinkRequest(type: UInt16(RTM_NEWADDR), flags: 0)
        var header = ifaddrmsg()
        header.ifa_family = UInt8(address.family)
        header.ifa_prefixlen = address.prefixLength
        header.ifa_flags = UInt8(truncatingIfNeeded: address.flags)
        header.ifa_scope = address.scope
        header.ifa_index = UInt32(bitPattern: address.interfaceIndex)
        message.append(header: header)
        message.attribute(UInt16(IFA_ADDRESS), bytes: address.bytes)
        if address.family == AF_INET { message.attribute(UInt16(IFA_LOCAL), bytes: address.bytes) }
        message.attribute(UInt16(IFA_FLAGS), u32: address.flags)
        return message
    }

    /// The reply datagram: data messages (NLM_F_MULTI in a dump, then
    /// NLMSG_DONE), or an ACK when the request asked for one.
    func replyDatagram(_ messages: [NetlinkRequest], to request: NetlinkMessage, dump: Bool) -> [UInt8] {
        var flags: UInt16 = dump ? NetlinkConstants.multi : 0
        if dump && interruptNextDumps > 0 {
            interruptNextDumps -= 1
            flags |= NetlinkConstants.dumpInterrupted
        }
        var out: [UInt8] = []
        for var message in messages {
            message.flags = flags
            out += message.encoded(sequence: request.sequence, portID: portID)
        }
        if dump {
            out += FakeNetlinkTransport.message(type: NetlinkConstants.done, flags: flags, sequence: request.sequence,
                                                portID: portID, payload: [0, 0, 0, 0])
        } else if request.flags & NetlinkConstants.ack != 0 {
            out += FakeNetlinkTransport.ack()(request.sequence, portID)
        }
        return out
    }

    func errorDatagram(_ refusal: Refusal, to request: NetlinkMessage) -> [UInt8] {
        FakeNetlinkTransport.error(refusal.errno, message: refusal.message)(request.sequence, portID)
    }

    private func encode(_ bridge: Bridge, into data: inout NetlinkRequest) {
        if let v = bridge.forwardDelayCentiseconds { data.attribute(UInt16(IFLA_BR_FORWARD_DELAY), u32: v) }
        if let v = bridge.helloTimeCentiseconds { data.attribute(UInt16(IFLA_BR_HELLO_TIME), u32: v) }
        if let v = bridge.maxAgeCentiseconds { data.attribute(UInt16(IFLA_BR_MAX_AGE), u32: v) }
        if let v = bridge.ageingTimeCentiseconds { data.attribute(UInt16(IFLA_BR_AGEING_TIME), u32: v) }
        if let v = bridge.stp { data.attribute(UInt16(IFLA_BR_STP_STATE), u32: v ? 1 : 0) }
        if let v = bridge.vlanFiltering { data.attribute(UInt16(IFLA_BR_VLAN_FILTERING), u8: v ? 1 : 0) }
    }

    /// bond_fill_info's attributes for the options the model holds.
    private func encode(_ bond: Bond, into data: inout NetlinkRequest) {
        if let v = bond.mode { data.attribute(UInt16(IFLA_BOND_MODE), u8: v.rawValue) }
        if let v = bond.activeSlaveIndex { data.attribute(UInt16(IFLA_BOND_ACTIVE_SLAVE), u32: UInt32(bitPattern: v)) }
        if let v = bond.miimon { data.attribute(UInt16(IFLA_BOND_MIIMON), u32: v) }
        if let v = bond.updelay { data.attribute(UInt16(IFLA_BOND_UPDELAY), u32: v) }
        if let v = bond.downdelay { data.attribute(UInt16(IFLA_BOND_DOWNDELAY), u32: v) }
        if let v = bond.arpInterval { data.attribute(UInt16(IFLA_BOND_ARP_INTERVAL), u32: v) }
        if let targets = bond.arpIPTargets, !targets.isEmpty {
            data.nest(UInt16(IFLA_BOND_ARP_IP_TARGET), flagged: false) { nest in
                for (i, target) in targets.enumerated() { nest.attribute(UInt16(i), bytes: target.bytes) }
            }
        }
        if let v = bond.arpValidate { data.attribute(UInt16(IFLA_BOND_ARP_VALIDATE), u32: v.rawValue) }
        if let v = bond.primaryIndex { data.attribute(UInt16(IFLA_BOND_PRIMARY), u32: UInt32(bitPattern: v)) }
        if let v = bond.primaryReselect { data.attribute(UInt16(IFLA_BOND_PRIMARY_RESELECT), u8: v.rawValue) }
        if let v = bond.failOverMAC { data.attribute(UInt16(IFLA_BOND_FAIL_OVER_MAC), u8: v.rawValue) }
        if let v = bond.xmitHashPolicy { data.attribute(UInt16(IFLA_BOND_XMIT_HASH_POLICY), u8: v.rawValue) }
        if let v = bond.numPeerNotifications { data.attribute(UInt16(IFLA_BOND_NUM_PEER_NOTIF), u8: v) }
        if let v = bond.allSlavesActive { data.attribute(UInt16(IFLA_BOND_ALL_SLAVES_ACTIVE), u8: v ? 1 : 0) }
        if let v = bond.minLinks { data.attribute(UInt16(IFLA_BOND_MIN_LINKS), u32: v) }
        if let v = bond.lacpRate { data.attribute(UInt16(IFLA_BOND_AD_LACP_RATE), u8: v.rawValue) }
        if let v = bond.adSelect { data.attribute(UInt16(IFLA_BOND_AD_SELECT), u8: v.rawValue) }
        if let v = bond.adActorSysPrio { data.attribute(UInt16(IFLA_BOND_AD_ACTOR_SYS_PRIO), u16: v) }
        if let v = bond.adUserPortKey { data.attribute(UInt16(IFLA_BOND_AD_USER_PORT_KEY), u16: v) }
        if let v = bond.adActorSystem { data.attribute(UInt16(IFLA_BOND_AD_ACTOR_SYSTEM), bytes: v.array) }
        if let v = bond.lacpActive { data.attribute(UInt16(IFLA_BOND_AD_LACP_ACTIVE), u8: v ? 1 : 0) }
        if let v = bond.arpAllTargets { data.attribute(UInt16(IFLA_BOND_ARP_ALL_TARGETS), u32: v.rawValue) }
        if let v = bond.arpMissedMax { data.attribute(UInt16(IFLA_BOND_MISSED_MAX), u8: v) }
        if let targets = bond.nsIP6Targets, !targets.isEmpty {
            data.nest(UInt16(IFLA_BOND_NS_IP6_TARGET), flagged: false) { nest in
                for (i, target) in targets.enumerated() { nest.attribute(UInt16(i), bytes: target.bytes) }
            }
        }
        if let v = bond.peerNotifyDelay { data.attribute(UInt16(IFLA_BOND_PEER_NOTIF_DELAY), u32: v) }
        if let v = bond.tlbDynamicLB { data.attribute(UInt16(IFLA_BOND_TLB_DYNAMIC_LB), u8: v ? 1 : 0) }
        if let v = bond.resendIGMP { data.attribute(UInt16(IFLA_BOND_RESEND_IGMP), u32: v) }
        if let v = bond.useCarrier { data.attribute(UInt16(IFLA_BOND_USE_CARRIER), u8: v ? 1 : 0) }
        if let v = bond.packetsPerSlave { data.attribute(UInt16(IFLA_BOND_PACKETS_PER_SLAVE), u32: v) }
        if let v = bond.lpInterval { data.attribute(UInt16(IFLA_BOND_LP_INTERVAL), u32: v) }
    }

    private func encode(_ slave: BondSlaveState, into data: inout NetlinkRequest) {
        if let v = slave.role { data.attribute(UInt16(IFLA_BOND_SLAVE_STATE), u8: v.rawValue) }
        if let v = slave.miiStatus { data.attribute(UInt16(IFLA_BOND_SLAVE_MII_STATUS), u8: v.rawValue) }
        if let v = slave.linkFailureCount { data.attribute(UInt16(IFLA_BOND_SLAVE_LINK_FAILURE_COUNT), u32: v) }
        if let v = slave.permanentMAC { data.attribute(UInt16(IFLA_BOND_SLAVE_PERM_HWADDR), bytes: v.array) }
    }
}
