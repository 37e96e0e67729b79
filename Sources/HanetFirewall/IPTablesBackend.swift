import Glibc
import HanetNetlink

/// The guest block on iptables-legacy: libiptc for ip_tables and ip6_tables,
/// our own `ARPTablesTable` for arp_tables. No `iptables` binary, no child
/// process.
///
/// Each policy owns one user chain (`HANET-<ownerTag>`, see `IPTablesRuleset`)
/// in the filter table of each family, and one `-j HANET-...` rule in
/// FORWARD that jumps to it. Ours is found by name and content only: the
/// chain by its name, the jump as "a FORWARD rule whose target is our
/// chain". Rule positions are used only to insert (at the top) and, inside
/// one snapshot, to delete what was just found by content.
///
/// Every call takes the xtables lock (like `iptables -w`) for its whole
/// read-modify-commit, and commits each table at most once:
/// ip4 filter, ip6 filter, arp filter, in that order. Each commit replaces
/// its table atomically, so `block` never opens a window (our chain is
/// filled and jumped to in the same replace) and a refresh swaps old rules
/// for new ones in one step. A table that already holds exactly our
/// rendering is not written at all.
///
/// Reading a legacy table instantiates it in the kernel, after which
/// iptables-nft warns on every call. `unblock` and `inspect` therefore only
/// open tables the namespace already has (/proc/<thread>/net/*_tables_names);
/// the `auto` choice between backends should use `legacyTablesInUse()`.
///
/// arptables-legacy (0.0.5, the only legacy arp tool) takes no lock. If it
/// writes between our read and our replace, the kernel refuses whichever
/// replace comes second with EAGAIN (the entry count changed): we re-read
/// and redo (3 attempts), the tool fails loudly. Only a same-size change
/// (`arptables-legacy -R`) in that window is undone unnoticed; that race is
/// the tool's, as between two arptables-legacy processes.
///
/// Sendable: it holds only settings. Calls from several threads serialise
/// on the xtables lock like separate iptables processes do.
public final class IPTablesBackend: GuestBlockBackend, Sendable {
    /// Always `iptables`.
    public let name = "iptables"
    /// Where the tables are: the agent's own namespace normally.
    public let namespace: NetworkNamespace
    /// The xtables lock file shared with iptables (`$XTABLES_LOCKFILE` or /run/xtables.lock).
    public let lockPath: String
    /// How long to wait for another iptables process to release the lock.
    public let lockTimeout: Duration

    /// A commit fails with EAGAIN when the table changed since it was read
    /// (a writer that ignores the lock); we read and edit again this often.
    static let attempts = 3

    /// Settings only: libiptc is loaded, and the lock taken, by the first call.
    /// A nil `lockPath` means `$XTABLES_LOCKFILE`, else /run/xtables.lock.
    public init(namespace: NetworkNamespace = .current, lockPath: String? = nil, lockTimeout: Duration = .seconds(10)) {
        self.namespace = namespace
        self.lockPath = lockPath ?? IPTablesLock.defaultPath
        self.lockTimeout = lockTimeout
    }

    // MARK: - GuestBlockBackend

    /// Fills our chain and puts one jump to it at the top of FORWARD, in ip4,
    /// ip6 and arp filter: one replace per table, none for a table that
    /// already holds exactly the rendering. Creates a legacy table the
    /// namespace does not have yet. Equivalent to, under the xtables lock
    /// and as one commit per table, with ip6tables and arptables alike:
    /// `iptables -N HANET-<tag>`, `iptables -A HANET-<tag> ...` per rule,
    /// `iptables -I FORWARD 1 -j HANET-<tag>`.
    public func block(_ policy: GuestBlockPolicy) throws {
        let ruleset = try IPTablesRuleset(policy)
        try locked {
            try blockIP(IPTablesIPv4.self, ruleset)
            try blockIP(IPTablesIPv6.self, ruleset)
            try blockARP(ruleset)
        }
    }

    /// Removes our FORWARD jumps and our chain from each table that exists
    /// (none is created), one replace per table. Throws `EBUSY` when a rule
    /// outside FORWARD still jumps to the chain. Equivalent to, with
    /// ip6tables and arptables alike: `iptables -D FORWARD -j HANET-<tag>`,
    /// `iptables -F HANET-<tag>`, `iptables -X HANET-<tag>`.
    public func unblock(_ policy: GuestBlockPolicy) throws {
        let ruleset = try IPTablesRuleset(policy)
        try locked {
            try unblockIP(IPTablesIPv4.self, ruleset)
            try unblockIP(IPTablesIPv6.self, ruleset)
            try unblockARP(ruleset)
        }
    }

