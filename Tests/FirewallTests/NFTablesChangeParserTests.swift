import XCTest
import HanetNetlink
@testable import HanetFirewall

/// The nf_tables notification parsing of the guard's change feed, apart
/// from its socket (NFTablesChangeParser, which fuzz/ target `nftevents` runs).
final class NFTablesChangeParserTests: XCTestCase {
    /// One nf_tables notification: nfgenmsg (family, version, res_id) + attributes.
    private func event(_ kind: UInt16, family: UInt8 = 7, attributes: [UInt8]) -> NetlinkMessage {
        NetlinkMessage(type: 0x0a00 | kind, flags: 0, sequence: 0, portID: 0, payload: [family, 0, 0, 0] + attributes)
    }

    private func tableName(_ name: String) -> [UInt8] {
        let value = Array(name.utf8) + [0]
        var bytes = withUnsafeBytes(of: UInt16(4 + value.count)) { Array($0) } + [1, 0] + value
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }

    private func newgen(pid: UInt32) -> NetlinkMessage {
        event(15, family: 0, attributes: [8, 0, 2, 0] + withUnsafeBytes(of: pid.bigEndian) { Array($0) } + [8, 0, 3, 0] + Array("nft".utf8) + [0])
    }

    func testCountsRepeatedOperationsOnOurTableAndNamesTheCommitter() throws {
        var parser = NFTablesChangeParser(table: "hanet_x")
        XCTAssertNil(try parser.absorb(event(2, attributes: tableName("hanet_x"))))   // DELTABLE
        XCTAssertNil(try parser.absorb(event(8, attributes: tableName("hanet_x"))))   // DELRULE
        XCTAssertNil(try parser.absorb(event(8, attributes: tableName("hanet_x"))))
        XCTAssertNil(try parser.absorb(event(8, attributes: tableName("other"))))     // not ours
        let transaction = try XCTUnwrap(try parser.absorb(newgen(pid: 4321)))
        XCTAssertEqual(transaction.operations, ["DELTABLE", "DELRULE x2"])
        XCTAssertTrue(transaction.touchedTable)
        XCTAssertEqual(transaction.processID, 4321)
        XCTAssertEqual(transaction.processName, "nft")
        let next = try XCTUnwrap(try parser.absorb(newgen(pid: 1)))
        XCTAssertFalse(next.touchedTable, "each transaction starts afresh")
    }

    /// Found while making `absorb` fuzzable: an operation counted as a repeat
    /// of any earlier one it was a prefix of ("message 1" after "message 10"
    /// became "message 1 x2").
    func testOperationsThatSharePrefixesAreNotMerged() throws {
        var parser = NFTablesChangeParser(table: "hanet_x")
        _ = try parser.absorb(event(10, attributes: tableName("hanet_x")))
        _ = try parser.absorb(event(1, attributes: tableName("hanet_x")))
        _ = try parser.absorb(event(1, attributes: tableName("hanet_x")))
        let transaction = try XCTUnwrap(try parser.absorb(newgen(pid: 1)))
        XCTAssertEqual(transaction.operations, ["message 10", "message 1 x2"])
    }

    func testMalformedNotificationThrows() {
        var parser = NFTablesChangeParser(table: "hanet_x")
        XCTAssertThrowsError(try parser.absorb(event(2, attributes: [200, 0, 1, 0])))
    }
}
