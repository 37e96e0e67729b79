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
    /// Loads the library (once); every other call needs it loaded.
    static func load() throws(IPTablesError)

    static func initialize(_ table: UnsafePointer<CChar>) -> OpaquePointer?
    static func free(_ handle: OpaquePointer)
    static func isChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool
    static func firstChain(_ handle: OpaquePointer) -> UnsafePointer<CChar>?
    static func nextChain(_ handle: OpaquePointer) -> UnsafePointer<CChar>?
    static func firstRule(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> UnsafeRawPointer?
    static func nextRule(_ previous: UnsafeRawPointer, _ handle: OpaquePointer) -> UnsafeRawPointer?
    static func target(_ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> UnsafePointer<CChar>?
    static func insert(_ chain: UnsafePointer<CChar>, _ entry: UnsafeRawPointer, _ position: UInt32, _ handle: OpaquePointer) -> Bool
    static func append(_ chain: UnsafePointer<CChar>, _ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> Bool
    static func delete(_ chain: UnsafePointer<CChar>, at position: UInt32, _ handle: OpaquePointer) -> Bool
    static func flush(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool
    static func createChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool
    static func deleteChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool
    static func references(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> UInt32?
    static func commit(_ handle: OpaquePointer) -> Bool
    static func strerror(_ code: Int32) -> String
}
