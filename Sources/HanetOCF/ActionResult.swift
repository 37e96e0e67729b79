/// What an action reports without failing: its exit code and, where it
/// helps the administrator, one line saying why (`crm_mon` shows it).
///
/// Monitor returns this rather than throwing for "not running", which is an
/// answer, not an error. The runtime drops the reason of a "not running"
/// answer to a probe: before a resource starts anywhere, "not running" is
/// the expected answer on every node and would only fill the logs.
public struct ActionResult: Equatable, Sendable {
    public var code: OCFExitCode
    public var reason: String?

    public init(_ code: OCFExitCode, _ reason: String? = nil) {
        self.code = code
        self.reason = reason
    }

    public static let success = ActionResult(.success)
    public static func notRunning(_ reason: String) -> ActionResult { ActionResult(.notRunning, reason) }
}
