import Glibc
import CLinuxNet
import HanetNetlink

extension LinkManager {
    /// The IPv4 and IPv6 addresses of one interface: one dump of both
    /// families. Equivalent to: `ip addr show dev NAME`.
    public func addresses(ofIndex index: Int32) throws -> [InterfaceAddress] {
        try addresses(ofIndexes: [index])
    }

    /// The addresses of several interfaces from one dump: without
    /// NETLINK_GET_STRICT_CHK the kernel dumps every interface's addresses
    /// whatever ifa_index says, so asking per interface would dump it all
    /// again each time.
    public func addresses(ofIndexes indexes: Set<Int32>) throws -> [InterfaceAddress] {
        var request = NetlinkRequest(type: UInt16(RTM_GETADDR), flags: 0)
        var header = ifaddrmsg()
        header.ifa_family = UInt8(AF_UNSPEC)
        if indexes.count == 1, let only = indexes.first { header.ifa_index = UInt32(bitPattern: only) }
        request.append(header: header)
        return try connection.dump(request, operation: "RTM_GETADDR", object: "ifindex " + indexes.sorted().map(String.init).joined(separator: ","))
            .compactMap { try InterfaceAddress(message: $0) }.filter { indexes.contains($0.interfaceIndex) }
    }

    /// Puts `address` on the interface `index` (its own `interfaceIndex` is
    /// ignored), with its flags, scope, label, broadcast and lifetimes.
    /// `extraFlags` are added to its own (IFA_F_NODAD for an address that is
    /// moving, hence already known unique on the link). Without `replace`
    /// an address already there is EEXIST. Equivalent to: `ip addr add|replace
    /// ADDRESS/LEN dev NAME [label L] [broadcast B] [valid_lft V preferred_lft P] [nodad]`.
    public func addAddress(_ address: InterfaceAddress, toIndex index: Int32, label: String? = nil,
                           extraFlags: UInt32 = 0, replace: Bool = false) throws {
        let request = Self.newAddressRequest(address, index: index, label: label, extraFlags: extraFlags, replace: replace)
        try connection.execute(request, operation: "RTM_NEWADDR", object: "\(address) ifindex \(index)")
    }

    /// For golden tests: the RTM_NEWADDR `addAddress` sends.
    static func addressRequestForTesting(_ address: InterfaceAddress, index: Int32, label: String?) -> NetlinkRequest {
        newAddressRequest(address, index: index, label: label, extraFlags: 0, replace: false)
    }

    static func newAddressRequest(_ address: InterfaceAddress, index: Int32, label: String?, extraFlags: UInt32,
                                  replace: Bool) -> NetlinkRequest {
        let flags = NetlinkConstants.create | (replace ? NetlinkConstants.replace : NetlinkConstants.excl)
        var request = Self.addressRequest(UInt16(RTM_NEWADDR), flags: flags, address, index: index)
        // Only the flags a request may set (the rest are the kernel's state:
        // TENTATIVE, DADFAILED, SECONDARY...).
        let settable = UInt32(IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN)
        request.attribute(UInt16(IFA_FLAGS), u32: (address.flags & settable) | extraFlags)
        if let label { request.attribute(UInt16(IFA_LABEL), string: label) }
        if let broadcast = address.broadcast, address.family == AF_INET { request.attribute(UInt16(IFA_BROADCAST), bytes: broadcast) }
        if let priority = address.routePriority { request.attribute(UInt16(IFA_RT_PRIORITY), u32: priority) }
        if !address.isPermanent, let valid = address.validLifetime {
            var info = ifa_cacheinfo()
            info.ifa_valid = valid
            info.ifa_prefered = address.preferredLifetime ?? valid
            request.attribute(UInt16(IFA_CACHEINFO), bytes: withUnsafeBytes(of: info) { Array($0) })
        }
        return request
    }

    /// Removes `address` from the interface `index`; false when it was not
    /// there (EADDRNOTAVAIL): a second removal is not an error.
    /// Equivalent to: `ip addr del ADDRESS/LEN dev NAME`.
    @discardableResult
    public func deleteAddress(_ address: InterfaceAddress, fromIndex index: Int32) throws -> Bool {
        let request = Self.addressRequest(UInt16(RTM_DELADDR), flags: 0, address, index: index)
        do {
            try connection.execute(request, operation: "RTM_DELADDR", object: "\(address) ifindex \(index)")
            return true
        } catch let error as NetlinkError where error.errno == EADDRNOTAVAIL || error.errno == ENOENT {
            return false
        }
    }

    static func addressRequest(_ type: UInt16, flags: UInt16, _ address: InterfaceAddress, index: Int32) -> NetlinkRequest {
        var request = NetlinkRequest(type: type, flags: flags)
        var header = ifaddrmsg()
        header.ifa_family = UInt8(address.family)
        header.ifa_prefixlen = address.prefixLength
        header.ifa_scope = address.scope
        header.ifa_index = UInt32(bitPattern: index)
        request.append(header: header)
        request.attribute(UInt16(IFA_LOCAL), bytes: address.bytes)
        request.attribute(UInt16(IFA_ADDRESS), bytes: address.peer ?? address.bytes)
        return request
    }
}
