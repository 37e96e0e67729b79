import CIPTC
import Glibc

/// The arp_tables socket options on a raw IPv4 socket, as libiptc uses the
/// ip_tables ones: read a table (`ARPT_SO_GET_INFO`, `ARPT_SO_GET_ENTRIES`),
/// replace it whole (`ARPT_SO_SET_REPLACE`) and put counters back
/// (`ARPT_SO_SET_ADD_COUNTERS`).
///
/// The socket belongs to the network namespace of the thread that opened it.
final class ARPTablesSocket {
    private let fd: Int32
    static let tableLabel = "arp filter"

    init() throws(IPTablesError) {
        let opened = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_RAW))
        guard opened >= 0 else {
            throw IPTablesError(operation: "socket", table: Self.tableLabel, errno: Glibc.errno,
                                message: "cannot open a raw IPv4 socket for arp_tables")
        }
        fd = opened
    }

    deinit { close(fd) }

    /// Reads and parses a whole table. Asking for a table the kernel has not
    /// instantiated in this namespace creates it (like `iptc_init`).
    func read(table: String = "filter") throws(IPTablesError) -> ARPTablesTable {
        // The table can change between the two calls (another writer that
        // takes no lock, e.g. arptables-legacy); the kernel then answers
        // EAGAIN to the size check and we read again.
        var attempt = 0
        while true {
            attempt += 1
            var info = arpt_getinfo()
            Self.setName(table, in: &info.name)
            var length = socklen_t(MemoryLayout<arpt_getinfo>.size)
            guard getsockopt(fd, Int32(IPPROTO_IP), Int32(ARPT_SO_GET_INFO), &info, &length) == 0 else {
                let code = Glibc.errno
                throw IPTablesError(operation: "ARPT_SO_GET_INFO", table: Self.tableLabel, object: table, errno: code,
                                    message: code == ENOENT ? "no such arp_tables table (kernel without CONFIG_IP_NF_ARPFILTER?)" : nil)
            }
            let size = Int(info.size)
            let header = MemoryLayout<arpt_get_entries>.size
            var words = [UInt64](repeating: 0, count: (header + size + 7) / 8)
            let result: Int32 = words.withUnsafeMutableBytes { raw in
                let request = raw.baseAddress!.assumingMemoryBound(to: arpt_get_entries.self)
                Self.setName(table, in: &request.pointee.name)
                request.pointee.size = info.size
                var length = socklen_t(header + size)
                return getsockopt(fd, Int32(IPPROTO_IP), Int32(ARPT_SO_GET_ENTRIES), raw.baseAddress, &length)
            }
            if result != 0 {
                let code = Glibc.errno
                if code == EAGAIN && attempt < 5 { continue }
                throw IPTablesError(operation: "ARPT_SO_GET_ENTRIES", table: Self.tableLabel, object: table, errno: code)
            }
            let blob = words.withUnsafeBytes { Array($0[header..<header + size]) }
            let hookEntry = withUnsafeBytes(of: info.hook_entry) { Array($0.bindMemory(to: UInt32.self)) }
            let underflow = withUnsafeBytes(of: info.underflow) { Array($0.bindMemory(to: UInt32.self)) }
            do {
                return try ARPTablesTable(name: table, validHooks: info.valid_hooks, hookEntry: hookEntry,
                                          underflow: underflow, entryCount: Int(info.num_entries), blob: blob)
            } catch {
                throw IPTablesError(operation: "parse", table: Self.tableLabel, object: table, errno: EPROTO,
                                    message: error.description)
            }
        }
    }

    /// Replaces the table with `table`'s layout in one atomic kernel call,
    /// then adds the old counters of every kept entry back onto it.
    ///
    /// `EAGAIN` means the table changed since `table` was read (the kernel
    /// compares `num_counters` with its entry count): re-read and redo.
    func write(_ table: ARPTablesTable) throws(IPTablesError) {
        let layout: ARPTablesTable.Layout
        do {
            layout = try table.layout()
        } catch {
            throw IPTablesError(operation: "layout", table: Self.tableLabel, object: table.name, errno: EINVAL, message: error.description)
        }
        var oldCounters = [xt_counters](repeating: xt_counters(), count: max(table.oldEntryCount, 1))
        let header = MemoryLayout<arpt_replace>.size
        var words = [UInt64](repeating: 0, count: (header + layout.blob.count + 7) / 8)
        let result: Int32 = oldCounters.withUnsafeMutableBufferPointer { counters in
            words.withUnsafeMutableBytes { raw in
                let request = raw.baseAddress!.assumingMemoryBound(to: arpt_replace.self)
                Self.setName(table.name, in: &request.pointee.name)
                request.pointee.valid_hooks = table.validHooks
                request.pointee.num_entries = UInt32(layout.entryCount)
                request.pointee.size = UInt32(layout.blob.count)
                withUnsafeMutableBytes(of: &request.pointee.hook_entry) { hooks in
                    for (index, value) in layout.hookEntry.enumerated() { hooks.storeBytes(of: value, toByteOffset: index * 4, as: UInt32.self) }
                }
                withUnsafeMutableBytes(of: &request.pointee.underflow) { hooks in
                    for (index, value) in layout.underflow.enumerated() { hooks.storeBytes(of: value, toByteOffset: index * 4, as: UInt32.self) }
                }
                request.pointee.num_counters = UInt32(table.oldEntryCount)
                request.pointee.counters = counters.baseAddress
                for (index, byte) in layout.blob.enumerated() { raw[header + index] = byte }
                return setsockopt(fd, Int32(IPPROTO_IP), Int32(ARPT_SO_SET_REPLACE), raw.baseAddress, socklen_t(header + layout.blob.count))
            }
        }
        guard result == 0 else {
            let code = Glibc.errno
            throw IPTablesError(operation: "ARPT_SO_SET_REPLACE", table: Self.tableLabel, object: table.name, errno: code,
                                message: code == EAGAIN ? "the table changed while it was being edited" : nil)
        }

        // Counters are cosmetic (arptables -L -v): a failure here leaves the
        // new rules in place, so it is not worth failing the operation for.
        let countersHeader = MemoryLayout<xt_counters_info>.size
        let counterSize = MemoryLayout<xt_counters>.size
        var info = [UInt64](repeating: 0, count: (countersHeader + layout.entryCount * counterSize + 7) / 8)
        var any = false
        info.withUnsafeMutableBytes { raw in
            let request = raw.baseAddress!.assumingMemoryBound(to: xt_counters_info.self)
            Self.setName(table.name, in: &request.pointee.name)
            request.pointee.num_counters = UInt32(layout.entryCount)
            for (index, old) in layout.oldIndices.enumerated() {
                guard let old, old < table.oldEntryCount else { continue }
                let counter = oldCounters[old]
                if counter.pcnt != 0 || counter.bcnt != 0 { any = true }
                raw.storeBytes(of: counter, toByteOffset: countersHeader + index * counterSize, as: xt_counters.self)
            }
        }
        if any {
            _ = info.withUnsafeBytes { raw in
                setsockopt(fd, Int32(IPPROTO_IP), Int32(ARPT_SO_SET_ADD_COUNTERS), raw.baseAddress,
                           socklen_t(countersHeader + layout.entryCount * counterSize))
            }
        }
    }

    private static func setName<T>(_ name: String, in field: inout T) {
        withUnsafeMutableBytes(of: &field) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (index, byte) in name.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
    }
}
