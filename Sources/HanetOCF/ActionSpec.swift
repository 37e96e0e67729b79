/// One action entry of an agent's meta-data: the timeouts and intervals
/// Pacemaker suggests when an operation is created without explicit values.
public struct ActionSpec: Hashable, Sendable {
    /// Only meaningful for promotable clones; the OCF 1.1 spellings, which the
    /// RelaxNG schema requires.
    public enum Role: String, Hashable, Sendable {
        case promoted = "Promoted"
        case unpromoted = "Unpromoted"
    }

    public var name: String
    public var timeout: Duration
    public var interval: Duration?
    /// The OCF_CHECK_LEVEL this monitor entry runs with (0, 10, 20).
    public var depth: Int?
    public var role: Role?
    /// One sentence for usage and the man page; the man page falls back to
    /// the resource-agents wording for well-known actions.
    public var summary: String?

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

    /// The action names the ra-api-1 DTD enumerates. Other actions (such as
    /// vhostnet's `block`) work and appear in usage and the man page, but
    /// are left out of meta-data so ocf-tester keeps validating it.
    public static let metadataActionNames: Set<String> = [
        "start", "stop", "recover", "monitor", "restart", "migrate_to", "migrate_from",
        "promote", "demote", "notify", "status", "reload", "meta-data", "usage",
        "methods", "validate-all",
    ]

    public var appearsInMetadata: Bool { Self.metadataActionNames.contains(name) }

    public static func start(timeout: Duration = .seconds(20)) -> ActionSpec {
        ActionSpec(name: "start", timeout: timeout)
    }

    public static func stop(timeout: Duration = .seconds(20)) -> ActionSpec {
        ActionSpec(name: "stop", timeout: timeout)
    }

    public static func monitor(
        timeout: Duration = .seconds(20), interval: Duration = .seconds(10), depth: Int = 0
    ) -> ActionSpec {
        ActionSpec(name: "monitor", timeout: timeout, interval: interval, depth: depth)
    }

    public static func metaData(timeout: Duration = .seconds(5)) -> ActionSpec {
        ActionSpec(name: "meta-data", timeout: timeout)
    }

    public static func validateAll(timeout: Duration = .seconds(20)) -> ActionSpec {
        ActionSpec(name: "validate-all", timeout: timeout)
    }

    /// The actions every hanet agent has, with resource-agents' usual timeouts.
    public static let standard: [ActionSpec] = [
        .start(), .stop(), .monitor(), .metaData(), .validateAll(),
    ]
}
