import Glibc
import CLinuxNet
import HanetNetlink
import HanetLinks

/// An RTM_NEWLINK / RTM_SETLINK / RTM_DELLINK / RTM_GETLINK request as the
/// fake kernel reads it.
///
/// A request has the layout of the kernel's own RTM_NEWLINK messages
/// (ifinfomsg + IFLA_* attributes), so the typed parts (kind and its
/// options, address, MTU, alias, parent) are read with hanet's own
/// `Link(message:)` decoder: the fake cannot drift from the library's idea
/// of the format. Only what that decoder folds away is read raw here:
/// whether IFLA_MASTER was present at all (0 means "nomaster", which the
/// decoder maps to nil like absence), the kind's name when its data does not
/// decode, and a veth's peer name.
struct FakeLinkRequest {
    var header: ifinfomsg
    var flags: UInt16
    /// IFLA_IFNAME as sent (validated later: an invalid name is EINVAL).
    var name: String?
    /// IFLA_MASTER: nil = absent, 0 = release from the master.
    var master: Int32?
    var parent: Int32?
    var mac: MACAddress?
    /// IFLA_ADDRESS was present but not six bytes.
    var badAddress = false
    var mtu: UInt32?
    /// IFLA_IFALIAS: "" removes the alias.
    var alias: String?
    var kindName: String?
    var kind: LinkKind?
    var hasKindData = false
    var vethPeer: String?
    /// The veth peer goes to another namespace (IFLA_NET_NS_FD in its info).
    var vethPeerElsewhere = false
    /// AF_BRIDGE setlink: IFLA_PROTINFO { IFLA_BRPORT_STATE } (`bridge link set state`).
    var portState: UInt8?

    var isBridgeFamily: Bool { header.ifi_family == UInt8(AF_BRIDGE) }

    var index: Int32 { header.ifi_index }
    var isCreate: Bool { flags & NetlinkConstants.create != 0 }
    var isExclusive: Bool { flags & NetlinkConstants.excl != 0 }
    var isDump: Bool { flags & NetlinkConstants.dump == NetlinkConstants.dump }
    var changesFlags: Bool { header.ifi_flags != 0 || header.ifi_change != 0 }

    init(_ message: NetlinkMessage) throws(FakeLinkKernel.Refusal) {
        do {
            header = try message.header(as: ifinfomsg.self, context: "ifinfomsg")
            flags = message.flags
            let attributes = try message.attributes(after: MemoryLayout<ifinfomsg>.size, context: "link request")
            name = try attributes[UInt16(IFLA_IFNAME)]?.string()
            master = try attributes[UInt16(IFLA_MASTER)]?.i32()
            if let info = try attributes[UInt16(IFLA_LINKINFO)]?.nested() {
                kindName = try info[UInt16(IFLA_INFO_KIND)]?.string()
                if let data = info[UInt16(IFLA_INFO_DATA)] {
                    hasKindData = true
                    if kindName == "veth", let peer = try data.nested()[UInt16(VETH_INFO_PEER)] {
                        // The peer is a whole ifinfomsg + attributes of its own.
                        let peerAttributes = try NetlinkAttributes(peer.value.dropFirst(MemoryLayout<ifinfomsg>.size),
                                                                   context: "veth peer")
                        vethPeer = try peerAttributes[UInt16(IFLA_IFNAME)]?.string()
                        vethPeerElsewhere = peerAttributes[UInt16(IFLA_NET_NS_FD)] != nil
                    }
                }
            }
            if let address = attributes[UInt16(IFLA_ADDRESS)], address.value.count != 6 { badAddress = true }
            if header.ifi_family == UInt8(AF_BRIDGE), let info = try attributes[UInt16(IFLA_PROTINFO)]?.nested() {
                portState = try info[UInt16(IFLA_BRPORT_STATE)]?.u8()
            }
            // hanet's decoder for the rest. It insists on a name; requests
            // addressed by ifindex alone get a placeholder one.
            var payload = message.payload
            if name == nil {
                var placeholder = NetlinkRequest(type: 0, flags: 0)
                placeholder.attribute(UInt16(IFLA_IFNAME), string: "?")
                payload += placeholder.payload
            }
            let decodable = NetlinkMessage(type: UInt16(RTM_NEWLINK), flags: 0, sequence: 0, portID: 0, payload: payload)
            if let link = try Link(message: decodable) {
                kind = link.kind
                mac = link.mac
                mtu = link.mtu
                alias = link.alias
                // Link maps IFLA_LINK == own index or 0 to nil; a request's
                // index is 0, so only 0 is lost, and 0 is "no parent" anyway.
                parent = link.parentIndex
            }
        } catch {
            // The kernel's nla_parse refuses malformed attributes the same way.
            throw FakeLinkKernel.Refusal(EINVAL, error.description)
        }
    }

    /// The interface addressed: by ifindex when one is given (as the kernel
    /// prefers), else by name.
    func target(in kernel: FakeLinkKernel) -> Int32? {
        if index != 0 { return kernel.devices[index] != nil ? index : nil }
        guard let name else { return nil }
        return kernel.index(named: name)
    }

