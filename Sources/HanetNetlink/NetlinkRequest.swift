/// A netlink message being built: header, family header, attributes.
///
/// Built in plain Swift rather than through libmnl's `mnl_attr_put*` so the
/// exact bytes can be compared against golden captures without a socket.
/// The sequence number and port are filled in by `NetlinkConnection` when the
/// message is sent, so a request value can be reused and compared in tests.
public struct NetlinkRequest: Equatable, Sendable {
    /// `nlmsg_type` (`RTM_NEWLINK`; for nf_tables, subsystem << 8 | message).
    public var type: UInt16
    /// `nlmsg_flags` as built; `NetlinkConnection` adds `NLM_F_REQUEST` (and
    /// `NLM_F_ACK` or `NLM_F_DUMP`, depending on the call) when it sends.
    public var flags: UInt16
    /// Everything after the 16-byte `nlmsghdr`: family header and attributes.
    public private(set) var payload: [UInt8]
    private var openNests: [Int] = []

    /// An empty message: append the family header first (`append(header:)`),
    /// then attributes.
    public init(type: UInt16, flags: UInt16) {
        self.type = type
        self.flags = flags
        self.payload = []
        payload.reserveCapacity(256)
    }

    /// Appends a fixed C header such as `ifinfomsg`, padded to 4 bytes.
    public mutating func append<Header>(header: Header) {
        withUnsafeBytes(of: header) { payload.append(contentsOf: $0) }
        pad()
    }

    /// Appends raw bytes padded to 4, e.g. a family header spelled as bytes
    /// (nf_tables' 4-byte `nfgenmsg`).
    public mutating func append(bytes: [UInt8]) {
        payload.append(contentsOf: bytes)
        pad()
    }

    /// Appends one attribute: `nlattr` header, `bytes`, padding to 4. The
    /// length field counts header and payload, not the padding.
    public mutating func attribute(_ type: UInt16, bytes: [UInt8]) {
        let length = 4 + bytes.count
        appendAttributeHeader(length: length, type: type)
        payload.append(contentsOf: bytes)
        pad()
    }

    /// An `NLA_U8` (one byte, then padding).
    public mutating func attribute(_ type: UInt16, u8 value: UInt8) { attribute(type, bytes: [value]) }
    /// An `NLA_U16` in host byte order.
    public mutating func attribute(_ type: UInt16, u16 value: UInt16) { attribute(type, bytes: Self.bytes(of: value)) }
    /// An `NLA_U32` in host byte order (most rtnetlink integers).
    public mutating func attribute(_ type: UInt16, u32 value: UInt32) { attribute(type, bytes: Self.bytes(of: value)) }
    /// An `NLA_U64` in host byte order.
    public mutating func attribute(_ type: UInt16, u64 value: UInt64) { attribute(type, bytes: Self.bytes(of: value)) }
    /// An `NLA_S32` (or a signed ifindex sent as u32) in host byte order.
    public mutating func attribute(_ type: UInt16, i32 value: Int32) { attribute(type, bytes: Self.bytes(of: value)) }
    /// Network byte order, as nf_tables wants for most of its integers.
    public mutating func attribute(_ type: UInt16, bigEndian value: UInt32) { attribute(type, bytes: Self.bytes(of: value.bigEndian)) }
    /// A 64-bit integer in network byte order (`NLA_BE64`, as nf_tables takes handles).
    public mutating func attribute(_ type: UInt16, bigEndian value: UInt64) { attribute(type, bytes: Self.bytes(of: value.bigEndian)) }
    /// NUL-terminated string (NLA_NUL_STRING / NLA_STRING with terminator, as iproute2 sends them).
    public mutating func attribute(_ type: UInt16, string value: String) {
        attribute(type, bytes: Array(value.utf8) + [0])
    }
    /// String without terminator (NLA_STRING as iproute2 sends IFLA_INFO_KIND).
    public mutating func attribute(_ type: UInt16, unterminated value: String) {
        attribute(type, bytes: Array(value.utf8))
    }
    /// An `NLA_FLAG`: no payload; its presence is the value.
    public mutating func flag(_ type: UInt16) { attribute(type, bytes: []) }

    /// Opens a nested attribute; its length is patched by `endNest()`.
    /// `flagged` sets NLA_F_NESTED as libmnl does (nf_tables requires it);
    /// rtnetlink's older attributes are sent without it, as iproute2 does.
    public mutating func beginNest(_ type: UInt16, flagged: Bool = true) {
        openNests.append(payload.count)
        appendAttributeHeader(length: 4, type: flagged ? type | NetlinkConstants.nlaFlagNested : type)
    }

    /// Closes the innermost nest opened by `beginNest` by writing its final
    /// length; does nothing when none is open. `nest(_:flagged:_:)` cannot
    /// forget this.
    public mutating func endNest() {
        guard let start = openNests.popLast() else { return }
        let length = UInt16(truncatingIfNeeded: payload.count - start)
        payload[start] = UInt8(length & 0xff)
        payload[start + 1] = UInt8(length >> 8)
    }

    /// Builds a nested attribute in a closure, so nests can never be left open.
    public mutating func nest(_ type: UInt16, flagged: Bool = true, _ body: (inout NetlinkRequest) -> Void) {
        beginNest(type, flagged: flagged)
        body(&self)
        endNest()
    }

    /// The full message with header, as it goes on the wire.
    public func encoded(sequence: UInt32, portID: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + payload.count)
        out.append(contentsOf: Self.bytes(of: UInt32(16 + payload.count)))
        out.append(contentsOf: Self.bytes(of: type))
        out.append(contentsOf: Self.bytes(of: flags))
        out.append(contentsOf: Self.bytes(of: sequence))
        out.append(contentsOf: Self.bytes(of: portID))
        out.append(contentsOf: payload)
        return out
    }

    private mutating func appendAttributeHeader(length: Int, type: UInt16) {
        payload.append(contentsOf: Self.bytes(of: UInt16(truncatingIfNeeded: length)))
        payload.append(contentsOf: Self.bytes(of: type))
    }

    private mutating func pad() {
        while payload.count % 4 != 0 { payload.append(0) }
    }

    @inline(__always)
    static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }
}
