import HanetNetlink
import HanetLinks

/// The nf_tables rendering of a `GuestBlockPolicy`: one `bridge` table with
/// two base chains, and the batches that install or remove it.
///
/// ```
/// table bridge hanet_<tag> {
///     comment "hanet guest block v1; match=bridge+port; bridges=br0; guests=tap*,vif*,vnet*; exempt=vif0.0"
///     chain from_guests {
///         type filter hook prerouting priority -300; policy accept;
///         meta ibrname "br0" iifname "vif0.0" accept
///         meta ibrname "br0" iifname "tap*" drop
///         ...
///     }
///     chain to_guests {
///         type filter hook postrouting priority -300; policy accept;
///         meta obrname "br0" oifname "vif0.0" accept
///         meta obrname "br0" oifname "tap*" drop
///         ...
///     }
/// }
/// ```
///
/// Bridge-family `prerouting` sees every frame a port sends (bridged or
/// delivered to dom0) and `postrouting` every frame sent out of a port
/// (bridged, flooded or from dom0), without br_netfilter. Every ethertype is
/// dropped: nothing matches on the payload. Exempt ports are accepted first;
/// the accept only ends this chain, other tables still see the frame.
///
/// A group selected by identity (`guest_macs`, `guest_domains`) drops, on
/// the same guest ports, only its own guests' frames: `ether saddr` in
/// `from_guests` (everything the guest sends, to the network or to dom0),
/// `ether daddr` in `to_guests` (unicast to it, bridged or from dom0):
///
/// ```
///     meta ibrname "br0" iifname "vnet*" ether saddr 52:54:00:12:34:56 drop
///     meta obrname "br0" oifname "vnet*" ether daddr 00:16:3e:00:00:00/24 drop
/// ```
///
/// Scoped to guest ports because the same MACs arrive on the uplink from
/// the twins open on another host, which other groups' guests here must
/// still reach. Broadcast and multicast still reach a blocked guest; every
/// answer it sends is dropped. A prefix on an octet boundary loads fewer
/// bytes, any other adds a `bitwise` mask, as nft renders them.
///
/// The policy is canonical (sorted, deduplicated), so every policy with the
/// same owner tag renders the same bytes.
public struct NFTablesRuleset: Equatable, Sendable {
    /// Bumped whenever the rendering changes; recorded in the table comment.
    public static let version = 1
    /// The prerouting chain: what guest ports send.
    public static let inputChain = "from_guests"
    /// The postrouting chain: what is sent out of guest ports.
    public static let outputChain = "to_guests"
    /// Early in the bridge hooks (NF_BR_PRI_NAT_DST_BRIDGED, nft's `dstnat`).
    public static let priority: Int32 = -300

    /// `hanet_<ownerTag>`, no flags, with a comment naming the rendering.
    public let table: NFTablesTable
    /// The input chain, then the output chain.
    public let chains: [NFTablesChain]
    /// All rules in batch order (the input chain's first).
    public let rules: [NFTablesRule]
    /// Whether the rules are scoped to the bridges (`meta ibrname`) or match port names only.
    public let match: NFTablesMatch

    /// `hanet_<ownerTag>`, in the bridge family.
    public static func tableName(for policy: GuestBlockPolicy) -> String { "hanet_" + policy.ownerTag }

    /// Renders `policy`: in each direction, exempt ports accepted first, then
    /// guest ports dropped, once per bridge when `match` scopes to bridges.
    public init(policy: GuestBlockPolicy, match: NFTablesMatch) {
        self.match = match
        // The policy is canonical (sorted, no duplicates): see its init.
        let bridges = policy.bridges.map(\.value)
        let guests = policy.guestPorts
        let exempt = policy.exemptPorts

        let macs = policy.selectedMACs
        var comment = "hanet guest block v\(Self.version); match=\(match.rawValue)"
        if policy.selectsByIdentity { comment += "; select=mac" }
        var details = "; bridges=\(bridges.joined(separator: ",")); guests=\(guests.map(\.description).joined(separator: ",")); exempt=\(exempt.map(\.description).joined(separator: ","))"
        if policy.selectsByIdentity {
            details += "; macs=\(macs.count)" + (policy.guestDomains.isEmpty ? "" : "; domains=\(policy.guestDomains.joined(separator: ","))")
        }
        // The comment must fit one nftnl userdata TLV (length byte, NFT_USERDATA_MAXLEN).
        if comment.utf8.count + details.utf8.count <= 200 { comment += details }
        table = NFTablesTable(name: Self.tableName(for: policy), comment: comment)

        chains = [
            NFTablesChain(name: Self.inputChain, hook: .init(number: NFTablesConstants.hookPrerouting, priority: Self.priority),
                          type: "filter", policy: NFTablesConstants.verdictAccept),
            NFTablesChain(name: Self.outputChain, hook: .init(number: NFTablesConstants.hookPostrouting, priority: Self.priority),
                          type: "filter", policy: NFTablesConstants.verdictAccept),
        ]

        var rules: [NFTablesRule] = []
        let directions: [(chain: String, bridgeKey: UInt32, portKey: UInt32)] = [
            (Self.inputChain, NFTablesConstants.metaBridgeInputName, NFTablesConstants.metaInputName),
            (Self.outputChain, NFTablesConstants.metaBridgeOutputName, NFTablesConstants.metaOutputName),
        ]
        let scopes: [String?] = match == .bridgeAndPort ? bridges.map { Optional($0) } : [nil]
        for direction in directions {
            for bridge in scopes {
                var prefix: [NFTablesExpression] = []
                if let bridge {
                    prefix = Self.interfaceMatch(key: direction.bridgeKey, data: Self.exactName(bridge))
                }
                for port in exempt {
                    rules.append(NFTablesRule(chain: direction.chain, expressions: prefix
                        + Self.interfaceMatch(key: direction.portKey, data: Self.patternData(port))
                        + [.verdict(NFTablesConstants.verdictAccept)]))
                }
                for port in guests {
                    let portMatch = prefix + Self.interfaceMatch(key: direction.portKey, data: Self.patternData(port))
                    guard policy.selectsByIdentity else {
                        rules.append(NFTablesRule(chain: direction.chain, expressions: portMatch + [.verdict(NFTablesConstants.verdictDrop)]))
                        continue
                    }
                    for mac in macs {
                        rules.append(NFTablesRule(chain: direction.chain, expressions: portMatch
                            + Self.macMatch(mac, source: direction.chain == Self.inputChain)
                            + [.verdict(NFTablesConstants.verdictDrop)]))
                    }
                }
            }
        }
        self.rules = rules
    }

