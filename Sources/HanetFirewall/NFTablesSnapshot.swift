/// What `inspect` read back from the kernel for our table: the table, the
/// chains we asked for by name (absent ones are missing here), and every rule
/// of the table in the kernel's order.
public struct NFTablesSnapshot: Equatable, Sendable {
    public var table: NFTablesTable
    public var chains: [NFTablesChain]
    public var rules: [NFTablesRule]

    public init(table: NFTablesTable, chains: [NFTablesChain], rules: [NFTablesRule]) {
        self.table = table
        self.chains = chains
        self.rules = rules
    }
}
