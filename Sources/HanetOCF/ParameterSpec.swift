/// One row of an agent's parameter table.
///
/// The same row drives meta-data, the man page, default values, the
/// unknown-parameter check and the LSB config file, so a parameter is
/// described once and cannot drift between them.
public struct ParameterSpec: Hashable, Sendable {
    /// The name: `OCF_RESKEY_<name>` in OCF mode, `<name>=` in the LSB file.
    public var name: String
    /// The content type declared in meta-data.
    public var type: ParameterType
    /// Used when the parameter is unset or empty, as `${OCF_RESKEY_x:-default}`
    /// does in shell agents. Written in the parameter's own syntax.
    public var defaultValue: String?
    /// Checked before every action except stop, monitor and status: unset
    /// or empty, it fails the action with OCF_ERR_CONFIGURED.
    public var required: Bool
    /// Two resources must not share the value (e.g. the interface name).
    public var unique: Bool
    /// Changing the value needs no restart (OCF 1.1 `reloadable="1"`): the
    /// agent's `reload-agent` applies it to the running resource. Only
    /// meaningful for agents that declare `reload-agent`.
    public var reloadable: Bool
    /// One line: meta-data `shortdesc`.
    public var shortDescription: String
    /// Meta-data `longdesc` and the man page text; the short description when not given.
    public var longDescription: String
    /// Allowed values of an enumeration; `Parameters.enumeration(_:)` checks
    /// against them and the documentation lists them.
    public var choices: [String]?

    /// A row of the table; only `name` and `shortDescription` are required.
    public init(
        name: String,
        type: ParameterType = .string,
        defaultValue: String? = nil,
        required: Bool = false,
        unique: Bool = false,
        reloadable: Bool = false,
        shortDescription: String,
        longDescription: String? = nil,
        choices: [String]? = nil
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.unique = unique
        self.reloadable = reloadable
        self.shortDescription = shortDescription
        self.longDescription = longDescription ?? shortDescription
        self.choices = choices
    }

    /// The long description plus the allowed values, so that users of crm
    /// and pcs (which only show meta-data) see the choices too.
    public var documentedDescription: String {
        guard let choices, !choices.isEmpty else { return longDescription }
        let sentence = "Allowed values: " + choices.joined(separator: ", ") + "."
        return longDescription.isEmpty ? sentence : longDescription + "\n\n" + sentence
    }
}

extension Array where Element == ParameterSpec {
    /// The table with `reloadable` set on the rows named in `names`: an
    /// agent states which parameters its reload applies as one list, next
    /// to the code that applies them. A name without a row is a
    /// programming error.
    public func markingReloadable(_ names: Set<String>) -> [ParameterSpec] {
        precondition(names.isSubset(of: Set(map(\.name))), "reloadable names without a parameter: \(names.subtracting(map(\.name)).sorted())")
        return map { spec in
            var spec = spec
            if names.contains(spec.name) { spec.reloadable = true }
            return spec
        }
    }
}
