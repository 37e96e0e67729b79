/// Everything static about an agent: identity, parameter table and actions.
///
/// Meta-data XML, usage text, the man page, parameter defaults and the
/// privilege check are all derived from this one value.
public struct AgentMetadata: Hashable, Sendable {
    /// The agent name as installed under /usr/lib/ocf/resource.d/<provider>/.
    public var name: String
    /// The agent's own version (the `version` attribute), not the OCF API
    /// version, which is always 1.1.
    public var version: String
    /// The OCF provider, `hanet` in `ocf:hanet:bridge`: the directory the agent
    /// is installed in and part of the man page name.
    public var provider: String
    /// One line: meta-data `shortdesc`, usage text, and the man page's NAME.
    public var shortDescription: String
    /// Meta-data `longdesc` and the man page's DESCRIPTION.
    public var longDescription: String
    /// The parameter table: meta-data, man page, defaults, LSB config names.
    public var parameters: [ParameterSpec]
    /// The actions with suggested timeouts, including the agent's extras (`block`).
    public var actions: [ActionSpec]
    /// Actions refused with OCF_ERR_PERM unless euid is 0. Reading kernel
    /// state works unprivileged, so monitor, status and validate-all are
    /// left out by default and can run as `hacluster` or a normal user.
    public var privilegedActions: Set<String>
    /// Free text appended to the man page's EXAMPLE section.
    public var example: String?

    /// The actions that change the system.
    public static let defaultPrivilegedActions: Set<String> = ["start", "stop", "restart", "force-reload", "reload", "reload-agent"]

    /// The agent's description; version 1.0, provider `hanet`, the standard
    /// actions and privileges unless given.
    public init(
        name: String,
        version: String = "1.0",
        provider: String = "hanet",
        shortDescription: String,
        longDescription: String,
        parameters: [ParameterSpec],
        actions: [ActionSpec] = ActionSpec.standard,
        privilegedActions: Set<String> = AgentMetadata.defaultPrivilegedActions,
        example: String? = nil
    ) {
        self.name = name
        self.version = version
        self.provider = provider
        self.shortDescription = shortDescription
        self.longDescription = longDescription
        self.parameters = parameters
        self.actions = actions
        self.privilegedActions = privilegedActions
        self.example = example
    }

    /// The table row for `name`, or nil when the agent has no such parameter.
    public func parameter(named name: String) -> ParameterSpec? {
        parameters.first { $0.name == name }
    }

    /// The name of the LSB init script and its /etc/default file.
    public var lsbName: String { "hanet-" + name }

    /// Whether the agent declares `action` itself (extra actions such as
    /// `block`, or `reload`).
    public func declares(action: String) -> Bool {
        actions.contains { $0.name == action }
    }

    /// Actions the runtime implements for every agent from start, stop and
    /// monitor (plus meta-data and usage, which need no agent at all).
    public static let runtimeActions: [String] = [
        "start", "stop", "monitor", "validate-all", "meta-data", "usage",
        "restart", "force-reload", "status",
    ]

    /// Every action the agent answers, in the order usage and the man page
    /// list them: the OCF core, then the agent's own extras, then the rest.
    public var supportedActions: [String] {
        let extras = actions.map(\.name).filter { !Self.runtimeActions.contains($0) }
        var seen = Set<String>()
        return (["start", "stop", "monitor"] + extras + Self.runtimeActions.dropFirst(3))
            .filter { seen.insert($0).inserted }
    }

    /// The usage text printed for `usage`/`help` and on invocation errors.
    public var usage: String { usage(program: name) }

    /// Usage naming the program as invoked (`hanet-bridge` for the init
    /// script), so the printed synopsis can be pasted back.
    public func usage(program: String) -> String {
        """
        usage: \(program) {\(supportedActions.joined(separator: "|"))}

        \(shortDescription.singleLine)

        As an OCF resource agent (ocf:\(provider):\(name)), parameters come from
        OCF_RESKEY_* variables; as the LSB init script \(lsbName), from
        /etc/default/\(lsbName) (or the file named by HANET_CONFIG).

        """
    }
}
