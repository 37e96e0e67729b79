/// One entry of a bridge's forwarding database (`bridge fdb show`).
public struct FDBEntry: Equatable, Sendable, CustomStringConvertible {
    /// `NDA_LLADDR`: the address frames are forwarded for.
    public var mac: MACAddress
    /// The port the MAC was learned or configured on.
    public var portIndex: Int32
    /// The bridge (NDA_MASTER), when the kernel reports it.
    public var bridgeIndex: Int32?
    /// `NDA_VLAN`: the VLAN the entry belongs to on a VLAN-filtering bridge; nil otherwise.
    public var vlan: UInt16?
    /// NUD state bits (NUD_PERMANENT, NUD_NOARP = static, NUD_REACHABLE/STALE = learned).
    public var state: UInt16
    /// NTF_* flags (NTF_SELF, NTF_MASTER, NTF_EXT_LEARNED...).
    public var flags: UInt8

    /// Learned by the bridge from traffic, as opposed to a port's own
    /// address or an entry an administrator added. Only these are safe to
    /// flush: the bridge relearns them from the next frame.
    public var isDynamic: Bool { state & BridgeFDB.keptStates == 0 }

    /// What `flushLearned` removes. A hand-added dynamic entry looks learned
    /// in a dump; only the bulk request's own filter can spare it.
    public var isLearned: Bool { isDynamic && flags & BridgeFDB.keptFlags == 0 }

    /// An entry as read back; `BridgeFDB.delete` uses its `mac`, `portIndex`,
    /// `vlan` and `state`.
    public init(mac: MACAddress, portIndex: Int32, bridgeIndex: Int32? = nil, vlan: UInt16? = nil, state: UInt16, flags: UInt8) {
        self.mac = mac
        self.portIndex = portIndex
        self.bridgeIndex = bridgeIndex
        self.vlan = vlan
        self.state = state
        self.flags = flags
    }

    /// `02:00:00:00:00:11 port 7 vlan 10`, with ` static` for entries that are not dynamic.
    public var description: String {
        "\(mac) port \(portIndex)" + (vlan.map { " vlan \($0)" } ?? "") + (isDynamic ? "" : " static")
    }
}
