import Glibc
import HanetNetlink

/// Guest blocking with nf_tables, spoken natively over NETLINK_NETFILTER.
///
/// The backend owns one `bridge`-family table per policy, named from the
/// policy's owner tag (`hanet_<tag>`), and never reads, flushes or changes
/// anything else. Each call is one kernel transaction:
///
/// - `block`: one batch that replaces our table with exactly the rendering
///   (`NFTablesRuleset`). Tried first with bridge scoping (`meta ibrname`);
///   a kernel without nft_meta_bridge rejects that with EOPNOTSUPP, and the
///   block is retried matching port names only. `lastBlock` says which.
/// - `unblock`: our table, if intact, is made dormant (its chains unhooked,
///   nothing destroyed); a tampered table is deleted; none is success.
/// - `block` of an intact dormant table wakes it in one message. Both
///   switches are one commit, so no frame ever sees a half state, and
///   neither destroys objects (see `NFTablesRuleset.switchBatch`).
/// - `inspect`: reads our table, its two chains by name and its rules (a
///   dump the kernel filters to our table) and compares them with the
///   rendering; an intact dormant table means unblocked.
///
/// What `block` and `unblock` write depends on what they read (switch an
/// intact table, or replace it), so their batches are pinned to the ruleset
/// generation of that read (NFNL_BATCH_GENID): if anything committed in
/// between (nft, the guard, a second agent), the kernel refuses the batch
/// whole with ERESTART, and the call reads again and decides again, at
/// most `pinnedAttempts` times. A write decided on a stale read is never
/// applied, and no two reads' conclusions are ever mixed.
public final class NFTablesBackend: GuestBlockBackend {
    /// Always `nftables`.
    public let name = "nftables"
    /// The `NETLINK_NETFILTER` connection every request goes through.
    public let connection: NetlinkConnection
    /// What the last successful `block` installed; nil before one (or after `unblock`).
    public private(set) var lastBlock: NFTablesBlockResult?
    /// Whether this kernel accepts `meta ibrname`/`obrname` in the bridge
    /// family: nil until a block found out, then remembered for this backend.
    public private(set) var bridgeMatchSupported: Bool?

    /// Switch an intact table dormant/active instead of deleting and
    /// re-creating it. Off only in tests that pin the replace path.
    public let switchesDormantTables: Bool
    /// Where `connection` was opened; change feeds are opened there too.
    public let namespace: NetworkNamespace

    /// Uses an open netfilter connection; `namespace` must be the one it was
    /// opened in, because change feeds open their own sockets there.
    public init(connection: NetlinkConnection, namespace: NetworkNamespace = .current, switchesDormantTables: Bool = true) {
        self.connection = connection
        self.namespace = namespace
        self.switchesDormantTables = switchesDormantTables
    }

    /// Opens a NETLINK_NETFILTER socket in `namespace`; replies are waited
    /// for at most `timeout` (see `NetlinkTimeout`).
    public convenience init(namespace: NetworkNamespace = .current, timeout: NetlinkTimeout = .default) throws(NetlinkError) {
        self.init(connection: try NetlinkConnection(bus: NetlinkConstants.netfilter, namespace: namespace, timeout: timeout),
                  namespace: namespace)
    }

    // MARK: availability

    /// Asks for the ruleset generation (NFT_MSG_GETGEN): succeeds exactly when
    /// the kernel speaks nf_tables in `namespace`. Changes nothing.
    public static func probe(namespace: NetworkNamespace = .current, timeout: NetlinkTimeout = .default) throws -> UInt32 {
        try probe(connection: try NetlinkConnection(bus: NetlinkConstants.netfilter, namespace: namespace, timeout: timeout))
    }

    /// The probe on an open connection (which can then serve the backend).
    public static func probe(connection: NetlinkConnection) throws -> UInt32 {
        let reply = try connection.get(NFTablesMessage.getGeneration(), operation: "NFT_MSG_GETGEN")
        return try NFTablesDecoder.generationID(reply)
    }

    /// `probe` as a yes/no, for choosing a backend.
    public static func isAvailable(namespace: NetworkNamespace = .current) -> Bool {
        (try? probe(namespace: namespace)) != nil
    }

