/// A legacy arp_tables table in memory: what libiptc is for ip_tables, for
/// the one table family that has no library (there is no libarptc).
///
/// The kernel hands out a table as one blob of entries: each built-in chain
/// is its rules followed by its policy entry (the hook's "underflow"); each
/// user chain is an `ERROR` entry carrying its name, its rules and a closing
/// unconditional `RETURN`; a final `ERROR` entry ends the table. Jumps are
/// byte offsets into the blob. We parse that into chains, edit chains by
/// name, and lay the blob out again with every offset recomputed, keeping
/// every foreign entry's bytes as they were (only counters and `comefrom`,
/// which the kernel owns, are cleared) and its old position so its counters
/// can be put back after the replace.
struct ARPTablesTable {
    /// One entry, in kernel form.
    struct Entry {
        /// The whole entry (`next_offset` bytes), target included.
        var bytes: [UInt8]
        /// What a standard target with a non-negative verdict points at.
        var link: Link
        /// Index in the table we read, for restoring counters; nil if new.
        var oldIndex: Int?

        enum Link: Equatable {
            /// Not a positional verdict (a negative standard verdict or another target).
            case none
            /// Jump to a user chain (the verdict is that chain's first entry).
            case jump(String)
            /// Verdict = the next entry: "continue" (libiptc's fall-through).
            case `fallthrough`
        }

        init(bytes: [UInt8], link: Link = .none, oldIndex: Int? = nil) {
            self.bytes = bytes
            self.link = link
            self.oldIndex = oldIndex
        }

        /// A rule of ours, new (no counters to restore).
        init(_ rule: ARPTablesRule) {
            var link = Link.none
            if case .jump(let chain) = rule.target { link = .jump(chain) }
            self.init(bytes: rule.encoded(), link: link)
        }

        var targetOffset: Int { Int(ARPTablesRule.load(UInt16.self, from: bytes, at: ARPTablesRule.Layout.targetOffset)) }

        /// The target's name: "" for a standard target, `ERROR`, or a module.
        var targetName: String {
            let start = targetOffset + IPTablesRuleBuffer.nameOffset
            let field = bytes[start..<min(start + IPTablesRuleBuffer.extensionNameLength, bytes.count)]
            return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
        }

        var isStandard: Bool {
            targetName.isEmpty && bytes.count - targetOffset == IPTablesRuleBuffer.standardTargetSize
        }

        /// The verdict of a standard target.
        var verdict: Int32 {
            get { Int32(bitPattern: ARPTablesRule.load(UInt32.self, from: bytes, at: targetOffset + IPTablesRuleBuffer.headerSize)) }
            set { ARPTablesRule.store(UInt32(bitPattern: newValue), in: &bytes, at: targetOffset + IPTablesRuleBuffer.headerSize) }
        }

        /// The name an `ERROR` entry carries (a user chain's name).
        var errorName: String? {
            guard targetName == "ERROR" else { return nil }
            let start = targetOffset + IPTablesRuleBuffer.headerSize
            return String(decoding: bytes[start..<bytes.count].prefix { $0 != 0 }, as: UTF8.self)
        }

        /// Whether the `arp` part matches everything (all zero), as policies and RETURNs must.
        var isUnconditional: Bool {
            bytes[0..<ARPTablesRule.Layout.targetOffset].allSatisfy { $0 == 0 }
        }

        /// The entry reduced to what defines the rule (see `IPTablesRuleBuffer.canonical`):
        /// counters and `comefrom` cleared, the target as name plus verdict or jump.
        var canonical: [UInt8] {
            var result = Array(bytes[0..<targetOffset])
            let layout = ARPTablesRule.Layout.self
            for index in layout.comefrom..<layout.comefrom + 4 { result[index] = 0 }
            for index in layout.counters..<layout.counters + 16 { result[index] = 0 }
            if isStandard {
                switch link {
                case .jump(let chain): result += Array("jump:\(chain)".utf8)
                case .fallthrough: result += Array("fallthrough".utf8)
                case .none: result += Array("verdict:\(verdict)".utf8)
                }
            } else {
                var target = Array(bytes[targetOffset...])
                // Only strlen + 1 bytes of the name come from the kernel.
                var terminated = false
                for index in 2..<2 + IPTablesRuleBuffer.extensionNameLength {
                    if terminated { target[index] = 0 } else if target[index] == 0 { terminated = true }
                }
                result += target
            }
            return result
        }

