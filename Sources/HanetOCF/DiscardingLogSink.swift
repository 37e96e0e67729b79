/// Drops everything; for callers (and tests) that want silence.
public struct DiscardingLogSink: LogSink {
    /// A sink that drops every record.
    public init() {}
    /// Drops `record`.
    public func write(_ record: LogRecord) {}
}
