import Glibc
import CLinuxNet
import HanetNetlink

/// An IPv4 or IPv6 address on an interface, as RTM_GETADDR reports it.
///
/// Read so the bridge agent can tell an administrator that the host's own
/// address sits on a port of the bridge (seed 001's `network-bridge`
/// moved it): there IPv6 neighbour discovery for it stops and routes
/// through it bypass the bridge.
public struct InterfaceAddress: Equatable, Sendable, CustomStringConvertible {
    /// The interface's ifindex.
    public var interfaceIndex: Int32
    /// AF_INET or AF_INET6.
    public var family: Int32
    /// 4 or 16 bytes, network order.
    public var bytes: [UInt8]
    public var prefixLength: UInt8
    /// RT_SCOPE_UNIVERSE 0 (global), RT_SCOPE_LINK 253 (fe80::/10), RT_SCOPE_HOST 254 (loopback).
    public var scope: UInt8
    /// IFA_F_* (IFA_FLAGS when present: it carries the bits above 8).
    public var flags: UInt32

    public init(interfaceIndex: Int32, family: Int32, bytes: [UInt8], prefixLength: UInt8, scope: UInt8 = UInt8(RT_SCOPE_UNIVERSE.rawValue), flags: UInt32 = 0) {
        self.interfaceIndex = interfaceIndex
        self.family = family
        self.bytes = bytes
        self.prefixLength = prefixLength
        self.scope = scope
        self.flags = flags
    }

    /// Reachable beyond the link: what a host is known by.
    public var isGlobal: Bool { scope == UInt8(RT_SCOPE_UNIVERSE.rawValue) }

    /// `10.99.8.2/24`, `fd99:8::2/64`, as `ip addr` prints them.
    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) != nil }
        return (ok ? String(cString: text) : "?") + "/\(prefixLength)"
    }

    /// An RTM_NEWADDR message; nil for another message or family.
    public init?(message: NetlinkMessage) throws(NetlinkDecodeError) {
        guard message.type == UInt16(RTM_NEWADDR) else { return nil }
        let header = try message.header(as: ifaddrmsg.self, context: "ifaddrmsg")
        let family = Int32(header.ifa_family)
        guard family == AF_INET || family == AF_INET6 else { return nil }
        var address: [UInt8]?
        var local: [UInt8]?
        var flags = UInt32(header.ifa_flags)
        try message.forEachAttribute(after: MemoryLayout<ifaddrmsg>.size, context: "RTM_NEWADDR") { attribute throws(NetlinkDecodeError) in
            switch attribute.type {
            case UInt16(IFA_ADDRESS): address = Array(attribute.value)
            case UInt16(IFA_LOCAL): local = Array(attribute.value)
            case UInt16(IFA_FLAGS): flags = try attribute.u32()
            default: break
            }
        }
        // IPv4 reports the interface's own address as IFA_LOCAL (IFA_ADDRESS
        // is the peer on point-to-point links); IPv6 has IFA_ADDRESS only,
        // unless a peer is configured.
        guard let bytes = local ?? address, bytes.count == (family == AF_INET ? 4 : 16) else { return nil }
        self.init(interfaceIndex: Int32(bitPattern: header.ifa_index), family: family, bytes: bytes,
                  prefixLength: header.ifa_prefixlen, scope: header.ifa_scope, flags: flags)
    }
}
