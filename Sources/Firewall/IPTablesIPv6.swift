import CIPTC

/// libip6tc: ip6_tables.
enum IPTablesIPv6: IPTablesFamily {
    static let label = "ip6"
    static let tableNamesFile = "ip6_tables_names"
    static let layout = IPTablesLayout.ipv6

    static func initialize(_ table: UnsafePointer<CChar>) -> OpaquePointer? { ip6tc_init(table) }
    static func free(_ handle: OpaquePointer) { ip6tc_free(handle) }
    static func isChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { ip6tc_is_chain(chain, handle) != 0 }
    static func firstChain(_ handle: OpaquePointer) -> UnsafePointer<CChar>? { ip6tc_first_chain(handle) }
    static func nextChain(_ handle: OpaquePointer) -> UnsafePointer<CChar>? { ip6tc_next_chain(handle) }
    static func firstRule(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> UnsafeRawPointer? {
        ip6tc_first_rule(chain, handle).map(UnsafeRawPointer.init)
    }
    static func nextRule(_ previous: UnsafeRawPointer, _ handle: OpaquePointer) -> UnsafeRawPointer? {
        ip6tc_next_rule(previous.assumingMemoryBound(to: ip6t_entry.self), handle).map(UnsafeRawPointer.init)
    }
    static func target(_ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> UnsafePointer<CChar>? {
        ip6tc_get_target(entry.assumingMemoryBound(to: ip6t_entry.self), handle)
    }
    static func insert(_ chain: UnsafePointer<CChar>, _ entry: UnsafeRawPointer, _ position: UInt32, _ handle: OpaquePointer) -> Bool {
        ip6tc_insert_entry(chain, entry.assumingMemoryBound(to: ip6t_entry.self), position, handle) != 0
    }
    static func append(_ chain: UnsafePointer<CChar>, _ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> Bool {
        ip6tc_append_entry(chain, entry.assumingMemoryBound(to: ip6t_entry.self), handle) != 0
    }
    static func delete(_ chain: UnsafePointer<CChar>, at position: UInt32, _ handle: OpaquePointer) -> Bool {
        ip6tc_delete_num_entry(chain, position, handle) != 0
    }
    static func flush(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { ip6tc_flush_entries(chain, handle) != 0 }
    static func createChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { ip6tc_create_chain(chain, handle) != 0 }
    static func deleteChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { ip6tc_delete_chain(chain, handle) != 0 }
    static func references(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> UInt32? {
        var count: UInt32 = 0
        return ip6tc_get_references(&count, chain, handle) != 0 ? count : nil
    }
    static func commit(_ handle: OpaquePointer) -> Bool { ip6tc_commit(handle) != 0 }
    static func strerror(_ code: Int32) -> String { String(cString: ip6tc_strerror(code)) }
}
