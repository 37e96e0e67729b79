import CLinuxNet
import HanetNetlink

extension Bridge {
    init(attributes: NetlinkAttributes) throws(NetlinkDecodeError) {
        self.init()
        for attribute in attributes {
            switch Int(attribute.type) {
            case IFLA_BR_STP_STATE: stp = try attribute.u32() != 0
            case IFLA_BR_FORWARD_DELAY: forwardDelayCentiseconds = try attribute.u32()
            case IFLA_BR_AGEING_TIME: ageingTimeCentiseconds = try attribute.u32()
            case IFLA_BR_HELLO_TIME: helloTimeCentiseconds = try attribute.u32()
            case IFLA_BR_MAX_AGE: maxAgeCentiseconds = try attribute.u32()
            case IFLA_BR_VLAN_FILTERING: vlanFiltering = try attribute.u8() != 0
            case IFLA_BR_VLAN_DEFAULT_PVID: defaultPVID = try attribute.u16()
            default: break
            }
        }
    }

    var hasAttributes: Bool {
        stp != nil || forwardDelayCentiseconds != nil || ageingTimeCentiseconds != nil
            || helloTimeCentiseconds != nil || maxAgeCentiseconds != nil || vlanFiltering != nil || defaultPVID != nil
    }

    func encode(into request: inout NetlinkRequest) {
        // Same order as iproute2, so requests compare equal to its captures.
        if let stp { request.attribute(UInt16(IFLA_BR_STP_STATE), u32: stp ? 1 : 0) }
        if let forwardDelayCentiseconds { request.attribute(UInt16(IFLA_BR_FORWARD_DELAY), u32: forwardDelayCentiseconds) }
        if let helloTimeCentiseconds { request.attribute(UInt16(IFLA_BR_HELLO_TIME), u32: helloTimeCentiseconds) }
        if let maxAgeCentiseconds { request.attribute(UInt16(IFLA_BR_MAX_AGE), u32: maxAgeCentiseconds) }
        if let ageingTimeCentiseconds { request.attribute(UInt16(IFLA_BR_AGEING_TIME), u32: ageingTimeCentiseconds) }
        if let vlanFiltering { request.attribute(UInt16(IFLA_BR_VLAN_FILTERING), u8: vlanFiltering ? 1 : 0) }
        if let defaultPVID { request.attribute(UInt16(IFLA_BR_VLAN_DEFAULT_PVID), u16: defaultPVID) }
    }
}

extension Vlan {
    init(attributes: NetlinkAttributes) throws(NetlinkDecodeError) {
        guard let id = try attributes[UInt16(IFLA_VLAN_ID)]?.u16() else {
            throw NetlinkDecodeError("vlan info", "no IFLA_VLAN_ID")
        }
        self.init(id: id)
        if let proto = try attributes[UInt16(IFLA_VLAN_PROTOCOL)]?.u16() { protocolID = UInt16(bigEndian: proto) }
    }

    func encode(into request: inout NetlinkRequest) {
        request.attribute(UInt16(IFLA_VLAN_ID), u16: id)
        if protocolID != 0x8100 { request.attribute(UInt16(IFLA_VLAN_PROTOCOL), u16: protocolID.bigEndian) }
    }
}
