/// One message on its way to a `LogSink`.
public struct LogRecord: Hashable, Sendable {
    /// The severity: the syslog priority and the `ERROR:`-style label.
    public var level: LogLevel
    /// Already folded into one line.
    public var message: String
    /// `<agent>(<instance>)`, as `ocf_log` tags its lines.
    public var tag: String
    /// Set for the exit reason, which the runtime has already printed on
    /// stderr; sinks that would echo to stderr skip it (ocf_exit_reason's
    /// `--ignore-stderr`).
    public var alreadyOnStandardError: Bool

    /// A record; `message` should already be one line.
    public init(level: LogLevel, message: String, tag: String, alreadyOnStandardError: Bool = false) {
        self.level = level
        self.message = message
        self.tag = tag
        self.alreadyOnStandardError = alreadyOnStandardError
    }
}
