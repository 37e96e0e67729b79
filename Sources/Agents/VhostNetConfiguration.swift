import Links
import Firewall

/// Desired state of guest isolation (the `ocf:hanet:vhostnet` parameters).
public struct VhostNetConfiguration: Equatable, Sendable {
    public var policy: GuestBlockPolicy
    public var backend: GuestBlockBackendChoice = .auto
    /// Announcement rounds per guest MAC after unblock (0 = none).
    public var announce: Int = 3
    public var announceIntervalMilliseconds: Int = 100
    /// Leave a guard process behind when blocking (see `BlockGuard`).
    public var guardsBlock: Bool = true

    public init(policy: GuestBlockPolicy) { self.policy = policy }

    public static let defaultGuestPorts = "vif* tap* vnet*"
}
