import Glibc
import CLinuxNet
import HanetNetlink

extension LinkManager {
    /// The IPv4 and IPv6 addresses of one interface: one dump of both
    /// families. Equivalent to: `ip addr show dev NAME`.
    public func addresses(ofIndex index: Int32) throws -> [InterfaceAddress] {
        var request = NetlinkRequest(type: UInt16(RTM_GETADDR), flags: 0)
        var header = ifaddrmsg()
        header.ifa_family = UInt8(AF_UNSPEC)
        header.ifa_index = UInt32(bitPattern: index)
        request.append(header: header)
        // Without NETLINK_GET_STRICT_CHK the kernel dumps every interface's
        // addresses whatever ifa_index says: keep the one asked for.
        return try connection.dump(request, operation: "RTM_GETADDR", object: "ifindex \(index)")
            .compactMap { try InterfaceAddress(message: $0) }.filter { $0.interfaceIndex == index }
    }
}
