/// Where log records go. Injectable so tests can capture what an agent
/// logs without touching syslog or files.
public protocol LogSink: Sendable {
    /// Delivers one record. It cannot fail: an agent has nowhere to report a
    /// logging error, so a sink drops what it cannot write.
    func write(_ record: LogRecord)
}
