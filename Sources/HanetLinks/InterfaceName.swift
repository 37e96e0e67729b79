/// A Linux network interface name, validated the way the kernel does.
///
/// The kernel accepts 1-15 bytes (IFNAMSIZ - 1) without `/`, `:`, whitespace
/// or NUL (`dev_valid_name`, plus `:` which alias syntax reserves); we also
/// refuse control bytes, which would reach logs and terminals. Checking
/// here turns a typo in a Pacemaker parameter into a clear configuration
/// error instead of an EINVAL from deep inside a start.
public struct InterfaceName: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The name, as given to or reported by the kernel.
    public let value: String

    /// Why a name was refused; the description is a sentence for an exit reason.
    public enum Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        /// The name is empty.
        case empty
        /// More than 15 bytes; `bytes` is the name's UTF-8 length.
        case tooLong(String, bytes: Int)
        /// Contains `/`, `:`, whitespace or NUL.
        case forbiddenCharacter(String, Character)
        /// `.` or `..`, which would clash with directory names in sysfs.
        case reserved(String)
        /// A control byte: the kernel would accept it, but the name ends up
        /// in logs and terminals, where it could forge or hide text.
        case controlCharacter(String, UInt8)

        public var description: String {
            switch self {
            case .empty: return "interface name is empty"
            case .tooLong(let name, let bytes): return "interface name '\(name)' is \(bytes) bytes long (at most 15)"
            case .forbiddenCharacter(let name, let char):
                let shown = char.isWhitespace || char == "\0" ? "whitespace or NUL" : "'\(char)'"
                return "interface name '\(name.filter { !$0.isNewline })' contains \(shown)"
            case .reserved(let name): return "interface name '\(name)' is reserved"
            case .controlCharacter(let name, let byte):
                let shown = String(name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
                let hex = String(byte, radix: 16)
                return "interface name '\(shown)' contains the control byte 0x\(hex.count == 1 ? "0" + hex : hex)"
            }
        }
    }

    /// Checks `name` by the rules above; throws `Invalid` naming what is wrong.
    public init(validating name: String) throws(Invalid) {
        guard !name.isEmpty else { throw .empty }
        let bytes = name.utf8.count
        guard bytes <= 15 else { throw .tooLong(name, bytes: bytes) }
        guard name != "." && name != ".." else { throw .reserved(name) }
        for char in name where char == "/" || char == ":" || char == "\0" || char.isWhitespace {
            throw .forbiddenCharacter(name, char)
        }
        for byte in name.utf8 where byte < 0x20 || byte == 0x7f {
            throw .controlCharacter(name, byte)
        }
        value = name
    }

    /// For literals in code and tests; an invalid literal is a programming error.
    public init(stringLiteral value: String) {
        do { try self.init(validating: value) } catch { preconditionFailure("invalid interface name literal: \(error)") }
    }

    /// Names the kernel reports back are trusted as they are.
    init(kernel name: String) { value = name }

    public var description: String { value }
    public static func < (lhs: InterfaceName, rhs: InterfaceName) -> Bool { lhs.value < rhs.value }
}
