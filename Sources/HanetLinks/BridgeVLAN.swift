/// One VLAN on a port of a VLAN-filtering bridge (`bridge vlan show`).
public struct BridgeVLAN: Equatable, Sendable, CustomStringConvertible {
    /// 1-4094.
    public var id: UInt16
    /// Untagged frames arriving on the port belong to this VLAN.
    public var pvid: Bool
    /// Frames of this VLAN leave the port untagged.
    public var untagged: Bool

    public init(id: UInt16, pvid: Bool = false, untagged: Bool = false) {
        self.id = id
        self.pvid = pvid
        self.untagged = untagged
    }

    /// `10`, `1 PVID untagged`, as `bridge vlan show` prints it.
    public var description: String {
        "\(id)" + (pvid ? " PVID" : "") + (untagged ? " untagged" : "")
    }

    /// The valid VLAN ids (0 and 4095 are reserved by 802.1Q).
    public static let ids: ClosedRange<UInt16> = 1...4094
}
