/// How the block tells a guest's traffic apart: by bridge and port, or by
/// port name alone.
///
/// `meta ibrname`/`obrname` need the kernel's nft_meta_bridge
/// (CONFIG_NFT_BRIDGE_META, in Debian's stock kernel). Without it the kernel
/// rejects those rules with EOPNOTSUPP, and the block falls back to matching
/// guest port names on every bridge, which still blocks every guest (the
/// patterns are the same) but also ports of that name on other bridges.
public enum NFTablesMatch: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `meta ibrname "br0" iifname "vif*" drop`: only the named bridges.
    case bridgeAndPort = "bridge+port"
    /// `iifname "vif*" drop`: guest ports by name on all bridges.
    case portOnly = "port"

    public var description: String { rawValue }

    /// A line for the agent's log when the block could not be scoped.
    public var note: String? {
        switch self {
        case .bridgeAndPort: return nil
        case .portOnly: return "bridge scoping unavailable on this kernel (no nft_meta_bridge): matching guest ports by name on all bridges"
        }
    }
}
