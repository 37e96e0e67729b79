/// An Ethernet (EUI-48) address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The six octets in transmission order.
    public let bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    /// Text that is not a MAC address.
    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        /// The text as given.
        public let text: String
        public var description: String { "'\(text)' is not a MAC address (expected six hex octets like 02:00:00:00:00:01)" }
    }

    /// From six octets in transmission order.
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        bytes = (b0, b1, b2, b3, b4, b5)
    }

    /// From exactly six bytes (`IFLA_ADDRESS`, `NDA_LLADDR`); nil for any other length.
    public init?(bytes array: some Collection<UInt8>) {
        guard array.count == 6 else { return nil }
        let a = Array(array)
        self.init(a[0], a[1], a[2], a[3], a[4], a[5])
    }

    /// Accepts `aa:bb:cc:dd:ee:ff` and `aa-bb-cc-dd-ee-ff`, any case.
    public init(parsing text: String) throws(Invalid) {
        // Bytes, not Characters: registries parse a MAC per guest.
        var octets: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        var count = 0, digits = 0, value: UInt8 = 0
        var separator: UInt8 = 0
        func store(_ octet: UInt8, at index: Int) {
            switch index {
            case 0: octets.0 = octet
            case 1: octets.1 = octet
            case 2: octets.2 = octet
            case 3: octets.3 = octet
            case 4: octets.4 = octet
            default: octets.5 = octet
            }
        }
        for byte in text.utf8 {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: ":"), UInt8(ascii: "-"):
                // One separator kind throughout, 1-2 digits per octet.
                guard digits > 0, count < 5, separator == 0 || separator == byte else { throw Invalid(text: text) }
                separator = byte
                store(value, at: count)
                count += 1; digits = 0; value = 0
                continue
            default:
                throw Invalid(text: text)
            }
            guard digits < 2 else { throw Invalid(text: text) }
            value = value << 4 | nibble
            digits += 1
        }
        guard count == 5, digits > 0 else { throw Invalid(text: text) }
        store(value, at: 5)
        self.init(octets.0, octets.1, octets.2, octets.3, octets.4, octets.5)
    }

    /// For literals in code and tests; an invalid literal is a programming error.
    public init(stringLiteral value: String) {
        do { try self.init(parsing: value) } catch { preconditionFailure("invalid MAC literal: \(value)") }
    }

    /// The six octets as an array, for attribute payloads and frames.
    public var array: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5] }

    /// The 48 bits as one integer: a cheap sort and hash key.
    public var integerValue: UInt64 {
        UInt64(bytes.0) << 40 | UInt64(bytes.1) << 32 | UInt64(bytes.2) << 24
            | UInt64(bytes.3) << 16 | UInt64(bytes.4) << 8 | UInt64(bytes.5)
    }

    /// Multicast bit set: never a valid unicast interface address.
    public var isMulticast: Bool { bytes.0 & 1 == 1 }
    /// 00:00:00:00:00:00, which the kernel reports where no address is known
    /// (the partner of an 802.3ad bond that never answered).
    public var isZero: Bool { array.allSatisfy { $0 == 0 } }
    /// Locally administered (the bit that generated addresses set).
    public var isLocallyAdministered: Bool { bytes.0 & 2 == 2 }

    /// Lower-case hex, colon-separated: `02:00:00:00:00:01`.
    public var description: String {
        // Written into the string's own storage: registries print a MAC per guest.
        String(unsafeUninitializedCapacity: 17) { text in
            func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? nibble + 48 : nibble + 87 } // 0-9, a-f
            for (i, byte) in [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5].enumerated() {
                if i > 0 { text[3 * i - 1] = UInt8(ascii: ":") }
                text[3 * i] = hex(byte >> 4)
                text[3 * i + 1] = hex(byte & 0xf)
            }
            return 17
        }
    }

    public static func == (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.integerValue == rhs.integerValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(integerValue) }
}
