/// A bridge port's forwarding state (`IFLA_BRPORT_STATE`, the kernel's
/// BR_STATE_*), as `bridge link show` prints it.
///
/// With STP off the kernel keeps every working port forwarding, and it
/// moves any port it has not disabled back to forwarding on the next
/// topology change; only `disabled` is left alone until the port's own
/// link goes down or changes. That makes `disabled` usable as a lock that
/// a firewall flush cannot touch, as long as someone re-applies it after
/// the port's link events (the vhostnet guard does).
public enum BridgePortState: UInt8, Sendable, CustomStringConvertible {
    case disabled = 0
    case listening = 1
    case learning = 2
    case forwarding = 3
    case blocking = 4

    public var description: String {
        switch self {
        case .disabled: return "disabled"
        case .listening: return "listening"
        case .learning: return "learning"
        case .forwarding: return "forwarding"
        case .blocking: return "blocking"
        }
    }
}