    /// `probe(connection:)` as a yes/no; the connection can then serve the
    /// backend, so choosing costs no second socket.
    public static func isAvailable(connection: NetlinkConnection) -> Bool {
        (try? probe(connection: connection)) != nil
    }

    /// The table a policy owns: `hanet_<ownerTag>`.
    public static func tableName(for policy: GuestBlockPolicy) -> String {
        NFTablesRuleset.tableName(for: policy)
    }

    // MARK: GuestBlockBackend

    /// Every committed transaction that touches our table, from the kernel's
    /// own notifications (NFNLGRP_NFTABLES); nil if the group cannot be joined.
    public func changeFeed(for policy: GuestBlockPolicy) -> (any GuestBlockChangeFeed)? {
        try? NFTablesChangeFeed(table: Self.tableName(for: policy), namespace: namespace)
    }

    /// `install` without its result. Equivalent to loading the
    /// `NFTablesRuleset` rendering with `nft -f` as one transaction; an
    /// intact table of ours is kept instead (and woken if dormant).
    public func block(_ policy: GuestBlockPolicy) throws {
        try install(policy)
    }

    /// Tries of a read and the batch it decided, when the kernel keeps
    /// refusing the batch because the ruleset changed in between.
    public static let pinnedAttempts = 3
    /// Tries of a read whose replies came from different generations.
    public static let readAttempts = 3

    /// `block`, returning what was installed (match kind, rule count).
    @discardableResult
    public func install(_ policy: GuestBlockPolicy) throws -> NFTablesBlockResult {
        try retryingChangedRuleset(policy) { try installOnce(policy) }
    }

    private func installOnce(_ policy: GuestBlockPolicy) throws -> NFTablesBlockResult {
        // Without the switch there is nothing to read: the replace batch
        // leaves the same table whatever was there.
        var generation: UInt32?
        if switchesDormantTables {
            let read = try pinnedRead(policy)
            generation = read.generation
            // Fast path: our intact table is already there; wake it if dormant.
            if let (snapshot, ruleset) = read.intact {
                if snapshot.table.flags & NFTablesConstants.tableFlagDormant != 0 {
                    try connection.batch(ruleset.switchBatch(dormant: false, generation: generation))
                }
                let result = NFTablesBlockResult(table: ruleset.table.name, match: ruleset.match, rules: ruleset.rules.count, bytes: 0)
                lastBlock = result
                return result
            }
        }
        return try replace(policy, generation: generation)
    }

    /// The replace batch, bridge-scoped first where that may work.
    private func replace(_ policy: GuestBlockPolicy, generation: UInt32?) throws -> NFTablesBlockResult {
        // With no bridge named there is nothing to scope to: match port names.
        let candidates: [NFTablesMatch] = policy.bridges.isEmpty || bridgeMatchSupported == false
            ? [.portOnly] : [.bridgeAndPort, .portOnly]
        var lastError: Error?
        for match in candidates {
            let ruleset = NFTablesRuleset(policy: policy, match: match)
            let items = ruleset.blockBatch(generation: generation)
            let bytes = prepareBuffers(for: items)
            do {
                try connection.batch(items)
            } catch let error as NetlinkError where match == .bridgeAndPort
                && error.errno == EOPNOTSUPP && error.operation == "NFT_MSG_NEWRULE" {
                // The whole batch was aborted: nothing changed. Try again without.
                bridgeMatchSupported = false
                lastError = error
                continue
            }
            if match == .bridgeAndPort { bridgeMatchSupported = true }
            let result = NFTablesBlockResult(table: ruleset.table.name, match: match, rules: ruleset.rules.count, bytes: bytes)
            lastBlock = result
            return result
        }
        throw lastError ?? NetlinkError(operation: "NFT batch", object: Self.tableName(for: policy), errno: EOPNOTSUPP)
    }

    /// Makes our intact table dormant, equivalent to:
    /// `nft add table bridge hanet_<tag> { flags dormant; }`. A table that
    /// differs from the rendering is deleted instead, equivalent to:
    /// `nft delete table bridge hanet_<tag>`. No table is success. With
    /// `switchesDormantTables` off, the table is always deleted.
    public func unblock(_ policy: GuestBlockPolicy) throws {
        try retryingChangedRuleset(policy) { try unblockOnce(policy) }
        lastBlock = nil
    }

