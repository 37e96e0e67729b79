import Glibc
import CLinuxNet
import HanetNetlink

/// Reads and prunes a bridge's forwarding database over rtnetlink (AF_BRIDGE).
///
/// Needed at unblock time: while a host was the standby, its bridge learned
/// every guest MAC on the uplink (from the active twin's frames) and would
/// drop frames for those guests until they send something themselves.
public final class BridgeFDB {
    /// The rtnetlink connection every request goes through.
    public let connection: NetlinkConnection

    /// Uses an open rtnetlink (`NETLINK_ROUTE`) connection.
    public init(connection: NetlinkConnection) { self.connection = connection }

    /// Opens a rtnetlink socket inside `namespace`; replies are waited for
    /// at most `timeout` (see `NetlinkTimeout`).
    public convenience init(namespace: NetworkNamespace = .current, timeout: NetlinkTimeout = .default) throws(NetlinkError) {
        self.init(connection: try NetlinkConnection(bus: NetlinkConstants.route, namespace: namespace, timeout: timeout))
    }

    /// Entries of one bridge. Equivalent to: `bridge fdb show br BRIDGE`.
    public func entries(bridgeIndex: Int32) throws -> [FDBEntry] {
        var request = NetlinkRequest(type: UInt16(RTM_GETNEIGH), flags: 0)
        var header = ndmsg()
        header.ndm_family = UInt8(AF_BRIDGE)
        request.append(header: header)
        request.attribute(UInt16(NDA_MASTER), u32: UInt32(bitPattern: bridgeIndex))
        let messages = try connection.dump(request, operation: "RTM_GETNEIGH", object: "bridge \(bridgeIndex)")
        // Without NETLINK_GET_STRICT_CHK the kernel ignores NDA_MASTER in a
        // dump request (valid_fdb_dump_legacy) and returns every device's
        // entries, VXLAN's included: keep only those the bridge reports as
        // its own (every bridge entry carries NDA_MASTER), or the one-by-one
        // flush below would delete other devices' entries.
        return try messages.compactMap { try Self.decode($0) }.filter { $0.bridgeIndex == bridgeIndex }
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

    /// Removes every entry the bridge learned from traffic, in one request,
    /// as a switch does on a topology change: a takeover must not cost a
    /// dump and a delete per guest. Entries someone put there stay: static,
    /// permanent (the ports' own addresses), sticky, externally learned
    /// (EVPN, switchdev) and dynamic ones added by hand.
    /// Equivalent to: `bridge fdb flush dev BRIDGE self dynamic noadded_by_user noextern_learn nosticky`.
    ///
    /// Bulk deletion needs Linux 5.19; an older kernel refuses the request
    /// (no MAC given) and the entries are then deleted one by one.
    /// Returns how it was done, and the count when it is known.
    @discardableResult
    public func flushLearned(bridgeIndex: Int32) throws -> FlushResult {
        do {
            try connection.execute(Self.flushRequest(bridgeIndex: bridgeIndex), operation: "RTM_DELNEIGH", object: "bridge \(bridgeIndex) (bulk)")
            return .bulk
        } catch let error as NetlinkError where error.errno == EINVAL || error.errno == EOPNOTSUPP {
            var removed = 0
            for entry in try entries(bridgeIndex: bridgeIndex) where entry.isLearned {
                try delete(entry)
                removed += 1
            }
            return .oneByOne(removed)
        }
    }

    /// Entries with any of these flags or states are someone's, not learned:
    /// added by hand (NTF_USE marks that in a flush; dumps do not show it),
    /// by a controller (extern_learn), sticky; static (NOARP) or permanent.
    static let keptFlags = UInt8(NTF_USE | NTF_EXT_LEARNED | NTF_STICKY)
    static let keptStates = UInt16(NUD_NOARP | NUD_PERMANENT)

    static func flushRequest(bridgeIndex: Int32) -> NetlinkRequest {
        var request = NetlinkRequest(type: UInt16(RTM_DELNEIGH), flags: UInt16(NLM_F_BULK))
        var header = ndmsg()
        header.ndm_family = UInt8(AF_BRIDGE)
        header.ndm_ifindex = bridgeIndex
        header.ndm_flags = UInt8(NTF_SELF)
        request.append(header: header)
        // Match only entries whose masked flags and state bits are all clear.
        request.attribute(UInt16(NDA_NDM_FLAGS_MASK), u8: keptFlags)
        request.attribute(UInt16(NDA_NDM_STATE_MASK), u16: keptStates)
        return request
    }

    /// How `flushLearned` removed the entries.
    public enum FlushResult: Equatable, Sendable {
        /// One bulk request (Linux 5.19+); the kernel does not say how many.
        case bulk
        /// Entry by entry, on an older kernel.
        case oneByOne(Int)
    }

    static func decode(_ message: NetlinkMessage) throws(NetlinkDecodeError) -> FDBEntry? {
        guard message.type == UInt16(RTM_NEWNEIGH) else { return nil }
        let header = try message.header(as: ndmsg.self, context: "ndmsg")
        guard header.ndm_family == UInt8(AF_BRIDGE) else { return nil }
        var mac: MACAddress?
        var bridgeIndex: Int32?
        var vlan: UInt16?
        try message.forEachAttribute(after: MemoryLayout<ndmsg>.size, context: "RTM_NEWNEIGH") { attribute throws(NetlinkDecodeError) in
            switch attribute.type {
            case UInt16(NDA_LLADDR): mac = MACAddress(bytes: attribute.value)
            case UInt16(NDA_MASTER): bridgeIndex = try attribute.i32()
            case UInt16(NDA_VLAN): vlan = try attribute.u16()
            default: break
            }
        }
        guard let mac else { return nil }
        var entry = FDBEntry(mac: mac, portIndex: header.ndm_ifindex, state: header.ndm_state, flags: header.ndm_flags)
        entry.bridgeIndex = bridgeIndex
        entry.vlan = vlan
        return entry
    }
}
