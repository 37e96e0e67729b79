import CIPTC
import HanetLinks

/// One legacy arp_tables rule: interface matches and a standard target.
///
/// In arp_tables' FORWARD chain (reached only through br_netfilter, with
/// `bridge-nf-call-arptables` = 1) the in and out devices are the bridge
/// PORTS, not the bridge: `br_nf_forward_arp` passes the `NF_BR_FORWARD`
/// hook's devices on. So `-i vif+` matches ARP a guest sends and `-o vif+`
/// ARP sent to it. arp_tables has no match extensions, so unlike the
/// iptables rules these cannot be scoped to one bridge.
public struct ARPTablesRule: Hashable, Sendable, CustomStringConvertible {
    /// `-i`: the bridge port the ARP frame came in on; nil matches any.
    public var inInterface: IPTablesRule.Interface?
    /// `-o`: the bridge port it leaves by; nil matches any.
    public var outInterface: IPTablesRule.Interface?
    /// `--source-mac`: the ARP payload's sender hardware address lies in
    /// this block (what a selected guest sends).
    public var senderMAC: MACPrefix?
    /// `--destination-mac`: the target hardware address lies in it (ARP
    /// replies, and unicast requests, to a selected guest).
    public var targetMAC: MACPrefix?
    /// `-j`: `DROP`, `RETURN`, or a jump to our chain.
    public var target: IPTablesRule.Target

    /// A rule as `arptables -A CHAIN [-i IN] [-o OUT] -j TARGET` would add it.
    public init(inInterface: IPTablesRule.Interface? = nil, outInterface: IPTablesRule.Interface? = nil,
                senderMAC: MACPrefix? = nil, targetMAC: MACPrefix? = nil, target: IPTablesRule.Target) {
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.senderMAC = senderMAC
        self.targetMAC = targetMAC
        self.target = target
    }

    /// `arptables -S` spelling: `-i vif+ -j DROP`.
    public var description: String {
        var words: [String] = []
        if let inInterface { words += ["-i", inInterface.description] }
        if let outInterface { words += ["-o", outInterface.description] }
        if let senderMAC { words += ["--source-mac", Self.spelling(senderMAC)] }
        if let targetMAC { words += ["--destination-mac", Self.spelling(targetMAC)] }
        words += ["-j", target.label]
        return words.joined(separator: " ")
    }

    /// `52:54:00:00:00:00/ff:ff:ff:00:00:00`, as arptables takes a MAC and mask.
    static func spelling(_ mac: MACPrefix) -> String {
        mac.length == 48 ? mac.address.description
            : "\(mac.address)/\(MACAddress(integer: mac.mask))"
    }

    /// The kernel form of the entry (`arpt_entry` + `xt_standard_target`),
    /// exactly as `arptables-legacy` sends it. A jump's verdict is the byte
    /// offset of the chain, filled in when the table is laid out.
    func encoded(jumpOffset: Int32 = 0) -> [UInt8] {
        let layout = ARPTablesRule.Layout.self
        var bytes = [UInt8](repeating: 0, count: layout.entrySize + IPTablesRuleBuffer.standardTargetSize)
        if let encoded = inInterface?.encoded {
            bytes.replaceSubrange(layout.inInterface..<layout.inInterface + 16, with: encoded.name)
            bytes.replaceSubrange(layout.inInterfaceMask..<layout.inInterfaceMask + 16, with: encoded.mask)
        }
        if let encoded = outInterface?.encoded {
            bytes.replaceSubrange(layout.outInterface..<layout.outInterface + 16, with: encoded.name)
            bytes.replaceSubrange(layout.outInterfaceMask..<layout.outInterfaceMask + 16, with: encoded.mask)
        }
        for (mac, at) in [(senderMAC, layout.senderMAC), (targetMAC, layout.targetMAC)] {
            guard let mac else { continue }
            bytes.replaceSubrange(at..<at + 6, with: mac.address.array)
            bytes.replaceSubrange(at + layout.devaddrMask..<at + layout.devaddrMask + 6, with: mac.maskBytes)
        }
        Self.store(UInt16(layout.entrySize), in: &bytes, at: layout.targetOffset)
        Self.store(UInt16(bytes.count), in: &bytes, at: layout.nextOffset)
        Self.store(UInt16(IPTablesRuleBuffer.standardTargetSize), in: &bytes, at: layout.entrySize)
        let verdict = target.verdict ?? jumpOffset
        Self.store(UInt32(bitPattern: verdict), in: &bytes, at: layout.entrySize + IPTablesRuleBuffer.headerSize)
        return bytes
    }

    static func store<T: FixedWidthInteger>(_ value: T, in bytes: inout [UInt8], at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (index, byte) in raw.enumerated() { bytes[offset + index] = byte }
        }
    }

    static func load<T: FixedWidthInteger>(_: T.Type, from bytes: [UInt8], at offset: Int) -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { raw in
            for index in 0..<raw.count { raw[index] = bytes[offset + index] }
        }
        return T(littleEndian: value)
    }

    /// Offsets in `struct arpt_entry` (from the uapi struct, not literals).
    enum Layout {
        /// `sizeof(struct arpt_entry)`: 192 on x86_64.
        static let entrySize = MemoryLayout<arpt_entry>.size
        static let inInterface = MemoryLayout<arpt_arp>.offset(of: \arpt_arp.iniface)!
        static let outInterface = MemoryLayout<arpt_arp>.offset(of: \arpt_arp.outiface)!
        static let inInterfaceMask = MemoryLayout<arpt_arp>.offset(of: \arpt_arp.iniface_mask)!
        static let outInterfaceMask = MemoryLayout<arpt_arp>.offset(of: \arpt_arp.outiface_mask)!
        static let senderMAC = MemoryLayout<arpt_arp>.offset(of: \arpt_arp.src_devaddr)!
        static let targetMAC = MemoryLayout<arpt_arp>.offset(of: \arpt_arp.tgt_devaddr)!
        /// `mask` within `struct arpt_devaddr_info`.
        static let devaddrMask = MemoryLayout<arpt_devaddr_info>.offset(of: \arpt_devaddr_info.mask)!
        static let targetOffset = MemoryLayout<arpt_entry>.offset(of: \arpt_entry.target_offset)!
        static let nextOffset = MemoryLayout<arpt_entry>.offset(of: \arpt_entry.next_offset)!
        static let comefrom = MemoryLayout<arpt_entry>.offset(of: \arpt_entry.comefrom)!
        static let counters = MemoryLayout<arpt_entry>.offset(of: \arpt_entry.counters)!
    }
}
