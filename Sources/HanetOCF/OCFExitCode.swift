/// The exit status of an OCF resource agent action.
///
/// Pacemaker decides between "recover here", "ban from this node" and
/// "ban everywhere" purely from this number, so every code the toolkit can
/// produce is spelled out here and nowhere else. Modelled on
/// swift-argument-parser's `ExitCode`: a struct rather than an enum so that a
/// code from a newer OCF revision still round-trips instead of being lost.
public struct OCFExitCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number the agent process exits with.
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// Same as `init(rawValue:)`.
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// OCF_SUCCESS: the action completed; for monitor, the resource runs.
    public static let success = OCFExitCode(0)
    /// OCF_ERR_GENERIC: a soft error; Pacemaker recovers on this node.
    public static let errGeneric = OCFExitCode(1)
    /// OCF_ERR_ARGS: wrong invocation (missing or extra action argument).
    public static let errArgs = OCFExitCode(2)
    /// OCF_ERR_UNIMPLEMENTED: the action is not known to this agent.
    public static let errUnimplemented = OCFExitCode(3)
    /// OCF_ERR_PERM: insufficient privileges for the action.
    public static let errPerm = OCFExitCode(4)
    /// OCF_ERR_INSTALLED: something this node needs is missing (kernel
    /// support, a tool); Pacemaker bans the resource from this node only.
    public static let errInstalled = OCFExitCode(5)
    /// OCF_ERR_CONFIGURED: the parameters are wrong; Pacemaker stops the
    /// resource everywhere, so never use it for node-local conditions.
    public static let errConfigured = OCFExitCode(6)
    /// OCF_NOT_RUNNING: cleanly stopped (monitor and probes only).
    public static let notRunning = OCFExitCode(7)
    /// OCF_RUNNING_PROMOTED (formerly OCF_RUNNING_MASTER).
    public static let runningPromoted = OCFExitCode(8)
    /// OCF_FAILED_PROMOTED (formerly OCF_FAILED_MASTER).
    public static let failedPromoted = OCFExitCode(9)
    /// OCF_DEGRADED (OCF 1.1): running but with reduced redundancy; Pacemaker
    /// treats it as success but shows it.
    public static let degraded = OCFExitCode(190)
    /// OCF_DEGRADED_PROMOTED (OCF 1.1).
    public static let degradedPromoted = OCFExitCode(191)

    /// Whether Pacemaker counts the code as "the resource is up": monitor
    /// results that must not trigger recovery.
    public var isRunning: Bool {
        self == .success || self == .runningPromoted || self == .degraded || self == .degradedPromoted
    }

    /// Whether the code needs an `ocf-exit-reason` explanation when it ends
    /// an action: everything except success-like results and a clean
    /// "not running".
    public var isFailure: Bool { !isRunning && self != .notRunning }

    /// The shell name used by ocf-returncodes, so log lines read like the
    /// ones from resource-agents.
    public var name: String {
        switch rawValue {
        case 0: return "OCF_SUCCESS"
        case 1: return "OCF_ERR_GENERIC"
        case 2: return "OCF_ERR_ARGS"
        case 3: return "OCF_ERR_UNIMPLEMENTED"
        case 4: return "OCF_ERR_PERM"
        case 5: return "OCF_ERR_INSTALLED"
        case 6: return "OCF_ERR_CONFIGURED"
        case 7: return "OCF_NOT_RUNNING"
        case 8: return "OCF_RUNNING_PROMOTED"
        case 9: return "OCF_FAILED_PROMOTED"
        case 190: return "OCF_DEGRADED"
        case 191: return "OCF_DEGRADED_PROMOTED"
        default: return "OCF exit code \(rawValue)"
        }
    }

    public var description: String { name }
}
