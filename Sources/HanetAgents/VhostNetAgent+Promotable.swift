import Glibc
import HanetOCF
import HanetHost
import HanetFirewall

/// The actions, in both modes: a promotable clone (start blocks, promote
/// opens) and the primitive of earlier versions (start opens).
extension VhostNetAgent {
    /// Pacemaker passes a promotable clone's meta attributes to every
    /// instance action (probes included): `promotable`, and the promoted
    /// instance count under its 2.1 and its older name, which is what
    /// DRBD's agent looks for. promote and demote exist only there.
    var promotable: Bool {
        let meta = context.meta
        return meta["promotable"] == "true" || meta["promoted_max"] != nil || meta["master_max"] != nil
            || context.action == "promote" || context.action == "demote"
    }

    var role: VhostNetRole { VhostNetRole(stateDirectory: context.stateDirectory, policy: configuration.policy) }

    public func start() throws {
        try claimGroup()
        if promotable {
            try close(recording: .unpromoted)
        } else {
            try open()
        }
    }

    /// Both modes: the guests are blocked and stay blocked. A stopped
    /// instance fails closed, with the guard watching the block.
    public func stop() throws {
        try close(recording: nil)
    }

    public func perform(action: String) throws -> OCFExitCode? {
        switch action {
        case "promote":
            try claimGroup()
            try role.record(.promoted)
            try open()
        case "demote":
            try close(recording: .unpromoted)
        case "block":
            try close(recording: nil)
        default:
            return nil
        }
        return .success
    }

    public func monitor() throws -> ActionResult {
        let isolation = try resource()
        let health = try isolation.health(checkLevel: context.checkLevel)
        guard promotable else {
            if health.state == .stopped, let missing = missingGuard(isolation) {
                context.log.warning("guests blocked, but \(missing)")
            }
            if health.state != .stopped, let missing = missingSentinel(isolation) { context.log.warning("guests open, but \(missing)") }
            return standardResult(for: health)
        }
        let open = health.state != .stopped
        switch (try role.current(), open) {
        case (.promoted, true):
            context.log.debug(health.reason)
            if let missing = missingSentinel(isolation) { context.log.warning("promoted, but \(missing)") }
            return ActionResult(.runningPromoted)
        case (.promoted, false):
            if let entry = isolation.duplicateRecord.read(), entry.decision != .kept {
                return ActionResult(.failedPromoted, "promoted, but this host \(entry.description): its guests are blocked again")
            }
            return ActionResult(.failedPromoted, "promoted, but \(health.reason): the guests are cut off")
        case (.unpromoted, false):
            // Logged, not an exit code: Pacemaker 2.1.5 records OCF_DEGRADED
            // of a clone instance as a failure, which then kept that host
            // from being promoted in the lab; another local user squatting
            // the guard's name must not be able to stop a failover.
            if let missing = missingGuard(isolation) { context.log.warning("unpromoted, guests blocked, but \(missing)") }
            return .success
        case (.unpromoted, true):
            return ActionResult(.errGeneric, "unpromoted, but \(health.reason)")
        case (nil, false):
            return .notRunning(health.reason)
        case (nil, true):
            return ActionResult(.errGeneric, "not started here, but \(health.reason)")
        }
    }

    /// Opens the guests (primitive start, promote) and returns as soon as
    /// they are: the announcement rounds go on in a detached process, and
    /// a sentinel watches for the same guests open elsewhere
    /// (duplicate_policy) and follows quorum (quorum_block). A host that
    /// yielded to such a twin does not
    /// open again before its hold-down has passed: it fails instead, and
    /// the cluster sees why.
    private func open() throws {
        let isolation = try resource()
        if configuration.duplicatePolicy == .yield, let held = isolation.duplicateRecord.holdsBack() {
            throw AgentFailure.generic("not opening the guests: this host \(held.description); it may open again in \(held.holdUntil - Int(time(nil))) s")
        }
        let opened = BlockGuard.milliseconds()
        let report = try isolation.unblock(announcing: false)
        isolation.duplicateRecord.clear()
        if configuration.watchesOpenHost {
            do {
                try isolation.startSentinel(openedAt: opened)
            } catch {
                context.log.error("\(error.description): nothing watches for these guests open on another host")
            }
        }
        if let announcement = report.announcement, !isolation.announceInBackground(announcement) {
            try isolation.announce(announcement) // no fork: announce here, late rather than never
        }
    }

    /// Blocks, then leaves the guard that keeps the block in place (or,
    /// with guard=false, ends one an earlier call left behind). A guard
    /// that cannot start is logged as an error, not fatal: the block is in
    /// place, a failed stop would get this node fenced for what another
    /// local user did, and every monitor of the blocked instance logs the
    /// missing guard as a warning. The role is recorded after
    /// the block: a demote killed halfway still says promoted, and monitor
    /// reports it.
    private func close(recording newRole: VhostNetRole.Role?) throws {
        let isolation = try resource()
        try isolation.block()
        if guardsBlock {
            do {
                try isolation.startGuard()
            } catch {
                context.log.error(error.description)
            }
        } else {
            isolation.stopGuard()
        }
        try role.record(newRole)
    }

    /// Refuses a guest group that overlaps another vhostnet resource's on
    /// this host (OCF_ERR_CONFIGURED naming both: the two resources'
    /// parameters contradict each other everywhere), then records this
    /// one for the others. Only start and promote check: stop, demote and
    /// block must never fail over it.
    func claimGroup() throws {
        let record = GuestGroupRecord(resource: context.stateName(agent: Self.agentName), policy: configuration.policy)
        if let conflict = try record.firstConflict(stateDirectory: context.stateDirectory) {
            throw AgentFailure.configured("guest group of \(record.resource) overlaps \(conflict.resource)'s: \(conflict.reason)"
                + " (record \(context.stateDirectory)/\(GuestGroupRecord.fileName(conflict.resource)))")
        }
        try record.write(stateDirectory: context.stateDirectory)
    }

    /// Why no sentinel watches the open guests, when one should
    /// (duplicate_policy or quorum_block on); nil when one does. A warning,
    /// like the guard's: the guests are open as the cluster wants, only
    /// the watch for the cluster going wrong is missing. One connect.
    private func missingSentinel(_ isolation: GuestIsolation) -> String? {
        guard configuration.watchesOpenHost, !isolation.sentinelRunning else { return nil }
        return "no sentinel watches them (duplicate_policy=\(configuration.duplicatePolicy.rawValue), quorum_block=\(configuration.quorumBlock)): a twin open elsewhere or a quorum loss goes unnoticed until Pacemaker acts; demote and promote again to start one"
    }

    /// Why no guard watches the block, when one should (guard=true); nil
    /// when one does. One connect to its socket: no process list is read.
    private func missingGuard(_ isolation: GuestIsolation) -> String? {
        guard guardsBlock else { return nil }
        switch isolation.guardHolder {
        case .guardProcess: return nil
        case .none: return "no guard watches the block (guard=true): a removed block stays removed until the next monitor"
        case .foreign(let pid, let uid):
            return "no guard can watch the block: its socket name is held by uid \(uid) (pid \(pid)), not by a guard"
        }
    }
}
