import HanetNetlink

/// Our table as rendered or as read back (NFT_MSG_NEWTABLE).
public struct NFTablesTable: Equatable, Sendable {
    /// `NFTA_TABLE_NAME`: `hanet_<ownerTag>` for ours.
    public var name: String
    /// NFT_TABLE_F_* (dormant, owner); ours is 0 as rendered, and
    /// NFT_TABLE_F_DORMANT once `unblock` has switched it off.
    public var flags: UInt32
    /// How many chains, sets, objects and flowtables the table holds
    /// (NFTA_TABLE_USE; read back only).
    public var use: UInt32?
    /// The table comment (nftnl userdata), where hanet records the rendering.
    public var comment: String?

    /// A table as rendered (`use` nil) or read back.
    public init(name: String, flags: UInt32 = 0, use: UInt32? = nil, comment: String?) {
        self.name = name
        self.flags = flags
        self.use = use
        self.comment = comment
    }

    // MARK: wire

    /// NFT_MSG_NEWTABLE attributes in nft's order: name, flags, userdata.
    func encode(into request: inout NetlinkRequest) {
        typealias K = NFTablesConstants
        request.attribute(K.tableName, string: name)
        request.attribute(K.tableFlags, bigEndian: flags)
        if let comment {
            // nftnl userdata TLV: type, length (with NUL), NUL-terminated text.
            let text = Array(comment.utf8) + [0]
            request.attribute(K.tableUserdata, bytes: [K.userdataTableComment, UInt8(truncatingIfNeeded: text.count)] + text)
        }
    }

    static func decode(_ attributes: NetlinkAttributes) throws(NetlinkDecodeError) -> NFTablesTable {
        typealias K = NFTablesConstants
        guard let name = attributes[K.tableName] else {
            throw NetlinkDecodeError("nf_tables table", "missing NFTA_TABLE_NAME")
        }
        return NFTablesTable(
            name: try name.string(),
            flags: try attributes[K.tableFlags]?.bigEndianU32() ?? 0,
            use: try attributes[K.tableUse]?.bigEndianU32(),
            comment: try attributes[K.tableUserdata].flatMap { attribute throws(NetlinkDecodeError) in try comment(inUserdata: attribute.value) })
    }

    /// Finds the comment TLV in nftnl userdata; throws if a TLV runs past the end.
    static func comment(inUserdata data: ArraySlice<UInt8>) throws(NetlinkDecodeError) -> String? {
        var offset = data.startIndex
        var found: String?
        while offset < data.endIndex {
            guard data.endIndex - offset >= 2 else {
                throw NetlinkDecodeError("nf_tables table userdata", "truncated TLV header at byte \(offset - data.startIndex)")
            }
            let type = data[offset]
            let length = Int(data[offset + 1])
            let start = offset + 2
            guard data.endIndex - start >= length else {
                throw NetlinkDecodeError("nf_tables table userdata", "TLV \(type) of \(length) bytes runs past its \(data.count)-byte buffer")
            }
            if type == K.userdataTableComment {
                var text = data[start..<(start + length)]
                if let nul = text.firstIndex(of: 0) { text = text[text.startIndex..<nul] }
                found = String(decoding: text, as: UTF8.self)
            }
            offset = start + length
        }
        return found
    }

    private typealias K = NFTablesConstants
}
