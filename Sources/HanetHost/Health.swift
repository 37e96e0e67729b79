/// What a resource's health check found: one shape for bridges, bonds and
/// guest isolation, so callers handle one type whatever they manage.
public struct Health: Equatable, Sendable, CustomStringConvertible {
    /// The verdict, ordered from good to bad as a cluster reads it.
    public enum State: Equatable, Sendable {
        /// Everything as configured.
        case running
        /// Working, with less redundancy than configured (a bond slave down).
        case degraded
        /// Not set up here (cleanly absent).
        case stopped
        /// Set up, but not in a usable or configured state.
        case failed
    }

    /// The verdict.
    public var state: State
    /// One line naming the object and what was found.
    public var reason: String

    /// A verdict with its one-line reason.
    public init(_ state: State, _ reason: String) {
        self.state = state
        self.reason = reason
    }

    public static func running(_ reason: String) -> Health { Health(.running, reason) }
    public static func degraded(_ reason: String) -> Health { Health(.degraded, reason) }
    public static func stopped(_ reason: String) -> Health { Health(.stopped, reason) }
    public static func failed(_ reason: String) -> Health { Health(.failed, reason) }

    public var description: String { "\(state): \(reason)" }
}
