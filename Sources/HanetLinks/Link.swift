/// A network interface as the kernel reports it (one RTM_NEWLINK).
///
/// One shared attribute set for every link plus a typed `kind`, in the
/// style of vishvananda/netlink's LinkAttrs; no sentinels: unknown is nil.
public struct Link: Equatable, Sendable, CustomStringConvertible {
    /// The ifindex (`ifi_index`): unique in the namespace while the link
    /// exists; the kernel may give it to a new link later.
    public var index: Int32
    /// `IFLA_IFNAME`.
    public var name: InterfaceName
    /// `IFLA_ADDRESS`; nil when the kernel reported none or one that is not
    /// 6 bytes long (a tun device has none).
    public var mac: MACAddress?
    /// `IFLA_MTU`; nil when the kernel did not report it.
    public var mtu: UInt32?
    /// `ifi_flags`: admin state (`up`), carrier (`lowerUp`) and the rest.
    public var flags: LinkFlags
    /// `IFLA_OPERSTATE` (RFC 2863), what `ip link` prints after `state`; nil
    /// when the kernel did not report it.
    public var operState: OperState?
    /// IFLA_CARRIER: physical link; nil when the driver does not say.
    public var carrier: Bool?
    /// ifindex of the bridge or bond this link is a port of.
    public var masterIndex: Int32?
    /// IFLA_LINK: the lower device (a VLAN's parent, a veth's peer index).
    public var parentIndex: Int32?
    /// Set when the parent/peer is in another namespace.
    public var parentNetnsID: Int32?
    /// `IFLA_INFO_KIND` with its options; nil for a link without a kind (a
    /// physical NIC, loopback).
    public var kind: LinkKind?
    /// IFLA_INFO_SLAVE_KIND: "bond" or "bridge" when enslaved.
    public var slaveKind: String?
    /// The port's state in its bond (`IFLA_INFO_SLAVE_DATA`); nil unless
    /// `slaveKind` is "bond".
    public var bondSlave: BondSlaveState?
    /// A bridge port's forwarding state, from IFLA_INFO_SLAVE_DATA.
    public var bridgePortState: BridgePortState?
    /// `IFLA_IFALIAS` (`ip link set NAME alias TEXT`), where hanet records ownership.
    public var alias: String?

    /// A link with only the header fields set; everything else is nil.
    public init(index: Int32, name: InterfaceName, flags: LinkFlags = []) {
        self.index = index
        self.name = name
        self.flags = flags
    }

    /// Administratively up (`IFF_UP`, `ip link set NAME up`); says nothing about carrier.
    public var isUp: Bool { flags.contains(.up) }
    /// The driver has carrier (`IFLA_CARRIER`, else `IFF_LOWER_UP`). `isUp`
    /// is not checked: a link passes traffic when both hold.
    public var hasCarrier: Bool { carrier ?? flags.contains(.lowerUp) }
    /// The virtual machine port this link is, recognised by name; nil for others.
    public var guestPort: GuestPort? { GuestPort(name: name.value) }

    /// One line in the style of `ip link`:
    /// `3: eth0 <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP> mtu 1500 state UP master 5 link/ether 02:00:00:00:00:01`.
    public var description: String {
        var text = "\(index): \(name)"
        if let kind { text += " (\(kind.kernelName))" }
        text += " <\(flags)>"
        if let mtu { text += " mtu \(mtu)" }
        if let operState { text += " state \(operState)" }
        if let masterIndex { text += " master \(masterIndex)" }
        if let mac { text += " link/ether \(mac)" }
        if let alias { text += " alias \"\(alias)\"" }
        return text
    }
}
