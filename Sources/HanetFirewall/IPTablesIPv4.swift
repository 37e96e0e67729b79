/// libip4tc: ip_tables.
enum IPTablesIPv4: IPTablesFamily {
    static let label = "ip4"
    static let tableNamesFile = "ip_tables_names"
    static let layout = IPTablesLayout.ipv4
    static let library = Result { () throws(IPTablesError) in try IPTablesLibrary(soname: "libip4tc.so.2", prefix: "iptc") }
}