    // MARK: batches

    /// One transaction that leaves exactly this rendering in our table:
    /// add (so the delete cannot fail), delete (old content, whatever it
    /// was), add again with chains and rules. The kernel swaps the old table
    /// for the new one at commit, so no frame sees neither.
    ///
    /// Only the last object message asks for an ACK: on success that single
    /// ACK confirms the whole commit; on failure the kernel reports every
    /// failing message (ACK or not) before it, or the commit error against
    /// the batch header.
    ///
    /// `generation` pins the batch to the ruleset generation of the read
    /// that decided it (see `NFTablesBackend`); nil sends nft's bytes.
    public func blockBatch(generation: UInt32? = nil) -> [NetlinkConnection.BatchItem] {
        let name = table.name
        var items: [NetlinkConnection.BatchItem] = [
            .init(NFTablesMessage.newTable(table), operation: "NFT_MSG_NEWTABLE", object: "bridge \(name)"),
            .init(NFTablesMessage.deleteTable(name), operation: "NFT_MSG_DELTABLE", object: "bridge \(name)"),
            .init(NFTablesMessage.newTable(table), operation: "NFT_MSG_NEWTABLE", object: "bridge \(name)"),
        ]
        for chain in chains {
            items.append(.init(NFTablesMessage.newChain(chain, table: name), operation: "NFT_MSG_NEWCHAIN", object: "bridge \(name) \(chain.name)"))
        }
        for rule in rules {
            items.append(.init(NFTablesMessage.newRule(rule, table: name), operation: "NFT_MSG_NEWRULE", object: "bridge \(name) \(rule.chain) [\(rule)]"))
        }
        return Self.framed(items, table: name, generation: generation)
    }

    /// `add table bridge NAME { flags dormant; }` or its reverse: the same
    /// table, rules and chains, switched on or off in one commit. Dormant
    /// tables unhook their chains; nothing is destroyed, so the switch costs
    /// the kernel no deferred cleanup (deleting the table costs each agent
    /// process 12-23 ms of RCU wait when its socket closes). `generation`
    /// pins it as in `blockBatch`.
    public func switchBatch(dormant: Bool, generation: UInt32? = nil) -> [NetlinkConnection.BatchItem] {
        var switched = table
        switched.flags = dormant ? table.flags | NFTablesConstants.tableFlagDormant : table.flags
        return Self.framed([.init(NFTablesMessage.newTable(switched), operation: "NFT_MSG_NEWTABLE",
                                  object: "bridge \(table.name) (\(dormant ? "dormant" : "active"))")],
                           table: table.name, generation: generation)
    }

    /// `delete table bridge NAME` as a one-message transaction, pinned to
    /// `generation` if given (see `blockBatch`).
    public static func unblockBatch(table name: String, generation: UInt32? = nil) -> [NetlinkConnection.BatchItem] {
        framed([.init(NFTablesMessage.deleteTable(name), operation: "NFT_MSG_DELTABLE", object: "bridge \(name)")],
               table: name, generation: generation)
    }

    static func framed(_ items: [NetlinkConnection.BatchItem], table name: String, generation: UInt32? = nil) -> [NetlinkConnection.BatchItem] {
        var items = items
        if !items.isEmpty { items[items.count - 1].request.flags |= NetlinkConstants.ack }
        return [.init(NFTablesMessage.batchBegin(generation: generation), operation: "NFNL_MSG_BATCH_BEGIN", object: "bridge \(name)")]
            + items
            + [.init(NFTablesMessage.batchEnd(), operation: "NFNL_MSG_BATCH_END", object: "bridge \(name)")]
    }

