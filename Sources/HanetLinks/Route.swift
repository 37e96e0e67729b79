import Glibc
import CLinuxNet
import HanetNetlink

/// One IPv4 or IPv6 route, as RTM_GETROUTE reports it and RTM_NEWROUTE
/// takes it back.
///
/// Read so the bridge agent can move the routes that use its uplink to the
/// bridge together with the host's address (seed 001's `network-bridge`
/// did): a route left on a bridge port sends around the bridge. Only what
/// is needed to re-create the route on another device is kept; the device
/// itself (`outputIndex`) is what changes.
public struct Route: Equatable, Sendable, CustomStringConvertible {
    /// AF_INET or AF_INET6.
    public var family: Int32
    /// Network order, 4 or 16 bytes; all zero for a default route.
    public var destination: [UInt8]
    public var destinationLength: UInt8
    /// IPv4 TOS (part of an IPv4 route's key).
    public var tos: UInt8 = 0
    /// RT_TABLE_MAIN 254, RT_TABLE_LOCAL 255, or any other (RTA_TABLE).
    public var table: UInt32 = UInt32(RT_TABLE_MAIN.rawValue)
    /// RTPROT_*: who made it (kernel 2, boot 3, static 4, ra 9, dhcp 16).
    public var `protocol`: UInt8 = UInt8(RTPROT_BOOT)
    /// RT_SCOPE_*.
    public var scope: UInt8 = UInt8(RT_SCOPE_UNIVERSE.rawValue)
    /// RTN_* (unicast 1, local 2, broadcast 3, ...).
    public var type: UInt8 = UInt8(RTN_UNICAST)
    /// rtm_flags as reported (RTNH_F_ONLINK, RTNH_F_LINKDOWN, RTM_F_CLONED...).
    public var flags: UInt32 = 0
    /// RTA_OIF.
    public var outputIndex: Int32?
    /// RTA_GATEWAY.
    public var gateway: [UInt8]?
    /// RTA_PREFSRC.
    public var preferredSource: [UInt8]?
    /// RTA_PRIORITY: the metric (`ip route ... metric N`).
    public var priority: UInt32?
    /// RTA_METRICS as sent (mtu, advmss, ...), copied unread.
    public var metrics: [UInt8]?
    /// RTA_PREF: an IPv6 router preference.
    public var preference: UInt8?
    /// RTA_MULTIPATH present: several nexthops, possibly on several devices.
    public var isMultipath = false

    public init(family: Int32, destination: [UInt8], destinationLength: UInt8) {
        self.family = family
        self.destination = destination
        self.destinationLength = destinationLength
    }

    /// Bytes of one address of this family.
    public var addressSize: Int { family == AF_INET ? 4 : 16 }

    /// Made by the kernel for an address (connected prefixes, local and
    /// broadcast routes, fe80::/64): it makes them again on the device
    /// that gets the address, so they are never copied.
    public var isKernelMade: Bool { `protocol` == UInt8(RTPROT_KERNEL) }

    /// Equal but for the device: the same route moved elsewhere.
    public func sameRoute(as other: Route) -> Bool {
        var a = self, b = other
        a.outputIndex = nil; b.outputIndex = nil
        // LINKDOWN/DEAD follow the device's carrier, not the route.
        a.flags &= Self.requestableFlags; b.flags &= Self.requestableFlags
        return a == b
    }

    /// The rtm_flags a request may carry: RTNH_F_ONLINK. The kernel refuses
    /// DEAD and LINKDOWN (they are state) with EINVAL.
    public static let requestableFlags = UInt32(RTNH_F_ONLINK)

    /// `default via 10.99.8.1 table 254 metric 100`, as `ip route` prints it.
    public var description: String {
        var text = destinationLength == 0 ? "default" : Self.text(destination, family) + "/\(destinationLength)"
        if let gateway { text += " via " + Self.text(gateway, family) }
        if let outputIndex { text += " ifindex \(outputIndex)" }
        if table != UInt32(RT_TABLE_MAIN.rawValue) { text += " table \(table)" }
        text += " proto \(`protocol`)"
        if scope != UInt8(RT_SCOPE_UNIVERSE.rawValue) { text += " scope \(scope)" }
        if let preferredSource { text += " src " + Self.text(preferredSource, family) }
        if let priority { text += " metric \(priority)" }
        return text
    }

