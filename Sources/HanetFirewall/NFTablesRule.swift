import HanetNetlink

/// One rule of one of our chains: its expressions, in order.
public struct NFTablesRule: Equatable, Sendable, CustomStringConvertible {
    /// `NFTA_RULE_CHAIN`: `from_guests` or `to_guests` for ours.
    public var chain: String
    /// `NFTA_RULE_EXPRESSIONS`, in evaluation order.
    public var expressions: [NFTablesExpression]

    /// A rule of `chain`, as rendered or read back.
    public init(chain: String, expressions: [NFTablesExpression]) {
        self.chain = chain
        self.expressions = expressions
    }

    /// nft syntax: `meta ibrname "br0" iifname "vif*" drop`.
    public var description: String { NFTablesExpression.describe(expressions) }

    // MARK: wire

    /// NFT_MSG_NEWRULE attributes in nft's order: table, chain, expressions.
    func encode(table: String, into request: inout NetlinkRequest) {
        typealias K = NFTablesConstants
        request.attribute(K.ruleTable, string: table)
        request.attribute(K.ruleChain, string: chain)
        request.nest(K.ruleExpressions) { list in
            for expression in expressions { expression.encode(into: &list) }
        }
    }

    /// Decodes the attributes of an NFT_MSG_NEWRULE reply.
    static func decode(_ attributes: NetlinkAttributes) throws(NetlinkDecodeError) -> (table: String, rule: NFTablesRule) {
        typealias K = NFTablesConstants
        guard let table = attributes[K.ruleTable], let chain = attributes[K.ruleChain] else {
            throw NetlinkDecodeError("nf_tables rule", "missing NFTA_RULE_TABLE or NFTA_RULE_CHAIN")
        }
        var expressions: [NFTablesExpression] = []
        if let list = attributes[K.ruleExpressions] {
            for element in try list.nested() {
                guard element.type == K.listElement else {
                    throw NetlinkDecodeError("nf_tables rule expressions", "unexpected attribute \(element.type) in NFTA_RULE_EXPRESSIONS")
                }
                expressions.append(try NFTablesExpression.decode(element))
            }
        }
        return (try table.string(), NFTablesRule(chain: try chain.string(), expressions: expressions))
    }
}
