import XCTest
import Glibc
import CLinuxNet
@testable import HanetLinks
import HanetNetlink
import TestSupport

/// Routes and addresses as iproute2 6.1 sends and Linux 6.18 reports them
/// (captured with strace in a namespace: veth d0, ifindex 3, 10.99.8.2/24).
final class RouteAndAddressTests: XCTestCase {
    /// `ip route prepend default via 10.99.8.1 dev d0 metric 100 table 100`
    static let prepend4 = "34000000180005040d09116b00000000020000006403000100000000080005000a63080108000600640000000800040003000000"
    /// `ip -6 route prepend default via fd99:8::1 dev d0 metric 100`
    static let prepend6 = "54000000180005040e09116b000000000a000000fe03000100000000140001000000000000000000000000000000000014000500fd99000800000000000000000000000108000600640000000800040003000000"
    /// `ip addr add 10.99.8.3/24 dev d0 label d0:1 broadcast 10.99.8.255 valid_lft 100 preferred_lft 50`
    static let addAddress4 = "50000000140005060e09116b000000000218000003000000080002000a6308030900030064303a3100000000080004000a6308ff080001000a6308031400060032000000640000000000000000000000"
    /// Reply to `ip -4 route show table 100` after prepend4: the route, then NLMSG_DONE.
    static let dump4 = "3c000000180022000e09116bfb61000002000000640300011000000008000f00640000000800060064000000080005000a630801080004000300000014000000030022000e09116bfb61000000000000"

    private func message(_ hex: String) throws -> NetlinkMessage {
        try XCTUnwrap(try NetlinkMessage.split(datagram: Hex.bytes(hex)[...]).first)
    }

    private func encoded(_ request: NetlinkRequest, sequence: UInt32) -> [UInt8] {
        var request = request
        request.flags |= NetlinkConstants.request | NetlinkConstants.ack
        return request.encoded(sequence: sequence, portID: 0)
    }

    func testTheKernelsDumpDecodes() throws {
        let route = try XCTUnwrap(try Route(message: try message(Self.dump4)))
        XCTAssertEqual(route.family, AF_INET)
        XCTAssertEqual(route.destinationLength, 0)
        XCTAssertEqual(route.table, 100, "from RTA_TABLE")
        XCTAssertEqual(route.priority, 100)
        XCTAssertEqual(route.gateway, [10, 99, 8, 1])
        XCTAssertEqual(route.outputIndex, 3)
        XCTAssertEqual(route.protocol, UInt8(RTPROT_BOOT))
        XCTAssertEqual(route.flags & UInt32(RTNH_F_LINKDOWN), UInt32(RTNH_F_LINKDOWN), "reported, never sent back")
        XCTAssertEqual(route.description, "default via 10.99.8.1 ifindex 3 table 100 proto 3 metric 100")
    }

    /// Our prepend is iproute2's, byte for byte, from the route the kernel
    /// reported (LINKDOWN dropped: the kernel refuses it in a request).
    func testPrependOfADumpedRouteIsIproute2s() throws {
        let route = try XCTUnwrap(try Route(message: try message(Self.dump4)))
        let sequence = try message(Self.prepend4).sequence
        XCTAssertEqual(Hex.string(encoded(route.request(UInt16(RTM_NEWROUTE), flags: NetlinkConstants.create), sequence: sequence)),
                       Self.prepend4)
    }

    /// IPv6: iproute2 also sends an all-zero RTA_DST for ::/0; the kernel
    /// reads both the same (prefix length 0). Compared as decoded.
    func testIPv6PrependMeansTheSame() throws {
        let theirs = try XCTUnwrap(try Route(message: try message(Self.prepend6)))
        XCTAssertEqual(theirs.priority, 100)
        XCTAssertEqual(theirs.outputIndex, 3)
        let ours = theirs.request(UInt16(RTM_NEWROUTE), flags: NetlinkConstants.create)
        let decoded = try XCTUnwrap(try Route(message: try message(Hex.string(encoded(ours, sequence: 1)))))
        XCTAssertEqual(decoded, theirs)
        XCTAssertEqual(try message(Hex.string(encoded(ours, sequence: 1))).flags, try message(Self.prepend6).flags,
                       "NLM_F_CREATE without NLM_F_EXCL, as ip route prepend")
    }

    /// Label, broadcast and lifetimes survive a decode and a re-encode.
    func testAnAddressWithLabelBroadcastAndLifetimes() throws {
        let theirs = try XCTUnwrap(try InterfaceAddress(message: try message(Self.addAddress4)))
        XCTAssertEqual(theirs.description, "10.99.8.3/24")
        XCTAssertEqual(theirs.label, "d0:1")
        XCTAssertEqual(theirs.broadcast, [10, 99, 8, 255])
        XCTAssertEqual(theirs.validLifetime, 100)
        XCTAssertEqual(theirs.preferredLifetime, 50)
        XCTAssertNil(theirs.peer)
        XCTAssertFalse(theirs.isPermanent)
        let ours = LinkManager.addressRequestForTesting(theirs, index: 3, label: "d0:1")
        let decoded = try XCTUnwrap(try InterfaceAddress(message: try message(Hex.string(encoded(ours, sequence: 1)))))
        XCTAssertEqual(decoded, theirs)
    }
}
