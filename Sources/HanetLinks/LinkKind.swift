/// The typed kind of a link (IFLA_INFO_KIND plus its IFLA_INFO_DATA).
public enum LinkKind: Equatable, Sendable {
    /// `bridge`, with its options.
    case bridge(Bridge)
    /// `bond`, with its options and (read back) 802.3ad state.
    case bond(Bond)
    /// `vlan`: an 802.1Q (or 802.1ad) sub-interface of `Link.parentIndex`.
    case vlan(Vlan)
    /// `veth`: one end of a pair.
    case veth(Veth)
    /// Any kind hanet does not model (tun, vxlan, ...), by kernel name.
    case other(String)

    /// The kind string the kernel uses in IFLA_INFO_KIND.
    public var kernelName: String {
        switch self {
        case .bridge: return "bridge"
        case .bond: return "bond"
        case .vlan: return "vlan"
        case .veth: return "veth"
        case .other(let name): return name
        }
    }

    /// The bridge options, or nil for another kind.
    public var bridge: Bridge? { if case .bridge(let b) = self { return b } else { return nil } }
    /// The bond options, or nil for another kind.
    public var bond: Bond? { if case .bond(let b) = self { return b } else { return nil } }
    /// The VLAN, or nil for another kind.
    public var vlan: Vlan? { if case .vlan(let v) = self { return v } else { return nil } }
}
