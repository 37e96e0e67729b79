import HanetFirewall

/// A firewall backend that records what it is asked and holds the block
/// state in memory, for unit tests of code that blocks guests
/// (`GuestIsolation`, or your own) without nftables, iptables or root.
///
/// `block` and `unblock` change the state `inspect` reports, like a real
/// backend; a test can also set that state directly (a ruleset flushed
/// behind the agent's back, a hand-deleted rule), set the host problems
/// `problems(for:)` reports, and make the next call of one kind throw.
public final class FakeGuestBlockBackend: GuestBlockBackend {
    /// One call, with the policy it was for.
    public enum Call: Equatable, Sendable {
        case block(GuestBlockPolicy)
        case unblock(GuestBlockPolicy)
        case inspect(GuestBlockPolicy)
        case problems(GuestBlockPolicy)
        case changeFeed(GuestBlockPolicy)

        public enum Kind: Equatable, Sendable { case block, unblock, inspect, problems, changeFeed }

        public var kind: Kind {
            switch self {
            case .block: return .block
            case .unblock: return .unblock
            case .inspect: return .inspect
            case .problems: return .problems
            case .changeFeed: return .changeFeed
            }
        }
    }

    public let name: String
    /// Every call, in order.
    public private(set) var calls: [Call] = []
    /// What `problems(for:)` returns (for every policy).
    public var hostProblems: [GuestBlockProblem] = []
    private var states: [GuestBlockPolicy: GuestBlockState] = [:]
    private var failures: [(kind: Call.Kind, error: Error)] = []

    /// - Parameter name: as `backend.name` reports it (`nftables`, `iptables`).
    public init(name: String = "fake") { self.name = name }

    /// What `inspect` reports for `policy`: `.unblocked` until something is installed.
    public func state(for policy: GuestBlockPolicy) -> GuestBlockState { states[policy] ?? .unblocked }

    /// Sets the state as if the kernel held it (not recorded as a call).
    public func setState(_ state: GuestBlockState, for policy: GuestBlockPolicy) { states[policy] = state }

    /// The next call of `kind` throws `error` (and changes nothing).
    public func failNext(_ kind: Call.Kind, with error: Error) { failures.append((kind, error)) }

    /// The kinds of the calls, in order: `[.problems, .block]`.
    public var callKinds: [Call.Kind] { calls.map(\.kind) }

    public func clearCalls() { calls.removeAll() }

    // MARK: GuestBlockBackend

    public func block(_ policy: GuestBlockPolicy) throws {
        calls.append(.block(policy))
        try failIfArmed(.block)
        states[policy] = .blocked
    }

    public func unblock(_ policy: GuestBlockPolicy) throws {
        calls.append(.unblock(policy))
        try failIfArmed(.unblock)
        states[policy] = .unblocked
    }

    public func inspect(_ policy: GuestBlockPolicy) throws -> GuestBlockState {
        calls.append(.inspect(policy))
        try failIfArmed(.inspect)
        return state(for: policy)
    }

    public func problems(for policy: GuestBlockPolicy) -> [GuestBlockProblem] {
        calls.append(.problems(policy))
        return hostProblems
    }

    /// No change events: a guard over this backend polls `inspect`.
    public func changeFeed(for policy: GuestBlockPolicy) -> (any GuestBlockChangeFeed)? {
        calls.append(.changeFeed(policy))
        return nil
    }

    private func failIfArmed(_ kind: Call.Kind) throws {
        guard let index = failures.firstIndex(where: { $0.kind == kind }) else { return }
        throw failures.remove(at: index).error
    }
}
