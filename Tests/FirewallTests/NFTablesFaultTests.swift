import XCTest
import Glibc
import HanetNetlink
@testable import HanetFirewall
import TestSupport
import HanetTesting

/// The nftables backend when the kernel misbehaves: each fault is an error
/// naming the message and table, and a failed block leaves `lastBlock` unset.
final class NFTablesFaultTests: XCTestCase {
    let policy = NFTablesFixtures.policy
    var table: String { NFTablesBackend.tableName(for: policy) }

    private func assertError(_ body: @autoclosure () throws -> Any, _ text: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual("\(error)", text, file: file, line: line)
        }
    }

    /// ENOBUFS, EINTR, EBUSY, EAGAIN against the last rule of a block batch.
    func testRefusedBatchNamesTheRuleAndInstallsNothing() {
        let lastRule = NFTablesRuleset(policy: policy, match: .bridgeAndPort).blockBatch().count - 2
        for code in [ENOBUFS, EINTR, EBUSY, EAGAIN] {
            let (fake, backend) = NFTablesFake.backend()
            fake.expect(NFTablesFake.error(code, message: nil, at: UInt32(lastRule)))
            XCTAssertThrowsError(try backend.block(policy)) { error in
                let error = error as? NetlinkError
                XCTAssertEqual(error?.operation, "NFT_MSG_NEWRULE")
                XCTAssertEqual(error?.errno, code)
                XCTAssertEqual(error?.description, #"NFT_MSG_NEWRULE bridge \#(table) to_guests [meta obrname "xenbr1" oifname "vnet*" drop]: "# + "\(Errno.describe(code)) (\(Errno.name(code)))")
            }
            XCTAssertNil(backend.lastBlock)
            XCTAssertEqual(fake.sent.count, 1, "no retry, no fallback")
        }
    }

    func testBatchWithoutAnswerTimesOut() {
        let (fake, backend) = NFTablesFake.backend()
        fake.expectNoReply()
        assertError(try backend.block(policy), "NFNL_MSG_BATCH_BEGIN bridge \(table): no reply within 5000 ms (ETIMEDOUT)")
        XCTAssertNil(backend.lastBlock)
    }

    func testBatchWhoseAckIsDroppedNamesTheBatch() {
        let (fake, backend) = NFTablesFake.backend()
        fake.expectReceiveFailure(ENOBUFS)
        assertError(try backend.unblock(policy),
                    "NFNL_MSG_BATCH_BEGIN bridge \(table): recvfrom: the socket's receive buffer overflowed and the reply was dropped (ENOBUFS)")
    }

    func testBatchTooLargeToSendNamesTheBatch() {
        let (fake, backend) = NFTablesFake.backend()
        fake.expectSendFailure(EMSGSIZE)
        assertError(try backend.block(policy), "NFNL_MSG_BATCH_BEGIN bridge \(table): sendto: Message too long (EMSGSIZE)")
    }

    func testInspectWithoutAnswerTimesOut() {
        let (fake, backend) = NFTablesFake.backend()
        fake.expectNoReply()
        assertError(try backend.inspect(policy), "NFT_MSG_GETTABLE bridge \(table): no reply within 5000 ms (ETIMEDOUT)")
    }

    /// The pinned read's first step, GETGEN, unanswered.
    func testUnblockWhoseGenerationQueryIsUnansweredTimesOut() {
        let fake = FakeNetlinkTransport()
        let backend = NFTablesBackend(connection: NetlinkConnection(transport: fake, firstSequence: 100))
        fake.expectNoReply()
        assertError(try backend.unblock(policy), "NFT_MSG_GETGEN: no reply within 5000 ms (ETIMEDOUT)")
        XCTAssertEqual(fake.sent.count, 1, "nothing written without the read")
    }

    func testRuleDumpThatStaysInterruptedIsAnError() {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[0]))
        fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[1]))
        fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[2]))
        for _ in 0..<NetlinkConnection.dumpAttempts {
            fake.expect(FakeNetlinkTransport.dumpInterrupted(NFTablesFake.dump(Array(NFTablesFixtures.kernelReplies[3..<13]))))
        }
        assertError(try backend.inspect(policy), "NFT_MSG_GETRULE bridge \(table): dump interrupted 5 times by concurrent changes (EINTR)")
    }

    func testRuleDumpCutMidMessageIsADecodeError() {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[0]))
        fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[1]))
        fake.expect(NFTablesFake.reply(NFTablesFixtures.kernelReplies[2]))
        fake.expect(FakeNetlinkTransport.truncated(NFTablesFake.dump(Array(NFTablesFixtures.kernelReplies[3..<13])), to: 300))
        XCTAssertThrowsError(try backend.inspect(policy)) { error in
            XCTAssertTrue(error is NetlinkDecodeError)
            XCTAssertTrue("\(error)".hasPrefix("malformed netlink data in NFT_MSG_GETRULE bridge \(table) reply: nlmsghdr length "), "\(error)")
        }
    }

    /// A table reply whose attribute claims more bytes than the message has.
    func testTableAttributeRunningPastTheReplyIsADecodeError() {
        let (fake, backend) = NFTablesFake.backend()
        let line = NFTablesFixtures.kernelReplies[0].replacingOccurrences(of: "070000071300010068616e", with: "07000007ff00010068616e")
        XCTAssertNotEqual(line, NFTablesFixtures.kernelReplies[0])
        fake.expect(NFTablesFake.reply(line))
        XCTAssertThrowsError(try backend.inspect(policy)) { error in
            XCTAssertTrue(error is NetlinkDecodeError)
            XCTAssertTrue("\(error)".contains("runs past its buffer"), "\(error)")
        }
    }

    func testTimeoutIsThreadedThroughTheInitialisers() throws {
        let timeout = NetlinkTimeout(perReply: .milliseconds(300))
        XCTAssertEqual(try NFTablesBackend(timeout: timeout).connection.timeout, timeout)
        // Without CAP_NET_ADMIN the probe is refused and there is nothing to select.
        if let backend = (try? GuestBlockBackendChoice.nftables.select(timeout: timeout))?.backend as? NFTablesBackend {
            XCTAssertEqual(backend.connection.timeout, timeout)
        }
    }
}
