import HanetOCF
import HanetHost

/// An OCF agent over one piece of host logic: the agent only turns
/// parameters into a configuration and health into exit codes; the four
/// actions are the same for every agent and live here once.
///
/// Parsing happens in `init(context:)` (which must not change the system;
/// vhostnet's `guest_domains` reads libvirt's records there);
/// `resource()` opens the kernel handles for one action.
public protocol HostAgent: ResourceAgent {
    associatedtype Resource: HostResource
    var context: AgentContext { get }
    func resource() throws -> Resource
    /// How a health verdict reads to Pacemaker. Default: running 0,
    /// degraded 190, stopped 7 (not running), failed 1, each with its reason.
    func result(for health: Health) -> ActionResult
}

extension HostAgent {
    public func validate() throws { try resource().validate() }
    // The runtime has just run validate().
    public func start() throws { try resource().start(validating: false) }
    public func stop() throws { try resource().stop() }

    public func monitor() throws -> ActionResult {
        result(for: try resource().health(checkLevel: context.checkLevel))
    }

    public func result(for health: Health) -> ActionResult { standardResult(for: health) }

    /// The default reading of a verdict, for agents that adjust one case.
    public func standardResult(for health: Health) -> ActionResult {
        switch health.state {
        case .running:
            context.log.debug(health.reason)
            return .success
        case .degraded:
            context.log.warning(health.reason)
            return ActionResult(.degraded, health.reason)
        case .stopped:
            return .notRunning(health.reason)
        case .failed:
            return ActionResult(.errGeneric, health.reason)
        }
    }

}
