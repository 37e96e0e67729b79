/// The parameter values of one agent invocation, read through the agent's
/// parameter table.
///
/// Typed accessors throw `AgentFailure(.errConfigured, "parameter 'x': …")`
/// so that every bad value becomes rc 6 with a reason naming the parameter,
/// without each agent writing its own checks.
public struct Parameters: Hashable, Sendable {
    /// The values as given (environment or LSB config file), without defaults.
    public let values: [String: String]
    /// The agent's parameter table: defaults, required flags, choices.
    public let specs: [ParameterSpec]

    /// Names the runtime itself understands in any agent: resource-agents'
    /// tracing switches, which administrators set as instance attributes,
    /// and `crm_feature_set`, which Pacemaker adds to every call
    /// (OCF_RESKEY_crm_feature_set; seen from crm_resource --force-*).
    public static let runtimeParameterNames: Set<String> = ["trace_ra", "trace_file", "crm_feature_set"]

    /// The given `values` (without defaults), read through `specs`.
    public init(values: [String: String], specs: [ParameterSpec]) {
        self.values = values
        self.specs = specs
    }

    /// Given names that neither the table nor the runtime knows, sorted so
    /// error messages are stable.
    public var unknownNames: [String] {
        values.keys.filter { name in
            !Self.runtimeParameterNames.contains(name) && !specs.contains { $0.name == name }
        }.sorted()
    }

    /// Required parameters that are unset or empty, in table order.
    public var missingRequiredNames: [String] {
        specs.filter { $0.required && !isSet($0.name) }.map(\.name)
    }

    /// Whether the parameter was given a non-empty value (defaults do not count).
    public func isSet(_ name: String) -> Bool {
        guard let value = values[name] else { return false }
        return !value.isEmpty
    }

    /// The given value, else the table default; empty counts as unset, like
    /// `${OCF_RESKEY_x:-default}` in shell agents.
    public func value(_ name: String) throws(AgentFailure) -> String? {
        let spec = try self.spec(name)
        if let given = values[name], !given.isEmpty { return given }
        if let fallback = spec.defaultValue, !fallback.isEmpty { return fallback }
        return nil
    }

    /// The value or its default; throws OCF_ERR_CONFIGURED when there is neither.
    public func string(_ name: String) throws(AgentFailure) -> String {
        guard let text = try value(name) else { throw missing(name) }
        return text
    }

    /// The value or its default; nil when there is neither.
    public func optionalString(_ name: String) throws(AgentFailure) -> String? {
        try value(name)
    }

    /// A boolean (see `parseBoolean`); throws when unset or not a boolean.
    public func bool(_ name: String) throws(AgentFailure) -> Bool {
        guard let result = try optionalBool(name) else { throw missing(name) }
        return result
    }

    /// A boolean; nil when unset, throws when not a boolean.
    public func optionalBool(_ name: String) throws(AgentFailure) -> Bool? {
        guard let text = try value(name) else { return nil }
        guard let result = Self.parseBoolean(text) else {
            throw .parameter(name, "'\(text)' is not a boolean (use yes/no, true/false, on/off or 1/0)")
        }
        return result
    }

    /// A decimal integer, within `range` if given; throws when unset, not a
    /// number, or out of range.
    public func integer(_ name: String, in range: ClosedRange<Int>? = nil) throws(AgentFailure) -> Int {
        guard let result = try optionalInteger(name, in: range) else { throw missing(name) }
        return result
    }

    /// A decimal integer, within `range` if given; nil when unset, throws
    /// when not a number or out of range.
    public func optionalInteger(_ name: String, in range: ClosedRange<Int>? = nil) throws(AgentFailure) -> Int? {
        guard let text = try value(name) else { return nil }
        guard let number = Int(text.trimmingOCFWhitespace()) else {
            throw .parameter(name, "'\(text)' is not an integer")
        }
        if let range, !range.contains(number) {
            throw .parameter(name, "\(number) is out of range (\(range.lowerBound) to \(range.upperBound))")
        }
        return number
    }

    /// One of `choices`, or of the table's `choices` when none are given.
    /// Matching is exact: the value is typically passed on to the kernel.
    public func enumeration(_ name: String, choices: [String]? = nil) throws(AgentFailure) -> String {
        let declared = try spec(name).choices
        let allowed = choices ?? declared ?? []
        let text = try string(name).trimmingOCFWhitespace()
        guard allowed.contains(text) else {
            throw .parameter(name, "'\(text)' is not one of " + allowed.joined(separator: ", "))
        }
        return text
    }

    /// A case of a `String`-backed enum, matched exactly against its raw
    /// values (the table's `choices` are not consulted).
    public func enumeration<Value>(_ name: String, as type: Value.Type) throws(AgentFailure) -> Value
    where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
        let choices = Value.allCases.map(\.rawValue)
        let text = try enumeration(name, choices: choices)
        guard let result = Value(rawValue: text) else {
            throw .parameter(name, "'\(text)' is not one of " + choices.joined(separator: ", "))
        }
        return result
    }

    /// Items separated by spaces, tabs or commas ("eth0 eth1", "eth0,eth1");
    /// empty when unset without default.
    public func list(_ name: String) throws(AgentFailure) -> [String] {
        guard let text = try value(name) else { return [] }
        return text.split(whereSeparator: { $0 == "," || $0.isOCFWhitespace }).map(String.init)
    }

    /// OCF booleans as resource-agents' `ocf_is_true` and the spec define
    /// them, case-insensitive; nil for anything else so typos are reported
    /// instead of silently meaning "no".
    public static func parseBoolean(_ text: String) -> Bool? {
        switch text.trimmingOCFWhitespace().asciiLowercased {
        case "yes", "true", "1", "on", "y": return true
        case "no", "false", "0", "off", "n": return false
        default: return nil
        }
    }

    private func spec(_ name: String) throws(AgentFailure) -> ParameterSpec {
        guard let spec = specs.first(where: { $0.name == name }) else {
            throw .generic("parameter '\(name)' is not declared in the agent's parameter table")
        }
        return spec
    }

    private func missing(_ name: String) -> AgentFailure {
        let required = specs.first { $0.name == name }?.required ?? false
        return .parameter(name, required ? "required but not set" : "not set")
    }
}
