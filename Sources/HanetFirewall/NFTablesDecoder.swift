import HanetNetlink

/// Decodes nf_tables replies (NEWTABLE / NEWCHAIN / NEWRULE / NEWGEN).
///
/// Every length is checked by `NetlinkAttributes` before it is used, and
/// every missing or malformed attribute throws `NetlinkDecodeError`: a
/// kernel reply we do not understand must become a reported error, never a
/// crash of the agent Pacemaker is asking for a status.
enum NFTablesDecoder {
    typealias K = NFTablesConstants
    static let headerSize = 4 // struct nfgenmsg

    /// The nfgenmsg fields: family and res_id, which in replies carries the
    /// low 16 bits of the ruleset generation the reply was built from.
    static func header(_ message: NetlinkMessage, expecting type: UInt16) throws(NetlinkDecodeError) -> (family: UInt8, generation: UInt16) {
        let context = K.operationName(type)
        guard message.type == K.messageType(type) else {
            throw NetlinkDecodeError(context, "unexpected message type 0x\(String(message.type, radix: 16))")
        }
        guard message.payload.count >= headerSize else {
            throw NetlinkDecodeError(context, "payload of \(message.payload.count) bytes is shorter than its 4-byte nfgenmsg")
        }
        return (message.payload[0], UInt16(message.payload[2]) << 8 | UInt16(message.payload[3]))
    }

    static func attributes(_ message: NetlinkMessage, expecting type: UInt16) throws(NetlinkDecodeError) -> (NetlinkAttributes, generation: UInt16) {
        let (_, generation) = try header(message, expecting: type)
        return (try message.attributes(after: headerSize, context: K.operationName(type)), generation)
    }

    static func table(_ message: NetlinkMessage) throws(NetlinkDecodeError) -> (NFTablesTable, generation: UInt16) {
        let (attributes, generation) = try attributes(message, expecting: K.newTable)
        return (try NFTablesTable.decode(attributes), generation)
    }

    static func chain(_ message: NetlinkMessage) throws(NetlinkDecodeError) -> (table: String, chain: NFTablesChain, generation: UInt16) {
        let (attributes, generation) = try attributes(message, expecting: K.newChain)
        let (table, chain) = try NFTablesChain.decode(attributes)
        return (table, chain, generation)
    }

    static func rule(_ message: NetlinkMessage) throws(NetlinkDecodeError) -> (table: String, rule: NFTablesRule, generation: UInt16) {
        let (attributes, generation) = try attributes(message, expecting: K.newRule)
        let (table, rule) = try NFTablesRule.decode(attributes)
        return (table, rule, generation)
    }

    /// NFTA_GEN_ID of an NFT_MSG_NEWGEN reply.
    static func generationID(_ message: NetlinkMessage) throws(NetlinkDecodeError) -> UInt32 {
        let (attributes, _) = try attributes(message, expecting: K.newGen)
        guard let id = attributes[K.genID] else {
            throw NetlinkDecodeError("NFT_MSG_NEWGEN", "missing NFTA_GEN_ID")
        }
        return try id.bigEndianU32()
    }
}
