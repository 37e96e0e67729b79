import Glibc

/// One libiptc snapshot of a table (`iptc_init` ... `iptc_commit`), with
/// every failure turned into an `IPTablesError` that names the call, the
/// table, the chain, errno and libiptc's own explanation.
///
/// Edits change only the snapshot; `commit` replaces the kernel's table in
/// one `SO_SET_REPLACE` (atomic for packets), or fails as a whole.
final class IPTablesHandle<Family: IPTablesFamily> {
    private let library: IPTablesLibrary
    private let handle: OpaquePointer
    let table: String
    /// `ip4 filter`, as errors spell it.
    let label: String

    /// Reads the table. The kernel instantiates a table the namespace does
    /// not have yet on first read: callers that must not create it check
    /// `IPTablesBackend.tableExists` first.
    init(table: String = "filter") throws(IPTablesError) {
        self.table = table
        label = "\(Family.label) \(table)"
        library = try Family.library.get()
        guard let opened = library.initialize(table) else {
            let code = Glibc.errno
            throw IPTablesError(operation: "\(library.prefix)_init", table: label, errno: code, message: library.message(code))
        }
        handle = opened
    }

    deinit { library.free(handle) }

    private func failure(_ operation: String, _ object: String?) -> IPTablesError {
        let code = Glibc.errno
        return IPTablesError(operation: "\(library.prefix)_\(operation)", table: label, object: object,
                             errno: code, message: library.message(code))
    }

    func isChain(_ chain: String) -> Bool { library.isChain(chain, handle) != 0 }

    var chains: [String] {
        var names: [String] = []
        var next = library.firstChain(handle)
        while let name = next {
            names.append(String(cString: name))
            next = library.nextChain(handle)
        }
        return names
    }

    /// The rules of `chain` in order, as entry pointers valid until the next
    /// edit, each with the target as libiptc names it (`DROP`, a chain).
    func rules(of chain: String) -> [(entry: UnsafeRawPointer, target: String)] {
        var result: [(UnsafeRawPointer, String)] = []
        var next = library.firstRule(chain, handle)
        while let entry = next {
            let target = library.target(entry, handle).map { String(cString: $0) } ?? ""
            result.append((entry, target))
            next = library.nextRule(entry, handle)
        }
        return result
    }

    /// `canonical` spelling of every rule of `chain` (see `IPTablesRuleBuffer`).
    func canonicalRules(of chain: String) -> [[UInt8]] {
        rules(of: chain).map { IPTablesRuleBuffer.canonical(entry: $0.entry, layout: Family.layout, targetLabel: $0.target) }
    }

    func createChain(_ chain: String) throws(IPTablesError) {
        guard library.createChain(chain, handle) != 0 else { throw failure("create_chain", chain) }
    }

    func flush(_ chain: String) throws(IPTablesError) {
        guard library.flush(chain, handle) != 0 else { throw failure("flush_entries", chain) }
    }

    func deleteChain(_ chain: String) throws(IPTablesError) {
        guard library.deleteChain(chain, handle) != 0 else { throw failure("delete_chain", chain) }
    }

    func references(_ chain: String) throws(IPTablesError) -> Int {
        var count: UInt32 = 0
        guard library.references(&count, chain, handle) != 0 else { throw failure("get_references", chain) }
        return Int(count)
    }

    func append(_ rule: IPTablesRule, to chain: String) throws(IPTablesError) {
        let buffer = IPTablesRuleBuffer(rule, layout: Family.layout)
        let ok = buffer.withUnsafeEntry { library.append(chain, $0, handle) != 0 }
        guard ok else { throw failure("append_entry", "\(chain) \(rule)") }
    }

    /// Inserts at a 0-based position (libiptc numbers rules from 0).
    func insert(_ rule: IPTablesRule, into chain: String, at position: Int) throws(IPTablesError) {
        let buffer = IPTablesRuleBuffer(rule, layout: Family.layout)
        let ok = buffer.withUnsafeEntry { library.insert(chain, $0, UInt32(position), handle) != 0 }
        guard ok else { throw failure("insert_entry", "\(chain) \(rule)") }
    }

    /// Deletes the rule at a 0-based position found in this same snapshot.
    func delete(from chain: String, at position: Int) throws(IPTablesError) {
        guard library.delete(chain, UInt32(position), handle) != 0 else { throw failure("delete_num_entry", "\(chain) rule \(position)") }
    }

    func commit() throws(IPTablesError) {
        guard library.commit(handle) != 0 else { throw failure("commit", nil) }
    }
}
