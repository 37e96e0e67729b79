import Glibc
import CLinuxNet
import HanetNetlink

/// Reads and changes links over rtnetlink, inside one network namespace.
///
/// Each public operation names its `ip` equivalent. Links are addressed by
/// name (ifindex 0 + IFLA_IFNAME), so a request never acts on a different
/// link that reused a stale index.
public final class LinkManager {
    /// The rtnetlink connection every request goes through.
    public let connection: NetlinkConnection

    /// Uses an open rtnetlink (`NETLINK_ROUTE`) connection; tests pass one
    /// over a fake kernel.
    public init(connection: NetlinkConnection) {
        self.connection = connection
    }

    /// Opens a rtnetlink socket inside `namespace`. Every wait for the
    /// kernel's answer ends at `timeout` (default: 5 s per reply), as a
    /// `NetlinkError` with ETIMEDOUT naming the request.
    public convenience init(namespace: NetworkNamespace = .current, timeout: NetlinkTimeout = .default) throws(NetlinkError) {
        self.init(connection: try NetlinkConnection(bus: NetlinkConstants.route, namespace: namespace, timeout: timeout))
    }

    // MARK: reading

    /// All links, in one dump. Equivalent to: `ip -d link show`.
    public func list() throws -> [Link] {
        var request = NetlinkRequest(type: UInt16(RTM_GETLINK), flags: 0)
        request.append(header: ifinfomsg())
        // Skip VF statistics: they can make one link's message huge.
        request.attribute(IFLA.extMask, u32: UInt32(RTEXT_FILTER_SKIP_STATS))
        return try connection.dump(request, operation: "RTM_GETLINK").compactMap { try Link(message: $0) }
    }

    /// The ports of one bridge or bond, filtered by the kernel (IFLA_MASTER
    /// in the dump request): a host with a thousand guests does not send
    /// every other link too. Equivalent to: `ip -d link show master MASTER`.
    public func ports(ofMasterIndex master: Int32) throws -> [Link] {
        var request = NetlinkRequest(type: UInt16(RTM_GETLINK), flags: 0)
        request.append(header: ifinfomsg())
        request.attribute(IFLA.extMask, u32: UInt32(RTEXT_FILTER_SKIP_STATS))
        request.attribute(IFLA.master, u32: UInt32(bitPattern: master))
        // Older kernels ignore the filter: keep the check here as well.
        return try connection.dump(request, operation: "RTM_GETLINK", object: "master \(master)")
            .compactMap { try Link(message: $0) }.filter { $0.masterIndex == master }
    }

    /// One link by name, or nil when it does not exist. Equivalent to: `ip -d link show NAME`.
    public func link(named name: InterfaceName) throws -> Link? {
        var request = NetlinkRequest(type: UInt16(RTM_GETLINK), flags: 0)
        request.append(header: ifinfomsg())
        request.attribute(IFLA.extMask, u32: UInt32(RTEXT_FILTER_SKIP_STATS))
        request.attribute(IFLA.ifname, string: name.value)
        do {
            return try Link(message: try connection.get(request, operation: "RTM_GETLINK", object: name.value))
        } catch let error as NetlinkError where error.errno == ENODEV {
            return nil
        }
    }

    /// One link by ifindex, or nil.
    public func link(index: Int32) throws -> Link? {
        var request = NetlinkRequest(type: UInt16(RTM_GETLINK), flags: 0)
        var header = ifinfomsg()
        header.ifi_index = index
        request.append(header: header)
        request.attribute(IFLA.extMask, u32: UInt32(RTEXT_FILTER_SKIP_STATS))
        do {
            return try Link(message: try connection.get(request, operation: "RTM_GETLINK", object: "ifindex \(index)"))
        } catch let error as NetlinkError where error.errno == ENODEV {
            return nil
        }
    }

    // MARK: creating and deleting

    /// Creates a link. Equivalent to: `ip link add [link PARENT] NAME [address MAC] [mtu N] type KIND ...`.
    public func add(_ name: InterfaceName, kind: LinkKind, parent: InterfaceName? = nil,
                    mac: MACAddress? = nil, mtu: UInt32? = nil) throws {
        var parentIndex: Int32?
        if let parent {
            guard let parentLink = try link(named: parent) else {
                throw NetlinkError(operation: "RTM_NEWLINK", object: name.value, errno: ENODEV,
                                   kernelMessage: "parent interface \(parent) does not exist")
            }
            parentIndex = parentLink.index
        }
        let request = Self.addRequest(name, kind: kind, parentIndex: parentIndex, mac: mac, mtu: mtu)
        try connection.execute(request, operation: "RTM_NEWLINK", object: name.value)
    }

