/// Drops everything; for callers (and tests) that want silence.
public struct DiscardingLogSink: LogSink {
    public init() {}
    public func write(_ record: LogRecord) {}
}
