@testable import HanetFirewall
import XCTest

/// arp_tables blob parsing and layout, against a table arptables-legacy wrote.
final class IPTablesARPTableTests: XCTestCase {
    /// The whole `ARPT_SO_SET_REPLACE` blob (2856 bytes, 12 entries) that
    /// `arptables-legacy -A INPUT -s 10.0.0.1 -j ACCEPT` sent, captured with
    /// strace in a throwaway namespace prepared by
    /// `arptables-legacy -N FOO; -N BAR; -A FORWARD -j FOO; -A FOO -i eth+ -j BAR;
    /// -A BAR -o x -j DROP; -P OUTPUT DROP`. Header: valid_hooks 7,
    /// hook_entry (0, 464, 696), underflow (232, 464, 928), num_entries 12.
    static let foreignBlob = hex(
"""
        0a00000100000000ffffffff00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000c000e800000000000000000000000000000000000000000000000000
        2800000000000000000000000000000000000000000000000000000000000000feffffff00000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000c000e800010000000000000000000000000000000000000000000000280000000000000000000000000000000000000000000000
        0000000000000000feffffff00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000c000e8000200000000000000
        000000000000000000000000000000002800000000000000000000000000000000000000000000000000000000000000ffffffff000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000c000e8000400000000000000000000000000000000000000000000002800000000000000
        00000000000000000000000000000000000000000000000088050000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000c000e8000400000000000000000000000000000000000000000000002800000000000000000000000000000000000000000000000000000000000000
        feffffff000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000c000000100000000000000000000000000000000
        000000000000000040004552524f5200000000000000000000000000000000000000000000000000464f4f000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000006574682b00000000000000000000000000000000000000000000
        000000000000ffffff0000000000000000000000000000000000000000000000000000000000000000000000c000e80004000000000000000000000000000000
        00000000000000002800000000000000000000000000000000000000000000000000000000000000580800000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        0000000000000000000000000000000000000000c000e80004000000000000000000000000000000000000000000000028000000000000000000000000000000
        00000000000000000000000000000000fbffffff0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000c0000001
        00000000000000000000000000000000000000000000000040004552524f52000000000000000000000000000000000000000000000000004241520000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        0000000000007800000000000000000000000000000000000000000000000000000000000000ffff0000000000000000000000000000000000000000c000e800
        0400000000000000000000000000000000000000000000002800000000000000000000000000000000000000000000000000000000000000ffffffff00000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000c000e800040000000000000000000000000000000000000000000000
        2800000000000000000000000000000000000000000000000000000000000000fbffffff00000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000c000000100000000000000000000000000000000000000000000000040004552524f520000000000000000000000000000000000
        00000000000000004552524f52000000000000000000000000000000000000000000000000000000
        """
    )

    /// arptables-legacy sends back the `comefrom` hook bits the kernel
    /// reported; we send zero (the kernel clears both counters and
    /// `comefrom` on replace), so layouts compare with this.
    static var foreignBlobAsWeSendIt: [UInt8] {
        var blob = foreignBlob
        var offset = 0
        while offset < blob.count {
            for index in ARPTablesRule.Layout.comefrom..<ARPTablesRule.Layout.comefrom + 4 { blob[offset + index] = 0 }
            offset += Int(ARPTablesRule.load(UInt16.self, from: blob, at: offset + ARPTablesRule.Layout.nextOffset))
        }
        return blob
    }

    func parseForeign() throws -> ARPTablesTable {
        try ARPTablesTable(name: "filter", validHooks: 7, hookEntry: [0, 464, 696], underflow: [232, 464, 928],
                           entryCount: 12, blob: Self.foreignBlob)
    }

    func testParsesChainsOfATableArptablesWrote() throws {
        let table = try parseForeign()
        XCTAssertEqual(table.chains.map(\.name), ["INPUT", "OUTPUT", "FORWARD", "FOO", "BAR"])
        XCTAssertEqual(table.chains.map(\.rules.count), [1, 0, 1, 1, 1])
        XCTAssertEqual(table.chains.map(\.hook), [0, 1, 2, nil, nil])
        XCTAssertEqual(table.chain(named: "OUTPUT")?.tail.verdict, -1, "policy DROP")
        XCTAssertEqual(table.chain(named: "INPUT")?.tail.verdict, -2, "policy ACCEPT")
        XCTAssertEqual(table.chain(named: "FORWARD")?.rules.first?.link, .jump("FOO"))
        XCTAssertEqual(table.chain(named: "FOO")?.rules.first?.link, .jump("BAR"))
        XCTAssertEqual(table.chain(named: "BAR")?.rules.first?.verdict, -1)
        XCTAssertEqual(table.chain(named: "FOO")?.tail.verdict, -5, "user chains end with RETURN")
        XCTAssertEqual(table.references(to: "BAR"), 1)
        XCTAssertEqual(table.trailer.errorName, "ERROR")
    }

