/// An action outcome an agent reports by throwing: an exit code plus the
/// one-line reason Pacemaker shows to the administrator.
///
/// Throwing rather than returning lets agent code bail out from deep inside
/// helpers while the runtime still prints exactly one `ocf-exit-reason` line.
public struct AgentFailure: Error, Hashable, Sendable, CustomStringConvertible, OCFErrorConvertible {
    public var code: OCFExitCode
    public var reason: String

    public init(_ code: OCFExitCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

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

    public static func generic(_ reason: String) -> AgentFailure { AgentFailure(.errGeneric, reason) }
    public static func args(_ reason: String) -> AgentFailure { AgentFailure(.errArgs, reason) }
    public static func unimplemented(_ reason: String) -> AgentFailure { AgentFailure(.errUnimplemented, reason) }
    public static func perm(_ reason: String) -> AgentFailure { AgentFailure(.errPerm, reason) }
    public static func installed(_ reason: String) -> AgentFailure { AgentFailure(.errInstalled, reason) }
    public static func configured(_ reason: String) -> AgentFailure { AgentFailure(.errConfigured, reason) }
    public static func notRunning(_ reason: String) -> AgentFailure { AgentFailure(.notRunning, reason) }

    public var ocfExitCode: OCFExitCode { code }
    public var ocfReason: String { reason }

    public var description: String { "\(code.name): \(reason)" }
}
