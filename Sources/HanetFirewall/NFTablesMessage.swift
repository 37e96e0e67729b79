import HanetNetlink

/// Builders for the nf_tables requests hanet sends, byte for byte as nft
/// 1.0.6 (libnftnl) spells the same commands; the golden tests hold them to it.
///
/// Every message starts with a `nfgenmsg` (family, version, res_id). The
/// batch delimiters carry the subsystem in res_id (big-endian, as nft sends
/// it); object messages carry 0.
enum NFTablesMessage {
    typealias K = NFTablesConstants

    static func request(_ type: UInt16, flags: UInt16 = 0, family: UInt8 = K.familyBridge) -> NetlinkRequest {
        var request = NetlinkRequest(type: K.messageType(type), flags: flags)
        request.append(bytes: [family, K.version, 0, 0])
        return request
    }

    /// res_id of the batch delimiters: NFNL_SUBSYS_NFTABLES, big-endian.
    static let subsystemResID: [UInt8] = [UInt8(K.subsystem >> 8), UInt8(K.subsystem & 0xff)]

    /// With `generation`, the batch is pinned (NFNL_BATCH_GENID, big-endian
    /// u32 as the kernel reads it): if the ruleset has moved on since the
    /// read that decided this batch, the kernel refuses the whole batch
    /// with ERESTART instead of applying a change written for a state that
    /// is gone. Without, the bytes are nft's.
    static func batchBegin(generation: UInt32? = nil) -> NetlinkRequest {
        var request = NetlinkRequest(type: K.batchBegin, flags: 0)
        request.append(bytes: [K.familyUnspecified, K.version] + subsystemResID)
        if let generation { request.attribute(K.batchGenerationID, bigEndian: generation) }
        return request
    }

    static func batchEnd() -> NetlinkRequest {
        var request = NetlinkRequest(type: K.batchEnd, flags: 0)
        request.append(bytes: [K.familyUnspecified, K.version] + subsystemResID)
        return request
    }

    /// `add table bridge NAME { comment "..." }`: creates, or leaves an existing table as it is.
    static func newTable(_ table: NFTablesTable) -> NetlinkRequest {
        var request = request(K.newTable)
        table.encode(into: &request)
        return request
    }

    /// `delete table bridge NAME`: the table with all its chains and rules.
    static func deleteTable(_ name: String) -> NetlinkRequest {
        var request = request(K.delTable)
        request.attribute(K.tableName, string: name)
        return request
    }

    /// `add chain bridge TABLE NAME { type filter hook ... }`
    static func newChain(_ chain: NFTablesChain, table: String) -> NetlinkRequest {
        var request = request(K.newChain, flags: NetlinkConstants.create)
        chain.encode(table: table, into: &request)
        return request
    }

    /// `add rule bridge TABLE CHAIN ...` (appended).
    static func newRule(_ rule: NFTablesRule, table: String) -> NetlinkRequest {
        var request = request(K.newRule, flags: NetlinkConstants.create | NetlinkConstants.append)
        rule.encode(table: table, into: &request)
        return request
    }

    /// One table by name (not a dump: nothing of other tables is read).
    static func getTable(_ name: String) -> NetlinkRequest {
        var request = request(K.getTable)
        request.attribute(K.tableName, string: name)
        return request
    }

    /// One chain by table and name.
    static func getChain(_ name: String, table: String) -> NetlinkRequest {
        var request = request(K.getChain)
        request.attribute(K.chainTable, string: table)
        request.attribute(K.chainName, string: name)
        return request
    }

    /// A rule dump filtered by the kernel to one table.
    static func getRules(table: String) -> NetlinkRequest {
        var request = request(K.getRule)
        request.attribute(K.ruleTable, string: table)
        return request
    }

    /// The ruleset generation: the side-effect-free availability probe.
    static func getGeneration() -> NetlinkRequest {
        request(K.getGen, family: K.familyUnspecified)
    }
}
