import Links

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
/// found by name, never by position.
public protocol GuestBlockBackend: AnyObject {
    /// `nftables` or `iptables`, as the `backend` parameter spells it.
    var name: String { get }
    /// Installs the complete block for `policy` (idempotent).
    func block(_ policy: GuestBlockPolicy) throws
    /// Removes the block for `policy`; succeeds when nothing is installed.
    func unblock(_ policy: GuestBlockPolicy) throws
    /// Reads back what is installed and compares it with the rendering of `policy`.
    func inspect(_ policy: GuestBlockPolicy) throws -> GuestBlockState
}
