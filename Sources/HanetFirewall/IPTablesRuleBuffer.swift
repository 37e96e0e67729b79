import CIPTC

/// The bytes of one `ipt_entry` / `ip6t_entry` (entry, matches, target),
/// built from an `IPTablesRule` in a zeroed, 8-byte aligned buffer.
///
/// Zeroed matters: libiptc's delete and check compare whole entries
/// including padding, and `inspect` compares ours with the kernel's byte for
/// byte. Aligned matters: libiptc and the kernel read `__u64` counters and
/// `XT_ALIGN`ed matches in place. `[UInt64]` storage gives both.
struct IPTablesRuleBuffer: Equatable {
    /// How the target is spelled.
    enum Form: Equatable {
        /// What `iptc_append_entry` takes: a standard target named `DROP` or
        /// after the chain to jump to; libiptc maps it to a verdict itself.
        case libiptc
        /// What the kernel holds: standard target with an empty name and the
        /// verdict; for a jump, the byte offset of the chain's first rule.
        case kernel(jumpOffset: Int32)
    }

    private var words: [UInt64]
    /// Length in bytes (`next_offset`).
    let size: Int

    init(_ rule: IPTablesRule, layout: IPTablesLayout, form: Form = .libiptc) {
        let physdevSize = rule.usesPhysdev ? Self.physdevMatchSize : 0
        let matchSize = physdevSize + (rule.macFilter == nil ? 0 : Self.bpfMatchSize)
        let targetOffset = layout.entrySize + matchSize
        let targetSize = Self.standardTargetSize
        let size = targetOffset + targetSize
        self.size = size
        words = [UInt64](repeating: 0, count: size / 8)

        let inInterface = rule.inInterface?.encoded
        let outInterface = rule.outInterface?.encoded
        withMutableBytes { raw in
            if let inInterface {
                Self.copy(inInterface.name, to: raw, at: layout.inInterface)
                Self.copy(inInterface.mask, to: raw, at: layout.inInterfaceMask)
            }
            if let outInterface {
                Self.copy(outInterface.name, to: raw, at: layout.outInterface)
                Self.copy(outInterface.mask, to: raw, at: layout.outInterfaceMask)
            }
            raw.storeBytes(of: UInt16(targetOffset), toByteOffset: layout.targetOffset, as: UInt16.self)
            raw.storeBytes(of: UInt16(size), toByteOffset: layout.nextOffset, as: UInt16.self)

            if rule.usesPhysdev {
                Self.writePhysdev(rule, to: raw, at: layout.entrySize)
            }
            if let program = rule.macFilter {
                Self.writeBPF(program, to: raw, at: layout.entrySize + physdevSize)
            }

            // xt_standard_target: target_size, name, revision, then the verdict.
            raw.storeBytes(of: UInt16(targetSize), toByteOffset: targetOffset, as: UInt16.self)
            switch form {
            case .libiptc:
                Self.copy(Array(rule.target.label.utf8.prefix(Self.extensionNameLength - 1)),
                          to: raw, at: targetOffset + Self.nameOffset)
            case .kernel(let jumpOffset):
                let verdict = rule.target.verdict ?? jumpOffset
                raw.storeBytes(of: verdict, toByteOffset: targetOffset + Self.headerSize, as: Int32.self)
            }
        }
    }

    private static func writePhysdev(_ rule: IPTablesRule, to raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        raw.storeBytes(of: UInt16(physdevMatchSize), toByteOffset: offset, as: UInt16.self)
        copy(Array("physdev".utf8), to: raw, at: offset + nameOffset)
        // revision 0 (the only one xt_physdev has)
        let data = offset + headerSize
        var bitmask: UInt8 = 0
        if let physdevIn = rule.physdevIn?.encoded {
            copy(physdevIn.name, to: raw, at: data + Physdev.physindev)
            copy(physdevIn.mask, to: raw, at: data + Physdev.inMask)
            bitmask |= UInt8(XT_PHYSDEV_OP_IN)
        }
        if let physdevOut = rule.physdevOut?.encoded {
            copy(physdevOut.name, to: raw, at: data + Physdev.physoutdev)
            copy(physdevOut.mask, to: raw, at: data + Physdev.outMask)
            bitmask |= UInt8(XT_PHYSDEV_OP_OUT)
        }
        if rule.physdevIsBridged { bitmask |= UInt8(XT_PHYSDEV_OP_BRIDGED) }
        raw.storeBytes(of: bitmask, toByteOffset: data + Physdev.bitmask, as: UInt8.self)
    }

