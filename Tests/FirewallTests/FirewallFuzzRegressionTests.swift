import XCTest
@testable import HanetFirewall

/// Inputs the fuzzer (fuzz/, target `arptables`) found, reduced by hand to
/// the arptables-legacy table of IPTablesARPTableTests with other
/// ARPT_SO_GET_INFO offsets.
final class FirewallFuzzRegressionTests: XCTestCase {
    private func parse(hookEntry: [UInt32], underflow: [UInt32]) throws -> ARPTablesTable {
        try ARPTablesTable(name: "filter", validHooks: 7, hookEntry: hookEntry, underflow: underflow,
                           entryCount: 12, blob: IPTablesARPTableTests.foreignBlob)
    }

    /// INPUT's entry at an offset that is no entry, OUTPUT's inside an entry:
    /// FORWARD swallowed both chains, and the layout written back pointed
    /// INPUT and OUTPUT at offset 0, which our own parser then refused.
    func testHookEntryThatIsNoEntryIsMalformed() {
        XCTAssertThrowsError(try parse(hookEntry: [1_207_959_552, 11, 0], underflow: [232, 464, 928])) { error in
            XCTAssertTrue("\(error)".contains("hook INPUT has entry 1207959552"), "\(error)")
        }
        XCTAssertThrowsError(try parse(hookEntry: [0, 464, 696], underflow: [232, 470, 928]))
    }

    func testHooksSharingAnEntryOrEndingBeforeTheyStartAreMalformed() {
        XCTAssertThrowsError(try parse(hookEntry: [0, 0, 696], underflow: [232, 464, 928])) { error in
            XCTAssertTrue("\(error)".contains("shares its entry"), "\(error)")
        }
        XCTAssertThrowsError(try parse(hookEntry: [232, 464, 696], underflow: [0, 464, 928]))
    }

    /// A user chain's head right before FORWARD's only entry: the chain took
    /// FORWARD's policy as its rule, FORWARD started no chain, and the layout
    /// wrote FORWARD's hook as offset 0 (fuzz/, arptables, second finding).
    func testHookSwallowedByAUserChainIsMalformed() throws {
        let policy = ARPTablesRule(target: .drop).encoded()          // INPUT's and FORWARD's policy
        let head = ARPTablesTable.Entry.chainHead("X").bytes
        let tail = ARPTablesTable.Entry.chainTail.bytes
        let trailer = ARPTablesTable.Entry.chainHead("ERROR").bytes
        let blob = policy + head + policy + tail + trailer
        let forward = UInt32(policy.count + head.count)
        XCTAssertThrowsError(try ARPTablesTable(name: "filter", validHooks: 0b101, hookEntry: [0, 0, forward],
                                                underflow: [0, 0, forward], entryCount: 5, blob: blob)) { error in
            XCTAssertTrue("\(error)".contains("hook FORWARD at \(forward) starts no chain of its own"), "\(error)")
        }
        // The same blob with FORWARD's policy before the user chain is a table.
        let table = try ARPTablesTable(name: "filter", validHooks: 0b101, hookEntry: [0, 0, UInt32(policy.count)],
                                       underflow: [0, 0, UInt32(policy.count)], entryCount: 5,
                                       blob: policy + policy + head + tail + trailer)
        XCTAssertEqual(table.chains.map(\.name), ["INPUT", "FORWARD", "X"])
    }

