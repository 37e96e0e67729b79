/// A validated sequence of netlink attributes (TLVs).
///
/// Validation happens once, up front: every attribute's length is checked
/// against the enclosing buffer, so lookups afterwards cannot run off the end.
/// Typed accessors check the payload size and throw on a mismatch, because a
/// kernel newer or older than ours may change an attribute's width.
public struct NetlinkAttributes: Sendable, Sequence {
    /// One attribute: its type and its payload, the bytes after the 4-byte
    /// `nlattr` header up to its length (alignment padding excluded).
    ///
    /// The integer accessors read the leading bytes of the payload and throw
    /// `NetlinkDecodeError` when it is shorter than the integer or longer than
    /// 8 bytes.
    public struct Attribute: Sendable {
        /// Type with the NESTED / NET_BYTEORDER flag bits removed.
        public var type: UInt16
        /// Whether the sender set `NLA_F_NESTED`. nf_tables always sets it;
        /// rtnetlink's older nests (`IFLA_LINKINFO`) come without it, so decoders
        /// call `nested()` on the attributes they know to be nests instead.
        public var isNested: Bool
        /// The payload, without header or padding: a slice of the received message.
        public var value: ArraySlice<UInt8>
        let location: NetlinkDecodeLocation
        var context: String { location.description }

        /// An `NLA_U8` (flags such as `IFLA_CARRIER`, bond options).
        public func u8() throws(NetlinkDecodeError) -> UInt8 {
            try requireSize(1)
            return value[value.startIndex]
        }
        /// An `NLA_U16`, in the kernel's byte order.
        public func u16() throws(NetlinkDecodeError) -> UInt16 {
            try requireSize(2)
            return ByteReader.u16(value, at: value.startIndex)
        }
        /// An `NLA_U32`, in the kernel's byte order (most rtnetlink integers).
        public func u32() throws(NetlinkDecodeError) -> UInt32 {
            try requireSize(4)
            return ByteReader.u32(value, at: value.startIndex)
        }
        /// An `NLA_U64`, in the kernel's byte order; the payload must be exactly 8 bytes.
        public func u64() throws(NetlinkDecodeError) -> UInt64 {
            try requireSize(8)
            return UInt64(ByteReader.u32(value, at: value.startIndex)) | UInt64(ByteReader.u32(value, at: value.startIndex + 4)) << 32
        }
        /// An `NLA_S32`, or a u32 the kernel uses as a signed ifindex (`IFLA_LINK`, `IFLA_MASTER`).
        public func i32() throws(NetlinkDecodeError) -> Int32 { Int32(bitPattern: try u32()) }
        /// Big-endian (network order) integers, as nf_tables sends most of them.
        public func bigEndianU32() throws(NetlinkDecodeError) -> UInt32 { UInt32(bigEndian: try u32()) }
        /// A 64-bit integer in network order (`NLA_BE64`: nf_tables handles and counters).
        public func bigEndianU64() throws(NetlinkDecodeError) -> UInt64 { UInt64(bigEndian: try u64()) }

