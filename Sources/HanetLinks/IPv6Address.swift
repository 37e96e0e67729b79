import Glibc

/// An IPv6 address (for ns_ip6_target), parsed and printed by the C
/// library so every spelling `ip` accepts (`2001:db8::1`, `::ffff:192.0.2.1`)
/// means the same here.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The sixteen octets in network order, as `IFLA_BOND_NS_IP6_TARGET` carries them.
    public let bytes: [UInt8]

    /// From exactly sixteen bytes in network order; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Text form only (no brackets, no `/prefix`, no `%zone`); nil otherwise.
    public init?(parsing text: String) {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        bytes = withUnsafeBytes(of: &address) { Array($0) }
    }

    /// False for `::`, `::1` and multicast (`ff00::/8`), which the bonding
    /// driver refuses as NS targets (bond_is_ip6_target_ok) with a bare EINVAL.
    public var isUsableNSTarget: Bool {
        let unspecified = bytes.allSatisfy { $0 == 0 }
        let loopback = bytes.dropLast().allSatisfy { $0 == 0 } && bytes[15] == 1
        return !unspecified && !loopback && bytes[0] != 0xff
    }

    /// The shortest form, as `ip` prints it (`2001:db8::1`).
    public var description: String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(cString: buffer)
    }
}
