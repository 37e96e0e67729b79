import XCTest
import HanetNetlink
import HanetTesting

/// Inputs the fuzzer (fuzz/, target `netlink` and `fdb`) found to trap,
/// reduced to the smallest reply that shows it. Each must throw a decode
/// error instead.
final class NetlinkFuzzRegressionTests: XCTestCase {
    private func request() -> NetlinkRequest {
        var r = NetlinkRequest(type: 18, flags: 0)
        r.append(bytes: [0, 0, 0, 0])
        return r
    }

    /// An NLMSG_ERROR or failed NLMSG_DONE whose code is Int32.min: negating
    /// it to get the errno overflowed (fuzz/, netlink and fdb, first minutes).
    private func reply(type: UInt16, code: Int32) -> FakeNetlinkTransport.Reply {
        { seq, port in
            FakeNetlinkTransport.message(type: type, flags: 0x100, sequence: seq, portID: port,
                                         payload: withUnsafeBytes(of: code) { Array($0) } + [UInt8](repeating: 0, count: 16))
        }
    }

    func testErrorCodeInt32MinThrowsInsteadOfTrapping() {
        for type in [NetlinkConstants.error, NetlinkConstants.done] {
            let fake = FakeNetlinkTransport()
            fake.expect(reply(type: type, code: Int32.min))
            XCTAssertThrowsError(try NetlinkConnection(transport: fake, firstSequence: 1).dump(request(), operation: "RTM_GETNEIGH")) { error in
                XCTAssertTrue(error is NetlinkDecodeError, "\(error)")
                XCTAssertTrue("\(error)".contains("-2147483648 is not a negative errno"), "\(error)")
            }
        }
    }

    func testPositiveOrOutOfRangeErrorCodesAreMalformed() {
        for code: Int32 in [1, 4096, -4096] {
            let fake = FakeNetlinkTransport()
            fake.expect(reply(type: NetlinkConstants.error, code: code))
            XCTAssertThrowsError(try NetlinkConnection(transport: fake, firstSequence: 1).execute(request(), operation: "RTM_NEWLINK")) { error in
                XCTAssertTrue(error is NetlinkDecodeError, "code \(code): \(error)")
            }
        }
        // The largest real errno still comes through as an errno.
        let fake = FakeNetlinkTransport()
        fake.expect(reply(type: NetlinkConstants.error, code: -4095))
        XCTAssertThrowsError(try NetlinkConnection(transport: fake, firstSequence: 1).execute(request(), operation: "RTM_NEWLINK")) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, 4095)
        }
    }
}