    private func unblockOnce(_ policy: GuestBlockPolicy) throws {
        let table = Self.tableName(for: policy)
        var generation: UInt32?
        if switchesDormantTables {
            let read = try pinnedRead(policy)
            generation = read.generation
            if let (snapshot, ruleset) = read.intact {
                if snapshot.table.flags & NFTablesConstants.tableFlagDormant == 0 {
                    try connection.batch(ruleset.switchBatch(dormant: true, generation: generation))
                }
                return
            }
        }
        do {
            try connection.batch(NFTablesRuleset.unblockBatch(table: table, generation: generation))
        } catch let error as NetlinkError where error.errno == ENOENT && error.operation == "NFT_MSG_DELTABLE" {
            // Nothing installed: already unblocked.
        }
    }

    /// Runs a read and the batch it decided again while the kernel refuses
    /// the batch with ERESTART (against NFNL_MSG_BATCH_BEGIN: the ruleset
    /// generation moved since the read, and nothing of the batch was
    /// applied), at most `pinnedAttempts` times; then that is the error.
    private func retryingChangedRuleset<T>(_ policy: GuestBlockPolicy, _ attempt: () throws -> T) throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try attempt()
            } catch let error as NetlinkError where error.errno == ERESTART && error.operation == "NFNL_MSG_BATCH_BEGIN" {
                guard attempts < Self.pinnedAttempts else {
                    throw NetlinkError(operation: "NFT batch", object: "bridge \(Self.tableName(for: policy))", errno: ERESTART,
                                       kernelMessage: "ruleset changed between read and write \(attempts) times in a row (concurrent nf_tables commits)")
                }
            }
        }
    }

    /// The read a write depends on: our table as rendered for `policy`
    /// (with either match kind, dormant or not; nil when absent or
    /// different), and the generation it was read in, for the batch.
    private func pinnedRead(_ policy: GuestBlockPolicy) throws -> (intact: (NFTablesSnapshot, NFTablesRuleset)?, generation: UInt32) {
        let (snapshot, generation) = try consistentRead(table: Self.tableName(for: policy), stoppingAtDormantTable: false, pinned: true)
        return (snapshot.flatMap { intact($0, policy) }, generation ?? 0)
    }

    private func intact(_ snapshot: NFTablesSnapshot, _ policy: GuestBlockPolicy) -> (NFTablesSnapshot, NFTablesRuleset)? {
        for match in NFTablesMatch.allCases {
            let ruleset = NFTablesRuleset(policy: policy, match: match)
            if ruleset.difference(from: snapshot, ignoringDormancy: true) == nil { return (snapshot, ruleset) }
        }
        return nil
    }

    /// `unblocked` when our table is absent or dormant; `blocked` when it
    /// matches the rendering (either match kind); otherwise `incomplete`, with
    /// the difference. Like comparing `nft list table bridge hanet_<tag>` with
    /// the rendering.
    public func inspect(_ policy: GuestBlockPolicy) throws -> GuestBlockState {
        // A dormant table blocks nothing, whatever its chains hold (the next
        // block checks those itself): the unblocked host's monitor reads
        // one table header instead of decoding every rule.
        guard let snapshot = try snapshot(of: policy, stoppingAtDormantTable: true) else { return .unblocked }
        if snapshot.table.flags & NFTablesConstants.tableFlagDormant != 0 { return .unblocked }
        let candidates = NFTablesMatch.allCases.map { NFTablesRuleset(policy: policy, match: $0) }
        // The table comment names the rendering that made it.
        if let comment = snapshot.table.comment, let made = candidates.first(where: { $0.table.comment == comment }) {
            return made.difference(from: snapshot).map { .incomplete(reason: $0) } ?? .blocked
        }
        var differences: [String] = []
        for candidate in candidates {
            guard let difference = candidate.difference(from: snapshot) else { return .blocked }
            differences.append(difference)
        }
        let preferred = bridgeMatchSupported == false || policy.bridges.isEmpty ? 1 : 0
        return .incomplete(reason: differences[preferred])
    }

    // MARK: reading back

    /// Our table, its chains and rules as the kernel holds them; nil when the
    /// table does not exist. All replies come from one ruleset generation
    /// (read again if a commit raced the reads; after `readAttempts` mixed
    /// reads, an EINTR error rather than a mix).
    /// With `stoppingAtDormantTable`, a dormant table comes back without
    /// its chains and rules.
    public func snapshot(of policy: GuestBlockPolicy, stoppingAtDormantTable: Bool = false) throws -> NFTablesSnapshot? {
        try consistentRead(table: Self.tableName(for: policy), stoppingAtDormantTable: stoppingAtDormantTable, pinned: false).snapshot
    }

    /// Each reply's nfgenmsg carries the low 16 bits of the generation it
    /// was built in; a consistent read has one. `pinned` asks for the full
    /// 32-bit generation first (NFT_MSG_GETGEN, one more round trip, only
    /// for reads that decide a write): the replies must then all carry it.
    private func consistentRead(table: String, stoppingAtDormantTable: Bool, pinned: Bool) throws -> (snapshot: NFTablesSnapshot?, generation: UInt32?) {
        for _ in 1...Self.readAttempts {
            let generation = pinned ? try Self.probe(connection: connection) : nil
            let (snapshot, seen) = try readOnce(table: table, stoppingAtDormantTable: stoppingAtDormantTable)
            let expected = generation.map { UInt16(truncatingIfNeeded: $0) } ?? seen.first
            if seen.allSatisfy({ $0 == expected }) { return (snapshot, generation) }
        }
        throw NetlinkError(operation: "NFT read", object: "bridge \(table)", errno: EINTR,
                           kernelMessage: "ruleset changed during each of \(Self.readAttempts) reads by concurrent commits")
    }

    /// The snapshot and the ruleset generation each reply carried (an
    /// array: a Set<UInt16> costs more runtime metadata work than the read).
    private func readOnce(table name: String, stoppingAtDormantTable: Bool) throws -> (NFTablesSnapshot?, [UInt16]) {
        var generations: [UInt16] = []
        let object = "bridge \(name)"
        let table: NFTablesTable
        do {
            let reply = try connection.get(NFTablesMessage.getTable(name), operation: "NFT_MSG_GETTABLE", object: object)
            let decoded = try NFTablesDecoder.table(reply)
            table = decoded.0
            generations.append(decoded.generation)
        } catch let error as NetlinkError where error.errno == ENOENT {
            return (nil, [])
        }
        if stoppingAtDormantTable && table.flags & NFTablesConstants.tableFlagDormant != 0 {
            return (NFTablesSnapshot(table: table, chains: [], rules: []), generations)
        }
        var chains: [NFTablesChain] = []
        for chainName in [NFTablesRuleset.inputChain, NFTablesRuleset.outputChain] {
            do {
                let reply = try connection.get(NFTablesMessage.getChain(chainName, table: name), operation: "NFT_MSG_GETCHAIN", object: "\(object) \(chainName)")
                let decoded = try NFTablesDecoder.chain(reply)
                generations.append(decoded.generation)
                chains.append(decoded.chain)
            } catch let error as NetlinkError where error.errno == ENOENT {
                continue // reported as missing by the comparison
            }
        }
        var rules: [NFTablesRule] = []
        for message in try connection.dump(NFTablesMessage.getRules(table: name), operation: "NFT_MSG_GETRULE", object: object) {
            let decoded = try NFTablesDecoder.rule(message)
            generations.append(decoded.generation)
            // The kernel filters by table; an old one that does not is filtered here.
            if decoded.table == name { rules.append(decoded.rule) }
        }
        return (NFTablesSnapshot(table: table, chains: chains, rules: rules), generations)
    }

    // MARK: socket buffers

    /// A batch is one datagram: past the default send buffer (~208 KiB) the
    /// kernel refuses it with EMSGSIZE, so raise SO_SNDBUF(FORCE) first. A
    /// batch that fails reports every failing message; make room for those too.
    private func prepareBuffers(for items: [NetlinkConnection.BatchItem]) -> Int {
        let bytes = items.reduce(0) { $0 + 16 + $1.request.payload.count }
        connection.transport.reserveBuffers(sendBytes: bytes > 64 * 1024 ? bytes + 64 * 1024 : 0,
                                            receiveBytes: items.count > 128 ? items.count * 1024 : 0)
        return bytes
    }
}
