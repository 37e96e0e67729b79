import HanetLinks

/// A bridge-port name or name prefix (`vif*`, `tap*`, `vif0.0`).
///
/// Only a trailing `*` is supported because that is what both kernels'
/// matchers can express without per-port rules: nft compares a shorter
/// prefix of the interface name, xt_physdev uses a `+` suffix. Matching by
/// pattern, not by the ports present now, is what blocks a guest the moment
/// its port appears.
public struct PortPattern: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The fixed part: the whole name, or the prefix before `*`.
    public let stem: String
    public let isPrefix: Bool

    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        public let text: String
        public let reason: String
        public var description: String { "port pattern '\(text)': \(reason)" }
    }

    public init(parsing text: String) throws(Invalid) {
        var stem = Substring(text)
        var isPrefix = false
        if stem.hasSuffix("*") {
            stem = stem.dropLast()
            isPrefix = true
        }
        if stem.contains("*") || stem.contains("?") || stem.contains("[") {
            throw Invalid(text: text, reason: "only a trailing '*' is supported")
        }
        if stem.isEmpty {
            throw Invalid(text: text, reason: "a pattern must name at least one character (a bare '*' would match the uplink too)")
        }
        do {
            _ = try InterfaceName(validating: String(stem))
        } catch {
            throw Invalid(text: text, reason: error.description)
        }
        self.stem = String(stem)
        self.isPrefix = isPrefix
    }

    public func matches(_ name: String) -> Bool {
        isPrefix ? name.hasPrefix(stem) : name == stem
    }

    public var description: String { isPrefix ? stem + "*" : stem }

    /// By spelling: the one order policies, tables and chains use.
    public static func < (l: PortPattern, r: PortPattern) -> Bool { l.description < r.description }
}
