/// libip4tc or libip6tc: the same API under two prefixes, so the backend
/// is written once, generic over this protocol.
///
/// Handles are `struct xtc_handle *` (opaque); entries are passed as raw
/// pointers because their C types differ while their use does not.
protocol IPTablesFamily {
    /// `ip4` or `ip6`, as errors and reasons spell the table (`ip6 filter`).
    static var label: String { get }
    /// The file under /proc/<thread>/net listing this family's live tables.
    static var tableNamesFile: String { get }
    static var layout: IPTablesLayout { get }
    /// The library, loaded on first use (and the error, if it cannot be).
    static var library: Result<IPTablesLibrary, IPTablesError> { get }
}
