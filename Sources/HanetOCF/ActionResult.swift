/// What an action reports without failing: its exit code and, where it
/// helps the administrator, one line saying why (`crm_mon` shows it).
///
/// Monitor returns this rather than throwing for "not running", which is an
/// answer, not an error. The runtime drops the reason of a "not running"
/// answer to a probe: before a resource starts anywhere, "not running" is
/// the expected answer on every node and would only fill the logs.
public struct ActionResult: Equatable, Sendable {
    /// The exit code the action ends with.
    public var code: OCFExitCode
    /// One line for `ocf-exit-reason:` and the log; nil for none.
    public var reason: String?

    /// A result of `code`, with a reason when one helps.
    public init(_ code: OCFExitCode, _ reason: String? = nil) {
        self.code = code
        self.reason = reason
    }

    /// OCF_SUCCESS, without a reason.
    public static let success = ActionResult(.success)
    /// OCF_NOT_RUNNING with what is missing; the runtime drops the reason of an OCF probe.
    public static func notRunning(_ reason: String) -> ActionResult { ActionResult(.notRunning, reason) }
}