        /// A new user chain's head: an `ERROR` target naming it.
        static func chainHead(_ name: String) -> Entry {
            let layout = ARPTablesRule.Layout.self
            var bytes = [UInt8](repeating: 0, count: layout.entrySize + IPTablesRuleBuffer.errorTargetSize)
            ARPTablesRule.store(UInt16(layout.entrySize), in: &bytes, at: layout.targetOffset)
            ARPTablesRule.store(UInt16(bytes.count), in: &bytes, at: layout.nextOffset)
            ARPTablesRule.store(UInt16(IPTablesRuleBuffer.errorTargetSize), in: &bytes, at: layout.entrySize)
            let label = Array("ERROR".utf8)
            bytes.replaceSubrange(layout.entrySize + 2..<layout.entrySize + 2 + label.count, with: label)
            let chain = Array(name.utf8.prefix(ARPTablesTable.maxChainNameLength))
            let start = layout.entrySize + IPTablesRuleBuffer.headerSize
            bytes.replaceSubrange(start..<start + chain.count, with: chain)
            return Entry(bytes: bytes)
        }

        /// A new user chain's closing entry: unconditional RETURN.
        static var chainTail: Entry { Entry(bytes: ARPTablesRule(target: .return).encoded()) }
    }

    struct Chain {
        var name: String
        /// NF_ARP_IN/OUT/FORWARD for a built-in chain, nil for a user chain.
        var hook: Int?
        /// The user chain's `ERROR` head (nil for built-ins).
        var head: Entry?
        var rules: [Entry]
        /// Built-in: the policy (underflow) entry. User chain: the closing RETURN.
        var tail: Entry
    }

    /// Chain names of the hooks, in hook order (NF_ARP_IN = 0, OUT = 1, FORWARD = 2).
    static let hookNames = ["INPUT", "OUTPUT", "FORWARD"]
    /// ARPT_FUNCTION_MAXNAMELEN - 1: what fits in an `ERROR` target with its NUL.
    static let maxChainNameLength = 29

    var name: String
    var validHooks: UInt32
    var chains: [Chain]
    /// The closing `ERROR` entry.
    var trailer: Entry
    /// How many entries the kernel's table had: `num_counters` of the replace.
    var oldEntryCount: Int

    struct Malformed: Error, CustomStringConvertible {
        var reason: String
        var description: String { "unexpected arp_tables layout: \(reason)" }
    }

    // MARK: - Parsing the kernel's blob

