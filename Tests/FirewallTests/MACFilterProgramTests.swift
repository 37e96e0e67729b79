import XCTest
import HanetLinks
@testable import HanetFirewall
import CIPTC

/// The cBPF programs that select guests by MAC in iptables (xt_bpf), and
/// the rules and entries that carry them. The netns tier checks the same
/// bytes against what `iptables-legacy -m bpf --bytecode` stores.
final class MACFilterProgramTests: XCTestCase {
    func prefix(_ text: String) throws -> MACPrefix { try MACPrefix(parsing: text) }

    func testAWholeAddressIsTwoLoadsAndTwoCompares() throws {
        // The lead's program, proven to drop pings to 52:54:00:aa:bb:cc through a bridge.
        let program = MACFilterProgram(.destination, in: try prefix("52:54:00:aa:bb:cc"))
        XCTAssertEqual(program.bytecode, "6,32 0 0 4292870144,21 0 3 1381236906,40 0 0 4292870148,21 0 1 48076,6 0 0 1,6 0 0 0")
        XCTAssertEqual(program.description, "-m bpf --bytecode \"6,32 0 0 4292870144,21 0 3 1381236906,40 0 0 4292870148,21 0 1 48076,6 0 0 1,6 0 0 0\"")
        let source = MACFilterProgram(.source, in: try prefix("52:54:00:aa:bb:cc"))
        XCTAssertEqual(source.instructions.map(\.k), [0xFFE0_0006, 0x5254_00aa, 0xFFE0_000A, 0xbbcc, 1, 0])
    }

    func testAPrefixMasksOnlyTheLoadsItDoesNotFix() throws {
        typealias I = MACFilterProgram.Instruction
        // /24: one word, masked; no halfword.
        XCTAssertEqual(MACFilterProgram(.source, in: try prefix("00:16:3e:00:00:00/24")).instructions, [
            I(code: 0x20, k: 0xFFE0_0006), I(code: 0x54, k: 0xFFFF_FF00), I(code: 0x15, jf: 1, k: 0x0016_3e00),
            I(code: 0x06, k: 1), I(code: 0x06, k: 0),
        ])
        // /32: one word, whole.
        XCTAssertEqual(MACFilterProgram(.destination, in: try prefix("02:00:00:01:00:00/32")).bytecode,
                       "4,32 0 0 4292870144,21 0 1 33554433,6 0 0 1,6 0 0 0")
        // /44: the word whole, the halfword masked.
        XCTAssertEqual(MACFilterProgram(.destination, in: try prefix("02:00:00:00:00:20/44")).instructions, [
            I(code: 0x20, k: 0xFFE0_0000), I(code: 0x15, jf: 4, k: 0x0200_0000),
            I(code: 0x28, k: 0xFFE0_0004), I(code: 0x54, k: 0xFFF0), I(code: 0x15, jf: 1, k: 0x0020),
            I(code: 0x06, k: 1), I(code: 0x06, k: 0),
        ])
        // /8: the shortest prefix, still one masked word.
        XCTAssertEqual(MACFilterProgram(.source, in: try prefix("02:00:00:00:00:00/8")).instructions.map(\.k),
                       [0xFFE0_0006, 0xFF00_0000, 0x0200_0000, 1, 0])
    }

    /// Every prefix length: the program, run by a small cBPF interpreter on
    /// a frame, matches exactly the addresses the prefix contains.
    func testEveryLengthMatchesWhatThePrefixContains() throws {
        let base: UInt64 = 0x5254_00ab_cdef
        for length in MACPrefix.minimumLength...48 {
            let mask: UInt64 = (~UInt64(0) << UInt64(48 - length)) & 0xffff_ffff_ffff
            let mac = try MACPrefix(address: MACAddress(integer: base & mask), length: length)
            for field in [MACFilterProgram.Field.source, .destination] {
                let program = MACFilterProgram(field, in: mac)
                XCTAssertLessThanOrEqual(program.instructions.count, 8)
                for probe in [base, base ^ 1, base ^ (1 << 20), base ^ (1 << 40), base & mask, (base & mask) | ~mask & 0xffff_ffff_ffff] {
                    let other: UInt64 = 0x0200_0000_0001
                    let frame = field == .destination ? Self.frame(destination: probe, source: other) : Self.frame(destination: other, source: probe)
                    XCTAssertEqual(Self.run(program, on: frame), mac.contains(MACAddress(integer: probe)),
                                   "\(mac) \(field) \(MACAddress(integer: probe))")
                }
            }
        }
    }

