import Glibc
import CLinuxNet
import HanetNetlink

extension LinkManager {
    /// The VLANs of one port of a VLAN-filtering bridge: one AF_BRIDGE dump.
    /// Equivalent to: `bridge vlan show dev PORT`.
    public func bridgeVLANs(ofIndex index: Int32) throws -> [BridgeVLAN] {
        var request = NetlinkRequest(type: UInt16(RTM_GETLINK), flags: 0)
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_BRIDGE)
        request.append(header: header)
        // One entry per VLAN (not the compressed ranges).
        request.attribute(UInt16(IFLA_EXT_MASK), u32: UInt32(RTEXT_FILTER_BRVLAN))
        var found: [BridgeVLAN] = []
        for message in try connection.dump(request, operation: "RTM_GETLINK", object: "bridge vlans of ifindex \(index)") {
            guard message.type == UInt16(RTM_NEWLINK) else { continue }
            let info = try message.header(as: ifinfomsg.self, context: "ifinfomsg")
            guard info.ifi_index == index else { continue }
            try message.forEachAttribute(after: MemoryLayout<ifinfomsg>.size, context: "RTM_NEWLINK (AF_BRIDGE)") { attribute throws(NetlinkDecodeError) in
                guard attribute.type == UInt16(IFLA_AF_SPEC) else { return }
                for entry in try attribute.nested() where entry.type == UInt16(IFLA_BRIDGE_VLAN_INFO) {
                    let flags = try Self.u16(entry, at: 0), vid = try Self.u16(entry, at: 2)
                    found.append(BridgeVLAN(id: vid, pvid: flags & UInt16(BRIDGE_VLAN_INFO_PVID) != 0,
                                            untagged: flags & UInt16(BRIDGE_VLAN_INFO_UNTAGGED) != 0))
                }
            }
        }
        return found
    }

    /// Adds tagged VLANs to a port (`bridge vlan add dev PORT vid N`), as
    /// ranges of consecutive ids: one request whatever the count.
    public func addBridgeVLANs(_ ids: [UInt16], portIndex: Int32, name: InterfaceName) throws {
        try changeBridgeVLANs(ids, portIndex: portIndex, name: name, type: RTM_SETLINK)
    }

    /// Removes VLANs from a port (`bridge vlan del dev PORT vid N`): the
    /// kernel's RTM_DELLINK on AF_BRIDGE deletes VLAN entries, not the port.
    public func removeBridgeVLANs(_ ids: [UInt16], portIndex: Int32, name: InterfaceName) throws {
        try changeBridgeVLANs(ids, portIndex: portIndex, name: name, type: RTM_DELLINK)
    }

    private func changeBridgeVLANs(_ ids: [UInt16], portIndex: Int32, name: InterfaceName, type: Int) throws {
        guard !ids.isEmpty else { return }
        var request = Self.bridgeSetlinkRequest(portIndex: portIndex, type: type)
        request.nest(UInt16(IFLA_AF_SPEC)) { spec in
            for run in Self.runs(ids) {
                if run.lowerBound == run.upperBound {
                    spec.attribute(UInt16(IFLA_BRIDGE_VLAN_INFO), bytes: Self.vlanInfo(flags: 0, id: run.lowerBound))
                } else {
                    spec.attribute(UInt16(IFLA_BRIDGE_VLAN_INFO), bytes: Self.vlanInfo(flags: UInt16(BRIDGE_VLAN_INFO_RANGE_BEGIN), id: run.lowerBound))
                    spec.attribute(UInt16(IFLA_BRIDGE_VLAN_INFO), bytes: Self.vlanInfo(flags: UInt16(BRIDGE_VLAN_INFO_RANGE_END), id: run.upperBound))
                }
            }
        }
        try connection.execute(request, operation: type == RTM_DELLINK ? "RTM_DELLINK" : "RTM_SETLINK", object: "\(name) vlans")
    }

    /// Sorted, duplicate-free runs of consecutive ids.
    static func runs(_ ids: [UInt16]) -> [ClosedRange<UInt16>] {
        var result: [ClosedRange<UInt16>] = []
        for id in Set(ids).sorted() {
            if let last = result.last, last.upperBound &+ 1 == id {
                result[result.count - 1] = last.lowerBound...id
            } else {
                result.append(id...id)
            }
        }
        return result
    }

    /// struct bridge_vlan_info { __u16 flags; __u16 vid; } in host order.
    static func vlanInfo(flags: UInt16, id: UInt16) -> [UInt8] {
        withUnsafeBytes(of: flags) { Array($0) } + withUnsafeBytes(of: id) { Array($0) }
    }

    private static func u16(_ attribute: NetlinkAttributes.Attribute, at offset: Int) throws(NetlinkDecodeError) -> UInt16 {
        let value = attribute.value
        guard value.count >= offset + 2 else { throw NetlinkDecodeError("bridge_vlan_info", "short attribute (\(value.count) bytes)") }
        // struct bridge_vlan_info is in host order
        var host: UInt16 = 0
        withUnsafeMutableBytes(of: &host) { $0.copyBytes(from: value[(value.startIndex + offset)...].prefix(2)) }
        return host
    }
}
