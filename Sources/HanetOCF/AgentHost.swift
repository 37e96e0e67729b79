/// What the runtime takes from the process around it: who runs it, where
/// output goes and where logs go.
///
/// `AgentRunner.run` gets these passed in instead of calling geteuid(),
/// write(2) and syslog(3) directly, so every exit path can be tested
/// without root and without polluting the system log.
public struct AgentHost: Sendable {
    /// The euid that privileged actions require to be 0.
    public var effectiveUserID: UInt32
    /// Where meta-data, usage, status lines and exit reasons are written.
    public var console: any AgentConsole
    /// nil: build a `SystemLogSink` from the invocation's environment.
    public var logSink: (any LogSink)?

    /// A host from its parts; `system` is the real process.
    public init(effectiveUserID: UInt32, console: any AgentConsole, logSink: (any LogSink)?) {
        self.effectiveUserID = effectiveUserID
        self.console = console
        self.logSink = logSink
    }

    /// The real process: geteuid(), fds 1 and 2, syslog and log files.
    public static var system: AgentHost {
        AgentHost(effectiveUserID: POSIX.effectiveUserID, console: StandardConsole(), logSink: nil)
    }
}