    func testRulesCarryTheProgramAfterPhysdev() throws {
        let policy = GuestBlockPolicy(bridges: ["br0"], guestPorts: [try PortPattern(parsing: "vnet*")],
                                      exemptPorts: [try PortPattern(parsing: "vnet9")],
                                      guestMACs: [try prefix("52:54:00:aa:bb:cc"), try prefix("00:16:3e:00:00:00/24")])
        let ruleset = try IPTablesRuleset(policy)
        let source24 = "\"5,32 0 0 4292870150,84 0 0 4294967040,21 0 1 1457664,6 0 0 1,6 0 0 0\""
        let destination24 = "\"5,32 0 0 4292870144,84 0 0 4294967040,21 0 1 1457664,6 0 0 1,6 0 0 0\""
        XCTAssertEqual(ruleset.rules.map(\.description), [
            "-i br0 -m physdev --physdev-in vnet9 --physdev-is-bridged -j RETURN",
            "-o br0 -m physdev --physdev-out vnet9 --physdev-is-bridged -j RETURN",
            "-i br0 -m physdev --physdev-in vnet+ --physdev-is-bridged -m bpf --bytecode \(source24) -j DROP",
            "-o br0 -m physdev --physdev-out vnet+ --physdev-is-bridged -m bpf --bytecode \(destination24) -j DROP",
            "-i br0 -m physdev --physdev-in vnet+ --physdev-is-bridged -m bpf --bytecode \"6,32 0 0 4292870150,21 0 3 1381236906,40 0 0 4292870154,21 0 1 48076,6 0 0 1,6 0 0 0\" -j DROP",
            "-o br0 -m physdev --physdev-out vnet+ --physdev-is-bridged -m bpf --bytecode \"6,32 0 0 4292870144,21 0 3 1381236906,40 0 0 4292870148,21 0 1 48076,6 0 0 1,6 0 0 0\" -j DROP",
        ])
        XCTAssertEqual(ruleset.arpRules.map(\.description), [
            "-i vnet9 -j RETURN", "-o vnet9 -j RETURN",
            "-i vnet+ --source-mac 00:16:3e:00:00:00/ff:ff:ff:00:00:00 -j DROP",
            "-o vnet+ --destination-mac 00:16:3e:00:00:00/ff:ff:ff:00:00:00 -j DROP",
            "-i vnet+ --source-mac 52:54:00:aa:bb:cc -j DROP",
            "-o vnet+ --destination-mac 52:54:00:aa:bb:cc -j DROP",
        ])
        // No MAC from the domains yet: nothing of this group's to drop.
        let empty = GuestBlockPolicy(bridges: ["br0"], guestPorts: [try PortPattern(parsing: "vnet*")], guestDomains: ["web"])
        XCTAssertEqual(try IPTablesRuleset(empty).rules, [])
        XCTAssertEqual(try IPTablesRuleset(empty).arpRules, [])
    }

    func testEntryBytes() throws {
        XCTAssertEqual(IPTablesRuleBuffer.bpfMatchSize, 32 + 528)
        XCTAssertEqual(MemoryLayout<xt_bpf_info_v1>.size, 528)
        XCTAssertEqual(IPTablesRuleBuffer.BPF.program, 8)
        let program = MACFilterProgram(.destination, in: try prefix("52:54:00:aa:bb:cc"))
        let rule = IPTablesRule(outInterface: .init(stem: "br0", isPrefix: false), physdevOut: .init(stem: "vif", isPrefix: true),
                                physdevIsBridged: true, macFilter: program, target: .drop)
        for layout in [IPTablesLayout.ipv4, .ipv6] {
            let bytes = IPTablesRuleBuffer(rule, layout: layout).bytes
            let match = layout.entrySize + IPTablesRuleBuffer.physdevMatchSize
            XCTAssertEqual(bytes.count, match + 560 + 40)
            XCTAssertEqual(Array(bytes[match..<match + 6]), [0x30, 0x02, 0x62, 0x70, 0x66, 0], "match_size 560, name bpf")
            XCTAssertEqual(bytes[match + 31], 1, "revision 1, as iptables 1.8 writes it")
            let data = match + 32
            XCTAssertEqual(Array(bytes[data..<data + 8]), [0, 0, 6, 0, 0, 0, 0, 0], "mode bytecode, 6 instructions, fd 0")
            // ld [SKF_LL_OFF]: code 0x20, jt 0, jf 0, k 0xffe00000 little-endian.
            XCTAssertEqual(Array(bytes[data + 8..<data + 16]), [0x20, 0, 0, 0, 0, 0, 0xe0, 0xff])
            XCTAssertEqual(Array(bytes[data + 16..<data + 24]), [0x15, 0, 0, 3, 0xaa, 0, 0x54, 0x52])
            XCTAssertTrue(bytes[data + 8 + 6 * 8..<data + 528].allSatisfy { $0 == 0 }, "unused instructions and the kernel's pointer")
        }
        let arp = ARPTablesRule(inInterface: .init(stem: "vif", isPrefix: true), senderMAC: try prefix("00:16:3e:00:00:00/24"), target: .drop).encoded()
        let at = ARPTablesRule.Layout.senderMAC
        XCTAssertEqual(at, MemoryLayout<arpt_arp>.offset(of: \arpt_arp.src_devaddr)!)
        XCTAssertEqual(Array(arp[at..<at + 6]), [0x00, 0x16, 0x3e, 0, 0, 0])
        XCTAssertEqual(Array(arp[at + 16..<at + 22]), [0xff, 0xff, 0xff, 0, 0, 0])
    }

    // MARK: - A cBPF interpreter for the instructions the builder uses

    static func frame(destination: UInt64, source: UInt64) -> [UInt8] {
        let bytes: (UInt64) -> [UInt8] = { value in (0..<6).map { UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * $0)) } }
        return bytes(destination) + bytes(source) + [0x08, 0x00]
    }

    static func run(_ program: MACFilterProgram, on frame: [UInt8]) -> Bool {
        var a: UInt32 = 0
        var pc = 0
        func load(_ k: UInt32, _ count: Int) -> UInt32 {
            let offset = Int(k &- MACFilterProgram.linkLayerOffset)
            return frame[offset..<offset + count].reduce(0) { $0 << 8 | UInt32($1) }
        }
        while pc < program.instructions.count {
            let i = program.instructions[pc]
            pc += 1
            switch i.code {
            case 0x20: a = load(i.k, 4)
            case 0x28: a = load(i.k, 2)
            case 0x54: a &= i.k
            case 0x15: pc += a == i.k ? Int(i.jt) : Int(i.jf)
            case 0x06: return i.k != 0
            default: XCTFail("unexpected code \(i.code)"); return false
            }
        }
        XCTFail("fell off the end")
        return false
    }
}