    /// Reads the three tables (only those that exist) and compares them with
    /// the rendering: `blocked` when all hold it exactly, `unblocked` when
    /// none holds any of it, otherwise `incomplete` with what differs per
    /// table. Like comparing `iptables -S`, `ip6tables -S` and `arptables -S`
    /// with `IPTablesRuleset.script`.
    public func inspect(_ policy: GuestBlockPolicy) throws -> GuestBlockState {
        let ruleset = try IPTablesRuleset(policy)
        let states: [(String, TableState)] = try locked {
            [
                ("ip4 filter", try inspectIP(IPTablesIPv4.self, ruleset)),
                ("ip6 filter", try inspectIP(IPTablesIPv6.self, ruleset)),
                (ARPTablesSocket.tableLabel, try inspectARP(ruleset)),
            ]
        }
        if states.allSatisfy({ $0.1 == .exact }) { return .blocked }
        if states.allSatisfy({ $0.1 == .absent }) { return .unblocked }
        let reasons = states.compactMap { label, state -> String? in
            switch state {
            case .exact: return nil
            case .absent: return "\(label): no chain \(ruleset.chain) and no jump to it"
            case .partial(let why): return "\(label): \(why)"
            }
        }
        return .incomplete(reason: reasons.joined(separator: "; "))
    }

    // MARK: - Host checks

    /// Whether this namespace has any legacy table (ip, ip6 or arp). The
    /// `auto` backend choice uses it: a host whose iptables is nft-based has
    /// none, and must not get one (reading a table creates it).
    public static func legacyTablesInUse(namespace: NetworkNamespace = .current) -> Bool {
        let names = (try? namespace.perform {
            ["ip_tables_names", "ip6_tables_names", "arp_tables_names"].compactMap { tableNames($0) }
        }) ?? []
        return names.contains { !$0.isEmpty }
    }

    /// What keeps this backend's rules from seeing bridged traffic, with the
    /// fix for each; empty when all is well. Also reports a policy that
    /// cannot be rendered.
    public func problems(for policy: GuestBlockPolicy) -> [GuestBlockProblem] {
        var problems: [GuestBlockProblem] = []
        do {
            _ = try IPTablesRuleset(policy)
        } catch {
            problems.append(GuestBlockProblem(kind: .invalidPolicy, description: error.description))
        }
        do {
            problems += try namespace.perform { Self.bridgeNetfilterProblems() }
        } catch {
            problems.append(GuestBlockProblem(kind: .cannotCheck,
                                            description: "cannot check br_netfilter in \(namespace): \(error)"))
        }
        return problems
    }

    /// The br_netfilter checks for the calling thread's namespace.
    ///
    /// Legacy physdev and arptables FORWARD rules only ever see bridged
    /// frames that br_netfilter hands to iptables, ip6tables and arptables,
    /// which it does per namespace only when the matching sysctl is 1 (a
    /// bridge's own `nf_call_iptables` option can also turn it on for that
    /// bridge; we check the namespace-wide switch).
    public static func bridgeNetfilterProblems() -> [GuestBlockProblem] {
        let directory = "/proc/sys/net/bridge"
        guard access(directory, F_OK) == 0 else {
            return [GuestBlockProblem(
                kind: .bridgeNetfilterMissing,
                description: "br_netfilter is not loaded (no \(directory)): iptables, ip6tables and arptables never see bridged traffic, "
                    + "so the block would stop no guest; load it (modprobe br_netfilter, and list it in /etc/modules-load.d) or use backend=nftables")]
        }
        var problems: [GuestBlockProblem] = []
        let switches = [
            ("bridge-nf-call-iptables", "physdev rules see no bridged IPv4 traffic"),
            ("bridge-nf-call-ip6tables", "physdev rules see no bridged IPv6 traffic"),
            ("bridge-nf-call-arptables", "arptables FORWARD sees no bridged ARP"),
        ]
        for (file, consequence) in switches {
            let sysctl = "net.bridge.\(file)"
            let value = readFile("\(directory)/\(file)")?.filter { !$0.isWhitespace } ?? "unreadable"
            guard value != "1" else { continue }
            problems.append(GuestBlockProblem(
                kind: .bridgeNetfilterCallOff(sysctl: sysctl, value: value),
                description: "\(sysctl) is \(value) in this namespace: \(consequence); "
                    + "set it to 1 (sysctl -w \(sysctl)=1) or use backend=nftables"))
        }
        return problems
    }

    // MARK: - ip_tables / ip6_tables through libiptc

    private enum TableState: Equatable {
        /// Neither our chain nor a jump to it.
        case absent
        /// Exactly the rendering: chain content and one jump.
        case exact
        case partial(String)
    }

