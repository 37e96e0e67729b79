import Glibc

/// One libiptc snapshot of a table (`iptc_init` ... `iptc_commit`), with
/// every failure turned into an `IPTablesError` that names the call, the
/// table, the chain, errno and libiptc's own explanation.
///
/// Edits change only the snapshot; `commit` replaces the kernel's table in
/// one `SO_SET_REPLACE` (atomic for packets), or fails as a whole.
final class IPTablesHandle<Family: IPTablesFamily> {
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
        try Family.load()
        guard let opened = Family.initialize(table) else {
            let code = Glibc.errno
            throw IPTablesError(operation: "\(Family.label == "ip6" ? "ip6tc" : "iptc")_init", table: label,
                                errno: code, message: Family.strerror(code))
        }
        handle = opened
    }

    deinit { Family.free(handle) }

    private func failure(_ operation: String, _ object: String?) -> IPTablesError {
        let code = Glibc.errno
        let prefix = Family.label == "ip6" ? "ip6tc" : "iptc"
        return IPTablesError(operation: "\(prefix)_\(operation)", table: label, object: object,
                             errno: code, message: Family.strerror(code))
    }

    func isChain(_ chain: String) -> Bool { Family.isChain(chain, handle) }

    var chains: [String] {
        var names: [String] = []
        var next = Family.firstChain(handle)
        while let name = next {
            names.append(String(cString: name))
            next = Family.nextChain(handle)
        }
        return names
    }

    /// The rules of `chain` in order, as entry pointers valid until the next
    /// edit, each with the target as libiptc names it (`DROP`, a chain).
    func rules(of chain: String) -> [(entry: UnsafeRawPointer, target: String)] {
        var result: [(UnsafeRawPointer, String)] = []
        var next = Family.firstRule(chain, handle)
        while let entry = next {
            let target = Family.target(entry, handle).map { String(cString: $0) } ?? ""
            result.append((entry, target))
            next = Family.nextRule(entry, handle)
        }
        return result
    }

    /// `canonical` spelling of every rule of `chain` (see `IPTablesRuleBuffer`).
    func canonicalRules(of chain: String) -> [[UInt8]] {
        rules(of: chain).map { IPTablesRuleBuffer.canonical(entry: $0.entry, layout: Family.layout, targetLabel: $0.target) }
    }

    func createChain(_ chain: String) throws(IPTablesError) {
        guard Family.createChain(chain, handle) else { throw failure("create_chain", chain) }
    }

    func flush(_ chain: String) throws(IPTablesError) {
        guard Family.flush(chain, handle) else { throw failure("flush_entries", chain) }
    }

    func deleteChain(_ chain: String) throws(IPTablesError) {
        guard Family.deleteChain(chain, handle) else { throw failure("delete_chain", chain) }
    }

    func references(_ chain: String) throws(IPTablesError) -> Int {
        guard let count = Family.references(chain, handle) else { throw failure("get_references", chain) }
        return Int(count)
    }

    func append(_ rule: IPTablesRule, to chain: String) throws(IPTablesError) {
        let buffer = IPTablesRuleBuffer(rule, layout: Family.layout)
        let ok = buffer.withUnsafeEntry { Family.append(chain, $0, handle) }
        guard ok else { throw failure("append_entry", "\(chain) \(rule)") }
    }

    /// Inserts at a 0-based position (libiptc numbers rules from 0).
    func insert(_ rule: IPTablesRule, into chain: String, at position: Int) throws(IPTablesError) {
        let buffer = IPTablesRuleBuffer(rule, layout: Family.layout)
        let ok = buffer.withUnsafeEntry { Family.insert(chain, $0, UInt32(position), handle) }
        guard ok else { throw failure("insert_entry", "\(chain) \(rule)") }
    }

    /// Deletes the rule at a 0-based position found in this same snapshot.
    func delete(from chain: String, at position: Int) throws(IPTablesError) {
        guard Family.delete(chain, at: UInt32(position), handle) else { throw failure("delete_num_entry", "\(chain) rule \(position)") }
    }

    func commit() throws(IPTablesError) {
        guard Family.commit(handle) else { throw failure("commit", nil) }
    }
}
