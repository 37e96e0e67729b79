/// Decides when an open host must block its guests because it is no longer
/// part of the quorate partition.
///
/// Pacemaker answers quorum loss too (no-quorum-policy=stop demotes and
/// stops), but only after its own election and transition, seconds later,
/// and not at all when the cluster stack itself is wedged. The node's
/// quorum is known to corosync the moment membership changes; the sentinel
/// acts on it at once.
///
/// The rule is by level, not by edge: an open host without quorum blocks,
/// also when it had none at the sentinel's start (it opened in the
/// milliseconds before a loss, or someone opened it by hand on a node cut
/// off from its cluster): another partition may hold quorum and the same
/// guests. Losing the connection to corosync counts as losing quorum: the
/// other nodes see this node gone and take its guests over. Clusters that
/// run resources without quorum on purpose (no-quorum-policy=ignore) set
/// quorum_block=false.
public struct QuorumWatch: Equatable, Sendable {
    public enum Verdict: Equatable, Sendable {
        /// This node has quorum: stay open.
        case stayOpen
        /// Block the guests; the reason names what happened.
        case block(String)
    }

    public init() {}

    /// The verdict on the state the source reported; `connected` false when
    /// its connection to the cluster stack ended.
    public func judge(quorate: Bool, connected: Bool) -> Verdict {
        guard connected else { return .block("the connection to corosync's quorum service ended (corosync stopped or crashed)") }
        return quorate ? .stayOpen : .block("this node lost quorum (corosync's quorum service)")
    }
}
