/// A guest's MAC address, or a block of them under one prefix
/// (`00:16:3e:00:00:00/24`, Xen's OUI): how a guest group is named by
/// identity rather than by a port name that changes at every reboot.
///
/// Kept strict, because a wrong prefix silently blocks the wrong guests:
/// the bits after the prefix must be zero (`52:54:00:12:34:56/24` is a typo,
/// not a prefix), the prefix must fix at least the first octet (which holds
/// the multicast bit), and multicast or all-zero addresses are refused: no
/// guest sends from them.
public struct MACPrefix: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first address of the block (all bits after `length` zero).
    public let address: MACAddress
    /// Leading bits that are fixed: 48 for a single address.
    public let length: Int

    /// Text that is not a usable MAC or MAC prefix, and why.
    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        /// The token as given.
        public let text: String
        /// What is wrong with it.
        public let reason: String
        public var description: String { "'\(text)': \(reason)" }
    }

    /// Shortest prefix accepted: it fixes the octet with the multicast bit.
    public static let minimumLength = 8

    /// A single address or an aligned block; throws what `init(parsing:)` would refuse.
    public init(address: MACAddress, length: Int = 48) throws(Invalid) {
        self.address = address
        self.length = length
        if let reason = problem { throw Invalid(text: description, reason: reason) }
    }

    /// `52:54:00:12:34:56` (one address) or `00:16:3e:00:00:00/24` (a block).
    public init(parsing text: String) throws(Invalid) {
        var addressText = Substring(text)
        var length = 48
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            let lengthText = text[text.index(after: slash)...]
            guard !lengthText.isEmpty, lengthText.utf8.count <= 2, lengthText.utf8.allSatisfy({ (48...57).contains($0) }),
                  let parsed = Int(lengthText), (Self.minimumLength...48).contains(parsed) else {
                throw Invalid(text: text, reason: "the prefix length must be \(Self.minimumLength)-48")
            }
            length = parsed
        }
        let address: MACAddress
        do { address = try MACAddress(parsing: String(addressText)) } catch {
            throw Invalid(text: text, reason: "not a MAC address (expected six hex octets like 52:54:00:12:34:56, optionally /8-48)")
        }
        self.address = address
        self.length = length
        if let reason = problem { throw Invalid(text: text, reason: reason) }
    }

    private var problem: String? {
        guard (Self.minimumLength...48).contains(length) else { return "the prefix length must be \(Self.minimumLength)-48" }
        if address.integerValue & ~mask != 0 {
            return "bits after the /\(length) prefix are set (the block starts at \(MACAddress(integer: address.integerValue & mask)))"
        }
        if address.isMulticast { return "a multicast address is never a guest's" }
        if length == 48 && address.isZero { return "00:00:00:00:00:00 is never a guest's" }
        return nil
    }

    /// The fixed bits as a 48-bit mask.
    public var mask: UInt64 { length == 0 ? 0 : (~UInt64(0) << UInt64(48 - length)) & 0xffff_ffff_ffff }

    /// Whether `mac` is this address or lies in this block.
    public func contains(_ mac: MACAddress) -> Bool { mac.integerValue & mask == address.integerValue }

    /// Whether the two share at least one address (one contains the other's start).
    public func overlaps(_ other: MACPrefix) -> Bool { contains(other.address) || other.contains(address) }

    /// The mask as six octets, for a rule's `bitwise`.
    public var maskBytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: mask >> UInt64(40 - 8 * $0)) } }

    /// `52:54:00:12:34:56` for a single address, `00:16:3e:00:00:00/24` for a block.
    public var description: String { length == 48 ? address.description : "\(address)/\(length)" }

    /// By first address, then longer prefixes after shorter ones: the one order policies use.
    public static func < (l: MACPrefix, r: MACPrefix) -> Bool {
        (l.address.integerValue, l.length) < (r.address.integerValue, r.length)
    }
}

extension MACAddress {
    /// From the low 48 bits of `integer` (see `integerValue`).
    public init(integer: UInt64) {
        self.init(UInt8(truncatingIfNeeded: integer >> 40), UInt8(truncatingIfNeeded: integer >> 32),
                  UInt8(truncatingIfNeeded: integer >> 24), UInt8(truncatingIfNeeded: integer >> 16),
                  UInt8(truncatingIfNeeded: integer >> 8), UInt8(truncatingIfNeeded: integer))
    }
}