    /// Our jump rules in FORWARD: positions (0-based, this snapshot only) and whether each is exactly ours.
    private func jumps<F: IPTablesFamily>(_ handle: IPTablesHandle<F>, _ ruleset: IPTablesRuleset) -> [(position: Int, exact: Bool)] {
        let expected = IPTablesRuleBuffer.canonical(ruleset.jump, layout: F.layout)
        return handle.rules(of: "FORWARD").enumerated().compactMap { position, rule in
            guard rule.target == ruleset.chain else { return nil }
            let actual = IPTablesRuleBuffer.canonical(entry: rule.entry, layout: F.layout, targetLabel: rule.target)
            return (position, actual == expected)
        }
    }

    private func examine<F: IPTablesFamily>(_ handle: IPTablesHandle<F>, _ ruleset: IPTablesRuleset) -> TableState {
        let chain = ruleset.chain
        let hasChain = handle.isChain(chain)
        let found = jumps(handle, ruleset)
        if !hasChain && found.isEmpty { return .absent }
        var problems: [String] = []
        if hasChain {
            let actual = handle.canonicalRules(of: chain)
            let expected = ruleset.rules.map { IPTablesRuleBuffer.canonical($0, layout: F.layout) }
            if let difference = Self.difference(actual: actual, expected: expected, rules: ruleset.rules.map(\.description), chain: chain) {
                problems.append(difference)
            }
        } else {
            problems.append("chain \(chain) is missing")
        }
        problems += Self.jumpProblems(found, ruleset.chain)
        return problems.isEmpty ? .exact : .partial(problems.joined(separator: ", "))
    }

    private static func difference(actual: [[UInt8]], expected: [[UInt8]], rules: [String], chain: String) -> String? {
        guard actual != expected else { return nil }
        if let index = zip(actual, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            return "rule \(index + 1) of \(chain) is not `\(rules[index])`"
                + (actual.count == expected.count ? "" : " (\(actual.count) rules, expected \(expected.count))")
        }
        if actual.count < expected.count {
            return "\(chain) has \(actual.count) of \(expected.count) rules, `\(rules[actual.count])` is missing"
        }
        return "\(chain) has \(actual.count - expected.count) rule(s) more than the \(expected.count) expected"
    }

    private static func jumpProblems(_ found: [(position: Int, exact: Bool)], _ chain: String) -> [String] {
        if found.isEmpty { return ["FORWARD does not jump to \(chain)"] }
        let exact = found.filter(\.exact).count
        if exact == 1 && found.count == 1 { return [] }
        if exact == 0 { return ["FORWARD jumps to \(chain) only with a different rule than `-j \(chain)`"] }
        return ["FORWARD has \(found.count) rules jumping to \(chain), expected one"]
    }

    private func inspectIP<F: IPTablesFamily>(_: F.Type, _ ruleset: IPTablesRuleset) throws(IPTablesError) -> TableState {
        guard Self.tableExists(F.tableNamesFile, "filter") else { return .absent }
        return examine(try IPTablesHandle<F>(), ruleset)
    }

    private func blockIP<F: IPTablesFamily>(_: F.Type, _ ruleset: IPTablesRuleset) throws(IPTablesError) {
        let chain = ruleset.chain
        for attempt in 1...Self.attempts {
            let handle = try IPTablesHandle<F>()
            if examine(handle, ruleset) == .exact { return }
            let found = jumps(handle, ruleset)

            // Chain content first: flushed and refilled in this same snapshot.
            if handle.isChain(chain) { try handle.flush(chain) } else { try handle.createChain(chain) }
            for rule in ruleset.rules { try handle.append(rule, to: chain) }

            // Then exactly one `-j chain` in FORWARD, at the top if it is new.
            var keep = found.first(where: \.exact)?.position
            var stale = found.map(\.position).filter { $0 != keep }
            if keep == nil {
                try handle.insert(ruleset.jump, into: "FORWARD", at: 0)
                stale = stale.map { $0 + 1 }
                keep = 0
            }
            for position in stale.sorted(by: >) { try handle.delete(from: "FORWARD", at: position) }

            do throws(IPTablesError) {
                try handle.commit()
                return
            } catch where error.errno == EAGAIN && attempt < Self.attempts {
                continue
            }
        }
    }

    private func unblockIP<F: IPTablesFamily>(_: F.Type, _ ruleset: IPTablesRuleset) throws(IPTablesError) {
        guard Self.tableExists(F.tableNamesFile, "filter") else { return }
        let chain = ruleset.chain
        for attempt in 1...Self.attempts {
            let handle = try IPTablesHandle<F>()
            let found = jumps(handle, ruleset)
            let hasChain = handle.isChain(chain)
            if found.isEmpty && !hasChain { return }
            for position in found.map(\.position).sorted(by: >) { try handle.delete(from: "FORWARD", at: position) }
            if hasChain {
                let references = try handle.references(chain)
                guard references == 0 else {
                    throw IPTablesError(operation: "unblock", table: handle.label, object: chain, errno: EBUSY,
                                        message: "\(references) rule(s) outside FORWARD still jump to \(chain); remove them by hand")
                }
                try handle.flush(chain)
                try handle.deleteChain(chain)
            }
            do throws(IPTablesError) {
                try handle.commit()
                return
            } catch where error.errno == EAGAIN && attempt < Self.attempts {
                continue
            }
        }
    }

