/// Where log records go. Injectable so tests can capture what an agent
/// logs without touching syslog or files.
public protocol LogSink: Sendable {
    func write(_ record: LogRecord)
}
