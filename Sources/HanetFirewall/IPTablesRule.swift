import HanetLinks

/// One rule of the guest block, as iptables would spell it.
///
/// Only what the block needs: interface matches in the `ip` part (`-i`/`-o`),
/// one optional `physdev` match, one optional `bpf` match on the Ethernet
/// header (guests selected by MAC), and a standard target or a jump. The same
/// value renders for IPv4 and IPv6 (`IPTablesRuleBuffer` does the bytes), and
/// its `description` is the `iptables -S` spelling used in reasons and logs.
public struct IPTablesRule: Hashable, Sendable, CustomStringConvertible {
    /// An interface name or `+`-prefix as xtables encodes it: name plus mask.
    public struct Interface: Hashable, Sendable, CustomStringConvertible {
        /// The name, or the fixed part before `+`.
        public var stem: String
        /// Matches every name that starts with `stem` (`vif+`), not just `stem`.
        public var isPrefix: Bool

        /// From the parts: `stem` should be at most 15 bytes, as interface names are.
        public init(stem: String, isPrefix: Bool) {
            self.stem = stem
            self.isPrefix = isPrefix
        }

        /// `vif*` becomes `vif+`; an exact name stays exact.
        public init(_ pattern: PortPattern) { self.init(stem: pattern.stem, isPrefix: pattern.isPrefix) }
        /// Exactly this interface (`-i br0`).
        public init(_ name: InterfaceName) { self.init(stem: name.value, isPrefix: false) }

        /// `vif+` or `vif0.0`.
        public var description: String { isPrefix ? stem + "+" : stem }

        /// The `IFNAMSIZ` name and mask bytes, exactly as iptables'
        /// `xtables_parse_interface` fills them: an exact name's mask covers
        /// the name and its terminating NUL (so `vif0.0` does not match
        /// `vif0.00`); a `+` prefix keeps the `+` in the name (for display)
        /// and masks only the stem, so the kernel compares the stem alone.
        public var encoded: (name: [UInt8], mask: [UInt8]) {
            var name = [UInt8](repeating: 0, count: Self.size)
            var mask = [UInt8](repeating: 0, count: Self.size)
            let stemBytes = Array(stem.utf8.prefix(Self.size))
            name.replaceSubrange(0..<stemBytes.count, with: stemBytes)
            if isPrefix {
                // A 15-byte stem leaves no room for '+'; the mask alone is what matches.
                if stemBytes.count < Self.size { name[stemBytes.count] = UInt8(ascii: "+") }
                for index in 0..<stemBytes.count { mask[index] = 0xFF }
            } else {
                for index in 0..<min(stemBytes.count + 1, Self.size) { mask[index] = 0xFF }
            }
            return (name, mask)
        }

        /// IFNAMSIZ.
        static let size = 16
    }

    /// What a matching packet does next.
    public enum Target: Hashable, Sendable, CustomStringConvertible {
        /// `ACCEPT`: the packet leaves this chain and passes this table's hook.
        case accept
        /// `DROP`: the packet is discarded.
        case drop
        /// Leave the current (user) chain: the packet goes on in FORWARD.
        case `return`
        /// Jump to a user chain.
        case jump(String)

        /// The name libiptc takes and `iptc_get_target` gives back.
        public var label: String {
            switch self {
            case .accept: return "ACCEPT"
            case .drop: return "DROP"
            case .return: return "RETURN"
            case .jump(let chain): return chain
            }
        }

        /// The kernel's standard verdict (`-NF_ACCEPT - 1` ...); nil for a jump,
        /// whose verdict is the byte offset of the chain, known only in a table.
        public var verdict: Int32? {
            switch self {
            case .accept: return -2  // -NF_ACCEPT - 1
            case .drop: return -1  // -NF_DROP - 1
            case .return: return -5  // XT_RETURN = -NF_REPEAT - 1
            case .jump: return nil
            }
        }

        public var description: String { label }
    }

    /// `-i`: with br_netfilter, the bridge a bridged packet came in on; nil matches any.
    public var inInterface: Interface?
    /// `-o`: the bridge it leaves by; nil matches any.
    public var outInterface: Interface?
    /// `-m physdev --physdev-in X`: the bridge port a bridged packet came in on.
    public var physdevIn: Interface?
    /// `-m physdev --physdev-out X`: the bridge port it leaves by.
    public var physdevOut: Interface?
    /// `--physdev-is-bridged`: bridged, not routed.
    public var physdevIsBridged: Bool
    /// `-m bpf --bytecode ...`: the frame's Ethernet source or destination
    /// is a selected guest's MAC (after `physdev`, as iptables orders `-m`).
    public var macFilter: MACFilterProgram?
    /// `-j`: what a matching packet does.
    public var target: Target

    /// A rule as `iptables -A CHAIN [-i IN] [-o OUT] [-m physdev ...] -j TARGET`
    /// would add it.
    public init(inInterface: Interface? = nil, outInterface: Interface? = nil,
                physdevIn: Interface? = nil, physdevOut: Interface? = nil,
                physdevIsBridged: Bool = false, macFilter: MACFilterProgram? = nil, target: Target) {
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.physdevIn = physdevIn
        self.physdevOut = physdevOut
        self.physdevIsBridged = physdevIsBridged
        self.macFilter = macFilter
        self.target = target
    }

    /// Whether the rule carries a `physdev` match at all.
    public var usesPhysdev: Bool { physdevIn != nil || physdevOut != nil || physdevIsBridged }

    /// `-i br0 -m physdev --physdev-in vif+ --physdev-is-bridged [-m bpf --bytecode "..."] -j DROP`
    public var description: String {
        var words: [String] = []
        if let inInterface { words += ["-i", inInterface.description] }
        if let outInterface { words += ["-o", outInterface.description] }
        if usesPhysdev {
            words += ["-m", "physdev"]
            if let physdevIn { words += ["--physdev-in", physdevIn.description] }
            if let physdevOut { words += ["--physdev-out", physdevOut.description] }
            if physdevIsBridged { words.append("--physdev-is-bridged") }
        }
        if let macFilter { words.append(macFilter.description) }
        words += ["-j", target.label]
        return words.joined(separator: " ")
    }
}
