import Glibc

/// libip4tc or libip6tc, opened with `dlopen` the first time the
/// iptables-legacy backend touches that family.
///
/// Linking them made every agent call load both (~0.2 ms and 0.15 M
/// instructions of dynamic loading, `bench/start-floor.sh`), although the
/// bridge and bond agents never use them and vhostnet uses them only when
/// the nftables backend is not chosen. A library that is missing is an
/// `IPTablesError` with `ELIBACC`, which agents report as not installed (5).
enum IPTablesLibrary {
    static func open(_ soname: String) throws(IPTablesError) -> UnsafeMutableRawPointer {
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            throw IPTablesError(operation: "dlopen \(soname)", errno: ELIBACC, message: lastError() ?? "cannot be loaded")
        }
        return handle
    }

    /// A function of the library as the C type the header declares for it.
    static func function<Function>(_ name: String, in handle: UnsafeMutableRawPointer, soname: String,
                                   as type: Function.Type = Function.self) throws(IPTablesError) -> Function {
        guard let symbol = dlsym(handle, name) else {
            throw IPTablesError(operation: "dlsym \(soname) \(name)", errno: ELIBACC, message: lastError() ?? "not found")
        }
        return unsafeBitCast(symbol, to: Function.self)
    }

    private static func lastError() -> String? {
        dlerror().map { String(cString: $0) }
    }
}
