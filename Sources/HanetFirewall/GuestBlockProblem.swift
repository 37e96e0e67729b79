/// A host setting that makes a backend's block ineffective (today: legacy
/// iptables without br_netfilter), with the fix. `GuestBlockBackend.problems`
/// returns these as values; the caller decides whether one is fatal.
public struct GuestBlockProblem: Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, for callers that treat some problems as fatal.
    public enum Kind: Hashable, Sendable {
        /// /proc/sys/net/bridge is absent: br_netfilter is not loaded.
        case bridgeNetfilterMissing
        /// A `net.bridge.bridge-nf-call-*` sysctl is not 1 in this namespace.
        case bridgeNetfilterCallOff(sysctl: String, value: String)
        /// The policy cannot be rendered (no bridge, no guest pattern).
        case invalidPolicy
        /// The namespace could not be entered to look.
        case cannotCheck
    }

    /// Which problem it is.
    public var kind: Kind
    /// One line: what is wrong, what it means, how to fix it.
    public var description: String

    /// A problem of `kind`, explained to the administrator in `description`.
    public init(kind: Kind, description: String) {
        self.kind = kind
        self.description = description
    }
}