    /// - Parameters:
    ///   - hookEntry, underflow: byte offsets per hook, from `ARPT_SO_GET_INFO`.
    ///   - blob: `size` bytes of entries from `ARPT_SO_GET_ENTRIES`.
    init(name: String, validHooks: UInt32, hookEntry: [UInt32], underflow: [UInt32], entryCount: Int, blob: [UInt8]) throws(Malformed) {
        let layout = ARPTablesRule.Layout.self
        var entries: [Entry] = []
        var offsets: [Int] = []
        var offset = 0
        while offset < blob.count {
            guard offset + layout.entrySize <= blob.count else { throw Malformed(reason: "truncated entry at \(offset)") }
            let targetOffset = Int(ARPTablesRule.load(UInt16.self, from: blob, at: offset + layout.targetOffset))
            let nextOffset = Int(ARPTablesRule.load(UInt16.self, from: blob, at: offset + layout.nextOffset))
            guard targetOffset >= layout.entrySize,
                  nextOffset >= targetOffset + IPTablesRuleBuffer.headerSize,
                  nextOffset % 8 == 0, offset + nextOffset <= blob.count else {
                throw Malformed(reason: "entry at \(offset) has target_offset \(targetOffset), next_offset \(nextOffset)")
            }
            entries.append(Entry(bytes: Array(blob[offset..<offset + nextOffset]), oldIndex: entries.count))
            offsets.append(offset)
            offset += nextOffset
        }
        guard entries.count == entryCount else {
            throw Malformed(reason: "\(entries.count) entries in the blob, the kernel announced \(entryCount)")
        }
        guard let last = entries.last, last.errorName != nil else { throw Malformed(reason: "no closing ERROR entry") }

        // Which offsets start a chain, and which user chain starts where.
        var hookAt: [Int: Int] = [:]
        var underflowAt: [Int: Int] = [:]
        // Each valid hook must start its own chain at an entry and end at an
        // entry: a hook whose offsets land elsewhere would silently fold its
        // chain into another one, and the layout written back would point
        // that hook at offset 0 (found by fuzzing, target arptables).
        let entryOffsets = Set(offsets)
        for hook in 0..<Self.hookNames.count where validHooks & (1 << hook) != 0 {
            let entry = Int(hookEntry[hook]), end = Int(underflow[hook])
            guard entryOffsets.contains(entry), entryOffsets.contains(end), entry <= end else {
                throw Malformed(reason: "hook \(Self.hookNames[hook]) has entry \(entry) and underflow \(end), which are not entries in order")
            }
            guard hookAt[entry] == nil, underflowAt[end] == nil else {
                throw Malformed(reason: "hook \(Self.hookNames[hook]) shares its entry or underflow with another hook")
            }
            hookAt[entry] = hook
            underflowAt[end] = hook
        }
        var userChainAt: [Int: String] = [:]  // offset of a chain's first entry after its head
        for index in 0..<entries.count - 1 {
            if let chain = entries[index].errorName { userChainAt[offsets[index] + entries[index].bytes.count] = chain }
        }
        func startsChain(_ index: Int) -> Bool {
            index >= entries.count - 1 || hookAt[offsets[index]] != nil || entries[index].errorName != nil
        }

        // Positional verdicts: a jump to a user chain or a fall-through.
        for index in entries.indices where entries[index].isStandard && entries[index].verdict >= 0 {
            let target = Int(entries[index].verdict)
            if let chain = userChainAt[target] {
                entries[index].link = .jump(chain)
            } else if target == offsets[index] + entries[index].bytes.count {
                entries[index].link = .fallthrough
            } else {
                throw Malformed(reason: "entry at \(offsets[index]) jumps to offset \(target), which starts no chain")
            }
        }

        var chains: [Chain] = []
        var index = 0
        while index < entries.count - 1 {
            if let hook = hookAt[offsets[index]] {
                // An ERROR entry is a chain head wherever it stands: as a
                // rule it would start a chain once laid out again.
                guard entries[index].errorName == nil else {
                    throw Malformed(reason: "built-in chain \(Self.hookNames[hook]) starts with an ERROR entry")
                }
                var rules: [Entry] = []
                while underflowAt[offsets[index]] != hook {
                    rules.append(entries[index])
                    index += 1
                    guard index < entries.count - 1, !startsChain(index) || underflowAt[offsets[index]] == hook else {
                        throw Malformed(reason: "built-in chain \(Self.hookNames[hook]) has no policy entry")
                    }
                }
                // As the kernel's check_underflow demands: the policy is an
                // unconditional standard ACCEPT (-2) or DROP (-1).
                let policy = entries[index]
                guard policy.isStandard, policy.isUnconditional, policy.verdict == -1 || policy.verdict == -2 else {
                    throw Malformed(reason: "built-in chain \(Self.hookNames[hook]) has no ACCEPT or DROP policy at its underflow")
                }
                chains.append(Chain(name: Self.hookNames[hook], hook: hook, head: nil, rules: rules, tail: policy))
                index += 1
            } else if let chain = entries[index].errorName {
                let head = entries[index]
                index += 1
                var rules: [Entry] = []
                guard !chains.contains(where: { $0.name == chain }) else {
                    throw Malformed(reason: "two chains are named \(chain)")
                }
                while index < entries.count - 1 && !startsChain(index + 1) {
                    guard entries[index].errorName == nil else {
                        throw Malformed(reason: "user chain \(chain) holds an ERROR entry")
                    }
                    rules.append(entries[index])
                    index += 1
                }
                let tail = entries[index]
                guard index < entries.count - 1, tail.isStandard, tail.isUnconditional, tail.verdict == -5 else {
                    throw Malformed(reason: "user chain \(chain) does not end with RETURN")
                }
                chains.append(Chain(name: chain, hook: nil, head: head, rules: rules, tail: tail))
                index += 1
            } else {
                throw Malformed(reason: "entry at \(offsets[index]) belongs to no chain")
            }
        }
        // A hook whose entry a user chain swallowed (its head right before
        // the hook's first entry) started no chain: written back, it would
        // point at offset 0.
        for hook in 0..<Self.hookNames.count where validHooks & (1 << hook) != 0 && !chains.contains(where: { $0.hook == hook }) {
            throw Malformed(reason: "hook \(Self.hookNames[hook]) at \(hookEntry[hook]) starts no chain of its own")
        }
        self.name = name
        self.validHooks = validHooks
        self.chains = chains
        self.trailer = last
        self.oldEntryCount = entryCount
    }

    // MARK: - Editing by name

    func chain(named name: String) -> Chain? { chains.first { $0.name == name } }

