/// One message received from the kernel, with its payload still undecoded.
///
/// Decoding is left to the layer that knows the family (links, nf_tables);
/// this type only guarantees the header was complete and the length sane.
public struct NetlinkMessage: Equatable, Sendable {
    /// `nlmsg_type`: a family message (`RTM_NEWLINK`; for nfnetlink,
    /// subsystem << 8 | message) or a control message (`NLMSG_ERROR`, `NLMSG_DONE`).
    public var type: UInt16
    /// `nlmsg_flags`, e.g. `NLM_F_MULTI` and `NLM_F_DUMP_INTR` in a dump.
    public var flags: UInt16
    /// `nlmsg_seq`: in a reply, the sequence number of the request it answers.
    public var sequence: UInt32
    /// `nlmsg_pid`: in a reply, the requester's port; `NetlinkConnection`
    /// accepts only its own port or 0.
    public var portID: UInt32
    /// Bytes after the 16-byte header.
    public var payload: [UInt8]

    /// A message from its header fields and payload (`split(datagram:)` and
    /// fake kernels build them this way).
    public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32, payload: [UInt8]) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    /// Splits one datagram into messages. Throws on a header whose length
    /// runs past the datagram instead of reading beyond it, and on a
    /// datagram that ends inside a header (C's NLMSG_OK would stop there
    /// silently, and a dump would then wait for an NLMSG_DONE that was cut off).
    public static func split(datagram: ArraySlice<UInt8>) throws(NetlinkDecodeError) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = datagram.startIndex
        while datagram.endIndex - offset >= 16 {
            let length = Int(ByteReader.u32(datagram, at: offset))
            guard length >= 16 else {
                throw NetlinkDecodeError("nlmsghdr", "length \(length) shorter than the header")
            }
            guard offset + length <= datagram.endIndex else {
                throw NetlinkDecodeError("nlmsghdr", "length \(length) runs past the datagram (\(datagram.endIndex - offset) bytes left)")
            }
            messages.append(NetlinkMessage(
                type: ByteReader.u16(datagram, at: offset + 4),
                flags: ByteReader.u16(datagram, at: offset + 6),
                sequence: ByteReader.u32(datagram, at: offset + 8),
                portID: ByteReader.u32(datagram, at: offset + 12),
                payload: Array(datagram[(offset + 16)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        // The kernel aligns every message: bytes left over are a header cut short.
        if offset < datagram.endIndex {
            throw NetlinkDecodeError("nlmsghdr", "datagram ends in the middle of a message header (\(datagram.endIndex - offset) of 16 bytes)")
        }
        return messages
    }

    /// Reads a fixed C family header (e.g. `ifinfomsg`) from the payload start.
    public func header<Header>(as type: Header.Type, context: String) throws(NetlinkDecodeError) -> Header {
        let size = MemoryLayout<Header>.size
        guard payload.count >= size else {
            throw NetlinkDecodeError(context, "payload of \(payload.count) bytes is shorter than its \(size)-byte header")
        }
        return payload.withUnsafeBytes { $0.loadUnaligned(as: Header.self) }
    }

    /// Visits the attributes after a family header without collecting them.
    public func forEachAttribute(
        after headerSize: Int, context: String, _ body: (NetlinkAttributes.Attribute) throws(NetlinkDecodeError) -> Void
    ) throws(NetlinkDecodeError) {
        let start = (headerSize + 3) & ~3
        guard payload.count >= start else {
            throw NetlinkDecodeError(context, "payload of \(payload.count) bytes is shorter than its \(headerSize)-byte header")
        }
        try NetlinkAttributes.forEach(in: payload[start...], context: context, body)
    }

    /// Attributes that follow a family header of `headerSize` bytes.
    public func attributes(after headerSize: Int, context: String) throws(NetlinkDecodeError) -> NetlinkAttributes {
        let start = (headerSize + 3) & ~3
        guard payload.count >= start else {
            throw NetlinkDecodeError(context, "payload of \(payload.count) bytes is shorter than its \(headerSize)-byte header")
        }
        return try NetlinkAttributes(payload[start...], context: context)
    }
}

/// Little helpers for reading host-endian integers out of byte slices.
/// Callers check bounds first; these never allocate.
enum ByteReader {
    @inline(__always)
    static func u16(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }
    @inline(__always)
    static func u32(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
