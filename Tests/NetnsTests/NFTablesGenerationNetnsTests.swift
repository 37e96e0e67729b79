import XCTest
import Glibc
import HanetNetlink
@testable import HanetFirewall
import TestSupport

/// Generation pinning against the real kernel: what it answers to a batch
/// written for a ruleset that has moved on, and that the backend reads
/// again instead of applying such a batch.
final class NFTablesGenerationNetnsTests: XCTestCase {
    let policy = GuestBlockPolicy(bridges: ["br0"], guestPorts: [try! PortPattern(parsing: "vif*")])

    /// The errno is the kernel's, observed here: ERESTART (85) against
    /// NFNL_MSG_BATCH_BEGIN, and nothing of the batch applied.
    func testABatchPinnedToAStaleGenerationIsRefusedWholeWithERESTART() throws {
        let host = try TestNamespace("nftgen")
        defer { host.remove() }
        let connection = try NetlinkConnection(bus: NetlinkConstants.netfilter, namespace: .named(host.name))
        let stale = try NFTablesBackend.probe(connection: connection)
        try host.exec(["nft", "add", "table", "bridge", "someone_else"], must: true)
        let current = try NFTablesBackend.probe(connection: connection)
        XCTAssertNotEqual(current, stale, "a commit moves the generation")

        let ruleset = NFTablesRuleset(policy: policy, match: .portOnly)
        XCTAssertThrowsError(try connection.batch(ruleset.blockBatch(generation: stale))) { error in
            let error = error as? NetlinkError
            print("stale generation \(stale) (now \(current)): \(error.map { "\($0) errno \($0.errno)" } ?? "nil")")
            XCTAssertEqual(error?.errno, ERESTART)
            XCTAssertEqual(error?.errno, 85)
            XCTAssertEqual(error?.operation, "NFNL_MSG_BATCH_BEGIN")
        }
        let tables = try host.exec(["nft", "list", "tables"], must: true).stdout
        XCTAssertFalse(tables.contains(ruleset.table.name), "nothing of the refused batch was applied: \(tables)")

        XCTAssertNoThrow(try connection.batch(ruleset.blockBatch(generation: current)))
        XCTAssertTrue(try host.exec(["nft", "list", "tables"], must: true).stdout.contains(ruleset.table.name))
    }

    /// Another writer commits between the backend's read and its batch:
    /// the batch is refused, the backend reads again, and the second
    /// decision is applied.
    func testUnblockReadsAgainWhenTheRulesetChangedBeforeItsBatch() throws {
        let host = try TestNamespace("nftgenre")
        defer { host.remove() }
        let (transport, backend) = try interfered(host)
        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)

        transport.interferences = 1
        let batchesBefore = transport.batches
        try backend.unblock(policy)
        XCTAssertEqual(transport.batches - batchesBefore, 2, "refused once, then applied")
        XCTAssertEqual(transport.interferences, 0)
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        XCTAssertTrue(try host.exec(["nft", "list", "tables"], must: true).stdout.contains("noise_1"))
    }

    /// A ruleset that changes before every try: after three refusals the
    /// error says so, and our table is as it was (dormant: unblocked).
    func testBlockGivesUpAfterThreeRefusalsAndChangesNothing() throws {
        let host = try TestNamespace("nftgenmax")
        defer { host.remove() }
        let (transport, backend) = try interfered(host)
        try backend.block(policy)
        try backend.unblock(policy)
        transport.interferences = 3
        XCTAssertThrowsError(try backend.block(policy)) { error in
            XCTAssertEqual("\(error)", "NFT batch bridge \(NFTablesBackend.tableName(for: policy)): ruleset changed between read and write 3 times in a row (concurrent nf_tables commits) (ERESTART)")
        }
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
    }

    // MARK: helpers

    private func interfered(_ host: TestNamespace) throws -> (InterferingTransport, NFTablesBackend) {
        let socket = try NetlinkSocket(bus: NetlinkConstants.netfilter, namespace: .named(host.name))
        let transport = InterferingTransport(socket: socket, namespace: host)
        return (transport, NFTablesBackend(connection: NetlinkConnection(transport: transport), namespace: .named(host.name)))
    }
}

/// The real socket, with another writer (`nft add table`) committing just
/// before each of the next `interferences` batches goes out: the race
/// between a read and its write, made certain.
final class InterferingTransport: NetlinkTransport {
    let socket: NetlinkSocket
    let namespace: TestNamespace
    var interferences = 0
    private(set) var batches = 0
    private var noise = 0

    init(socket: NetlinkSocket, namespace: TestNamespace) {
        self.socket = socket
        self.namespace = namespace
    }

    var portID: UInt32 { socket.portID }

    func send(_ datagram: [UInt8]) throws(NetlinkError) {
        // NFNL_MSG_BATCH_BEGIN (0x10) first: a batch.
        if datagram.count >= 6 && datagram[4] == 0x10 && datagram[5] == 0 {
            batches += 1
            if interferences > 0 {
                interferences -= 1
                noise += 1
                _ = try? namespace.exec(["nft", "add", "table", "bridge", "noise_\(noise)"], must: true)
            }
        }
        try socket.send(datagram)
    }

    func receive() throws(NetlinkError) -> [UInt8] { try socket.receive() }
    func receive(deadline: ContinuousClock.Instant?) throws(NetlinkError) -> [UInt8]? { try socket.receive(deadline: deadline) }
    func reserveBuffers(sendBytes: Int, receiveBytes: Int) { socket.reserveBuffers(sendBytes: sendBytes, receiveBytes: receiveBytes) }
}
