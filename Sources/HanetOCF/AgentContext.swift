/// Everything an agent learns about the invocation, already parsed.
///
/// Agents receive this instead of reading the environment so that they can
/// be unit-tested with a hand-built context and behave identically whether
/// the values came from Pacemaker or an LSB config file.
public struct AgentContext: Sendable {
    /// The action as invoked ("start", "status", "block", …).
    public var action: String
    /// OCF or LSB: where the parameters came from and how exit codes are translated.
    public var mode: RunMode
    /// The instance parameters, read through the agent's parameter table.
    public var parameters: Parameters
    /// OCF_RESOURCE_INSTANCE; nil in LSB mode.
    public var instance: String?
    /// OCF_RESKEY_CRM_meta_interval; zero for probes and one-shot actions.
    public var interval: Duration
    /// OCF_RESKEY_CRM_meta_timeout, the time Pacemaker waits before it
    /// declares the action failed; nil when not given.
    public var timeout: Duration?
    /// OCF_CHECK_LEVEL: 0 quick, 10 and 20 deeper monitor checks.
    public var checkLevel: Int
    /// HA_RSCTMP, for state files; not created by the runtime.
    public var stateDirectory: String
    /// Every OCF_RESKEY_CRM_meta_* value, keyed without the prefix
    /// ("clone_max", "notify_type", …).
    public var meta: [String: String]
    /// The whole process environment, for anything the runtime does not parse.
    public var environment: [String: String]
    /// The logger, tagged with agent and instance.
    public var log: OCFLog

    /// Where state files go when HA_RSCTMP is not set (resource-agents' default).
    public static let defaultStateDirectory = "/run/resource-agents"

    /// A context built by hand (tests, tools); `AgentRunner` builds the real
    /// one from the environment.
    public init(
        action: String,
        mode: RunMode = .ocf,
        parameters: Parameters,
        instance: String? = nil,
        interval: Duration = .zero,
        timeout: Duration? = nil,
        checkLevel: Int = 0,
        stateDirectory: String = AgentContext.defaultStateDirectory,
        meta: [String: String] = [:],
        environment: [String: String] = [:],
        log: OCFLog
    ) {
        self.action = action
        self.mode = mode
        self.parameters = parameters
        self.instance = instance
        self.interval = interval
        self.timeout = timeout
        self.checkLevel = checkLevel
        self.stateDirectory = stateDirectory
        self.meta = meta
        self.environment = environment
        self.log = log
    }

    /// A monitor without interval is Pacemaker asking "is it running here?"
    /// before it has started anything, so missing pieces mean "not running"
    /// rather than failure. LSB `status` is the same question.
    public var isProbe: Bool { Self.isProbe(action: action, interval: interval) }

    /// The rule itself, for the runtime before a context exists.
    static func isProbe(action: String, interval: Duration) -> Bool {
        (action == "monitor" || action == "status") && interval == .zero
    }

    /// The failure for "something this resource needs is not on this
    /// node" (an interface, a kernel module): not running for monitor and
    /// status, so probes report a clean absence; not installed otherwise,
    /// so Pacemaker bans only this node. Never OCF_ERR_CONFIGURED, which
    /// would stop the resource on every node.
    public func absent(_ reason: String) -> AgentFailure {
        (action == "monitor" || action == "status") ? .notRunning(reason) : .installed(reason)
    }

    /// A name for state files that is unique per resource: the instance in
    /// OCF mode, the agent's LSB name otherwise.
    public func stateName(agent: String) -> String {
        if let instance, !instance.isEmpty { return instance }
        return "hanet-" + agent
    }

    /// OCF_CHECK_LEVEL as a number; nil when it is not one (the runtime then
    /// warns and uses 0 rather than failing a monitor over it).
    public static func parseCheckLevel(_ text: String?) -> Int? {
        guard let text else { return 0 }
        let trimmed = text.trimmingOCFWhitespace()
        if trimmed.isEmpty { return 0 }
        guard let level = Int(trimmed), level >= 0 else { return nil }
        return level
    }

    /// The CRM_meta_* part of the environment, prefix removed.
    public static func metaAttributes(environment: [String: String]) -> [String: String] {
        let prefix = "OCF_RESKEY_CRM_meta_"
        var result: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(prefix) {
            result[String(name.dropFirst(prefix.count))] = value
        }
        return result
    }

    /// The instance parameters in the environment: OCF_RESKEY_* except the
    /// CRM_meta_* attributes Pacemaker adds itself.
    public static func parameterValues(environment: [String: String]) -> [String: String] {
        let prefix = "OCF_RESKEY_"
        var result: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(prefix) && !name.hasPrefix(prefix + "CRM_meta_") {
            result[String(name.dropFirst(prefix.count))] = value
        }
        return result
    }
}
