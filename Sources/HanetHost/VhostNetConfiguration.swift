import HanetLinks
import HanetFirewall

/// Desired state of guest isolation (the `ocf:hanet:vhostnet` parameters).
///
/// Whether a guard process keeps the block in place is not part of it: the
/// guard is a process of its own, started by the agent or by an explicit
/// `GuestIsolation.startGuard()`, never by a library call behind its back.
public struct VhostNetConfiguration: Equatable, Sendable {
    public var policy: GuestBlockPolicy
    public var backend: GuestBlockBackendChoice = .auto
    /// Announcement rounds per guest MAC after unblock (0 = none).
    public var announce: Int = 3
    public var announceIntervalMilliseconds: Int = 100

    public init(policy: GuestBlockPolicy) { self.policy = policy }

    public static let defaultGuestPorts = "vif* tap* vnet*"
    public static let announceRounds = 0...100
    public static let announceIntervals = 10...5000

    /// A policy that blocks nothing, or announcements that would hold a
    /// switchover for minutes, are refused before anything changes.
    public func validate() throws(ConfigurationError) {
        guard !policy.bridges.isEmpty else { throw ConfigurationError("bridge", "names no bridge") }
        guard !policy.guestPorts.isEmpty else {
            throw ConfigurationError("guest_ports", "names no port pattern: nothing would be blocked")
        }
        guard Self.announceRounds.contains(announce) else {
            throw ConfigurationError("announce", "must be 0-100 (got \(announce))")
        }
        guard Self.announceIntervals.contains(announceIntervalMilliseconds) else {
            throw ConfigurationError("announce_interval", "must be 10-5000 ms (got \(announceIntervalMilliseconds))")
        }
    }
}