    // MARK: - arp_tables through raw socket options

    private func examineARP(_ table: ARPTablesTable, _ ruleset: IPTablesRuleset) -> TableState {
        let chain = ruleset.chain
        let ours = table.chain(named: chain)
        let expectedJump = ARPTablesTable.Entry(ruleset.arpJump).canonical
        let found = (table.chain(named: "FORWARD")?.rules ?? []).enumerated().compactMap { position, entry -> (position: Int, exact: Bool)? in
            entry.link == .jump(chain) ? (position, entry.canonical == expectedJump) : nil
        }
        if ours == nil && found.isEmpty { return .absent }
        var problems: [String] = []
        if let ours {
            let actual = ours.rules.map(\.canonical)
            let expected = ruleset.arpRules.map { ARPTablesTable.Entry($0).canonical }
            if let difference = Self.difference(actual: actual, expected: expected, rules: ruleset.arpRules.map(\.description), chain: chain) {
                problems.append(difference)
            }
        } else {
            problems.append("chain \(chain) is missing")
        }
        problems += Self.jumpProblems(found, chain)
        return problems.isEmpty ? .exact : .partial(problems.joined(separator: ", "))
    }

    private func inspectARP(_ ruleset: IPTablesRuleset) throws(IPTablesError) -> TableState {
        guard Self.tableExists("arp_tables_names", "filter") else { return .absent }
        return examineARP(try ARPTablesSocket().read(), ruleset)
    }

    private func blockARP(_ ruleset: IPTablesRuleset) throws(IPTablesError) {
        let chain = ruleset.chain
        let socket = try ARPTablesSocket()
        for attempt in 1...Self.attempts {
            var table = try socket.read()
            if examineARP(table, ruleset) == .exact { return }
            let rules = ruleset.arpRules.map(ARPTablesTable.Entry.init)
            guard table.installJump(to: chain, rules: rules, jump: ARPTablesTable.Entry(ruleset.arpJump)) else {
                throw IPTablesError(operation: "block", table: ARPTablesSocket.tableLabel, object: "FORWARD", errno: ENOENT,
                                    message: "the arp filter table has no FORWARD chain")
            }
            do throws(IPTablesError) {
                try socket.write(table)
                return
            } catch where error.errno == EAGAIN && attempt < Self.attempts {
                continue
            }
        }
    }

    private func unblockARP(_ ruleset: IPTablesRuleset) throws(IPTablesError) {
        guard Self.tableExists("arp_tables_names", "filter") else { return }
        let chain = ruleset.chain
        let socket = try ARPTablesSocket()
        for attempt in 1...Self.attempts {
            var table = try socket.read()
            let hasChain = table.chainIndex(named: chain) != nil
            let forward = table.chainIndex(named: "FORWARD")
            let jumping = forward.map { table.chains[$0].rules.contains { $0.link == .jump(chain) } } ?? false
            if !hasChain && !jumping { return }
            let references = table.removeJump(to: chain)
            guard references == 0 else {
                throw IPTablesError(operation: "unblock", table: ARPTablesSocket.tableLabel, object: chain, errno: EBUSY,
                                    message: "\(references) rule(s) outside FORWARD still jump to \(chain); remove them by hand")
            }
            do throws(IPTablesError) {
                try socket.write(table)
                return
            } catch where error.errno == EAGAIN && attempt < Self.attempts {
                continue
            }
        }
    }

    // MARK: - Plumbing

    /// Runs `body` in our namespace, holding the xtables lock.
    private func locked<T>(_ body: () throws -> T) throws -> T {
        try namespace.perform {
            let lock = try IPTablesLock(path: lockPath, timeout: lockTimeout)
            return try withExtendedLifetime(lock) { try body() }
        }
    }

    /// Whether the calling thread's namespace already has `table` in this family.
    static func tableExists(_ namesFile: String, _ table: String) -> Bool {
        tableNames(namesFile)?.contains(table) ?? false
    }

    /// The live tables of one family, from /proc/thread-self/net (the calling
    /// thread's namespace; /proc/net would be the process leader's).
    static func tableNames(_ file: String) -> [String]? {
        guard let text = readFile("/proc/thread-self/net/\(file)") ?? readFile("/proc/self/net/\(file)") else { return nil }
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && Glibc.errno == EINTR { continue }
            guard count > 0 else { break }
            result += chunk[0..<count]
        }
        return String(decoding: result, as: UTF8.self)
    }
}
