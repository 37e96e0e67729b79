/// The logger agents use, with `ocf_log` semantics: a tag naming agent and
/// instance, and debug messages only when tracing is switched on.
///
/// A value type holding its sink, so it can be copied into the context and
/// into agents freely.
public struct OCFLog: Sendable {
    /// `agent(instance)`, put in front of every line.
    public var tag: String
    /// Whether debug records are passed on; the other levels always are.
    public var debugEnabled: Bool
    /// Where records go.
    public var sink: any LogSink

    /// A logger writing to `sink`; debug records are dropped unless `debugEnabled`.
    public init(tag: String, debugEnabled: Bool = false, sink: any LogSink) {
        self.tag = tag
        self.debugEnabled = debugEnabled
        self.sink = sink
    }

    /// `bridge(br0)` like ocf_log, or just `bridge` outside Pacemaker.
    public static func tag(agent: String, instance: String?) -> String {
        guard let instance, !instance.isEmpty else { return agent }
        return "\(agent)(\(instance))"
    }

    /// Tracing as resource-agents switch it on: `OCF_TRACE_RA` or the
    /// `trace_ra` instance attribute true, or `HA_debug` set and not 0.
    public static func debugEnabled(environment: [String: String]) -> Bool {
        if let trace = environment["OCF_TRACE_RA"], Parameters.parseBoolean(trace) == true { return true }
        if let trace = environment["OCF_RESKEY_trace_ra"], Parameters.parseBoolean(trace) == true { return true }
        if let debug = environment["HA_debug"], !debug.isEmpty, debug != "0" { return true }
        return false
    }

    /// Logs `message`, folded into one line, at `level`.
    public func log(_ level: LogLevel, _ message: String) {
        write(level, message, alreadyOnStandardError: false)
    }

    /// `ocf_log err`.
    public func error(_ message: String) { log(.error, message) }
    /// `ocf_log warn`.
    public func warning(_ message: String) { log(.warning, message) }
    /// `ocf_log info`.
    public func info(_ message: String) { log(.info, message) }
    /// `ocf_log debug`: dropped unless `debugEnabled`.
    public func debug(_ message: String) { log(.debug, message) }

    /// Logs the reason the runtime has just printed as `ocf-exit-reason:`.
    func exitReason(_ reason: String) {
        write(.error, reason, alreadyOnStandardError: true)
    }

    private func write(_ level: LogLevel, _ message: String, alreadyOnStandardError: Bool) {
        if level == .debug && !debugEnabled { return }
        sink.write(LogRecord(
            level: level, message: message.singleLine, tag: tag,
            alreadyOnStandardError: alreadyOnStandardError))
    }
}
