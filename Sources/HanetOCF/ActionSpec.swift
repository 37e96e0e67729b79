/// One action entry of an agent's meta-data: the timeouts and intervals
/// Pacemaker suggests when an operation is created without explicit values.
public struct ActionSpec: Hashable, Sendable {
    /// Only meaningful for promotable clones; the OCF 1.1 spellings, which the
    /// RelaxNG schema requires.
    public enum Role: String, Hashable, Sendable {
        /// The entry applies to promoted instances (e.g. their own monitor interval).
        case promoted = "Promoted"
        /// The entry applies to unpromoted instances.
        case unpromoted = "Unpromoted"
    }

    /// The action (`start`, `monitor`, `block`); only names in
    /// `metadataActionNames` go into meta-data.
    public var name: String
    /// The suggested timeout (`timeout="20s"` in meta-data).
    public var timeout: Duration
    /// The suggested interval of a recurring action (monitor); nil for one-shot actions.
    public var interval: Duration?
    /// The OCF_CHECK_LEVEL this monitor entry runs with (0, 10, 20).
    public var depth: Int?
    /// For promotable clones, the role the entry is for; nil for any.
    public var role: Role?
    /// One sentence for usage and the man page; the man page falls back to
    /// the resource-agents wording for well-known actions.
    public var summary: String?

    /// An entry; only `name` and `timeout` are required.
    public init(
        name: String,
        timeout: Duration,
        interval: Duration? = nil,
        depth: Int? = nil,
        role: Role? = nil,
        summary: String? = nil
    ) {
        self.name = name
        self.timeout = timeout
        self.interval = interval
        self.depth = depth
        self.role = role
        self.summary = summary
    }

    /// The action names of the OCF standard: ra-api-1's, plus OCF 1.1's
    /// `reload-agent` (which `MetadataXML` declares in its internal DTD
    /// subset). Other actions (such as vhostnet's `block`) work and appear
    /// in usage and the man page, but are left out of meta-data: no
    /// cluster manager calls them.
    public static let metadataActionNames: Set<String> = [
        "start", "stop", "recover", "monitor", "restart", "migrate_to", "migrate_from",
        "promote", "demote", "notify", "status", "reload", "reload-agent", "meta-data", "usage",
        "methods", "validate-all",
    ]

    /// Whether the entry goes into meta-data (a standard action name).
    public var appearsInMetadata: Bool { Self.metadataActionNames.contains(name) }

    /// `start`, with resource-agents' usual 20 s timeout.
    public static func start(timeout: Duration = .seconds(20)) -> ActionSpec {
        ActionSpec(name: "start", timeout: timeout)
    }

    /// `stop`, with resource-agents' usual 20 s timeout.
    public static func stop(timeout: Duration = .seconds(20)) -> ActionSpec {
        ActionSpec(name: "stop", timeout: timeout)
    }

    /// `monitor`, by default every 10 s with a 20 s timeout, at OCF_CHECK_LEVEL `depth`.
    public static func monitor(
        timeout: Duration = .seconds(20), interval: Duration = .seconds(10), depth: Int = 0
    ) -> ActionSpec {
        ActionSpec(name: "monitor", timeout: timeout, interval: interval, depth: depth)
    }

    /// `meta-data`, with a 5 s timeout.
    public static func metaData(timeout: Duration = .seconds(5)) -> ActionSpec {
        ActionSpec(name: "meta-data", timeout: timeout)
    }

    /// `validate-all`, with a 20 s timeout.
    public static func validateAll(timeout: Duration = .seconds(20)) -> ActionSpec {
        ActionSpec(name: "validate-all", timeout: timeout)
    }

    /// `reload-agent` (OCF 1.1): Pacemaker 2.1 calls it instead of a
    /// restart when only parameters marked reloadable changed.
    public static func reloadAgent(timeout: Duration = .seconds(20)) -> ActionSpec {
        ActionSpec(name: "reload-agent", timeout: timeout, summary: "Apply changed reloadable parameters to the running resource, without a restart.")
    }

    /// `reload`: the LSB and OCF 1.0 name of the same live change (init
    /// scripts' `reload`, `force-reload`); the agents run the same code.
    public static func reload(timeout: Duration = .seconds(20)) -> ActionSpec {
        ActionSpec(name: "reload", timeout: timeout, summary: "The same as reload-agent (the LSB name).")
    }

    /// The actions every hanet agent has, with resource-agents' usual timeouts.
    public static let standard: [ActionSpec] = [
        .start(), .stop(), .monitor(), .metaData(), .validateAll(),
    ]
}
