import HanetLinks

/// What a backend found in the kernel for one policy.
public enum GuestBlockState: Equatable, Sendable {
    /// Every rule of the block is in place, exactly as rendered.
    case blocked
    /// Nothing of ours is installed: guests can reach the network.
    case unblocked
    /// Something of ours is there but not the complete block (a hand-deleted
    /// rule, a flushed chain). Guests may reach the network, so the agent
    /// reports this like `unblocked`, with the reason logged.
    case incomplete(reason: String)
}

/// The boundary to one firewall implementation (nftables, iptables-legacy).
///
/// Each call is one atomic commit. A backend touches only objects it owns,
/// found by name, never by position. Everything a caller needs goes
/// through this protocol (host checks, change events), so no caller has to
/// know which backend it holds.
public protocol GuestBlockBackend: AnyObject {
    /// `nftables` or `iptables`, as the `backend` parameter spells it.
    var name: String { get }
    /// Installs the complete block for `policy` (idempotent).
    func block(_ policy: GuestBlockPolicy) throws
    /// Removes the block for `policy`; succeeds when nothing is installed.
    func unblock(_ policy: GuestBlockPolicy) throws
    /// Reads back what is installed and compares it with the rendering of `policy`.
    func inspect(_ policy: GuestBlockPolicy) throws -> GuestBlockState
    /// Host settings that would keep the block from seeing guest traffic
    /// (or a policy this backend cannot render), each with its fix; empty
    /// when all is well. Changes nothing.
    func problems(for policy: GuestBlockPolicy) -> [GuestBlockProblem]
    /// A feed of outside changes to this policy's objects, for a process
    /// that keeps the block in place; nil when the backend has no change
    /// events (legacy iptables), and the caller must poll `inspect`.
    func changeFeed(for policy: GuestBlockPolicy) -> (any GuestBlockChangeFeed)?
}

extension GuestBlockBackend {
    /// Default: no problems known.
    public func problems(for policy: GuestBlockPolicy) -> [GuestBlockProblem] { [] }
    /// Default: no change events; callers poll `inspect`.
    public func changeFeed(for policy: GuestBlockPolicy) -> (any GuestBlockChangeFeed)? { nil }
}