    /// The RTM_NEWLINK that creates a link, attributes in iproute2's order.
    static func addRequest(_ name: InterfaceName, kind: LinkKind, parentIndex: Int32?, mac: MACAddress?, mtu: UInt32?) -> NetlinkRequest {
        var request = NetlinkRequest(type: UInt16(RTM_NEWLINK), flags: NetlinkConstants.create | NetlinkConstants.excl)
        request.append(header: ifinfomsg())
        if let parentIndex { request.attribute(IFLA.link, u32: UInt32(bitPattern: parentIndex)) }
        request.attribute(IFLA.ifname, string: name.value)
        if let mac { request.attribute(IFLA.address, bytes: mac.array) }
        if let mtu { request.attribute(IFLA.mtu, u32: mtu) }
        kind.encode(into: &request)
        return request
    }

    /// Changes kind-specific options of an existing link.
    /// Equivalent to: `ip link set NAME type KIND OPTIONS`.
    public func modify(_ name: InterfaceName, kind: LinkKind) throws {
        var request = Self.linkRequest(UInt16(RTM_NEWLINK), flags: 0, name: name)
        kind.encode(into: &request)
        try connection.execute(request, operation: "RTM_NEWLINK", object: name.value)
    }

    /// Equivalent to: `ip link delete NAME`.
    public func delete(_ name: InterfaceName) throws {
        let request = Self.linkRequest(UInt16(RTM_DELLINK), flags: 0, name: name)
        try connection.execute(request, operation: "RTM_DELLINK", object: name.value)
    }

    // MARK: changing attributes

    /// Equivalent to: `ip link set NAME master MASTER` (or `nomaster` when nil).
    public func setMaster(_ name: InterfaceName, master: InterfaceName?) throws {
        var masterIndex: Int32 = 0
        if let master {
            guard let masterLink = try link(named: master) else {
                throw NetlinkError(operation: "RTM_NEWLINK", object: name.value, errno: ENODEV,
                                   kernelMessage: "master \(master) does not exist")
            }
            masterIndex = masterLink.index
        }
        var request = Self.linkRequest(UInt16(RTM_NEWLINK), flags: 0, name: name)
        request.attribute(IFLA.master, u32: UInt32(bitPattern: masterIndex))
        try connection.execute(request, operation: "RTM_NEWLINK", object: name.value)
    }

    /// Sets or clears flags in one request. Only the bits in `mask` change.
    public func setFlags(_ name: InterfaceName, _ flags: LinkFlags, mask: LinkFlags) throws {
        let request = Self.linkRequest(UInt16(RTM_NEWLINK), flags: 0, name: name,
                                       ifiFlags: flags.intersection(mask).rawValue, change: mask.rawValue)
        try connection.execute(request, operation: "RTM_NEWLINK", object: name.value)
    }

    /// Equivalent to: `ip link set NAME up` / `down`.
    public func setUp(_ name: InterfaceName, _ up: Bool) throws {
        try setFlags(name, up ? .up : [], mask: .up)
    }

    /// Equivalent to: `ip link set NAME arp on|off`.
    public func setARP(_ name: InterfaceName, _ on: Bool) throws {
        try setFlags(name, on ? [] : .noARP, mask: .noARP)
    }

    /// Equivalent to: `ip link set NAME multicast on|off`.
    public func setMulticast(_ name: InterfaceName, _ on: Bool) throws {
        try setFlags(name, on ? .multicast : [], mask: .multicast)
    }

    /// Equivalent to: `ip link set NAME address MAC`.
    public func setMAC(_ name: InterfaceName, _ mac: MACAddress) throws {
        var request = Self.linkRequest(UInt16(RTM_NEWLINK), flags: 0, name: name)
        request.attribute(IFLA.address, bytes: mac.array)
        try connection.execute(request, operation: "RTM_NEWLINK", object: name.value)
    }

    /// Equivalent to: `ip link set NAME mtu N`.
    public func setMTU(_ name: InterfaceName, _ mtu: UInt32) throws {
        var request = Self.linkRequest(UInt16(RTM_NEWLINK), flags: 0, name: name)
        request.attribute(IFLA.mtu, u32: mtu)
        try connection.execute(request, operation: "RTM_NEWLINK", object: name.value)
    }

    /// Equivalent to: `ip link set NAME alias TEXT` (empty text removes it).
    /// hanet records ownership here: it survives an agent crash, is visible
    /// to administrators in `ip link`, and vanishes with the link or a reboot.
    public func setAlias(_ name: InterfaceName, _ alias: String) throws {
        var request = Self.linkRequest(UInt16(RTM_NEWLINK), flags: 0, name: name)
        // The kernel deletes the alias for a zero-length attribute, so no NUL.
        request.attribute(IFLA.ifalias, bytes: Array(alias.utf8))
        try connection.execute(request, operation: "RTM_NEWLINK", object: name.value)
    }

    // MARK: helpers

    static func linkRequest(_ type: UInt16, flags: UInt16, name: InterfaceName,
                            ifiFlags: UInt32 = 0, change: UInt32 = 0) -> NetlinkRequest {
        var request = NetlinkRequest(type: type, flags: flags)
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_UNSPEC)
        header.ifi_flags = ifiFlags
        header.ifi_change = change
        request.append(header: header)
        request.attribute(IFLA.ifname, string: name.value)
        return request
    }
}
