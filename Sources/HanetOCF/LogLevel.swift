/// Severity of a log line, limited to the levels `ocf_log` offers agents.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    /// `ocf_log err`: LOG_ERR.
    case error
    /// `ocf_log warn`: LOG_WARNING.
    case warning
    /// `ocf_log info`: LOG_INFO.
    case info
    /// `ocf_log debug`: LOG_DEBUG, logged only when tracing is on.
    case debug

    /// syslog(3) priority (LOG_ERR … LOG_DEBUG); spelled out because the
    /// C macros are not reliably imported.
    public var syslogPriority: Int32 {
        switch self {
        case .error: return 3
        case .warning: return 4
        case .info: return 6
        case .debug: return 7
        }
    }

    /// The prefix `ocf_log` puts in front of messages, so that our lines
    /// match what administrators already grep for.
    public var label: String {
        switch self {
        case .error: return "ERROR"
        case .warning: return "WARNING"
        case .info: return "INFO"
        case .debug: return "DEBUG"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
