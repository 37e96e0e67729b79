import XCTest
import Glibc
import HanetNetlink
@testable import HanetLinks
import HanetTesting

/// LinkManager and BridgeFDB when the kernel misbehaves: every fault is an
/// error naming the request and the interface, never a hang, a trap or a
/// partial list.
final class LinkFaultTests: XCTestCase {
    private func manager(_ fake: FakeNetlinkTransport) -> LinkManager {
        LinkManager(connection: NetlinkConnection(transport: fake, firstSequence: 1))
    }

    private func reply(_ hex: String) -> FakeNetlinkTransport.Reply {
        let message = try! NetlinkMessage.split(datagram: bytes(hex: hex)[...])[0]
        return FakeNetlinkTransport.data(type: 16, payload: message.payload, multi: true)
    }

    private func assertError(_ body: @autoclosure () throws -> Any, _ text: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual("\(error)", text, file: file, line: line)
        }
    }

    func testRefusedChangesNameTheInterface() {
        let fake = FakeNetlinkTransport()
        let links = manager(fake)
        fake.expect(FakeNetlinkTransport.error(ENOBUFS))
        assertError(try links.add("br0", kind: .bridge(Bridge())), "RTM_NEWLINK br0: No buffer space available (ENOBUFS)")
        fake.expect(FakeNetlinkTransport.error(EAGAIN))
        assertError(try links.setUp("br0", true), "RTM_NEWLINK br0: Resource temporarily unavailable (EAGAIN)")
        fake.expect(FakeNetlinkTransport.error(EINTR))
        assertError(try links.delete("br0"), "RTM_DELLINK br0: Interrupted system call (EINTR)")
    }

    func testLookupThatNeverGetsAnAnswerTimesOut() {
        let fake = FakeNetlinkTransport()
        fake.expectNoReply()
        assertError(try manager(fake).link(named: "xenbr1"), "RTM_GETLINK xenbr1: no reply within 5000 ms (ETIMEDOUT)")
    }

    /// setMaster looks the master up first: the lost reply is the lookup's.
    func testSetMasterWhoseLookupIsLostNamesTheLookup() {
        let fake = FakeNetlinkTransport()
        fake.expectReceiveFailure(ENOBUFS)
        assertError(try manager(fake).setMaster("eth1", master: "xenbr1"),
                    "RTM_GETLINK xenbr1: recvfrom: the socket's receive buffer overflowed and the reply was dropped (ENOBUFS)")
        XCTAssertEqual(fake.sent.count, 1, "no RTM_NEWLINK without a master index")
    }

    func testListThatStaysInterruptedIsAnError() {
        let fake = FakeNetlinkTransport()
        for _ in 0..<NetlinkConnection.dumpAttempts {
            fake.expect(FakeNetlinkTransport.dumpInterrupted(FakeNetlinkTransport.datagram(reply(IPRouteCaptures.bridgeReply), FakeNetlinkTransport.done())))
        }
        assertError(try manager(fake).list(), "RTM_GETLINK: dump interrupted 5 times by concurrent changes (EINTR)")
    }

    func testPortsOfAMasterWhoseDumpStopsHalfwayTimeOut() {
        let fake = FakeNetlinkTransport()
        fake.expect(reply(IPRouteCaptures.vifReply))
        assertError(try manager(fake).ports(ofMasterIndex: 3), "RTM_GETLINK master 3: no reply within 5000 ms (ETIMEDOUT)")
    }

    /// IFLA_IFNAME claiming 4095 bytes: the decoder refuses instead of reading past the message.
    func testAttributeRunningPastTheReplyIsADecodeError() {
        let fake = FakeNetlinkTransport()
        let corrupt = IPRouteCaptures.bridgeReply.replacingOccurrences(of: "080003006272310008000d00", with: "ff0f03006272310008000d00")
        XCTAssertNotEqual(corrupt, IPRouteCaptures.bridgeReply)
        fake.expect(reply(corrupt))
        XCTAssertThrowsError(try manager(fake).link(named: "br1")) { error in
            XCTAssertTrue(error is NetlinkDecodeError, "\(type(of: error))")
            XCTAssertTrue("\(error)".hasPrefix("malformed netlink data in RTM_NEWLINK"), "\(error)")
            XCTAssertTrue("\(error)".contains("attribute 3 of length 4095 runs past its buffer"), "\(error)")
        }
    }

    func testReplyCutMidMessageIsADecodeErrorNamingTheRequest() {
        let fake = FakeNetlinkTransport()
        fake.expect(FakeNetlinkTransport.truncated(reply(IPRouteCaptures.bridgeReply), to: 200))
        XCTAssertThrowsError(try manager(fake).link(named: "br1")) { error in
            XCTAssertEqual("\(error)", "malformed netlink data in RTM_GETLINK br1 reply: nlmsghdr length 1880 runs past the datagram (200 bytes left)")
        }
    }

    func testFDBReadThatStaysInterruptedIsAnError() {
        let fake = FakeNetlinkTransport()
        let fdb = BridgeFDB(connection: NetlinkConnection(transport: fake, firstSequence: 1))
        for _ in 0..<NetlinkConnection.dumpAttempts {
            fake.expect(FakeNetlinkTransport.dumpInterrupted(FakeNetlinkTransport.done()))
        }
        assertError(try fdb.entries(bridgeIndex: 3), "RTM_GETNEIGH bridge 3: dump interrupted 5 times by concurrent changes (EINTR)")
    }

    func testFDBFlushWithoutAnswerTimesOut() {
        let fake = FakeNetlinkTransport()
        let fdb = BridgeFDB(connection: NetlinkConnection(transport: fake, firstSequence: 1))
        fake.expectNoReply()
        assertError(try fdb.flushLearned(bridgeIndex: 3), "RTM_DELNEIGH bridge 3 (bulk): no reply within 5000 ms (ETIMEDOUT)")
    }

    /// The timeout given to the convenience initialisers reaches the connection.
    func testTimeoutIsThreadedThroughTheInitialisers() throws {
        let timeout = NetlinkTimeout(perReply: .milliseconds(300))
        XCTAssertEqual(try LinkManager(timeout: timeout).connection.timeout, timeout)
        XCTAssertEqual(try BridgeFDB(timeout: timeout).connection.timeout, timeout)
        XCTAssertEqual(try LinkManager().connection.timeout, .default)
    }
}
