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

    /// IFLA_INFO_DATA of iproute2's request: the kernel's bond_fill_info
    /// writes each option in the same type and width as bond_changelink reads it.
    private func bondData(_ hex: String) throws -> Bond {
        let attributes = try message(hex).attributes(after: 16, context: "test")
        let info = try XCTUnwrap(attributes[UInt16(18)]).nested()   // IFLA_LINKINFO
        return try Bond(attributes: try XCTUnwrap(info[UInt16(2)]).nested())   // IFLA_INFO_DATA
    }

    func testDecodesEveryBondOptionIproute2Writes() throws {
        XCTAssertEqual(try bondData(IPRouteCaptures.addBond8023adOptions), BondSamples.ieee8023ad)
        XCTAssertEqual(try bondData(IPRouteCaptures.addBondARPOptions), BondSamples.arpMonitor)
        XCTAssertEqual(try bondData(IPRouteCaptures.addBondRROptions), BondSamples.roundRobin)
        XCTAssertEqual(try bondData(IPRouteCaptures.addBondTLBOptions), BondSamples.tlb)
        let arp = try bondData(IPRouteCaptures.addBondARPOptions)
        XCTAssertEqual(arp.nsIP6Targets?.map(\.description), ["2001:db8::1", "2001:db8::2"])
        XCTAssertEqual(try bondData(IPRouteCaptures.addBond8023adOptions).adActorSystem?.description, "02:00:00:00:00:01")
    }

    func testIPv6AddressParsesWhatIPAcceptsAndKnowsWhatTheBondRefuses() throws {
        XCTAssertEqual(IPv6Address(parsing: "2001:DB8:0:0::1")?.description, "2001:db8::1")
        XCTAssertEqual(IPv6Address(parsing: "::ffff:192.0.2.1")?.bytes.suffix(4), [192, 0, 2, 1])
        for bad in ["", "2001:db8::1/64", "[2001:db8::1]", "192.0.2.1", "2001:db8:::1", "fe80::1%eth0"] {
            XCTAssertNil(IPv6Address(parsing: bad), bad)
        }
        for refused in ["::", "::1", "ff02::1"] { XCTAssertEqual(IPv6Address(parsing: refused)?.isUsableNSTarget, false, refused) }
        XCTAssertEqual(IPv6Address(parsing: "fe80::1")?.isUsableNSTarget, true)
        XCTAssertNil(IPv6Address(bytes: [1, 2, 3]))
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
