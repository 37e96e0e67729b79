/// The typed kind of a link (IFLA_INFO_KIND plus its IFLA_INFO_DATA).
public enum LinkKind: Equatable, Sendable {
    case bridge(Bridge)
    case bond(Bond)
    case vlan(Vlan)
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

    public var bridge: Bridge? { if case .bridge(let b) = self { return b } else { return nil } }
    public var bond: Bond? { if case .bond(let b) = self { return b } else { return nil } }
    public var vlan: Vlan? { if case .vlan(let v) = self { return v } else { return nil } }
}
