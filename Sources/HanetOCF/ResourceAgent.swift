/// What each hanet agent (bond, bridge, vhostnet) implements; the runtime
/// does the rest (argument handling, parameters, privileges, exit codes,
/// exit reasons, LSB translation).
///
/// Any error may be thrown: `AgentFailure` carries its own code and reason,
/// `OCFErrorConvertible` errors are mapped through their conformance, and
/// anything else becomes OCF_ERR_GENERIC with its description.
public protocol ResourceAgent {
    /// Everything static about the agent: name, parameter table, actions.
    static var metadata: AgentMetadata { get }

    /// The agent's name (`bridge`), without building the whole meta-data:
    /// the multi-call executable matches argv[0] against it on every call.
    static var agentName: String { get }

    /// Reads and checks parameters from `context.parameters`; throw
    /// `AgentFailure(.errConfigured, …)` (the `Parameters` accessors do)
    /// for bad values. Must not touch the system: it also runs for stop and
    /// probes, and as a non-root user.
    init(context: AgentContext) throws

    /// Checks that need the system (kernel support, devices); runs before
    /// start and for validate-all. A missing interface here is the node's
    /// problem, never OCF_ERR_CONFIGURED. Default: nothing.
    func validate() throws

    /// Brings the resource up. Runs after `validate()`; must succeed when the
    /// resource is already running.
    func start() throws

    /// Must succeed when the resource is already stopped: a failed stop
    /// gets the node fenced.
    func stop() throws

    /// `.success`, `.notRunning`, `.degraded`, …, each with an optional
    /// reason; throw for failures. `context.isProbe` and `context.checkLevel`
    /// say how deep to look.
    func monitor() throws -> ActionResult

    /// Extra actions declared in the metadata (e.g. `block`, `reload`);
    /// nil means not implemented (OCF_ERR_UNIMPLEMENTED). Default: nil.
    func perform(action: String) throws -> OCFExitCode?

    /// Decides the stop result when `init(context:)` threw: an agent that
    /// can prove nothing of the resource can exist with such parameters
    /// returns `.success`, sparing the node from fencing. Default: the
    /// failure's own code.
    static func stopWhenUnconfigured(_ failure: AgentFailure, context: AgentContext) -> OCFExitCode
}

extension ResourceAgent {
    /// Default: `metadata.name` (builds the meta-data; override to avoid that).
    public static var agentName: String { metadata.name }

    /// Default: nothing to check.
    public func validate() throws {}

    /// Default: no extra actions.
    public func perform(action: String) throws -> OCFExitCode? { nil }

    /// Default: the failure's own code.
    public static func stopWhenUnconfigured(_ failure: AgentFailure, context: AgentContext) -> OCFExitCode {
        failure.code
    }
}