    func testLayoutOfAnUnchangedTableIsByteIdentical() throws {
        let layout = try parseForeign().layout()
        XCTAssertNotEqual(Self.foreignBlobAsWeSendIt, Self.foreignBlob, "the fixture does carry comefrom bits")
        XCTAssertEqual(layout.blob, Self.foreignBlobAsWeSendIt)
        XCTAssertEqual(layout.hookEntry, [0, 464, 696])
        XCTAssertEqual(layout.underflow, [232, 464, 928])
        XCTAssertEqual(layout.entryCount, 12)
        XCTAssertEqual(layout.oldIndices, Array(0..<12).map(Optional.some))
    }

    func testAddingOurChainKeepsForeignEntriesAndRecomputesJumps() throws {
        var table = try parseForeign()
        let dom0 = IPTablesRule.Interface(stem: "vif0.0", isPrefix: false)
        let vif = IPTablesRule.Interface(stem: "vif", isPrefix: true)
        table.addUserChain("HANET-0badf00d")
        table.chains[table.chains.count - 1].rules = [
            ARPTablesRule(inInterface: dom0, target: .return), ARPTablesRule(inInterface: vif, target: .drop),
        ].map(ARPTablesTable.Entry.init)
        let forward = try XCTUnwrap(table.chainIndex(named: "FORWARD"))
        table.chains[forward].rules.insert(ARPTablesTable.Entry(ARPTablesRule(target: .jump("HANET-0badf00d"))), at: 0)
        let layout = try table.layout()

        // 12 old + head, 2 rules, RETURN of our chain + our jump.
        XCTAssertEqual(layout.entryCount, 17)
        XCTAssertEqual(layout.hookEntry, [0, 464, 696])
        XCTAssertEqual(layout.underflow, [232, 464, 1160], "FORWARD's policy moved down by our jump")
        XCTAssertEqual(layout.oldIndices, [0, 1, 2, nil, 3, 4, 5, 6, 7, 8, 9, 10, nil, nil, nil, nil, 11])

        // Read back as the kernel would hand it out: same chains, jumps re-resolved.
        let reread = try ARPTablesTable(name: "filter", validHooks: 7, hookEntry: layout.hookEntry, underflow: layout.underflow,
                                        entryCount: layout.entryCount, blob: layout.blob)
        XCTAssertEqual(reread.chains.map(\.name), ["INPUT", "OUTPUT", "FORWARD", "FOO", "BAR", "HANET-0badf00d"])
        XCTAssertEqual(reread.chain(named: "FORWARD")?.rules.map(\.link), [.jump("HANET-0badf00d"), .jump("FOO")])
        XCTAssertEqual(reread.chain(named: "FOO")?.rules.first?.link, .jump("BAR"))
        let original = try parseForeign()
        for name in ["INPUT", "OUTPUT", "FOO", "BAR"] {
            XCTAssertEqual(reread.chain(named: name)?.rules.map(\.canonical), original.chain(named: name)?.rules.map(\.canonical), name)
        }
        XCTAssertEqual(reread.chain(named: "HANET-0badf00d")?.head?.errorName, "HANET-0badf00d")
        // The jump's verdict is the offset of the chain's first rule (after its 256-byte head).
        let jump = try XCTUnwrap(reread.chain(named: "FORWARD")?.rules.first)
        XCTAssertEqual(Int(jump.verdict), 2856 + 232 - 256 + 256, "old size + our jump - old trailer + our head")

        // Removing it again gives back arptables' own bytes.
        var removed = reread
        removed.removeChain(named: "HANET-0badf00d")
        removed.chains[forward].rules.removeFirst()
        XCTAssertEqual(try removed.layout().blob, Self.foreignBlobAsWeSendIt)
    }

    func testRefusesTablesItDoesNotUnderstand() {
        var badJump = Self.foreignBlob
        badJump[696 + 192 + 32] = 0x10  // FORWARD's jump now points into the middle of an entry
        XCTAssertThrowsError(try ARPTablesTable(name: "filter", validHooks: 7, hookEntry: [0, 464, 696], underflow: [232, 464, 928],
                                                entryCount: 12, blob: badJump)) { error in
            XCTAssertTrue("\(error)".contains("starts no chain"), "\(error)")
        }
        XCTAssertThrowsError(try ARPTablesTable(name: "filter", validHooks: 7, hookEntry: [0, 464, 696], underflow: [232, 464, 928],
                                                entryCount: 12, blob: Array(Self.foreignBlob.dropLast(8))))
        XCTAssertThrowsError(try ARPTablesTable(name: "filter", validHooks: 7, hookEntry: [0, 464, 696], underflow: [232, 464, 928],
                                                entryCount: 11, blob: Self.foreignBlob)) { error in
            XCTAssertTrue("\(error)".contains("announced 11"), "\(error)")
        }
    }

    func testEntryCanonicalFormIgnoresKernelOwnedFields() throws {
        let table = try parseForeign()
        var entry = try XCTUnwrap(table.chain(named: "BAR")?.rules.first)
        let before = entry.canonical
        entry.bytes[ARPTablesRule.Layout.counters] = 9
        entry.bytes[ARPTablesRule.Layout.comefrom] = 4
        XCTAssertEqual(entry.canonical, before)
        entry.bytes[ARPTablesRule.Layout.outInterface + 1] = UInt8(ascii: "y")
        XCTAssertNotEqual(entry.canonical, before)
    }
}
