import HanetOCF
import HanetLinks

/// Typed readers for the link-level parameters every agent has, with the
/// one-line reasons naming the parameter that the OCF contract asks for.
extension Parameters {
    func interfaceName(_ name: String) throws -> InterfaceName {
        try Self.validated(name, try string(name))
    }

    func optionalInterfaceName(_ name: String) throws -> InterfaceName? {
        try optionalString(name).map { try Self.validated(name, $0) }
    }

    func interfaceNames(_ name: String) throws -> [InterfaceName] {
        try list(name).map { try Self.validated(name, $0) }
    }

    /// MAC syntax only; whether the address suits (unicast, not zero) is
    /// the configuration's rule.
    func optionalMAC(_ name: String) throws -> MACAddress? {
        guard let text = try optionalString(name) else { return nil }
        do { return try MACAddress(parsing: text) } catch { throw AgentFailure.parameter(name, error.description) }
    }

    private static func validated(_ parameter: String, _ text: String) throws -> InterfaceName {
        do { return try InterfaceName(validating: text) } catch { throw AgentFailure.parameter(parameter, error.description) }
    }
}
