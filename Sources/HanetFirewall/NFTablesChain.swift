import HanetNetlink

/// A chain of our table: what we render, and what we read back.
///
/// Only the properties that decide which packets reach the chain's rules
/// are modelled (hook, priority, type, policy); counters, handles and use
/// counts the kernel adds are ignored when comparing.
public struct NFTablesChain: Equatable, Sendable, CustomStringConvertible {
    /// Where a base chain is attached: hook number and priority.
    public struct Hook: Equatable, Sendable {
        /// NF_BR_PRE_ROUTING (0) or NF_BR_POST_ROUTING (4) for ours.
        public var number: UInt32
        /// `NFTA_HOOK_PRIORITY`: lower runs first; ours is -300 (`NFTablesRuleset.priority`).
        public var priority: Int32
        /// A hook by `NF_BR_*` number and priority.
        public init(number: UInt32, priority: Int32) {
            self.number = number
            self.priority = priority
        }
    }

    /// `NFTA_CHAIN_NAME`; ours are `from_guests` and `to_guests`.
    public var name: String
    /// nil for a regular (non-base) chain.
    public var hook: Hook?
    /// `filter` for ours; nil for a regular chain.
    public var type: String?
    /// Base-chain policy (NF_ACCEPT / NF_DROP); nil for a regular chain.
    public var policy: Int32?

    /// A chain as rendered or read back; nil `hook`, `type` and `policy`
    /// describe a regular chain.
    public init(name: String, hook: Hook?, type: String?, policy: Int32?) {
        self.name = name
        self.hook = hook
        self.type = type
        self.policy = policy
    }

    /// `type filter hook prerouting priority -300; policy accept;`
    public var description: String {
        guard let hook else { return "regular chain" }
        var text = "type \(type ?? "?") hook \(Self.hookName(hook.number)) priority \(hook.priority);"
        if let policy { text += " policy \(NFTablesExpression.verdictName(policy));" }
        return text
    }

    static func hookName(_ number: UInt32) -> String {
        switch number {
        case 0: return "prerouting"
        case 1: return "input"
        case 2: return "forward"
        case 3: return "output"
        case 4: return "postrouting"
        default: return "hook \(number)"
        }
    }

    // MARK: wire

    /// NFT_MSG_NEWCHAIN attributes in nft's order: table, name, type, policy, hook.
    func encode(table: String, into request: inout NetlinkRequest) {
        typealias K = NFTablesConstants
        request.attribute(K.chainTable, string: table)
        request.attribute(K.chainName, string: name)
        if let type { request.attribute(K.chainType, string: type) }
        if let policy { request.attribute(K.chainPolicy, bigEndian: UInt32(bitPattern: policy)) }
        if let hook {
            request.nest(K.chainHook) { nest in
                nest.attribute(K.hookNumber, bigEndian: hook.number)
                nest.attribute(K.hookPriority, bigEndian: UInt32(bitPattern: hook.priority))
            }
        }
    }

    /// Decodes the attributes of an NFT_MSG_NEWCHAIN reply.
    static func decode(_ attributes: NetlinkAttributes) throws(NetlinkDecodeError) -> (table: String, chain: NFTablesChain) {
        typealias K = NFTablesConstants
        guard let table = attributes[K.chainTable], let name = attributes[K.chainName] else {
            throw NetlinkDecodeError("nf_tables chain", "missing NFTA_CHAIN_TABLE or NFTA_CHAIN_NAME")
        }
        var hook: Hook?
        if let hookAttribute = attributes[K.chainHook] {
            let nested = try hookAttribute.nested()
            guard let number = nested[K.hookNumber], let priority = nested[K.hookPriority] else {
                throw NetlinkDecodeError("nf_tables chain hook", "missing NFTA_HOOK_HOOKNUM or NFTA_HOOK_PRIORITY")
            }
            hook = Hook(number: try number.bigEndianU32(), priority: Int32(bitPattern: try priority.bigEndianU32()))
        }
        let chain = NFTablesChain(
            name: try name.string(),
            hook: hook,
            type: try attributes[K.chainType]?.string(),
            policy: try attributes[K.chainPolicy].map { attribute throws(NetlinkDecodeError) in Int32(bitPattern: try attribute.bigEndianU32()) })
        return (try table.string(), chain)
    }
}
