import XCTest
import Glibc
@testable import HanetNetlink
import HanetTesting

/// Answers of the wrong shape: dumps that never stop racing changes, and
/// datagrams cut short. Each is an error with its reason, never a list that
/// mixes two states or a read past the end.
extension NetlinkFaultTests {
    // MARK: interrupted dumps

    func testDumpInterruptedEveryTimeIsAnErrorNotAMixedList() {
        let fake = FakeNetlinkTransport()
        let item = FakeNetlinkTransport.data(type: 16, payload: [1, 1, 1, 1], multi: true)
        for _ in 0..<NetlinkConnection.dumpAttempts {
            fake.expect(FakeNetlinkTransport.dumpInterrupted(FakeNetlinkTransport.datagram(item, item, FakeNetlinkTransport.done())))
        }
        assertError(try connection(fake).dump(request(), operation: "RTM_GETLINK", object: "master 3"),
                    "RTM_GETLINK master 3: dump interrupted 5 times by concurrent changes (EINTR)", errno: EINTR)
        XCTAssertEqual(fake.sent.count, 5, "five tries, then the error")
    }

    func testDumpConsistentOnTheLastTryIsTaken() throws {
        let fake = FakeNetlinkTransport()
        let item = FakeNetlinkTransport.data(type: 16, payload: [1, 1, 1, 1], multi: true)
        for _ in 1..<NetlinkConnection.dumpAttempts {
            fake.expect(FakeNetlinkTransport.dumpInterrupted(FakeNetlinkTransport.datagram(item, FakeNetlinkTransport.done())))
        }
        fake.expect(FakeNetlinkTransport.datagram(item, item, FakeNetlinkTransport.done()))
        XCTAssertEqual(try connection(fake).dump(request(), operation: "RTM_GETLINK").count, 2)
        XCTAssertEqual(fake.sent.count, 5)
    }

    // MARK: truncated replies

    func testDatagramCutInTheMiddleOfAMessage() {
        let fake = FakeNetlinkTransport()
        fake.expect(FakeNetlinkTransport.truncated(FakeNetlinkTransport.data(type: 16, payload: [UInt8](repeating: 0, count: 32)), to: 24))
        XCTAssertThrowsError(try connection(fake).get(request(), operation: "RTM_GETLINK", object: "xenbr1")) { error in
            XCTAssertEqual("\(error)", "malformed netlink data in RTM_GETLINK xenbr1 reply: nlmsghdr length 48 runs past the datagram (24 bytes left)")
        }
    }

    func testDatagramCutInTheMiddleOfAHeader() {
        let fake = FakeNetlinkTransport()
        let item = FakeNetlinkTransport.data(type: 16, payload: [1, 1, 1, 1], multi: true)
        fake.expect(FakeNetlinkTransport.truncated(FakeNetlinkTransport.datagram(item, FakeNetlinkTransport.done()), to: 28))
        XCTAssertThrowsError(try connection(fake).dump(request(), operation: "RTM_GETLINK")) { error in
            XCTAssertEqual("\(error)", "malformed netlink data in RTM_GETLINK reply: nlmsghdr datagram ends in the middle of a message header (8 of 16 bytes)")
        }
    }

    func testAttributeLongerThanItsMessage() throws {
        // IFLA_IFNAME claiming 64 bytes in a 12-byte remainder.
        let message = NetlinkMessage(type: 16, flags: 0, sequence: 1, portID: 0,
                                     payload: [UInt8](repeating: 0, count: 16) + [64, 0, 3, 0] + Array("xenbr1\0\0".utf8))
        XCTAssertThrowsError(try message.attributes(after: 16, context: "RTM_NEWLINK")) { error in
            XCTAssertTrue(error is NetlinkDecodeError)
            XCTAssertTrue("\(error)".hasPrefix("malformed netlink data in RTM_NEWLINK"), "\(error)")
        }
    }
}
