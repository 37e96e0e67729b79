import OCF
import Links

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

    /// A MAC an interface can carry: not multicast, not all zeros.
    func optionalUnicastMAC(_ name: String) throws -> MACAddress? {
        guard let text = try optionalString(name) else { return nil }
        let mac: MACAddress
        do { mac = try MACAddress(parsing: text) } catch { throw AgentFailure.parameter(name, error.description) }
        if mac.isMulticast || mac.isZero { throw AgentFailure.parameter(name, "\(text) is not a unicast address") }
        return mac
    }

    private static func validated(_ parameter: String, _ text: String) throws -> InterfaceName {
        do { return try InterfaceName(validating: text) } catch { throw AgentFailure.parameter(parameter, error.description) }
    }
}