        /// A string attribute; the kernel NUL-terminates most, but not all.
        public func string() throws(NetlinkDecodeError) -> String {
            var bytes = value
            if let nul = bytes.firstIndex(of: 0) { bytes = bytes[bytes.startIndex..<nul] }
            guard bytes.count <= 4096 else {
                throw NetlinkDecodeError(context, "string attribute \(type) of \(bytes.count) bytes is oversized")
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// The payload copied into an array, for raw values such as a MAC address.
        public var bytes: [UInt8] { Array(value) }

        /// The payload parsed as nested attributes, validated like the outer ones,
        /// whether or not `NLA_F_NESTED` is set. Errors name the nesting path
        /// (`RTM_NEWLINK.18.2`).
        public func nested() throws(NetlinkDecodeError) -> NetlinkAttributes {
            try NetlinkAttributes(value, location: location.appending(type))
        }

        private func requireSize(_ size: Int) throws(NetlinkDecodeError) {
            guard value.count >= size else {
                throw NetlinkDecodeError(context, "attribute \(type) has \(value.count) bytes, expected \(size)")
            }
            guard value.count <= 8 || size > 8 else {
                throw NetlinkDecodeError(context, "attribute \(type) has \(value.count) bytes, expected \(size) (oversized)")
            }
        }
    }

    /// Every attribute in the order the kernel sent them, repeated types
    /// included (the `NFTA_LIST_ELEM`s of a rule's expressions).
    public private(set) var all: [Attribute] = []

    /// Validates every attribute in `buffer` (the part of a message after its
    /// family header) and keeps them all. Throws when a length is below 4 or
    /// runs past the buffer. `context` names the message in errors (`RTM_NEWLINK`).
    public init(_ buffer: ArraySlice<UInt8>, context: String) throws(NetlinkDecodeError) {
        try self.init(buffer, location: NetlinkDecodeLocation(context))
    }

    init(_ buffer: ArraySlice<UInt8>, location: NetlinkDecodeLocation) throws(NetlinkDecodeError) {
        var all: [Attribute] = []
        try Self.forEach(in: buffer, location: location) { all.append($0) }
        self.all = all
    }

    /// No attributes: what decoders use when the kernel sent none, e.g. a
    /// link kind without `IFLA_INFO_DATA`.
    public init() {}

    /// Visits each attribute without building the array: for decoders that
    /// read thousands of messages (a bridge with a thousand guest ports)
    /// and want a handful of attributes from each. Same validation as `init`.
    @inline(__always)
    public static func forEach(
        in buffer: ArraySlice<UInt8>, context: String, _ body: (Attribute) throws(NetlinkDecodeError) -> Void
    ) throws(NetlinkDecodeError) {
        try forEach(in: buffer, location: NetlinkDecodeLocation(context), body)
    }

    @inline(__always)
    static func forEach(
        in buffer: ArraySlice<UInt8>, location: NetlinkDecodeLocation, _ body: (Attribute) throws(NetlinkDecodeError) -> Void
    ) throws(NetlinkDecodeError) {
        let context = location
        var offset = buffer.startIndex
        while buffer.endIndex - offset >= 4 {
            let length = Int(ByteReader.u16(buffer, at: offset))
            let rawType = ByteReader.u16(buffer, at: offset + 2)
            guard length >= 4 else {
                throw NetlinkDecodeError(context.description, "attribute \(rawType & NetlinkConstants.nlaTypeMask) has length \(length) < 4")
            }
            guard offset + length <= buffer.endIndex else {
                throw NetlinkDecodeError(context.description, "attribute \(rawType & NetlinkConstants.nlaTypeMask) of length \(length) runs past its buffer (\(buffer.endIndex - offset) bytes left)")
            }
            try body(Attribute(
                type: rawType & NetlinkConstants.nlaTypeMask,
                isNested: rawType & NetlinkConstants.nlaFlagNested != 0,
                value: buffer[(offset + 4)..<(offset + length)],
                location: location))
            offset += (length + 3) & ~3
        }
    }

    /// The last attribute of that type (the kernel never repeats the ones we
    /// look up this way; lists such as arp_ip_target are read with `all`).
    public subscript(type: UInt16) -> Attribute? {
        all.last { $0.type == type }
    }

    public func makeIterator() -> IndexingIterator<[Attribute]> { all.makeIterator() }
}

/// Where an attribute sits, for error messages: the message's name and up
/// to four nesting levels, kept inline so decoding allocates nothing for it
/// (the text, e.g. `RTM_NEWLINK.18.2`, is built only when an error is thrown).
struct NetlinkDecodeLocation: Sendable, CustomStringConvertible {
    let base: String
    private var path: UInt64 = 0
    private var depth: UInt8 = 0
    /// Nesting deeper than the inline path can hold.
    private var truncated = false

    init(_ base: String) { self.base = base }

    func appending(_ type: UInt16) -> NetlinkDecodeLocation {
        var next = self
        if depth < 4 {
            next.path |= UInt64(type) << (16 * UInt64(depth))
            next.depth += 1
        } else {
            next.truncated = true
        }
        return next
    }

    var description: String {
        var text = base
        for level in 0..<UInt64(depth) { text += ".\((path >> (16 * level)) & 0xffff)" }
        return truncated ? text + ".…" : text
    }
}
