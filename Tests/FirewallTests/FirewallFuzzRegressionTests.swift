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

    /// What is accepted lays out to a blob that parses back to the same chains.
    func testAcceptedTableRoundTrips() throws {
        let table = try parse(hookEntry: [0, 464, 696], underflow: [232, 464, 928])
        let layout = try table.layout()
        let again = try ARPTablesTable(name: "filter", validHooks: 7, hookEntry: layout.hookEntry, underflow: layout.underflow,
                                       entryCount: layout.entryCount, blob: layout.blob)
        XCTAssertEqual(again.chains.map(\.name), table.chains.map(\.name))
    }
}
