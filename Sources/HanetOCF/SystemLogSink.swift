/// The production sink, behaving like resource-agents' `ocf_log`: syslog
/// with `HA_LOGFACILITY`, `HA_LOGFILE` and `HA_DEBUGLOG` appends with the
/// same line layout, stderr when nothing else is configured or when a human
/// is watching a terminal.
public struct SystemLogSink: LogSink {
    /// syslog facility code (already shifted, e.g. 3<<3 for daemon); nil
    /// when `HA_LOGFACILITY=none`.
    public var facility: Int32?
    /// `HA_LOGFILE`: gets every line except debug ones; nil for no file.
    public var logFile: String?
    /// `HA_DEBUGLOG`: gets every line, debug ones included (once, if it is also
    /// `logFile`); nil for no file.
    public var debugLog: String?
    /// strftime format, `HA_DATEFMT` (default "%b %d %T ", as ocf-directories).
    public var dateFormat: String
    /// Whether stderr is a terminal, i.e. a person is watching: then every
    /// line is also written there.
    public var standardErrorIsTerminal: Bool

    /// A sink with explicit settings (tests); `init(environment:)` reads the real ones.
    public init(
        facility: Int32?, logFile: String?, debugLog: String?,
        dateFormat: String = "%b %d %T ", standardErrorIsTerminal: Bool = false
    ) {
        self.facility = facility
        self.logFile = logFile
        self.debugLog = debugLog
        self.dateFormat = dateFormat
        self.standardErrorIsTerminal = standardErrorIsTerminal
    }

    /// Reads the Heartbeat logging variables Pacemaker passes to agents.
    public init(environment: [String: String]) {
        func nonEmpty(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        self.init(
            facility: Self.facility(named: environment["HA_LOGFACILITY"]),
            logFile: nonEmpty("HA_LOGFILE"),
            debugLog: nonEmpty("HA_DEBUGLOG"),
            dateFormat: nonEmpty("HA_DATEFMT") ?? "%b %d %T ",
            standardErrorIsTerminal: POSIX.isTerminal(2))
    }

    /// Facility names as logger(1) spells them; unset or unknown falls back
    /// to daemon so a typo does not silence the agent, "none" disables.
    public static func facility(named name: String?) -> Int32? {
        guard let name = name?.trimmingOCFWhitespace().asciiLowercased, !name.isEmpty else { return 3 << 3 }
        let codes: [String: Int32] = [
            "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
            "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
            "local0": 16, "local1": 17, "local2": 18, "local3": 19,
            "local4": 20, "local5": 21, "local6": 22, "local7": 23,
        ]
        if name == "none" { return nil }
        return (codes[name] ?? 3) << 3
    }

    /// The line `ocf_log` appends to HA_LOGFILE: date, tag with pid, message.
    public static func logFileLine(date: String, tag: String, pid: Int32, record: LogRecord) -> String {
        "\(date) \(tag)[\(pid)]:    \(record.level.label): \(record.message)\n"
    }

    /// The line `ocf_log` appends to HA_DEBUGLOG (its layout differs).
    public static func debugLogLine(date: String, tag: String, pid: Int32, record: LogRecord) -> String {
        "\(tag)[\(pid)]:\t\(date)\(record.level.label): \(record.message)\n"
    }

    /// Sends `record` to syslog, then the files; to stderr as well when nothing
    /// else took it or stderr is a terminal (unless it is already there).
    public func write(_ record: LogRecord) {
        let pid = POSIX.processID
        if let facility {
            POSIX.syslog(facility: facility, level: record.level,
                         tag: record.tag, message: "\(record.level.label): \(record.message)")
        }
        let date = (logFile != nil || debugLog != nil) ? POSIX.formatNow(dateFormat) : ""
        if let logFile, record.level != .debug {
            POSIX.append(Self.logFileLine(date: date, tag: record.tag, pid: pid, record: record), toFile: logFile)
        }
        if let debugLog, debugLog != logFile || record.level == .debug {
            POSIX.append(Self.debugLogLine(date: date, tag: record.tag, pid: pid, record: record), toFile: debugLog)
        }
        let nothingElse = facility == nil && (record.level == .debug ? debugLog == nil : logFile == nil)
        if (nothingElse || standardErrorIsTerminal) && !record.alreadyOnStandardError {
            POSIX.writeAll(2, "\(record.tag): \(record.level.label): \(record.message)\n")
        }
    }
}
