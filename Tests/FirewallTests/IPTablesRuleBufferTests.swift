@testable import HanetFirewall
import CIPTC
import XCTest

/// Encoding of single rules, checked against the bytes the real tools send.
///
/// Every fixture is one entry cut out of the `IPT_SO_SET_REPLACE` /
/// `IP6T_SO_SET_REPLACE` / `ARPT_SO_SET_REPLACE` blob that the named command
/// sent, captured on this machine (iptables 1.8.9, arptables 0.0.5, Linux
/// 6.18) in a throwaway namespace with
/// `strace -e trace=setsockopt -s 65535 -x <command>` after `-N HANETX`.
/// Those blobs are in kernel form (standard verdicts, counters and comefrom
/// zero), so we compare `IPTablesRuleBuffer(..., form: .kernel(...))`.
final class IPTablesRuleBufferTests: XCTestCase {
    let bridge = IPTablesRule.Interface(stem: "br0", isPrefix: false)
    let vifPrefix = IPTablesRule.Interface(stem: "vif", isPrefix: true)
    let dom0 = IPTablesRule.Interface(stem: "vif0.0", isPrefix: false)

    func testStructSizesMatchTheCapturedEntries() {
        // next_offset - target size (40) of the fixtures: 152-40, 208-40, 232-40.
        XCTAssertEqual(IPTablesLayout.ipv4.entrySize, 112)
        XCTAssertEqual(IPTablesLayout.ipv6.entrySize, 168)
        XCTAssertEqual(ARPTablesRule.Layout.entrySize, 192)
        XCTAssertEqual(IPTablesRuleBuffer.standardTargetSize, 40)
        XCTAssertEqual(IPTablesRuleBuffer.errorTargetSize, 64)
        XCTAssertEqual(IPTablesRuleBuffer.physdevMatchSize, 104)
        XCTAssertEqual(IPTablesLayout.ipv4.targetOffset, 88)
        XCTAssertEqual(IPTablesLayout.ipv6.targetOffset, 140)
        XCTAssertEqual(MemoryLayout<arpt_replace>.size, 80)
        XCTAssertEqual(MemoryLayout<arpt_get_entries>.size, 40)
        XCTAssertEqual(MemoryLayout<xt_counters_info>.size, 40)
    }

    func testIPv4PhysdevInPrefixDropMatchesIptablesLegacy() {
        let rule = IPTablesRule(inInterface: bridge, physdevIn: vifPrefix, physdevIsBridged: true, target: .drop)
        XCTAssertEqual(rule.description, "-i br0 -m physdev --physdev-in vif+ --physdev-is-bridged -j DROP")
        let buffer = IPTablesRuleBuffer(rule, layout: .ipv4, form: .kernel(jumpOffset: 0))
        assertBytes(buffer.bytes, IPTablesFixture.ipv4PhysdevInDrop)
    }

    func testIPv4PhysdevOutExactReturnMatchesIptablesLegacy() {
        let rule = IPTablesRule(outInterface: bridge, physdevOut: dom0, physdevIsBridged: true, target: .return)
        XCTAssertEqual(rule.description, "-o br0 -m physdev --physdev-out vif0.0 --physdev-is-bridged -j RETURN")
        let buffer = IPTablesRuleBuffer(rule, layout: .ipv4, form: .kernel(jumpOffset: 0))
        assertBytes(buffer.bytes, IPTablesFixture.ipv4PhysdevOutReturn)
    }

    func testIPv4JumpMatchesIptablesLegacy() {
        let rule = IPTablesRule(target: .jump("HANETX"))
        XCTAssertEqual(rule.description, "-j HANETX")
        let buffer = IPTablesRuleBuffer(rule, layout: .ipv4, form: .kernel(jumpOffset: 784))
        assertBytes(buffer.bytes, IPTablesFixture.ipv4Jump)
    }

    func testIPv6PhysdevInPrefixDropMatchesIp6tablesLegacy() {
        let rule = IPTablesRule(inInterface: bridge, physdevIn: vifPrefix, physdevIsBridged: true, target: .drop)
        let buffer = IPTablesRuleBuffer(rule, layout: .ipv6, form: .kernel(jumpOffset: 0))
        assertBytes(buffer.bytes, IPTablesFixture.ipv6PhysdevInDrop)
    }

    func testLibiptcFormNamesTheTargetInsteadOfAVerdict() {
        let rule = IPTablesRule(inInterface: bridge, physdevIn: vifPrefix, physdevIsBridged: true, target: .drop)
        let libiptc = IPTablesRuleBuffer(rule, layout: .ipv4).bytes
        let kernel = IPTablesFixture.ipv4PhysdevInDrop
        XCTAssertEqual(libiptc.count, kernel.count)
        // Identical up to the target's name: what libiptc maps and the kernel keeps.
        XCTAssertEqual(Array(libiptc[0..<218]), Array(kernel[0..<218]))
        XCTAssertEqual(Array(libiptc[218..<222]), Array("DROP".utf8))
        XCTAssertEqual(Array(libiptc[222..<256]), [UInt8](repeating: 0, count: 34), "zero padding and verdict")
        // A jump names the chain.
        let jump = IPTablesRuleBuffer(IPTablesRule(target: .jump("HANET-0badf00d")), layout: .ipv6).bytes
        XCTAssertEqual(Array(jump[170..<184]), Array("HANET-0badf00d".utf8))
        XCTAssertEqual(jump[184], 0)
    }

