/// The exit status of an LSB init script action.
///
/// LSB gives `status` its own numbering (3 means stopped, not
/// "unimplemented"), so the same agent outcome needs a different number
/// depending on the action. Keeping the table here, next to the OCF codes it
/// is derived from, stops each agent from inventing its own mapping.
public struct LSBExitCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    // Codes for every action except `status` (LSB 3.1, 20.2).
    public static let success = LSBExitCode(0)
    public static let errGeneric = LSBExitCode(1)
    public static let errArgs = LSBExitCode(2)
    public static let errUnimplemented = LSBExitCode(3)
    public static let errPerm = LSBExitCode(4)
    public static let errInstalled = LSBExitCode(5)
    public static let errConfigured = LSBExitCode(6)
    public static let notRunning = LSBExitCode(7)

    // Codes for `status`.
    public static let statusRunning = LSBExitCode(0)
    /// "Program is dead and /var/run pid file exists": used for a resource
    /// that is partly present but failed, so that it differs from a clean stop.
    public static let statusDeadWithPidFile = LSBExitCode(1)
    public static let statusDeadWithLockFile = LSBExitCode(2)
    public static let statusStopped = LSBExitCode(3)
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
