import HanetOCF
import HanetNetlink

extension AgentContext {
    /// How long the kernel handles of one action wait for the kernel's
    /// replies, so that a reply that never comes is this agent's own error
    /// ("RTM_GETLINK xenbr1: no reply within 5000 ms (ETIMEDOUT)") and not
    /// Pacemaker killing a silent process at the action's timeout.
    ///
    /// With OCF_RESKEY_CRM_meta_timeout: no wait runs past the end of the
    /// action less a margin (a tenth of the timeout, at least 1 s, at most
    /// half), which leaves the agent time to roll back, log and exit; and
    /// no single wait is longer than the library's 5 s, since the kernel
    /// answers within the send and a reply missing for 5 s is lost, not
    /// slow. Without a timeout (LSB mode, a manual run): the library
    /// default, 5 s per reply.
    ///
    /// Counted from `start`, the moment `resource()` opens the handles,
    /// which is the start of the action.
    public func netlinkTimeout(from start: ContinuousClock.Instant = .now) -> NetlinkTimeout {
        guard let timeout, timeout > .zero else { return .default }
        let margin = min(max(.seconds(1), timeout / 10), timeout / 2)
        let budget = timeout - margin
        return NetlinkTimeout(perReply: min(NetlinkTimeout.defaultPerReply, budget), deadline: start + budget)
    }
}
