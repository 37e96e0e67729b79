import XCTest
@testable import HanetLinks
import HanetNetlink

final class LinkDecodingTests: XCTestCase {
    private func message(_ hex: String) throws -> NetlinkMessage {
        let messages = try NetlinkMessage.split(datagram: bytes(hex: hex)[...])
        XCTAssertEqual(messages.count, 1)
        return messages[0]
    }

    func testDecodesVethPortOfBridge() throws {
        let link = try XCTUnwrap(try Link(message: try message(IPRouteCaptures.vifReply)))
        XCTAssertEqual(link.name, "vif1.0")
        XCTAssertEqual(link.index, 5)
        XCTAssertEqual(link.mac, "72:0d:e6:21:79:7b")
        XCTAssertEqual(link.mtu, 1500)
        XCTAssertEqual(link.masterIndex, 3)
        XCTAssertEqual(link.kind?.kernelName, "veth")
        XCTAssertEqual(link.slaveKind, "bridge")
        XCTAssertFalse(link.isUp)
        XCTAssertEqual(link.guestPort, .xen(domain: 1, device: 0))
    }

    func testDecodesBridgeOptions() throws {
        let link = try XCTUnwrap(try Link(message: try message(IPRouteCaptures.bridgeReply)))
        XCTAssertEqual(link.name, "br1")
        XCTAssertEqual(link.mac, "02:00:00:00:00:0b")
        XCTAssertEqual(link.mtu, 1400)
        let bridge = try XCTUnwrap(link.kind?.bridge)
        XCTAssertEqual(bridge.stp, false)
        XCTAssertEqual(bridge.forwardDelayCentiseconds, 0)
        XCTAssertNotNil(bridge.ageingTimeCentiseconds)
    }

    /// Every truncation of a real message must throw or decode, never trap.
    func testTruncatedMessagesThrowInsteadOfTrapping() throws {
        let full = bytes(hex: IPRouteCaptures.vifReply)
        var thrown = 0
        for length in 0..<full.count {
            var cut = Array(full[0..<length])
            // Keep the header's claimed length honest so split() passes and
            // the attribute decoder sees a buffer that ends mid-attribute.
            if cut.count >= 4 {
                let n = UInt32(cut.count)
                cut[0] = UInt8(n & 0xff); cut[1] = UInt8(n >> 8 & 0xff); cut[2] = 0; cut[3] = 0
            }
            do {
                for message in try NetlinkMessage.split(datagram: cut[...]) { _ = try Link(message: message) }
            } catch is NetlinkDecodeError {
                thrown += 1
            }
        }
        XCTAssertGreaterThan(thrown, full.count / 2, "most truncations must be reported as malformed")
    }

    /// Attributes claiming more bytes than exist, or fewer than an integer needs.
    func testOversizedAndUndersizedAttributesThrow() throws {
        var oversized = bytes(hex: IPRouteCaptures.bridgeReply)
        // First attribute after the 16+16 byte headers: claim 4000 bytes.
        oversized[32] = 0xa0; oversized[33] = 0x0f
        XCTAssertThrowsError(try Link(message: try message(hex(oversized)))) { error in
            XCTAssertTrue(error is NetlinkDecodeError, "\(error)")
        }
        let shortMTU = NetlinkMessage(type: 16, flags: 0, sequence: 0, portID: 0,
                                      payload: [UInt8](repeating: 0, count: 16) + [8, 0, 3, 0, 0x62, 0x72, 0x30, 0] + [6, 0, 4, 0, 0xdc, 0x05, 0, 0])
        XCTAssertThrowsError(try Link(message: shortMTU)) { error in
            XCTAssertTrue("\(error)".contains("expected 4"), "\(error)")
        }
    }

    func testHeaderLengthPastDatagramThrows() {
        var data = bytes(hex: IPRouteCaptures.addBridge)
        data[0] = 0xff
        XCTAssertThrowsError(try NetlinkMessage.split(datagram: data[...]))
    }

    private func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
}
