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
    /// Whether the pattern ended in `*`: then every name starting with `stem` matches.
    public let isPrefix: Bool

    /// A pattern that was refused, and why.
    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        /// The pattern as given.
        public let text: String
        /// What is wrong with it.
        public let reason: String
        public var description: String { "port pattern '\(text)': \(reason)" }
    }

    /// Parses `vif*` or `vif0.0`: at most one `*`, at the end (no `?` or
    /// `[`), after a stem that is a valid interface name (1-15 bytes).
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

    /// Whether `name` is this port, or starts with the stem of a prefix
    /// pattern (`vif*` matches `vif1.0` and `vif1.0-emu`).
    public func matches(_ name: String) -> Bool {
        isPrefix ? name.hasPrefix(stem) : name == stem
    }

    /// Whether some port name matches both (`vif*` and `vif1.0`, `vif*` and `vif1*`).
    public func overlaps(_ other: PortPattern) -> Bool {
        switch (isPrefix, other.isPrefix) {
        case (false, false): return stem == other.stem
        case (true, false): return other.stem.hasPrefix(stem)
        case (false, true): return stem.hasPrefix(other.stem)
        case (true, true): return stem.hasPrefix(other.stem) || other.stem.hasPrefix(stem)
        }
    }

    public var description: String { isPrefix ? stem + "*" : stem }

    /// By spelling: the one order policies, tables and chains use.
    public static func < (l: PortPattern, r: PortPattern) -> Bool { l.description < r.description }
}
