/// The value type of an agent parameter as declared in meta-data.
///
/// Limited to the three types that both the ra-api-1 DTD (ocf-tester) and
/// the OCF 1.1 RelaxNG schema accept; enumerations are declared as strings
/// with `ParameterSpec.choices`, lists as strings read with
/// `Parameters.list(_:)`.
public enum ParameterType: String, Sendable, Hashable, CaseIterable {
    case string
    case boolean
    case integer
}
