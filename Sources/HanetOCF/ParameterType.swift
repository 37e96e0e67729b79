/// The value type of an agent parameter as declared in meta-data.
///
/// Limited to the three types that both the ra-api-1 DTD (ocf-tester) and
/// the OCF 1.1 RelaxNG schema accept; enumerations are declared as strings
/// with `ParameterSpec.choices`, lists as strings read with
/// `Parameters.list(_:)`.
public enum ParameterType: String, Sendable, Hashable, CaseIterable {
    /// Any text; also enumerations (with `ParameterSpec.choices`) and lists.
    case string
    /// A boolean in one of the spellings `Parameters.parseBoolean` accepts.
    case boolean
    /// A decimal integer.
    case integer
}
