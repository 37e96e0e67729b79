/// An error that knows which OCF exit code it stands for.
///
/// Lower layers (netlink, firewall) must not depend on OCF, yet only they
/// know whether a failure means "kernel support missing" (5) or "try again"
/// (1). The Agents layer conforms their error types to this protocol in one
/// place, and the runtime asks every thrown error for it, so agents can use
/// `try` freely instead of wrapping each call.
public protocol OCFErrorConvertible: Error {
    /// The exit code the error stands for.
    var ocfExitCode: OCFExitCode { get }
    /// One line for `ocf-exit-reason:`; the runtime strips line breaks.
    var ocfReason: String { get }
}

/// Most library errors already say it in one line: their description.
extension OCFErrorConvertible where Self: CustomStringConvertible {
    public var ocfReason: String { description }
}