    func testInterfaceMasksFollowXtablesParseInterface() {
        let prefix = vifPrefix.encoded
        XCTAssertEqual(prefix.name, Array("vif+".utf8) + [UInt8](repeating: 0, count: 12))
        XCTAssertEqual(prefix.mask, [0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 13), "a prefix masks the stem only, not the '+'")
        let exact = dom0.encoded
        XCTAssertEqual(exact.name, Array("vif0.0".utf8) + [UInt8](repeating: 0, count: 10))
        XCTAssertEqual(exact.mask, [UInt8](repeating: 0xFF, count: 7) + [UInt8](repeating: 0, count: 9),
                       "an exact name masks its NUL too, so vif0.0 does not match vif0.01")
        let longest = IPTablesRule.Interface(stem: "abcdefghijklmno", isPrefix: true).encoded
        XCTAssertEqual(longest.name, Array("abcdefghijklmno+".utf8), "no NUL needed: the kernel compares under the mask")
        XCTAssertEqual(longest.mask, [UInt8](repeating: 0xFF, count: 15) + [0])
        let exactLongest = IPTablesRule.Interface(stem: "abcdefghijklmno", isPrefix: false).encoded
        XCTAssertEqual(exactLongest.mask, [UInt8](repeating: 0xFF, count: 16))
    }

    func testPhysdevBitmaskAndPadding() throws {
        // physdev data starts at entry (112) + match header (32); bitmask is its byte 65.
        let both = IPTablesRule(physdevIn: vifPrefix, physdevOut: dom0, physdevIsBridged: false, target: .accept)
        let bytes = IPTablesRuleBuffer(both, layout: .ipv4).bytes
        XCTAssertEqual(bytes[144 + 65], UInt8(XT_PHYSDEV_OP_IN | XT_PHYSDEV_OP_OUT))
        XCTAssertEqual(bytes[144 + 64], 0, "no inversion")
        XCTAssertEqual(Array(bytes[144 + 66..<144 + 72]), [0, 0, 0, 0, 0, 0], "XT_ALIGN padding is zero")
        let bridgedOnly = IPTablesRule(physdevIsBridged: true, target: .drop)
        XCTAssertTrue(bridgedOnly.usesPhysdev)
        XCTAssertEqual(IPTablesRuleBuffer(bridgedOnly, layout: .ipv4).bytes[144 + 65], UInt8(XT_PHYSDEV_OP_BRIDGED))
        XCTAssertEqual(IPTablesRuleBuffer(IPTablesRule(target: .drop), layout: .ipv4).size, 152, "no match without physdev options")
    }

    func testBufferIsEightByteAligned() {
        let buffer = IPTablesRuleBuffer(IPTablesRule(target: .drop), layout: .ipv6)
        buffer.withUnsafeEntry { XCTAssertEqual(Int(bitPattern: $0) % 8, 0) }
    }

    func testCanonicalIgnoresCountersComefromAndNameGarbage() {
        let rule = IPTablesRule(inInterface: bridge, physdevIn: vifPrefix, physdevIsBridged: true, target: .drop)
        let ours = IPTablesRuleBuffer.canonical(rule, layout: .ipv4)
        var kernel = IPTablesFixture.ipv4PhysdevInDrop
        for index in 96..<112 { kernel[index] = 0x5A }  // counters
        for index in 92..<96 { kernel[index] = 0x01 }  // comefrom
        kernel[112 + 2 + 8] = 0xEE  // behind "physdev\0": the kernel never writes it
        // The name field's last byte (of 29): seen on this machine after
        // ip6tables-legacy rewrote a table holding our rules — it sends its
        // uninitialised read buffer back and the kernel keeps those bytes.
        kernel[112 + 30] = 0xE8
        let read = kernel.withUnsafeBytes { IPTablesRuleBuffer.canonical(entry: $0.baseAddress!, layout: .ipv4, targetLabel: "DROP") }
        XCTAssertEqual(read, ours)

        // What does count: a different mask, target or match data.
        var otherMask = kernel
        otherMask[64 + 3] = 0xFF
        XCTAssertNotEqual(otherMask.withUnsafeBytes { IPTablesRuleBuffer.canonical(entry: $0.baseAddress!, layout: .ipv4, targetLabel: "DROP") }, ours)
        XCTAssertNotEqual(kernel.withUnsafeBytes { IPTablesRuleBuffer.canonical(entry: $0.baseAddress!, layout: .ipv4, targetLabel: "ACCEPT") }, ours)
        var otherPadding = kernel
        otherPadding[144 + 70] = 1
        XCTAssertNotEqual(otherPadding.withUnsafeBytes { IPTablesRuleBuffer.canonical(entry: $0.baseAddress!, layout: .ipv4, targetLabel: "DROP") }, ours)
    }

