import HanetNetlink

/// Which firewall implementation blocks guests, and why.
///
/// `auto` must decide without side effects: reading a legacy table with
/// libiptc creates it (after which iptables-nft warns on every call), so
/// legacy use is detected from /proc, and nf_tables from a read-only query.
public enum GuestBlockBackendChoice: String, CaseIterable, Sendable {
    /// The `backend` parameter's values. `auto` takes nf_tables when the
    /// kernel has it, else iptables-legacy when legacy tables are already in
    /// use; `nftables` and `iptables` force one.
    case auto, nftables, iptables

    /// The backend chosen, and why.
    public struct Selection {
        /// Ready to use: the nftables backend reuses the socket the probe opened.
        public let backend: GuestBlockBackend
        /// One line for the log: `auto: nf_tables is available (...)`.
        public let reason: String
    }

    /// No backend can work here (or the one asked for cannot); the
    /// description says which and why.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// One netfilter socket serves both the availability probe and the
    /// backend: this runs on every monitor call. Its waits for the
    /// kernel's replies end at `timeout` (the agent's action deadline).
    public func select(namespace: NetworkNamespace = .current, timeout: NetlinkTimeout = .default) throws -> Selection {
        func nftables() -> NFTablesBackend? {
            guard let connection = try? NetlinkConnection(bus: NetlinkConstants.netfilter, namespace: namespace, timeout: timeout),
                  NFTablesBackend.isAvailable(connection: connection) else { return nil }
            return NFTablesBackend(connection: connection, namespace: namespace)
        }
        switch self {
        case .nftables:
            guard let backend = nftables() else {
                throw Unavailable(description: "backend=nftables but this kernel has no nf_tables support")
            }
            return Selection(backend: backend, reason: "backend=nftables")
        case .iptables:
            return Selection(backend: IPTablesBackend(namespace: namespace), reason: "backend=iptables")
        case .auto:
            if let backend = nftables() {
                return Selection(backend: backend,
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
