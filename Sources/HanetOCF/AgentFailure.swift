/// An action outcome an agent reports by throwing: an exit code plus the
/// one-line reason Pacemaker shows to the administrator.
///
/// Throwing rather than returning lets agent code bail out from deep inside
/// helpers while the runtime still prints exactly one `ocf-exit-reason` line.
public struct AgentFailure: Error, Hashable, Sendable, CustomStringConvertible, OCFErrorConvertible {
    /// The exit code the action ends with.
    public var code: OCFExitCode
    /// One line for `ocf-exit-reason:` and the log.
    public var reason: String

    /// A failure with `code`, explained by `reason`.
    public init(_ code: OCFExitCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The same, with labels.
    public init(code: OCFExitCode, reason: String) {
        self.init(code, reason)
    }

    /// The single translation point from any thrown error to an outcome:
    /// `AgentFailure` as is, `OCFErrorConvertible` through its own mapping,
    /// everything else as a generic (recoverable) error with its description.
    public init(_ error: any Error) {
        if let failure = error as? AgentFailure {
            self = failure
        } else if let convertible = error as? any OCFErrorConvertible {
            self.init(convertible.ocfExitCode, convertible.ocfReason)
        } else {
            self.init(.errGeneric, String(describing: error))
        }
    }

    /// The wording every parameter problem uses, so administrators can grep
    /// for the parameter name whatever went wrong with it.
    public static func parameter(_ name: String, _ reason: String) -> AgentFailure {
        AgentFailure(.errConfigured, "parameter '\(name)': \(reason)")
    }

    /// OCF_ERR_GENERIC (1): a soft error, which Pacemaker recovers from.
    public static func generic(_ reason: String) -> AgentFailure { AgentFailure(.errGeneric, reason) }
    /// OCF_ERR_ARGS (2): the agent was called wrongly.
    public static func args(_ reason: String) -> AgentFailure { AgentFailure(.errArgs, reason) }
    /// OCF_ERR_UNIMPLEMENTED (3): the agent does not implement the action.
    public static func unimplemented(_ reason: String) -> AgentFailure { AgentFailure(.errUnimplemented, reason) }
    /// OCF_ERR_PERM (4): not allowed, e.g. not root.
    public static func perm(_ reason: String) -> AgentFailure { AgentFailure(.errPerm, reason) }
    /// OCF_ERR_INSTALLED (5): something is missing on this node; Pacemaker bans only this node.
    public static func installed(_ reason: String) -> AgentFailure { AgentFailure(.errInstalled, reason) }
    /// OCF_ERR_CONFIGURED (6): the parameters are wrong; Pacemaker stops the
    /// resource on every node.
    public static func configured(_ reason: String) -> AgentFailure { AgentFailure(.errConfigured, reason) }
    /// OCF_NOT_RUNNING (7), thrown from deep inside a monitor.
    public static func notRunning(_ reason: String) -> AgentFailure { AgentFailure(.notRunning, reason) }

    /// The failure's own `code`.
    public var ocfExitCode: OCFExitCode { code }
    /// The failure's own `reason`.
    public var ocfReason: String { reason }

    /// `OCF_ERR_CONFIGURED: parameter 'bridge': required but not set`.
    public var description: String { "\(code.name): \(reason)" }
}
