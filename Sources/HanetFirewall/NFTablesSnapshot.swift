/// What `inspect` read back from the kernel for our table: the table, the
/// chains we asked for by name (absent ones are missing here), and every rule
/// of the table in the kernel's order.
public struct NFTablesSnapshot: Equatable, Sendable {
    /// The table's name, flags (dormant), use count and comment.
    public var table: NFTablesTable
    /// Those of our two chains that exist.
    public var chains: [NFTablesChain]
    /// Every rule of the table, both chains, in the kernel's order.
    public var rules: [NFTablesRule]

    /// A snapshot as read back (or built by a test).
    public init(table: NFTablesTable, chains: [NFTablesChain], rules: [NFTablesRule]) {
        self.table = table
        self.chains = chains
        self.rules = rules
    }
}
