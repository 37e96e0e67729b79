/// What one `NFTablesBackend.install` put into the kernel, for the agent's log.
public struct NFTablesBlockResult: Equatable, Sendable, CustomStringConvertible {
    /// `hanet_<ownerTag>` in the bridge family.
    public var table: String
    /// Whether rules are scoped to the policy's bridges or match port names only.
    public var match: NFTablesMatch
    /// Rules installed over both chains.
    public var rules: Int
    /// Bytes of the transaction (one datagram).
    public var bytes: Int

    /// What `install` reports; `bytes` is 0 when nothing had to be sent.
    public init(table: String, match: NFTablesMatch, rules: Int, bytes: Int) {
        self.table = table
        self.match = match
        self.rules = rules
        self.bytes = bytes
    }

    /// "bridge scoping unavailable on this kernel ..." when the block fell back.
    public var note: String? { match.note }

    public var description: String {
        "table bridge \(table): \(rules) rules, match \(match.rawValue)" + (note.map { " (\($0))" } ?? "")
    }
}
