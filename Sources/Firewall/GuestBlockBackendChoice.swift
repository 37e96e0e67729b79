import Netlink

/// Which firewall implementation blocks guests, and why.
///
/// `auto` must decide without side effects: reading a legacy table with
/// libiptc creates it (after which iptables-nft warns on every call), so
/// legacy use is detected from /proc, and nf_tables from a read-only query.
public enum GuestBlockBackendChoice: String, CaseIterable, Sendable {
    case auto, nftables, iptables

    public struct Selection {
        public let backend: GuestBlockBackend
        public let reason: String
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    public func select(namespace: NetworkNamespace = .current) throws -> Selection {
        switch self {
        case .nftables:
            guard NFTablesBackend.isAvailable(namespace: namespace) else {
                throw Unavailable(description: "backend=nftables but this kernel has no nf_tables support")
            }
            return Selection(backend: NFTablesBackend(connection: try NetlinkConnection(bus: NetlinkConstants.netfilter, namespace: namespace)),
                             reason: "backend=nftables")
        case .iptables:
            return Selection(backend: IPTablesBackend(namespace: namespace), reason: "backend=iptables")
        case .auto:
            if NFTablesBackend.isAvailable(namespace: namespace) {
                return Selection(backend: NFTablesBackend(connection: try NetlinkConnection(bus: NetlinkConstants.netfilter, namespace: namespace)),
                                 reason: "auto: nf_tables is available (a bridge-family table needs no br_netfilter)")
            }
            if IPTablesBackend.legacyTablesInUse(namespace: namespace) {
                return Selection(backend: IPTablesBackend(namespace: namespace),
                                 reason: "auto: no nf_tables; legacy iptables tables are in use")
            }
            throw Unavailable(description: "auto: neither nf_tables nor legacy iptables is available in this kernel")
        }
    }
}
