/// libip6tc: ip6_tables.
enum IPTablesIPv6: IPTablesFamily {
    static let label = "ip6"
    static let tableNamesFile = "ip6_tables_names"
    static let layout = IPTablesLayout.ipv6
    static let library = Result { () throws(IPTablesError) in try IPTablesLibrary(soname: "libip6tc.so.2", prefix: "ip6tc") }
}
