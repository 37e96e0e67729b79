/// The exit status of an LSB init script action.
///
/// LSB gives `status` its own numbering (3 means stopped, not
/// "unimplemented"), so the same agent outcome needs a different number
/// depending on the action. Keeping the table here, next to the OCF codes it
/// is derived from, stops each agent from inventing its own mapping.
public struct LSBExitCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number the init script exits with.
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// Same as `init(rawValue:)`.
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    // Codes for every action except `status` (LSB 3.1, 20.2).
    /// 0: the action succeeded.
    public static let success = LSBExitCode(0)
    /// 1: generic or unspecified error.
    public static let errGeneric = LSBExitCode(1)
    /// 2: invalid or excess arguments.
    public static let errArgs = LSBExitCode(2)
    /// 3: unimplemented feature.
    public static let errUnimplemented = LSBExitCode(3)
    /// 4: user had insufficient privilege.
    public static let errPerm = LSBExitCode(4)
    /// 5: program is not installed.
    public static let errInstalled = LSBExitCode(5)
    /// 6: program is not configured.
    public static let errConfigured = LSBExitCode(6)
    /// 7: program is not running.
    public static let notRunning = LSBExitCode(7)

    // Codes for `status`.
    /// Status 0: program is running or service is OK.
    public static let statusRunning = LSBExitCode(0)
    /// "Program is dead and /var/run pid file exists": used for a resource
    /// that is partly present but failed, so that it differs from a clean stop.
    public static let statusDeadWithPidFile = LSBExitCode(1)
    /// Status 2: program is dead and /var/lock lock file exists; hanet never answers it.
    public static let statusDeadWithLockFile = LSBExitCode(2)
    /// Status 3: program is not running.
    public static let statusStopped = LSBExitCode(3)
    /// Status 4: program or service status is unknown.
    public static let statusUnknown = LSBExitCode(4)

    /// Translates an agent outcome for `status` (and `monitor` in LSB mode).
    ///
    /// Degraded and promoted states still run, so they answer 0; a failed
    /// resource answers 1 because something of it is left behind; every
    /// error that prevented looking (permissions, configuration, missing
    /// kernel support) answers 4, "unknown", since nothing was learned.
    public init(status code: OCFExitCode) {
        switch code {
        case .success, .degraded, .runningPromoted, .degradedPromoted:
            self = .statusRunning
        case .notRunning:
            self = .statusStopped
        case .errGeneric, .failedPromoted:
            self = .statusDeadWithPidFile
        default:
            self = .statusUnknown
        }
    }

    /// Translates an agent outcome for `action`.
    ///
    /// OCF 0-7 were taken from LSB, so they map one to one; anything that
    /// still runs is success; stopping something already stopped is success
    /// as LSB requires; codes LSB lacks become a generic error.
    public init(_ code: OCFExitCode, action: String) {
        if action == "status" || action == "monitor" {
            self.init(status: code)
            return
        }
        switch code {
        case .success, .degraded, .runningPromoted, .degradedPromoted:
            self = .success
        case .notRunning where action == "stop":
            self = .success
        case _ where (0...7).contains(code.rawValue):
            self = LSBExitCode(code.rawValue)
        default:
            self = .errGeneric
        }
    }

    public var description: String { "LSB exit code \(rawValue)" }
}
