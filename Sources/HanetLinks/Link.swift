/// A network interface as the kernel reports it (one RTM_NEWLINK).
///
/// One shared attribute set for every link plus a typed `kind`, in the
/// style of vishvananda/netlink's LinkAttrs; no sentinels: unknown is nil.
public struct Link: Equatable, Sendable, CustomStringConvertible {
    public var index: Int32
    public var name: InterfaceName
    public var mac: MACAddress?
    public var mtu: UInt32?
    public var flags: LinkFlags
    public var operState: OperState?
    /// IFLA_CARRIER: physical link; nil when the driver does not say.
    public var carrier: Bool?
    /// ifindex of the bridge or bond this link is a port of.
    public var masterIndex: Int32?
    /// IFLA_LINK: the lower device (a VLAN's parent, a veth's peer index).
    public var parentIndex: Int32?
    /// Set when the parent/peer is in another namespace.
    public var parentNetnsID: Int32?
    public var kind: LinkKind?
    /// IFLA_INFO_SLAVE_KIND: "bond" or "bridge" when enslaved.
    public var slaveKind: String?
    public var bondSlave: BondSlaveState?
    public var alias: String?

    public init(index: Int32, name: InterfaceName, flags: LinkFlags = []) {
        self.index = index
        self.name = name
        self.flags = flags
    }

    public var isUp: Bool { flags.contains(.up) }
    /// Link is up and the driver has carrier: it can pass traffic.
    public var hasCarrier: Bool { carrier ?? flags.contains(.lowerUp) }
    public var guestPort: GuestPort? { GuestPort(name: name.value) }

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