    func chainIndex(named name: String) -> Int? { chains.firstIndex { $0.name == name } }

    /// Appends an empty user chain (after every existing one: foreign order is kept).
    mutating func addUserChain(_ name: String) {
        chains.append(Chain(name: name, hook: nil, head: .chainHead(name), rules: [], tail: .chainTail))
    }

    mutating func removeChain(named name: String) {
        chains.removeAll { $0.name == name && $0.hook == nil }
    }

    /// The block's edit: user chain `chain` holds exactly `rules` (created
    /// after every foreign chain if absent), and FORWARD jumps to it once,
    /// with `jump`: an identical jump keeps its place, any other jump to
    /// `chain` goes, and a missing one is inserted first. False without FORWARD.
    mutating func installJump(to chain: String, rules: [Entry], jump: Entry) -> Bool {
        guard let forward = chainIndex(named: "FORWARD") else { return false }
        if let index = chainIndex(named: chain) {
            chains[index].rules = rules
        } else {
            addUserChain(chain)
            chains[chains.count - 1].rules = rules
        }
        let expected = jump.canonical
        var forwardRules = chains[forward].rules
        let keep = forwardRules.firstIndex { $0.link == .jump(chain) && $0.canonical == expected }
        forwardRules = forwardRules.enumerated().filter { $0.offset == keep || $0.element.link != .jump(chain) }.map(\.element)
        if keep == nil { forwardRules.insert(jump, at: 0) }
        chains[forward].rules = forwardRules
        return true
    }

    /// The unblock's edit: FORWARD no longer jumps to `chain`; the chain is
    /// removed when nothing else refers to it. Returns the references left
    /// (rules outside FORWARD that still jump there: then the chain stays).
    mutating func removeJump(to chain: String) -> Int {
        if let forward = chainIndex(named: "FORWARD") { chains[forward].rules.removeAll { $0.link == .jump(chain) } }
        let left = references(to: chain)
        if left == 0 { removeChain(named: chain) }
        return left
    }

    /// Entries anywhere that jump to `chain`.
    func references(to chain: String) -> Int {
        chains.reduce(0) { count, item in count + item.rules.filter { $0.link == .jump(chain) }.count }
    }

    // MARK: - Laying the blob out again

    struct Layout {
        var blob: [UInt8]
        var hookEntry: [UInt32]
        var underflow: [UInt32]
        var entryCount: Int
        /// For each new entry, its index in the old table (for ADD_COUNTERS).
        var oldIndices: [Int?]
    }

    func layout() throws(Malformed) -> Layout {
        // Pass 1: offsets of every entry and of every user chain's first entry.
        var chainStart: [String: Int] = [:]
        var size = 0
        for chain in chains {
            if let head = chain.head {
                size += head.bytes.count
                chainStart[chain.name] = size
            }
            size += chain.rules.reduce(0) { $0 + $1.bytes.count } + chain.tail.bytes.count
        }
        size += trailer.bytes.count

        // Pass 2: bytes, with positional verdicts resolved.
        var blob: [UInt8] = []
        blob.reserveCapacity(size)
        var hookEntry = [UInt32](repeating: 0, count: Self.hookNames.count)
        var underflow = [UInt32](repeating: 0, count: Self.hookNames.count)
        var oldIndices: [Int?] = []
        func emit(_ entry: Entry) throws(Malformed) {
            var entry = entry
            switch entry.link {
            case .none: break
            case .jump(let chain):
                guard let start = chainStart[chain] else { throw Malformed(reason: "a rule jumps to chain \(chain), which does not exist") }
                entry.verdict = Int32(start)
            case .fallthrough:
                entry.verdict = Int32(blob.count + entry.bytes.count)
            }
            let layout = ARPTablesRule.Layout.self
            for index in layout.comefrom..<layout.comefrom + 4 { entry.bytes[index] = 0 }
            for index in layout.counters..<layout.counters + 16 { entry.bytes[index] = 0 }
            blob += entry.bytes
            oldIndices.append(entry.oldIndex)
        }
        for chain in chains {
            if let head = chain.head { try emit(head) }
            if let hook = chain.hook { hookEntry[hook] = UInt32(blob.count) }
            for rule in chain.rules { try emit(rule) }
            if let hook = chain.hook { underflow[hook] = UInt32(blob.count) }
            try emit(chain.tail)
        }
        try emit(trailer)
        return Layout(blob: blob, hookEntry: hookEntry, underflow: underflow, entryCount: oldIndices.count, oldIndices: oldIndices)
    }
}
