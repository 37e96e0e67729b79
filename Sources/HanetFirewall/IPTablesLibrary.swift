import Glibc
import CIPTC

/// libip4tc or libip6tc, opened with `dlopen` the first time the
/// iptables-legacy backend touches that family, with the calls hanet makes.
///
/// Linking them made every agent call load both (~0.2 ms and 0.15 M
/// instructions of dynamic loading, `bench/start-floor.sh`), although the
/// bridge and bond agents never use them and vhostnet uses them only when
/// the nftables backend is not chosen. Both libraries have the same API
/// under two prefixes, so one set of function types serves both (CIPTC's
/// shim checks them against both headers). A missing library is an
/// `IPTablesError` with `ELIBACC`, which agents report as not installed (5).
struct IPTablesLibrary {
    /// `iptc` or `ip6tc`: how errors name the calls (`ip6tc_commit`).
    let prefix: String
    let initialize: hanet_xtc_init_t
    let free: hanet_xtc_free_t
    let firstChain: hanet_xtc_chain_iterator_t
    let nextChain: hanet_xtc_chain_iterator_t
    let firstRule: hanet_xtc_first_rule_t
    let nextRule: hanet_xtc_next_rule_t
    let target: hanet_xtc_get_target_t
    let insert: hanet_xtc_insert_entry_t
    let append: hanet_xtc_append_entry_t
    let delete: hanet_xtc_delete_num_entry_t
    let isChain: hanet_xtc_chain_call_t
    let flush: hanet_xtc_chain_call_t
    let createChain: hanet_xtc_chain_call_t
    let deleteChain: hanet_xtc_chain_call_t
    let references: hanet_xtc_get_references_t
    let commit: hanet_xtc_commit_t
    private let strerror: hanet_xtc_strerror_t

    init(soname: String, prefix: String) throws(IPTablesError) {
        let handle = try Self.open(soname)
        func call<Function>(_ name: String) throws(IPTablesError) -> Function {
            guard let symbol = dlsym(handle, "\(prefix)_\(name)") else {
                throw IPTablesError(operation: "dlsym \(soname) \(prefix)_\(name)", errno: ELIBACC, message: Self.lastError() ?? "not found")
            }
            return unsafeBitCast(symbol, to: Function.self)
        }
        self.prefix = prefix
        initialize = try call("init")
        free = try call("free")
        firstChain = try call("first_chain")
        nextChain = try call("next_chain")
        firstRule = try call("first_rule")
        nextRule = try call("next_rule")
        target = try call("get_target")
        insert = try call("insert_entry")
        append = try call("append_entry")
        delete = try call("delete_num_entry")
        isChain = try call("is_chain")
        flush = try call("flush_entries")
        createChain = try call("create_chain")
        deleteChain = try call("delete_chain")
        references = try call("get_references")
        commit = try call("commit")
        strerror = try call("strerror")
    }

    /// libiptc's own explanation of `code` for the call that just failed.
    func message(_ code: Int32) -> String {
        strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }

    static func open(_ soname: String) throws(IPTablesError) -> UnsafeMutableRawPointer {
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            throw IPTablesError(operation: "dlopen \(soname)", errno: ELIBACC, message: lastError() ?? "cannot be loaded")
        }
        return handle
    }

    private static func lastError() -> String? {
        dlerror().map { String(cString: $0) }
    }
}