    // MARK: comparison

    /// nil when `snapshot` is exactly this rendering; otherwise what differs,
    /// in words an administrator can act on.
    public func difference(from snapshot: NFTablesSnapshot, ignoringDormancy: Bool = false) -> String? {
        var reasons: [String] = []
        let name = "table bridge \(table.name)"
        var snapshot = snapshot
        if ignoringDormancy { snapshot.table.flags &= ~NFTablesConstants.tableFlagDormant }
        if snapshot.table.flags & NFTablesConstants.tableFlagDormant != 0 {
            reasons.append("\(name) is dormant (its chains see no traffic)")
        } else if snapshot.table.flags != table.flags {
            reasons.append("\(name) has flags 0x\(String(snapshot.table.flags, radix: 16)), expected 0x\(String(table.flags, radix: 16))")
        }
        // A kernel without table userdata (before 5.13) returns no comment: nothing to compare.
        if let found = snapshot.table.comment, found != table.comment {
            reasons.append("\(name) comment is \"\(found)\", expected \"\(table.comment ?? "")\"")
        }
        if let use = snapshot.table.use, use != UInt32(chains.count) {
            reasons.append("\(name) holds \(use) chains/sets/objects, expected \(chains.count)")
        }
        for chain in chains {
            guard let found = snapshot.chains.first(where: { $0.name == chain.name }) else {
                reasons.append("chain \(chain.name) is missing")
                continue
            }
            if found != chain {
                reasons.append("chain \(chain.name) is \"\(found)\", expected \"\(chain)\"")
            }
            let expected = rules.filter { $0.chain == chain.name }
            let present = snapshot.rules.filter { $0.chain == chain.name }
            if let difference = Self.ruleDifference(expected: expected, present: present) {
                reasons.append("chain \(chain.name): \(difference)")
            }
        }
        for chain in Set(snapshot.rules.map(\.chain)).subtracting(chains.map(\.name)).sorted() {
            reasons.append("chain \(chain) is not ours but holds rules")
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    static func ruleDifference(expected: [NFTablesRule], present: [NFTablesRule]) -> String? {
        if expected == present { return nil }
        var missing: [NFTablesRule] = []
        var extra = present
        for rule in expected {
            if let index = extra.firstIndex(of: rule) { extra.remove(at: index) } else { missing.append(rule) }
        }
        func list(_ rules: [NFTablesRule]) -> String {
            let shown = rules.prefix(3).map { "`\($0)`" }.joined(separator: ", ")
            return rules.count > 3 ? shown + " and \(rules.count - 3) more" : shown
        }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("\(missing.count) of \(expected.count) rules missing: \(list(missing))") }
        if !extra.isEmpty { parts.append("\(extra.count) unexpected: \(list(extra))") }
        if parts.isEmpty { parts.append("rules out of order") }
        return parts.joined(separator: ", ")
    }

    // MARK: encoding helpers

    static func interfaceMatch(key: UInt32, data: [UInt8]) -> [NFTablesExpression] {
        [.meta(key: key, destination: NFTablesConstants.register1),
         .compare(source: NFTablesConstants.register1, operation: NFTablesConstants.cmpEqual, data: data)]
    }

    /// `ether saddr` (`source`) or `ether daddr` equal to `mac`'s fixed bits:
    /// a whole-octet prefix loads only those octets, any other loads six
    /// and masks them (nft 1.0.6's own rendering of the same match).
    static func macMatch(_ mac: MACPrefix, source: Bool) -> [NFTablesExpression] {
        typealias K = NFTablesConstants
        let offset = source ? K.etherSourceOffset : K.etherDestinationOffset
        let address = mac.address.array
        if mac.length % 8 == 0 {
            let octets = mac.length / 8
            return [.payload(base: K.payloadLinkLayer, offset: offset, length: UInt32(octets), destination: K.register1),
                    .compare(source: K.register1, operation: K.cmpEqual, data: Array(address.prefix(octets)))]
        }
        return [.payload(base: K.payloadLinkLayer, offset: offset, length: 6, destination: K.register1),
                .bitwise(source: K.register1, destination: K.register1, mask: mac.maskBytes, xor: [UInt8](repeating: 0, count: 6)),
                .compare(source: K.register1, operation: K.cmpEqual, data: address)]
    }

    /// An exact name compares the whole IFNAMSIZ buffer, NUL padding included.
    static func exactName(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8.prefix(NFTablesConstants.interfaceNameSize - 1))
        return bytes + [UInt8](repeating: 0, count: NFTablesConstants.interfaceNameSize - bytes.count)
    }

    /// A prefix compares only the stem, without terminator (nft's `"vif*"`).
    static func patternData(_ pattern: PortPattern) -> [UInt8] {
        pattern.isPrefix ? Array(pattern.stem.utf8) : exactName(pattern.stem)
    }
}