    /// `struct xt_bpf_info_v1` in `XT_BPF_MODE_BYTECODE`, revision 1, as
    /// `iptables -m bpf --bytecode` writes it (it picks the newest revision
    /// the kernel has, and prints a revision-0 entry as "[unsupported
    /// revision]"): mode, instruction count, fd 0, then the `struct
    /// sock_filter`s; the kernel-only `filter` pointer stays zero (the kernel
    /// clears it when it hands the entry back: its `usersize` ends before it).
    private static func writeBPF(_ program: MACFilterProgram, to raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        raw.storeBytes(of: UInt16(bpfMatchSize), toByteOffset: offset, as: UInt16.self)
        copy(Array("bpf".utf8), to: raw, at: offset + nameOffset)
        raw.storeBytes(of: bpfRevision, toByteOffset: offset + nameOffset + extensionNameLength, as: UInt8.self)
        let data = offset + headerSize
        raw.storeBytes(of: UInt16(XT_BPF_MODE_BYTECODE.rawValue), toByteOffset: data + BPF.mode, as: UInt16.self)
        raw.storeBytes(of: UInt16(program.instructions.count), toByteOffset: data + BPF.count, as: UInt16.self)
        for (index, instruction) in program.instructions.enumerated() {
            let at = data + BPF.program + index * MemoryLayout<sock_filter>.stride
            raw.storeBytes(of: instruction.code, toByteOffset: at + BPF.code, as: UInt16.self)
            raw.storeBytes(of: instruction.jt, toByteOffset: at + BPF.jt, as: UInt8.self)
            raw.storeBytes(of: instruction.jf, toByteOffset: at + BPF.jf, as: UInt8.self)
            raw.storeBytes(of: instruction.k, toByteOffset: at + BPF.k, as: UInt32.self)
        }
    }

    var bytes: [UInt8] { withUnsafeEntry { Array(UnsafeRawBufferPointer(start: $0, count: size)) } }

    func withUnsafeEntry<T>(_ body: (UnsafeRawPointer) throws -> T) rethrows -> T {
        try words.withUnsafeBytes { try body($0.baseAddress!) }
    }

    private mutating func withMutableBytes(_ body: (UnsafeMutableRawBufferPointer) -> Void) {
        words.withUnsafeMutableBytes { body($0) }
    }

    private static func copy(_ bytes: [UInt8], to raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        for (index, byte) in bytes.enumerated() { raw[offset + index] = byte }
    }

    // MARK: - Comparison with what the kernel holds

    /// Our rendering as `canonical(entry:)` spells it (target label from the rule).
    static func canonical(_ rule: IPTablesRule, layout: IPTablesLayout) -> [UInt8] {
        IPTablesRuleBuffer(rule, layout: layout).withUnsafeEntry {
            canonical(entry: $0, layout: layout, targetLabel: rule.target.label)
        }
    }

