import CIPTC

/// libip4tc: ip_tables, loaded on first use (`IPTablesLibrary`).
enum IPTablesIPv4: IPTablesFamily {
    static let label = "ip4"
    static let tableNamesFile = "ip_tables_names"
    static let layout = IPTablesLayout.ipv4
    static let soname = "libip4tc.so.2"

    /// The library's calls, resolved once.
    private struct Calls {
        let initialize: hanet_iptc_init_t
        let free: hanet_iptc_free_t
        let isChain: hanet_iptc_is_chain_t
        let firstChain: hanet_iptc_first_chain_t
        let nextChain: hanet_iptc_next_chain_t
        let firstRule: hanet_iptc_first_rule_t
        let nextRule: hanet_iptc_next_rule_t
        let target: hanet_iptc_get_target_t
        let insert: hanet_iptc_insert_entry_t
        let append: hanet_iptc_append_entry_t
        let delete: hanet_iptc_delete_num_entry_t
        let flush: hanet_iptc_flush_entries_t
        let createChain: hanet_iptc_create_chain_t
        let deleteChain: hanet_iptc_delete_chain_t
        let references: hanet_iptc_get_references_t
        let commit: hanet_iptc_commit_t
        let strerror: hanet_iptc_strerror_t
    }

    private static let loaded = Result<Calls, IPTablesError> { () throws(IPTablesError) -> Calls in
        let handle = try IPTablesLibrary.open(soname)
        return Calls(
                initialize: try IPTablesLibrary.function("iptc_init", in: handle, soname: soname),
                free: try IPTablesLibrary.function("iptc_free", in: handle, soname: soname),
                isChain: try IPTablesLibrary.function("iptc_is_chain", in: handle, soname: soname),
                firstChain: try IPTablesLibrary.function("iptc_first_chain", in: handle, soname: soname),
                nextChain: try IPTablesLibrary.function("iptc_next_chain", in: handle, soname: soname),
                firstRule: try IPTablesLibrary.function("iptc_first_rule", in: handle, soname: soname),
                nextRule: try IPTablesLibrary.function("iptc_next_rule", in: handle, soname: soname),
                target: try IPTablesLibrary.function("iptc_get_target", in: handle, soname: soname),
                insert: try IPTablesLibrary.function("iptc_insert_entry", in: handle, soname: soname),
                append: try IPTablesLibrary.function("iptc_append_entry", in: handle, soname: soname),
                delete: try IPTablesLibrary.function("iptc_delete_num_entry", in: handle, soname: soname),
                flush: try IPTablesLibrary.function("iptc_flush_entries", in: handle, soname: soname),
                createChain: try IPTablesLibrary.function("iptc_create_chain", in: handle, soname: soname),
                deleteChain: try IPTablesLibrary.function("iptc_delete_chain", in: handle, soname: soname),
                references: try IPTablesLibrary.function("iptc_get_references", in: handle, soname: soname),
                commit: try IPTablesLibrary.function("iptc_commit", in: handle, soname: soname),
                strerror: try IPTablesLibrary.function("iptc_strerror", in: handle, soname: soname))
    }

    static func load() throws(IPTablesError) { _ = try loaded.get() }

    /// Only reached through a handle, which `IPTablesHandle` opens after `load()`.
    private static var c: Calls {
        switch loaded {
        case .success(let calls): return calls
        case .failure(let error): preconditionFailure("\(error) (load() not called first)")
        }
    }

    static func initialize(_ table: UnsafePointer<CChar>) -> OpaquePointer? { c.initialize(table) }
    static func free(_ handle: OpaquePointer) { c.free(handle) }
    static func isChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { c.isChain(chain, handle) != 0 }
    static func firstChain(_ handle: OpaquePointer) -> UnsafePointer<CChar>? { c.firstChain(handle) }
    static func nextChain(_ handle: OpaquePointer) -> UnsafePointer<CChar>? { c.nextChain(handle) }
    static func firstRule(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> UnsafeRawPointer? {
        c.firstRule(chain, handle).map(UnsafeRawPointer.init)
    }
    static func nextRule(_ previous: UnsafeRawPointer, _ handle: OpaquePointer) -> UnsafeRawPointer? {
        c.nextRule(previous.assumingMemoryBound(to: ipt_entry.self), handle).map(UnsafeRawPointer.init)
    }
    static func target(_ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> UnsafePointer<CChar>? {
        c.target(entry.assumingMemoryBound(to: ipt_entry.self), handle)
    }
    static func insert(_ chain: UnsafePointer<CChar>, _ entry: UnsafeRawPointer, _ position: UInt32, _ handle: OpaquePointer) -> Bool {
        c.insert(chain, entry.assumingMemoryBound(to: ipt_entry.self), position, handle) != 0
    }
    static func append(_ chain: UnsafePointer<CChar>, _ entry: UnsafeRawPointer, _ handle: OpaquePointer) -> Bool {
        c.append(chain, entry.assumingMemoryBound(to: ipt_entry.self), handle) != 0
    }
    static func delete(_ chain: UnsafePointer<CChar>, at position: UInt32, _ handle: OpaquePointer) -> Bool {
        c.delete(chain, position, handle) != 0
    }
    static func flush(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { c.flush(chain, handle) != 0 }
    static func createChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { c.createChain(chain, handle) != 0 }
    static func deleteChain(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> Bool { c.deleteChain(chain, handle) != 0 }
    static func references(_ chain: UnsafePointer<CChar>, _ handle: OpaquePointer) -> UInt32? {
        var count: UInt32 = 0
        return c.references(&count, chain, handle) != 0 ? count : nil
    }
    static func commit(_ handle: OpaquePointer) -> Bool { c.commit(handle) != 0 }
    static func strerror(_ code: Int32) -> String { c.strerror(code).map { String(cString: $0) } ?? "error \(code)" }
}
