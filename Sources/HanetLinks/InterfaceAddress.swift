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
    /// IPv4 IFA_LABEL (`eth0:1`); nil when the interface's own name.
    public var label: String?
    /// IPv4 IFA_BROADCAST.
    public var broadcast: [UInt8]?
    /// IFA_ADDRESS when it differs from IFA_LOCAL: a point-to-point peer.
    public var peer: [UInt8]?
    /// Seconds (IFA_CACHEINFO); nil or UInt32.max = forever.
    public var validLifetime: UInt32?
    public var preferredLifetime: UInt32?
    /// IFA_RT_PRIORITY: the metric of the prefix route the kernel makes for it.
    public var routePriority: UInt32?
    /// IFA_PROTO (Linux 6.1+): who made it; 1-3 are the kernel (lo, RA, link-local).
    public var addressProtocol: UInt8?

    public init(interfaceIndex: Int32, family: Int32, bytes: [UInt8], prefixLength: UInt8, scope: UInt8 = UInt8(RT_SCOPE_UNIVERSE.rawValue), flags: UInt32 = 0) {
        self.interfaceIndex = interfaceIndex
        self.family = family
        self.bytes = bytes
        self.prefixLength = prefixLength
        self.scope = scope
        self.flags = flags
    }

    /// The same address on whichever interface: what identifies it when it moves.
    public func sameAddress(as other: InterfaceAddress) -> Bool {
        family == other.family && bytes == other.bytes && prefixLength == other.prefixLength
    }

    /// IPv4 secondary (another address of the same subnet came first).
    public var isSecondary: Bool { flags & UInt32(IFA_F_SECONDARY) != 0 }

    /// Lifetimes count down: present only when finite.
    public var isPermanent: Bool { (validLifetime ?? UInt32.max) == UInt32.max }

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
        var label: String?
        var broadcast: [UInt8]?
        var lifetimes: (preferred: UInt32, valid: UInt32)?
        var routePriority: UInt32?
        var addressProtocol: UInt8?
        try message.forEachAttribute(after: MemoryLayout<ifaddrmsg>.size, context: "RTM_NEWADDR") { attribute throws(NetlinkDecodeError) in
            switch attribute.type {
            case UInt16(IFA_ADDRESS): address = Array(attribute.value)
            case UInt16(IFA_LOCAL): local = Array(attribute.value)
            case UInt16(IFA_FLAGS): flags = try attribute.u32()
            case UInt16(IFA_LABEL): label = try attribute.string()
            case UInt16(IFA_BROADCAST): broadcast = Array(attribute.value)
            case UInt16(IFA_RT_PRIORITY): routePriority = try attribute.u32()
            case UInt16(IFA_PROTO): addressProtocol = try attribute.u8()
            case UInt16(IFA_CACHEINFO) where attribute.value.count >= 8:
                // struct ifa_cacheinfo { ifa_prefered, ifa_valid, cstamp, tstamp }, host order.
                let v = Array(attribute.value)
                let word = { (i: Int) in v[i..<i + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
                lifetimes = (word(0), word(4))
            default: break
            }
        }
        // IPv4 reports the interface's own address as IFA_LOCAL (IFA_ADDRESS
        // is the peer on point-to-point links); IPv6 has IFA_ADDRESS only,
        // unless a peer is configured.
        guard let bytes = local ?? address, bytes.count == (family == AF_INET ? 4 : 16) else { return nil }
        self.init(interfaceIndex: Int32(bitPattern: header.ifa_index), family: family, bytes: bytes,
                  prefixLength: header.ifa_prefixlen, scope: header.ifa_scope, flags: flags)
        self.label = label
        self.routePriority = routePriority
        self.addressProtocol = addressProtocol
        self.broadcast = broadcast
        if let local, let address, local != address { peer = address }
        if let lifetimes {
            validLifetime = lifetimes.valid
            preferredLifetime = lifetimes.preferred
        }
    }
}