    /// An entry reduced to what defines the rule, so ours and the kernel's
    /// compare byte for byte: everything up to the target (interfaces,
    /// addresses, flags, match data including its padding) with the
    /// run-time fields zeroed (counters, `comefrom`, `nfcache`), match names
    /// cut at their NUL (the kernel writes only `strlen + 1` bytes of them
    /// back, the rest of the field is whatever the reader's buffer held),
    /// followed by the target as libiptc names it (`DROP`, a chain name).
    static func canonical(entry: UnsafeRawPointer, layout: IPTablesLayout, targetLabel: String) -> [UInt8] {
        let targetOffset = Int(entry.loadUnaligned(fromByteOffset: layout.targetOffset, as: UInt16.self))
        let nextOffset = Int(entry.loadUnaligned(fromByteOffset: layout.nextOffset, as: UInt16.self))
        guard targetOffset >= layout.entrySize, nextOffset >= targetOffset else {
            return Array(UnsafeRawBufferPointer(start: entry, count: layout.entrySize))
        }
        var bytes = Array(UnsafeRawBufferPointer(start: entry, count: targetOffset))
        for index in layout.nfcache..<layout.nfcache + 4 { bytes[index] = 0 }
        for index in layout.comefrom..<layout.comefrom + 4 { bytes[index] = 0 }
        for index in layout.counters..<layout.counters + 16 { bytes[index] = 0 }
        var offset = layout.entrySize
        while offset + headerSize <= targetOffset {
            let matchSize = Int(UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
            guard matchSize >= headerSize, offset + matchSize <= targetOffset else { break }
            normalizeName(&bytes, at: offset + nameOffset)
            offset += matchSize
        }
        // Keep next_offset - target_offset in the comparison through the header field above.
        bytes += Array(targetLabel.utf8) + [0]
        return bytes
    }

    private static func normalizeName(_ bytes: inout [UInt8], at start: Int) {
        var terminated = false
        for index in start..<start + extensionNameLength {
            if terminated { bytes[index] = 0 } else if bytes[index] == 0 { terminated = true }
        }
    }

    // MARK: - Sizes (from the uapi structs, not literals)

    /// `sizeof(struct xt_entry_match)` == `sizeof(struct xt_entry_target)`: 32.
    static let headerSize = MemoryLayout<xt_entry_match>.size
    /// Where the name starts in a match or target header (after the u16 size).
    static let nameOffset = 2
    /// XT_EXTENSION_MAXNAMELEN (29), including the NUL.
    static let extensionNameLength = 29
    /// XT_ALIGN(sizeof(struct xt_standard_target)): 40.
    static let standardTargetSize = align(MemoryLayout<xt_standard_target>.size)
    /// XT_ALIGN(sizeof(struct xt_error_target)): 64.
    static let errorTargetSize = align(MemoryLayout<xt_error_target>.size)
    /// Header plus XT_ALIGN(sizeof(struct xt_physdev_info)): 32 + 72.
    static let physdevMatchSize = headerSize + align(MemoryLayout<xt_physdev_info>.size)

    /// Header plus XT_ALIGN(sizeof(struct xt_bpf_info_v1)): 32 + 528.
    static let bpfMatchSize = headerSize + align(MemoryLayout<xt_bpf_info_v1>.size)
    /// xt_bpf's revision 1 (`xt_bpf_info_v1`), what iptables 1.8 writes.
    static let bpfRevision: UInt8 = 1

    /// Field offsets of `struct xt_bpf_info_v1` and `struct sock_filter`.
    enum BPF {
        static let mode = MemoryLayout<xt_bpf_info_v1>.offset(of: \xt_bpf_info_v1.mode)!
        static let count = MemoryLayout<xt_bpf_info_v1>.offset(of: \xt_bpf_info_v1.bpf_program_num_elem)!
        /// The anonymous union (`bpf_program` / `path`) right after the `__s32 fd`.
        static let program = MemoryLayout<xt_bpf_info_v1>.offset(of: \xt_bpf_info_v1.fd)! + MemoryLayout<Int32>.size
        static let code = MemoryLayout<sock_filter>.offset(of: \sock_filter.code)!
        static let jt = MemoryLayout<sock_filter>.offset(of: \sock_filter.jt)!
        static let jf = MemoryLayout<sock_filter>.offset(of: \sock_filter.jf)!
        static let k = MemoryLayout<sock_filter>.offset(of: \sock_filter.k)!
    }

    /// XT_ALIGN: the kernel aligns every match and target to 8 bytes on 64-bit.
    static func align(_ size: Int) -> Int { (size + 7) & ~7 }

    /// Field offsets of `struct xt_physdev_info`.
    enum Physdev {
        static let physindev = MemoryLayout<xt_physdev_info>.offset(of: \xt_physdev_info.physindev)!
        static let inMask = MemoryLayout<xt_physdev_info>.offset(of: \xt_physdev_info.in_mask)!
        static let physoutdev = MemoryLayout<xt_physdev_info>.offset(of: \xt_physdev_info.physoutdev)!
        static let outMask = MemoryLayout<xt_physdev_info>.offset(of: \xt_physdev_info.out_mask)!
        static let invert = MemoryLayout<xt_physdev_info>.offset(of: \xt_physdev_info.invert)!
        static let bitmask = MemoryLayout<xt_physdev_info>.offset(of: \xt_physdev_info.bitmask)!
    }
}
