import HanetLinks
import HanetFirewall

/// Desired state of guest isolation (the `ocf:hanet:vhostnet` parameters).
///
/// Whether a guard process keeps the block in place is not part of it: the
/// guard is a process of its own, started by the agent or by an explicit
/// `GuestIsolation.startGuard()`, never by a library call behind its back.
public struct VhostNetConfiguration: Equatable, Sendable {
    /// Bridges, guest port patterns and exempt ports.
    public var policy: GuestBlockPolicy
    /// nftables where nf_tables exists, else legacy iptables, unless pinned.
    public var backend: GuestBlockBackendChoice = .auto
    /// Announcement rounds per guest MAC after unblock (0 = none).
    public var announce: Int = 3
    /// Between announcement rounds.
    public var announceIntervalMilliseconds: Int = 100
    /// Block also holds the guest bridge ports disabled (`GuestPortLock`),
    /// a second lock that a firewall flush cannot lift; the guard keeps it.
    public var portLock: Bool = true
    /// What an open host does when its guests' twins show up on the
    /// network (`DuplicateSentinel`, started by `startSentinel`).
    public var duplicatePolicy: DuplicateSentinel.Policy = .yield
    /// An open host that loses quorum blocks its guests at once (the
    /// sentinel follows corosync's quorum service; see `QuorumWatch`).
    public var quorumBlock: Bool = true

    /// `guest_domains` with no libvirt record on this node (see
    /// `LibvirtDomains`): not an error, logged by the agent.
    public var domainsWithoutRecord: [String] = []

    /// Whether an open host runs a sentinel at all.
    public var watchesOpenHost: Bool { duplicatePolicy != .off || quorumBlock }

    /// The agent's defaults: backend auto, 3 announcement rounds 100 ms apart.
    public init(policy: GuestBlockPolicy) { self.policy = policy }

    /// Xen's vifD.N, QEMU's tapN and libvirt's vnetN.
    public static let defaultGuestPorts = "vif* tap* vnet*"
    /// Allowed `announce` values.
    public static let announceRounds = 0...100
    /// Allowed `announceIntervalMilliseconds` values.
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
