import CIPTC

/// Byte layout of one family's rule entry (`ipt_entry` / `ip6t_entry`).
///
/// Swift drops the flexible `elems[]` member of the C structs but keeps their
/// size, so offsets come from the imported structs, never from literals.
struct IPTablesLayout: Sendable, Equatable {
    /// `sizeof(ipt_entry)`: where the first match starts.
    var entrySize: Int
    /// Offsets of the interface fields inside the entry (the `ip` part is first).
    var inInterface: Int
    var outInterface: Int
    var inInterfaceMask: Int
    var outInterfaceMask: Int
    var nfcache: Int
    var targetOffset: Int
    var nextOffset: Int
    var comefrom: Int
    var counters: Int

    static let ipv4 = IPTablesLayout(
        entrySize: MemoryLayout<ipt_entry>.size,
        inInterface: MemoryLayout<ipt_ip>.offset(of: \ipt_ip.iniface)!,
        outInterface: MemoryLayout<ipt_ip>.offset(of: \ipt_ip.outiface)!,
        inInterfaceMask: MemoryLayout<ipt_ip>.offset(of: \ipt_ip.iniface_mask)!,
        outInterfaceMask: MemoryLayout<ipt_ip>.offset(of: \ipt_ip.outiface_mask)!,
        nfcache: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.nfcache)!,
        targetOffset: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.target_offset)!,
        nextOffset: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.next_offset)!,
        comefrom: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.comefrom)!,
        counters: MemoryLayout<ipt_entry>.offset(of: \ipt_entry.counters)!)

    static let ipv6 = IPTablesLayout(
        entrySize: MemoryLayout<ip6t_entry>.size,
        inInterface: MemoryLayout<ip6t_ip6>.offset(of: \ip6t_ip6.iniface)!,
        outInterface: MemoryLayout<ip6t_ip6>.offset(of: \ip6t_ip6.outiface)!,
        inInterfaceMask: MemoryLayout<ip6t_ip6>.offset(of: \ip6t_ip6.iniface_mask)!,
        outInterfaceMask: MemoryLayout<ip6t_ip6>.offset(of: \ip6t_ip6.outiface_mask)!,
        nfcache: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.nfcache)!,
        targetOffset: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.target_offset)!,
        nextOffset: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.next_offset)!,
        comefrom: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.comefrom)!,
        counters: MemoryLayout<ip6t_entry>.offset(of: \ip6t_entry.counters)!)
}