    /// An ERROR entry as FORWARD's first entry was taken as FORWARD's rule;
    /// once our jump went in front of it, the laid-out table had a chain
    /// head inside FORWARD (fuzz/, arptables, third finding). ERROR entries
    /// are chain heads only; two chains of one name are refused too.
    func testErrorEntryAsARuleOrTwoChainsOfOneNameAreMalformed() throws {
        let policy = ARPTablesRule(target: .drop).encoded()
        let tail = ARPTablesTable.Entry.chainTail.bytes
        let trailer = ARPTablesTable.Entry.chainHead("ERROR").bytes
        func head(_ name: String) -> [UInt8] { ARPTablesTable.Entry.chainHead(name).bytes }
        func parse(_ blob: [UInt8], count: Int) throws -> ARPTablesTable {
            try ARPTablesTable(name: "filter", validHooks: 0b100, hookEntry: [0, 0, 0],
                               underflow: [0, 0, UInt32(blob.count - policy.count - trailer.count)], entryCount: count, blob: blob)
        }
        XCTAssertThrowsError(try parse(head("X") + policy + trailer, count: 3)) { error in
            XCTAssertTrue("\(error)".contains("starts with an ERROR entry"), "\(error)")
        }
        let twice = policy + head("FOO") + tail + head("FOO") + tail + trailer
        XCTAssertThrowsError(try ARPTablesTable(name: "filter", validHooks: 0b100, hookEntry: [0, 0, 0], underflow: [0, 0, 0],
                                                entryCount: 6, blob: twice)) { error in
            XCTAssertTrue("\(error)".contains("two chains are named FOO"), "\(error)")
        }
        let inside = policy + head("FOO") + head("BAR") + tail + trailer
        XCTAssertThrowsError(try ARPTablesTable(name: "filter", validHooks: 0b100, hookEntry: [0, 0, 0], underflow: [0, 0, 0],
                                                entryCount: 5, blob: inside))
        let fine = policy + head("FOO") + tail + head("BAR") + tail + trailer
        XCTAssertEqual(try ARPTablesTable(name: "filter", validHooks: 0b100, hookEntry: [0, 0, 0], underflow: [0, 0, 0],
                                          entryCount: 6, blob: fine).chains.map(\.name), ["FORWARD", "FOO", "BAR"])
    }

    /// FORWARD's underflow entry was an ERROR target, taken as its policy;
    /// with FORWARD's rules removed (unblock), the laid-out FORWARD started
    /// with that ERROR entry (fuzz/, arptables, fourth finding). A policy must
    /// be what the kernel's check_underflow demands: unconditional standard
    /// ACCEPT or DROP.
    func testPolicyThatIsNotAnUnconditionalAcceptOrDropIsMalformed() throws {
        let trailer = ARPTablesTable.Entry.chainHead("ERROR").bytes
        func parse(_ policy: [UInt8]) throws -> ARPTablesTable {
            try ARPTablesTable(name: "filter", validHooks: 0b100, hookEntry: [0, 0, 0], underflow: [0, 0, 0],
                               entryCount: 2, blob: policy + trailer)
        }
        for bad in [ARPTablesTable.Entry.chainTail.bytes,
                    ARPTablesRule(inInterface: .init(stem: "vif", isPrefix: true), target: .drop).encoded()] {
            XCTAssertThrowsError(try parse(bad)) { error in
                XCTAssertTrue("\(error)".contains("no ACCEPT or DROP policy"), "\(error)")
            }
        }
        // The finding's shape: a rule, then an ERROR entry at the underflow.
        let rule = ARPTablesRule(inInterface: .init(stem: "vif", isPrefix: true), target: .drop).encoded()
        XCTAssertThrowsError(try ARPTablesTable(name: "filter", validHooks: 0b100, hookEntry: [0, 0, 0],
                                                underflow: [0, 0, UInt32(rule.count)], entryCount: 3,
                                                blob: rule + ARPTablesTable.Entry.chainHead("X").bytes + trailer)) { error in
            XCTAssertTrue("\(error)".contains("no ACCEPT or DROP policy"), "\(error)")
        }
        XCTAssertEqual(try parse(ARPTablesRule(target: .drop).encoded()).chains.map(\.name), ["FORWARD"])
    }

    /// What is accepted lays out to a blob that parses back to the same chains.
    func testAcceptedTableRoundTrips() throws {
        let table = try parse(hookEntry: [0, 464, 696], underflow: [232, 464, 928])
        let layout = try table.layout()
        let again = try ARPTablesTable(name: "filter", validHooks: 7, hookEntry: layout.hookEntry, underflow: layout.underflow,
                                       entryCount: layout.entryCount, blob: layout.blob)
        XCTAssertEqual(again.chains.map(\.name), table.chains.map(\.name))
    }
}