    func testARPRulesMatchArptablesLegacy() {
        let drop = ARPTablesRule(inInterface: vifPrefix, target: .drop)
        XCTAssertEqual(drop.description, "-i vif+ -j DROP")
        assertBytes(drop.encoded(), IPTablesFixture.arpInDrop)
        let exempt = ARPTablesRule(outInterface: dom0, target: .return)
        XCTAssertEqual(exempt.description, "-o vif0.0 -j RETURN")
        assertBytes(exempt.encoded(), IPTablesFixture.arpOutReturn)
        let jump = ARPTablesRule(target: .jump("HANETX"))
        assertBytes(jump.encoded(jumpOffset: 1184), IPTablesFixture.arpJump)
    }

    private func assertBytes(_ actual: [UInt8], _ expected: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "length", file: file, line: line)
        for (index, (a, e)) in zip(actual, expected).enumerated() where a != e {
            XCTFail("first difference at byte \(index): \(a) != \(e)\nactual:   \(hexString(actual))\nexpected: \(hexString(expected))", file: file, line: line)
            return
        }
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// Parses fixture hex, ignoring whitespace.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace }.utf8)
    precondition(digits.count % 2 == 0, "odd fixture")
    func value(_ digit: UInt8) -> UInt8 { digit <= 57 ? digit - 48 : digit - 87 }
    return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
}

/// Entries captured from the real tools (see `IPTablesRuleBufferTests`).
enum IPTablesFixture {
    /// `iptables-legacy -A HANETX -i br0 -m physdev --physdev-in vif+ --physdev-is-bridged -j DROP`
    static let ipv4PhysdevInDrop = hex("""
        000000000000000000000000000000006272300000000000000000000000000000000000000000000000000000000000ffffffff000000000000000000000000
        000000000000000000000000000000000000000000000000d8000001000000000000000000000000000000000000000068007068797364657600000000000000
        000000000000000000000000000000007669662b000000000000000000000000ffffff0000000000000000000000000000000000000000000000000000000000
        0000000000000000000000000000000000050000000000002800000000000000000000000000000000000000000000000000000000000000ffffffff00000000
        """)

    /// `iptables-legacy -A HANETX -o br0 -m physdev --physdev-out vif0.0 --physdev-is-bridged -j RETURN`
    static let ipv4PhysdevOutReturn = hex("""
        00000000000000000000000000000000000000000000000000000000000000006272300000000000000000000000000000000000000000000000000000000000
        ffffffff0000000000000000000000000000000000000000d8000001000000000000000000000000000000000000000068007068797364657600000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000766966302e3000000000000000000000
        ffffffffffffff00000000000000000000060000000000002800000000000000000000000000000000000000000000000000000000000000fbffffff00000000
        """)

    /// `iptables-legacy -I FORWARD 1 -j HANETX  (HANETX's first entry at blob offset 784 = 0x310)`
    static let ipv4Jump = hex("""
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000070009800000000000000000000000000000000000000000028000000000000000000000000000000
        000000000000000000000000000000001003000000000000
        """)

    /// `ip6tables-legacy -A HANETX -i br0 -m physdev --physdev-in vif+ --physdev-is-bridged -j DROP`
    static let ipv6PhysdevInDrop = hex("""
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        6272300000000000000000000000000000000000000000000000000000000000ffffffff00000000000000000000000000000000000000000000000000000000
        00000000000000000000000010013801000000000000000000000000000000000000000000000000680070687973646576000000000000000000000000000000
        00000000000000007669662b000000000000000000000000ffffff00000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000050000000000002800000000000000000000000000000000000000000000000000000000000000ffffffff00000000
        """)

    /// `arptables-legacy -A HANETX -i vif+ -j DROP`
    static let arpInDrop = hex("""
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        0000000000000000000000000000000000000000000000000000000000007669662b00000000000000000000000000000000000000000000000000000000ffff
        ff0000000000000000000000000000000000000000000000000000000000000000000000c000e800000000000000000000000000000000000000000000000000
        2800000000000000000000000000000000000000000000000000000000000000ffffffff00000000
        """)

    /// `arptables-legacy -A HANETX -o vif0.0 -j RETURN`
    static let arpOutReturn = hex("""
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000766966302e30000000000000000000000000
        0000000000000000000000000000ffffffffffffff000000000000000000000000000000c000e800000000000000000000000000000000000000000000000000
        2800000000000000000000000000000000000000000000000000000000000000fbffffff00000000
        """)

    /// `arptables-legacy -I FORWARD 1 -j HANETX  (HANETX's first entry at blob offset 1184 = 0x4a0)`
    static let arpJump = hex("""
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000c000e800000000000000000000000000000000000000000000000000
        2800000000000000000000000000000000000000000000000000000000000000a004000000000000
        """)
}
