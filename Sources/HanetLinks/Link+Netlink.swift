import Glibc
import CLinuxNet
import HanetNetlink

/// IFLA_* attribute numbers as UInt16 (anonymous C enums import as Int).
enum IFLA {
    static let address = UInt16(IFLA_ADDRESS)
    static let ifname = UInt16(IFLA_IFNAME)
    static let mtu = UInt16(IFLA_MTU)
    static let link = UInt16(IFLA_LINK)
    static let master = UInt16(IFLA_MASTER)
    static let operstate = UInt16(IFLA_OPERSTATE)
    static let linkinfo = UInt16(IFLA_LINKINFO)
    static let ifalias = UInt16(IFLA_IFALIAS)
    static let carrier = UInt16(IFLA_CARRIER)
    static let linkNetnsID = UInt16(IFLA_LINK_NETNSID)
    static let extMask = UInt16(IFLA_EXT_MASK)
    static let netnsFD = UInt16(IFLA_NET_NS_FD)
    static let infoKind = UInt16(IFLA_INFO_KIND)
    static let infoData = UInt16(IFLA_INFO_DATA)
    static let infoSlaveKind = UInt16(IFLA_INFO_SLAVE_KIND)
    static let infoSlaveData = UInt16(IFLA_INFO_SLAVE_DATA)
}

extension Link {
    static let headerSize = MemoryLayout<ifinfomsg>.size

    /// Decodes one RTM_NEWLINK/RTM_DELLINK. Returns nil for the AF_BRIDGE
    /// copies the kernel also sends for bridge ports (no kind, no carrier):
    /// they describe the port's bridge state, not the link.
    public init?(message: NetlinkMessage) throws(NetlinkDecodeError) {
        let header = try message.header(as: ifinfomsg.self, context: "ifinfomsg")
        if header.ifi_family == UInt8(AF_BRIDGE) { return nil }
        self.init(index: header.ifi_index, name: InterfaceName(kernel: ""), flags: LinkFlags(rawValue: header.ifi_flags))
        // One pass, no attribute array: a bridge's port list is a message
        // per guest, each with dozens of attributes we do not read.
        var hasName = false
        try message.forEachAttribute(after: Self.headerSize, context: "RTM_NEWLINK") { attribute throws(NetlinkDecodeError) in
            switch attribute.type {
            case IFLA.ifname: name = InterfaceName(kernel: try attribute.string()); hasName = true
            case IFLA.address: mac = MACAddress(bytes: attribute.value)
            case IFLA.mtu: mtu = try attribute.u32()
            case IFLA.link: parentIndex = try attribute.i32()
            case IFLA.master: masterIndex = try attribute.i32()
            case IFLA.operstate: operState = OperState(rawValue: try attribute.u8())
            case IFLA.ifalias: alias = try attribute.string()
            case IFLA.carrier: carrier = try attribute.u8() != 0
            case IFLA.linkNetnsID: parentNetnsID = try attribute.i32()
            case IFLA.linkinfo: try decodeLinkInfo(try attribute.nested())
            default: break
            }
        }
        guard hasName else { throw NetlinkDecodeError("RTM_NEWLINK \(header.ifi_index)", "no IFLA_IFNAME") }
        if masterIndex == 0 { masterIndex = nil }
        if parentIndex == index || parentIndex == 0 { parentIndex = nil }
    }

    private mutating func decodeLinkInfo(_ info: NetlinkAttributes) throws(NetlinkDecodeError) {
        let kindName = try info[IFLA.infoKind]?.string()
        let data = try info[IFLA.infoData]?.nested()
        switch kindName {
        case "bridge"?: kind = .bridge(try Bridge(attributes: data ?? NetlinkAttributes()))
        case "bond"?: kind = .bond(try Bond(attributes: data ?? NetlinkAttributes()))
        case "vlan"?: kind = .vlan(try Vlan(attributes: data ?? NetlinkAttributes()))
        case "veth"?: kind = .veth(Veth())
        case let other?: kind = .other(other)
        case nil: kind = nil
        }
        slaveKind = try info[IFLA.infoSlaveKind]?.string()
        if slaveKind == "bond", let slaveData = try info[IFLA.infoSlaveData]?.nested() {
            bondSlave = try BondSlaveState(attributes: slaveData)
        }
        if slaveKind == "bridge", let slaveData = try info[IFLA.infoSlaveData]?.nested(),
           let state = try slaveData[UInt16(IFLA_BRPORT_STATE)]?.u8() {
            bridgePortState = BridgePortState(rawValue: state)
        }
    }
}

extension LinkKind {
    /// IFLA_LINKINFO { IFLA_INFO_KIND, IFLA_INFO_DATA { ... } }.
    func encode(into request: inout NetlinkRequest) {
        request.nest(IFLA.linkinfo, flagged: false) { info in
            info.attribute(IFLA.infoKind, unterminated: kernelName)
            switch self {
            case .bridge(let bridge):
                if bridge.hasAttributes { info.nest(IFLA.infoData, flagged: false) { bridge.encode(into: &$0) } }
            case .bond(let bond):
                if bond.hasAttributes { info.nest(IFLA.infoData, flagged: false) { bond.encode(into: &$0) } }
            case .vlan(let vlan):
                info.nest(IFLA.infoData, flagged: false) { vlan.encode(into: &$0) }
            case .veth(let veth):
                if let peer = veth.peerName {
                    info.nest(IFLA.infoData, flagged: false) { data in
                        data.nest(UInt16(VETH_INFO_PEER), flagged: false) { peerData in
                            peerData.append(header: ifinfomsg())
                            peerData.attribute(IFLA.ifname, string: peer.value)
                            if let fd = veth.peerNamespaceFD { peerData.attribute(IFLA.netnsFD, u32: UInt32(bitPattern: fd)) }
                        }
                    }
                }
            case .other:
                break
            }
        }
    }
}
