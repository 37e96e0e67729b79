import Glibc
import CLinuxNet
import Netlink

/// Reads and prunes a bridge's forwarding database over rtnetlink (AF_BRIDGE).
///
/// Needed at unblock time: while a host was the standby, its bridge learned
/// every guest MAC on the uplink (from the active twin's frames) and would
/// drop frames for those guests until they send something themselves.
public final class BridgeFDB {
    public let connection: NetlinkConnection

    public init(connection: NetlinkConnection) { self.connection = connection }

    public convenience init(namespace: NetworkNamespace = .current) throws(NetlinkError) {
        self.init(connection: try NetlinkConnection(bus: NetlinkConstants.route, namespace: namespace))
    }

    /// Entries of one bridge. Equivalent to: `bridge fdb show br BRIDGE`.
    public func entries(bridgeIndex: Int32) throws -> [FDBEntry] {
        var request = NetlinkRequest(type: UInt16(RTM_GETNEIGH), flags: 0)
        var header = ndmsg()
        header.ndm_family = UInt8(AF_BRIDGE)
        request.append(header: header)
        request.attribute(UInt16(NDA_MASTER), u32: UInt32(bitPattern: bridgeIndex))
        let messages = try connection.dump(request, operation: "RTM_GETNEIGH", object: "bridge \(bridgeIndex)")
        return try messages.compactMap { try Self.decode($0) }.filter { $0.bridgeIndex == nil || $0.bridgeIndex == bridgeIndex }
    }

    /// Removes one learned entry. Equivalent to: `bridge fdb del MAC dev PORT master [vlan N]`.
    /// A missing entry is not an error: it may have aged out meanwhile.
    public func delete(_ entry: FDBEntry) throws {
        var request = NetlinkRequest(type: UInt16(RTM_DELNEIGH), flags: 0)
        var header = ndmsg()
        header.ndm_family = UInt8(AF_BRIDGE)
        header.ndm_ifindex = entry.portIndex
        header.ndm_flags = UInt8(NTF_MASTER)
        header.ndm_state = entry.state
        request.append(header: header)
        request.attribute(UInt16(NDA_LLADDR), bytes: entry.mac.array)
        if let vlan = entry.vlan { request.attribute(UInt16(NDA_VLAN), u16: vlan) }
        do {
            try connection.execute(request, operation: "RTM_DELNEIGH", object: "\(entry.mac)")
        } catch let error as NetlinkError where error.errno == ENOENT {
        }
    }

    static func decode(_ message: NetlinkMessage) throws(NetlinkDecodeError) -> FDBEntry? {
        guard message.type == UInt16(RTM_NEWNEIGH) else { return nil }
        let header = try message.header(as: ndmsg.self, context: "ndmsg")
        guard header.ndm_family == UInt8(AF_BRIDGE) else { return nil }
        let attributes = try message.attributes(after: MemoryLayout<ndmsg>.size, context: "RTM_NEWNEIGH")
        guard let lladdr = attributes[UInt16(NDA_LLADDR)], let mac = MACAddress(bytes: lladdr.value) else { return nil }
        var entry = FDBEntry(mac: mac, portIndex: header.ndm_ifindex, state: header.ndm_state, flags: header.ndm_flags)
        entry.bridgeIndex = try attributes[UInt16(NDA_MASTER)]?.i32()
        entry.vlan = try attributes[UInt16(NDA_VLAN)]?.u16()
        return entry
    }
}