    /// An address as `ip` prints it.
    public static func text(_ bytes: [UInt8], _ family: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) != nil }
        return ok ? String(cString: text) : "?"
    }

    /// An RTM_NEWROUTE message; nil for another message or family.
    public init?(message: NetlinkMessage) throws(NetlinkDecodeError) {
        guard message.type == UInt16(RTM_NEWROUTE) else { return nil }
        let header = try message.header(as: rtmsg.self, context: "rtmsg")
        let family = Int32(header.rtm_family)
        guard family == AF_INET || family == AF_INET6 else { return nil }
        let size = family == AF_INET ? 4 : 16
        var route = Route(family: family, destination: [UInt8](repeating: 0, count: size), destinationLength: header.rtm_dst_len)
        route.tos = header.rtm_tos
        route.table = UInt32(header.rtm_table)
        route.protocol = header.rtm_protocol
        route.scope = header.rtm_scope
        route.type = header.rtm_type
        route.flags = header.rtm_flags
        try message.forEachAttribute(after: MemoryLayout<rtmsg>.size, context: "RTM_NEWROUTE") { attribute throws(NetlinkDecodeError) in
            switch attribute.type {
            case UInt16(RTA_DST.rawValue) where attribute.value.count == size: route.destination = Array(attribute.value)
            case UInt16(RTA_TABLE.rawValue): route.table = try attribute.u32()
            case UInt16(RTA_OIF.rawValue): route.outputIndex = try attribute.i32()
            case UInt16(RTA_GATEWAY.rawValue) where attribute.value.count == size: route.gateway = Array(attribute.value)
            case UInt16(RTA_PREFSRC.rawValue) where attribute.value.count == size: route.preferredSource = Array(attribute.value)
            case UInt16(RTA_PRIORITY.rawValue): route.priority = try attribute.u32()
            case UInt16(RTA_METRICS.rawValue): route.metrics = Array(attribute.value)
            case UInt16(RTA_PREF.rawValue): route.preference = try attribute.u8()
            case UInt16(RTA_MULTIPATH.rawValue): route.isMultipath = true
            default: break
            }
        }
        self = route
    }

    /// The RTM_NEWROUTE / RTM_DELROUTE for this route on `outputIndex`,
    /// attributes in the order `ip route add DST via GW metric N dev DEV`
    /// sends them; a table above 255 goes in RTA_TABLE (rtm_table is a byte).
    public func request(_ messageType: UInt16, flags: UInt16) -> NetlinkRequest {
        var request = NetlinkRequest(type: messageType, flags: flags)
        var header = rtmsg()
        header.rtm_family = UInt8(family)
        header.rtm_dst_len = destinationLength
        header.rtm_tos = tos
        header.rtm_table = table < 256 ? UInt8(table) : UInt8(RT_TABLE_UNSPEC.rawValue)
        header.rtm_protocol = `protocol`
        header.rtm_scope = scope
        header.rtm_type = type
        header.rtm_flags = self.flags & Self.requestableFlags
        request.append(header: header)
        if destinationLength > 0 { request.attribute(UInt16(RTA_DST.rawValue), bytes: destination) }
        if let gateway { request.attribute(UInt16(RTA_GATEWAY.rawValue), bytes: gateway) }
        if let priority { request.attribute(UInt16(RTA_PRIORITY.rawValue), u32: priority) }
        if let preferredSource { request.attribute(UInt16(RTA_PREFSRC.rawValue), bytes: preferredSource) }
        if let outputIndex { request.attribute(UInt16(RTA_OIF.rawValue), u32: UInt32(bitPattern: outputIndex)) }
        if let metrics, messageType == UInt16(RTM_NEWROUTE) { request.attribute(UInt16(RTA_METRICS.rawValue), bytes: metrics) }
        if let preference, messageType == UInt16(RTM_NEWROUTE) { request.attribute(UInt16(RTA_PREF.rawValue), u8: preference) }
        if table > 255 { request.attribute(UInt16(RTA_TABLE.rawValue), u32: table) }
        return request
    }
}
