import CIPTC

/// libip4tc: ip_tables.
enum IPTablesIPv4: IPTablesFamily {
    static let label = "ip4"
    static let tableNamesFile = "ip_tables_names"
    static let layout = IPTablesLayout.ipv4

    static func initialize(_ table: UnsafePointer<CChar>) -> OpaquePointer? { iptc_init(table) }
    static func free(_ handle: OpaquePointer) { iptc_free(handle) }
    static func isChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { iptc_is_chain(chain, handle) != 0 }
    static func firstChain(_ handle: OpaquePointer) -> UnsafePointer<CChar>? { iptc_first_chain(handle) }
    static func nextChain(_ handle: OpaquePointer) -> UnsafePointer<CChar>? { iptc_next_chain(handle) }
    static func firstRule(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> UnsafeRawPointer? {
        iptc_first_rule(chain, handle).map(UnsafeRawPointer.init)
    }
    static func nextRule(_ previous: UnsafeRawPointer, _ handle: OpaquePointer) -> UnsafeRawPointer? {
        iptc_next_rule(previous.assumingMemoryBound(to: ipt_entry.self), handle).map(UnsafeRawPointer.init)
    }
    static func target(_ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> UnsafePointer<CChar>? {
        iptc_get_target(entry.assumingMemoryBound(to: ipt_entry.self), handle)
    }
    static func insert(_ chain: UnsafePointer<CChar>, _ entry: UnsafeRawPointer, _ position: UInt32, _ handle: OpaquePointer) -> Bool {
        iptc_insert_entry(chain, entry.assumingMemoryBound(to: ipt_entry.self), position, handle) != 0
    }
    static func append(_ chain: UnsafePointer<CChar>, _ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> Bool {
        iptc_append_entry(chain, entry.assumingMemoryBound(to: ipt_entry.self), handle) != 0
    }
    static func delete(_ chain: UnsafePointer<CChar>, at position: UInt32, _ handle: OpaquePointer) -> Bool {
        iptc_delete_num_entry(chain, position, handle) != 0
    }
    static func flush(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { iptc_flush_entries(chain, handle) != 0 }
    static func createChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { iptc_create_chain(chain, handle) != 0 }
    static func deleteChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { iptc_delete_chain(chain, handle) != 0 }
    static func references(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> UInt32? {
        var count: UInt32 = 0
        return iptc_get_references(&count, chain, handle) != 0 ? count : nil
    }
    static func commit(_ handle: OpaquePointer) -> Bool { iptc_commit(handle) != 0 }
    static func strerror(_ code: Int32) -> String { String(cString: iptc_strerror(code)) }
}
