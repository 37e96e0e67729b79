/// An Ethernet (EUI-48) address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        public let text: String
        public var description: String { "'\(text)' is not a MAC address (expected six hex octets like 02:00:00:00:00:01)" }
    }

    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        bytes = (b0, b1, b2, b3, b4, b5)
    }

    public init?(bytes array: some Collection<UInt8>) {
        guard array.count == 6 else { return nil }
        let a = Array(array)
        self.init(a[0], a[1], a[2], a[3], a[4], a[5])
    }

    /// Accepts `aa:bb:cc:dd:ee:ff` and `aa-bb-cc-dd-ee-ff`, any case.
    public init(parsing text: String) throws(Invalid) {
        let separator: Character = text.contains("-") ? "-" : ":"
        let parts = text.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count == 6 else { throw Invalid(text: text) }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...2).contains(part.count), let octet = UInt8(part, radix: 16) else { throw Invalid(text: text) }
            octets.append(octet)
        }
        self.init(octets[0], octets[1], octets[2], octets[3], octets[4], octets[5])
    }

    public init(stringLiteral value: String) {
        do { try self.init(parsing: value) } catch { preconditionFailure("invalid MAC literal: \(value)") }
    }

    public var array: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5] }

    /// The 48 bits as one integer: a cheap sort and hash key.
    public var integerValue: UInt64 {
        UInt64(bytes.0) << 40 | UInt64(bytes.1) << 32 | UInt64(bytes.2) << 24
            | UInt64(bytes.3) << 16 | UInt64(bytes.4) << 8 | UInt64(bytes.5)
    }

    /// Multicast bit set: never a valid unicast interface address.
    public var isMulticast: Bool { bytes.0 & 1 == 1 }
    public var isZero: Bool { array.allSatisfy { $0 == 0 } }
    /// Locally administered (the bit that generated addresses set).
    public var isLocallyAdministered: Bool { bytes.0 & 2 == 2 }

    public var description: String {
        array.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    public static func == (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.integerValue == rhs.integerValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(integerValue) }
}
