/// A configuration that no host could apply, keyed by the parameter at fault.
///
/// Thrown by each configuration's `validate()` before anything touches the
/// system, so a caller can point at the exact setting. The parameter names
/// are the ones the agents and `/etc/default/hanet-*` files use.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The parameter at fault, as agents and `/etc/default/hanet-*` spell it (`slaves`, `forward_delay`).
    public var parameter: String
    /// What is wrong with it, in one line.
    public var reason: String

    public init(_ parameter: String, _ reason: String) {
        self.parameter = parameter
        self.reason = reason
    }

    public var description: String { "parameter '\(parameter)': \(reason)" }
}
