import XCTest
import Glibc
import HanetNetlink
@testable import HanetFirewall
import TestSupport
import HanetTesting

/// Batches that depend on a read carry that read's ruleset generation, and a
/// refusal (ERESTART: the ruleset moved on) is answered by reading again.
final class NFTablesGenerationTests: XCTestCase {
    let policy = NFTablesFixtures.policy
    var generationReply: String { NFTablesFixtures.kernelReplies[13] }
    var table: String { NFTablesBackend.tableName(for: policy) }

    /// The switch path: reads first, so its batches are pinned.
    private func backend() -> (FakeNetlinkTransport, NFTablesBackend) {
        let fake = FakeNetlinkTransport()
        return (fake, NFTablesBackend(connection: NetlinkConnection(transport: fake, firstSequence: 100)))
    }

    /// NFT_MSG_GETGEN (generation 7), then table, chains and rules, all of generation 7.
    private func scriptPinnedRead(_ fake: FakeNetlinkTransport, rules: [String]? = nil) {
        fake.expect(NFTablesFake.reply(generationReply))
        fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[0]))
        fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[1]))
        fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[2]))
        fake.expect(NFTablesFake.dump(rules ?? Array(NFTablesFixtures.kernelReplies[3..<13])))
    }

    private func batchBegin(_ datagram: [UInt8]) throws -> NFTablesWire.Message {
        let first = try XCTUnwrap(NFTablesWire.messages(datagram: datagram).first)
        XCTAssertEqual(first.type, NFTablesConstants.batchBegin)
        return first
    }

    // MARK: the attribute

    func testBatchBeginCarriesTheGenerationBigEndianAndIsNftsOwnWithout() {
        XCTAssertEqual(NFTablesMessage.batchBegin().payload, [0, 0, 0x00, 0x0a], "nft's bytes (golden tests)")
        XCTAssertEqual(NFTablesMessage.batchBegin(generation: 0x0102_0304).payload,
                       [0, 0, 0x00, 0x0a] + [8, 0, 1, 0] + [1, 2, 3, 4], "NFNL_BATCH_GENID, u32 big-endian")
        let pinned = NFTablesRuleset(policy: policy, match: .portOnly).blockBatch(generation: 9)
        let plain = NFTablesRuleset(policy: policy, match: .portOnly).blockBatch()
        XCTAssertEqual(pinned.dropFirst().map(\.request.payload), plain.dropFirst().map(\.request.payload), "only the begin message differs")
    }

    // MARK: pinned writes

    /// unblock of our intact, active table: GETGEN, the reads, then a switch
    /// batch pinned to generation 7.
    func testUnblockSwitchIsPinnedToTheGenerationOfItsRead() throws {
        let (fake, backend) = backend()
        scriptPinnedRead(fake)
        fake.expect(NFTablesFake.ack(at: 1))
        try backend.unblock(policy)
        let types = try fake.sent.map { try NFTablesWire.messages(datagram: $0)[0].type }
        XCTAssertEqual(types, [0x0a10, 0x0a01, 0x0a04, 0x0a04, 0x0a07, NFTablesConstants.batchBegin], "GETGEN first, then the read, then the batch")
        XCTAssertEqual(try batchBegin(fake.sent[5]).payload, [0, 0, 0x00, 0x0a, 8, 0, 1, 0, 0, 0, 0, 7])
    }

    /// The kernel refuses the switch (the ruleset moved on): read again,
    /// decide again, and the second batch carries the new read's generation.
    func testRefusedBatchIsReadAgainNotResent() throws {
        let (fake, backend) = backend()
        scriptPinnedRead(fake)
        fake.expect(NFTablesFake.error(ERESTART, message: nil, at: 0))
        scriptPinnedRead(fake)
        fake.expect(NFTablesFake.ack(at: 1))
        try backend.unblock(policy)
        XCTAssertEqual(fake.sent.count, 12, "read, refused batch, read, batch")
        XCTAssertEqual(try NFTablesWire.messages(datagram: fake.sent[6])[0].type, 0x0a10, "after the refusal: GETGEN again")
        XCTAssertNil(backend.lastBlock)
    }

    func testThreeRefusalsInARowAreTheError() throws {
        let (fake, backend) = backend()
        for _ in 0..<NFTablesBackend.pinnedAttempts {
            scriptPinnedRead(fake)
            fake.expect(NFTablesFake.error(ERESTART, message: nil, at: 0))
        }
        XCTAssertThrowsError(try backend.unblock(policy)) { error in
            XCTAssertEqual("\(error)", "NFT batch bridge \(table): ruleset changed between read and write 3 times in a row (concurrent nf_tables commits) (ERESTART)")
            XCTAssertEqual((error as? NetlinkError)?.errno, ERESTART)
        }
        XCTAssertEqual(fake.sent.count, 18)
    }

    /// No table: the replace batch is pinned too (the decision to replace
    /// came from the read), and a refusal reads again.
    func testReplaceAfterAnAbsentTableIsPinnedAndRetried() throws {
        let (fake, backend) = backend()
        fake.expect(NFTablesFake.reply(generationReply))
        fake.expect(FakeNetlinkTransport.error(ENOENT))
        fake.expect(NFTablesFake.error(ERESTART, message: nil, at: 0))
        fake.expect(NFTablesFake.reply(generationReply))
        fake.expect(FakeNetlinkTransport.error(ENOENT))
        fake.expect(NFTablesFake.ackLastObject(of: .bridgeAndPort))
        XCTAssertEqual(try backend.install(policy).match, .bridgeAndPort)
        XCTAssertEqual(fake.sent.count, 6)
        XCTAssertEqual(try batchBegin(fake.sent[2]).payload.suffix(8), [8, 0, 1, 0, 0, 0, 0, 7])
        XCTAssertEqual(try batchBegin(fake.sent[5]).payload.suffix(8), [8, 0, 1, 0, 0, 0, 0, 7])
    }

    /// Other errors of a pinned batch are not retried.
    func testOtherRefusalsOfAPinnedBatchAreNotRetried() {
        let (fake, backend) = backend()
        scriptPinnedRead(fake)
        fake.expect(NFTablesFake.error(EBUSY, message: "Device or resource busy", at: 0))
        XCTAssertThrowsError(try backend.unblock(policy)) { error in
            XCTAssertEqual("\(error)", "NFNL_MSG_BATCH_BEGIN bridge \(table): Device or resource busy (EBUSY)")
        }
        XCTAssertEqual(fake.sent.count, 6)
    }

    // MARK: consistent reads

    /// A rule reply from generation 8 after GETGEN said 7: read again.
    func testAPinnedReadWithARaceIsReadAgain() throws {
        let (fake, backend) = backend()
        scriptPinnedRead(fake, rules: NFTablesFixtures.kernelReplies[3..<13].map { $0.replacingOccurrences(of: " 07000007", with: " 07000008") })
        scriptPinnedRead(fake)
        fake.expect(NFTablesFake.ack(at: 1))
        try backend.unblock(policy)
        XCTAssertEqual(fake.sent.count, 11)
    }

    /// Every read raced a commit: an error, not a snapshot mixing two generations.
    func testInspectThatNeverReadsOneGenerationIsAnError() {
        let (fake, backend) = backend()
        let raced = NFTablesFixtures.kernelReplies[3..<13].map { $0.replacingOccurrences(of: " 07000007", with: " 07000008") }
        for _ in 0..<NFTablesBackend.readAttempts {
            fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[0]))
            fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[1]))
            fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[2]))
            fake.expect(NFTablesFake.dump(raced))
        }
        XCTAssertThrowsError(try backend.inspect(policy)) { error in
            XCTAssertEqual("\(error)", "NFT read bridge \(table): ruleset changed during each of 3 reads by concurrent commits (EINTR)")
        }
        XCTAssertEqual(fake.sent.count, 12)
    }
}