    /// What the request amounts to, as an `ip link` command.
    func summary(_ type: FakeKernelRequest.MessageType, in kernel: FakeLinkKernel) -> String {
        let object = objectName(in: kernel) ?? "?"
        func named(_ index: Int32) -> String { kernel.devices[index]?.name.value ?? "ifindex \(index)" }
        switch type {
        case .getLink:
            if isDump { return "link show" + (master.map { " master \(named($0))" } ?? "") }
            return "link show \(object)"
        case .delLink:
            return "link del \(object)"
        case _ where isBridgeFamily:
            let state = portState.map { BridgePortState(rawValue: $0)?.description ?? "\($0)" }
            return "bridge link set dev \(object)" + (state.map { " state \($0)" } ?? "")
        default:
            var words: [String]
            if isCreate && (target(in: kernel) == nil || isExclusive) {
                words = ["link add"]
                if let parent { words.append("link \(named(parent))") }
                words.append(object)
                if let mac { words.append("address \(mac)") }
                if let mtu { words.append("mtu \(mtu)") }
                words.append(kindWords(named) ?? "(no type)")
            } else {
                words = ["link set", object]
                if hasKindData, let kindWords = kindWords(named) { words.append(kindWords) }
                if let mac { words.append("address \(mac)") }
                if let mtu { words.append("mtu \(mtu)") }
            }
            if let alias { words.append("alias \"\(alias)\"") }
            words += flagWords
            if let master { words.append(master == 0 ? "nomaster" : "master \(named(master))") }
            return words.joined(separator: " ")
        }
    }

    func objectName(in kernel: FakeLinkKernel) -> String? {
        if index != 0 { return kernel.devices[index]?.name.value ?? name ?? "ifindex \(index)" }
        return name
    }

    /// `up`/`down`, `arp on|off`, ... for each bit the request changes.
    private var flagWords: [String] {
        guard changesFlags else { return [] }
        let change = LinkFlags(rawValue: header.ifi_change == 0 ? ~0 : header.ifi_change)
        let wanted = LinkFlags(rawValue: header.ifi_flags)
        var words: [String] = []
        if change.contains(.up) { words.append(wanted.contains(.up) ? "up" : "down") }
        if change.contains(.noARP) { words.append(wanted.contains(.noARP) ? "arp off" : "arp on") }
        if change.contains(.multicast) { words.append(wanted.contains(.multicast) ? "multicast on" : "multicast off") }
        if change.contains(.promiscuous) { words.append(wanted.contains(.promiscuous) ? "promisc on" : "promisc off") }
        return words
    }

    /// `type bond mode active-backup miimon 100`: only the options sent.
    private func kindWords(_ named: (Int32) -> String) -> String? {
        guard let kindName else { return nil }
        var words = ["type", kindName]
        switch kind {
        case .bridge(let b)?:
            if let v = b.stp { words += ["stp_state", v ? "1" : "0"] }
            if let v = b.forwardDelayCentiseconds { words += ["forward_delay", "\(v)"] }
            if let v = b.helloTimeCentiseconds { words += ["hello_time", "\(v)"] }
            if let v = b.maxAgeCentiseconds { words += ["max_age", "\(v)"] }
            if let v = b.ageingTimeCentiseconds { words += ["ageing_time", "\(v)"] }
            if let v = b.vlanFiltering { words += ["vlan_filtering", v ? "1" : "0"] }
        case .bond(let b)?:
            if let v = b.mode { words += ["mode", "\(v)"] }
            if let v = b.miimon { words += ["miimon", "\(v)"] }
            if let v = b.updelay { words += ["updelay", "\(v)"] }
            if let v = b.downdelay { words += ["downdelay", "\(v)"] }
            if let v = b.arpInterval { words += ["arp_interval", "\(v)"] }
            if let v = b.arpIPTargets { words += ["arp_ip_target", v.map(\.description).joined(separator: ",")] }
            if let v = b.arpValidate { words += ["arp_validate", "\(v)"] }
            if let v = b.primaryIndex { words += ["primary", named(v)] }
            if let v = b.primaryReselect { words += ["primary_reselect", "\(v)"] }
            if let v = b.failOverMAC { words += ["fail_over_mac", "\(v)"] }
            if let v = b.xmitHashPolicy { words += ["xmit_hash_policy", "\(v)"] }
            if let v = b.numPeerNotifications { words += ["num_grat_arp", "\(v)"] }
            if let v = b.allSlavesActive { words += ["all_slaves_active", v ? "1" : "0"] }
            if let v = b.minLinks { words += ["min_links", "\(v)"] }
            if let v = b.lacpRate { words += ["lacp_rate", "\(v)"] }
            if let v = b.adSelect { words += ["ad_select", "\(v)"] }
            if let v = b.peerNotifyDelay { words += ["peer_notify_delay", "\(v)"] }
            if let v = b.useCarrier { words += ["use_carrier", v ? "1" : "0"] }
            if let v = b.nsIP6Targets { words += ["ns_ip6_target", v.map(\.description).joined(separator: ",")] }
            if let v = b.arpAllTargets { words += ["arp_all_targets", "\(v)"] }
            if let v = b.arpMissedMax { words += ["arp_missed_max", "\(v)"] }
            if let v = b.lacpActive { words += ["lacp_active", v ? "on" : "off"] }
            if let v = b.adActorSysPrio { words += ["ad_actor_sys_prio", "\(v)"] }
            if let v = b.adUserPortKey { words += ["ad_user_port_key", "\(v)"] }
            if let v = b.adActorSystem { words += ["ad_actor_system", "\(v)"] }
            if let v = b.resendIGMP { words += ["resend_igmp", "\(v)"] }
            if let v = b.packetsPerSlave { words += ["packets_per_slave", "\(v)"] }
            if let v = b.tlbDynamicLB { words += ["tlb_dynamic_lb", v ? "1" : "0"] }
            if let v = b.lpInterval { words += ["lp_interval", "\(v)"] }
            if let v = b.activeSlaveIndex { words += ["active_slave", named(v)] }
        case .vlan(let v)?:
            words += ["id", "\(v.id)"]
            if v.protocolID != 0x8100 { words += ["protocol", "0x" + String(v.protocolID, radix: 16)] }
        default:
            if let vethPeer { words += ["peer", "name", vethPeer] }
        }
        return words.joined(separator: " ")
    }
}
