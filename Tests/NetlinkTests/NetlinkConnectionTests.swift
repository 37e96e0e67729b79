import XCTest
import Glibc
@testable import HanetNetlink
import TestSupport
import HanetTesting

/// The request/reply discipline against a scripted kernel.
final class NetlinkConnectionTests: XCTestCase {
    private func request(_ type: UInt16 = 16) -> NetlinkRequest {
        var r = NetlinkRequest(type: type, flags: 0)
        r.append(bytes: [UInt8](repeating: 0, count: 16))
        return r
    }

    func testExecuteSetsRequestAndAckFlagsAndSequence() throws {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, firstSequence: 41)
        fake.expect(FakeNetlinkTransport.ack())
        try connection.execute(request(), operation: "RTM_NEWLINK", object: "br0")
        let sent = fake.sent[0]
        XCTAssertEqual(UInt16(sent[6]) | UInt16(sent[7]) << 8, NetlinkConstants.request | NetlinkConstants.ack)
        XCTAssertEqual(sent[8], 42, "sequence advanced")
        XCTAssertEqual(UInt32(sent[12]) | UInt32(sent[13]) << 8, 4242, "our port")
    }

    func testKernelErrorCarriesExtendedAckTextErrnoOperationAndObject() {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, firstSequence: 1)
        fake.expect(FakeNetlinkTransport.error(EBUSY, message: "Device can not be enslaved while up"))
        XCTAssertThrowsError(try connection.execute(request(), operation: "RTM_NEWLINK", object: "bond0")) { error in
            let e = error as? NetlinkError
            XCTAssertEqual(e?.errno, EBUSY)
            XCTAssertEqual(e?.kernelMessage, "Device can not be enslaved while up")
            XCTAssertEqual(e?.description, "RTM_NEWLINK bond0: Device can not be enslaved while up (EBUSY)")
        }
    }

    func testErrorWithoutExtendedAckUsesStrerror() {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, firstSequence: 1)
        fake.expect(FakeNetlinkTransport.error(ENODEV))
        XCTAssertThrowsError(try connection.execute(request(), operation: "RTM_DELLINK", object: "eth9")) { error in
            XCTAssertEqual("\(error)", "RTM_DELLINK eth9: No such device (ENODEV)")
        }
    }

    /// A late reply to an abandoned request (other sequence) or another
    /// port's message must never be taken as our answer.
    func testRepliesForOtherSequencesOrPortsAreSkipped() throws {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, firstSequence: 1)
        let stale: FakeNetlinkTransport.Reply = { seq, port in FakeNetlinkTransport.error(EBUSY)(seq &- 1, port) }
        let foreign: FakeNetlinkTransport.Reply = { seq, _ in FakeNetlinkTransport.error(EPERM)(seq, 999) }
        fake.expect(stale, foreign, FakeNetlinkTransport.ack())
        XCTAssertNoThrow(try connection.execute(request(), operation: "RTM_NEWLINK"))
    }

    func testDumpCollectsMultipleDatagramsUntilDone() throws {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, firstSequence: 1)
        let item = FakeNetlinkTransport.data(type: 16, payload: [UInt8](repeating: 0, count: 16), multi: true)
        fake.expect(FakeNetlinkTransport.datagram(item, item), FakeNetlinkTransport.datagram(item, FakeNetlinkTransport.done()))
        XCTAssertEqual(try connection.dump(request(18), operation: "RTM_GETLINK").count, 3)
        let flags = UInt16(fake.sent[0][6]) | UInt16(fake.sent[0][7]) << 8
        XCTAssertEqual(flags & NetlinkConstants.dump, NetlinkConstants.dump, "sent as a dump request")
    }

    /// NLM_F_DUMP_INTR: the list raced a change; it is fetched again.
    func testInterruptedDumpIsRetried() throws {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, firstSequence: 1)
        let interrupted: FakeNetlinkTransport.Reply = { seq, port in
            FakeNetlinkTransport.message(type: 16, flags: 2 | NetlinkConstants.dumpInterrupted, sequence: seq, portID: port, payload: [0, 0, 0, 0])
        }
        let fine = FakeNetlinkTransport.data(type: 16, payload: [1, 1, 1, 1], multi: true)
        fake.expect(FakeNetlinkTransport.datagram(interrupted, FakeNetlinkTransport.done()))
        fake.expect(FakeNetlinkTransport.datagram(fine, fine, FakeNetlinkTransport.done()))
        let messages = try connection.dump(request(18), operation: "RTM_GETLINK")
        XCTAssertEqual(fake.sent.count, 2, "retried once")
        XCTAssertEqual(messages.map(\.payload), [[1, 1, 1, 1], [1, 1, 1, 1]])
    }

    func testFailedDumpReportedInDone() {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, firstSequence: 1)
        let failedDone: FakeNetlinkTransport.Reply = { seq, port in
            FakeNetlinkTransport.message(type: 3, flags: 2, sequence: seq, portID: port, payload: withUnsafeBytes(of: -EINVAL) { Array($0) })
        }
        fake.expect(failedDone)
        XCTAssertThrowsError(try connection.dump(request(18), operation: "RTM_GETNEIGH", object: "xenbr1")) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EINVAL)
        }
    }

    /// A rejected message in a batch is named by its own operation/object.
    func testBatchErrorNamesTheRejectedMessage() {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, firstSequence: 10)
        var last = request(0x0a06)
        last.flags |= NetlinkConstants.ack
        let items = [NetlinkConnection.BatchItem(request(0x10), operation: "BEGIN"),
                     NetlinkConnection.BatchItem(request(0x0a00), operation: "NEWTABLE", object: "t"),
                     NetlinkConnection.BatchItem(last, operation: "NEWRULE", object: "t r1"),
                     NetlinkConnection.BatchItem(request(0x11), operation: "END")]
        // The kernel rejects the third message (sequence 13).
        fake.expect({ seq, port in FakeNetlinkTransport.error(EOPNOTSUPP, message: "Operation not supported")(seq &+ 2, port) })
        XCTAssertThrowsError(try connection.batch(items)) { error in
            XCTAssertEqual("\(error)", "NEWRULE t r1: Operation not supported (EOPNOTSUPP)")
        }
        XCTAssertEqual(fake.sent.count, 1, "one datagram for the whole batch")
    }

    func testAttributesAndNestsEncodeWithAlignment() throws {
        var r = NetlinkRequest(type: 1, flags: 0)
        r.attribute(3, string: "br0")              // 4 + 4 bytes
        r.nest(18, flagged: false) { $0.attribute(1, unterminated: "bridge") } // 4 + (4+6 -> 12)
        r.attribute(4, u8: 7)                      // 4 + 1 -> 8
        XCTAssertEqual(r.payload.count, 8 + 16 + 8)
        let attributes = try NetlinkAttributes(r.payload[...], context: "test")
        XCTAssertEqual(try attributes[3]?.string(), "br0")
        XCTAssertEqual(try attributes[18]?.nested()[1]?.string(), "bridge")
        XCTAssertEqual(try attributes[4]?.u8(), 7)
        XCTAssertThrowsError(try attributes[4]?.u32(), "a u8 attribute is not a u32")
    }
}
