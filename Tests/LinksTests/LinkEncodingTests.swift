import XCTest
@testable import HanetLinks
import HanetNetlink
import Glibc
import TestSupport
import HanetTesting

/// Our requests must be byte-identical to what iproute2 sends for the same
/// command: the kernel has accepted those bytes for years.
final class LinkEncodingTests: XCTestCase {
    private func encoded(_ request: NetlinkRequest) -> [UInt8] {
        var request = request
        request.flags |= NetlinkConstants.request | NetlinkConstants.ack
        return request.encoded(sequence: IPRouteCaptures.sequence, portID: 0)
    }

    private func assertBytes(_ actual: [UInt8], _ expectedHex: String, file: StaticString = #filePath, line: UInt = #line) {
        let expected = bytes(hex: expectedHex)
        guard actual != expected else { return }
        var report = "bytes differ (ours | iproute2):\n"
        for offset in stride(from: 0, to: max(actual.count, expected.count), by: 8) {
            func row(_ b: [UInt8]) -> String {
                (offset..<offset + 8).map { $0 < b.count ? String(format: "%02x", b[$0]) : "  " }.joined(separator: " ")
            }
            let mark = row(actual) == row(expected) ? " " : "!"
            report += String(format: "%04x %@ %@ | %@\n", offset, mark, row(actual), row(expected))
        }
        XCTFail(report, file: file, line: line)
    }

    func testFDBFlushLearnedMatchesIproute2() {
        assertBytes(encoded(BridgeFDB.flushRequest(bridgeIndex: 2)), IPRouteCaptures.flushLearned)
    }

    /// A kernel before 5.19 wants a MAC in every delete (EINVAL): the
    /// learned entries are then dumped and deleted one by one; static ones stay.
    func testFDBFlushFallsBackToOneByOneOnAnOldKernel() throws {
        let fake = FakeNetlinkTransport()
        let fdb = BridgeFDB(connection: NetlinkConnection(transport: fake))
        fake.expect(FakeNetlinkTransport.error(EINVAL, message: "missing lladdr"))
        func entry(_ mac: UInt8, state: UInt16, flags: UInt8 = 0) -> FakeNetlinkTransport.Reply {
            { seq, port in
                var payload: [UInt8] = [7, 0, 0, 0] + withUnsafeBytes(of: Int32(5)) { Array($0) }
                payload += withUnsafeBytes(of: state) { Array($0) } + [flags | 0x04, 0]   // NTF_MASTER
                payload += [10, 0, 2, 0, 2, 0, 0, 0, 0, mac, 0, 0]                       // NDA_LLADDR
                payload += [8, 0, 9, 0, 2, 0, 0, 0]                                       // NDA_MASTER 2
                return FakeNetlinkTransport.message(type: 28, flags: 2, sequence: seq, portID: port, payload: payload)
            }
        }
        fake.expect(entry(0x11, state: 0x02), entry(0x5a, state: 0x40), entry(0x22, state: 0x02, flags: 0x10),
                    FakeNetlinkTransport.done())
        fake.expect(FakeNetlinkTransport.ack())
        XCTAssertEqual(try fdb.flushLearned(bridgeIndex: 2), .oneByOne(1), "only the learned entry, not static or extern_learn")
        XCTAssertEqual(fake.sent.count, 3)
        XCTAssertEqual(Array(fake.sent[2][4..<6]), [29, 0], "RTM_DELNEIGH")
        XCTAssertEqual(Array(fake.sent[2][(16 + 12 + 4)..<(16 + 12 + 10)]), [2, 0, 0, 0, 0, 0x11])
    }

    func testAddBridgeMatchesIproute2() {
        assertBytes(encoded(LinkManager.addRequest("br0", kind: .bridge(Bridge()), parentIndex: nil, mac: nil, mtu: nil)),
                    IPRouteCaptures.addBridge)
    }

    func testAddBridgeWithOptionsMatchesIproute2() {
        let bridge = Bridge(stp: false, forwardDelaySeconds: 0)
        assertBytes(encoded(LinkManager.addRequest("br1", kind: .bridge(bridge), parentIndex: nil, mac: nil, mtu: nil)),
                    IPRouteCaptures.addBridgeOptions)
    }

    func testAddVethMatchesIproute2() {
        assertBytes(encoded(LinkManager.addRequest("vif1.0", kind: .veth(Veth(peer: "vif1.0p")), parentIndex: nil, mac: nil, mtu: nil)),
                    IPRouteCaptures.addVeth)
    }

    func testAddVlanMatchesIproute2() {
        assertBytes(encoded(LinkManager.addRequest("br1.10", kind: .vlan(Vlan(id: 10)), parentIndex: 3, mac: nil, mtu: nil)),
                    IPRouteCaptures.addVlan)
    }

    func testAddBondMatchesIproute2() {
        let bond = Bond(mode: .activeBackup, miimon: 100)
        assertBytes(encoded(LinkManager.addRequest("bond0", kind: .bond(bond), parentIndex: nil, mac: nil, mtu: nil)),
                    IPRouteCaptures.addBond)
    }

    func testAddBondWith8023adOptionsMatchesIproute2() {
        assertBytes(encoded(LinkManager.addRequest("bond0", kind: .bond(BondSamples.ieee8023ad), parentIndex: nil, mac: nil, mtu: nil)),
                    IPRouteCaptures.addBond8023adOptions)
    }

    func testAddBondWithARPMonitorOptionsMatchesIproute2() {
        assertBytes(encoded(LinkManager.addRequest("bond1", kind: .bond(BondSamples.arpMonitor), parentIndex: nil, mac: nil, mtu: nil)),
                    IPRouteCaptures.addBondARPOptions)
    }

    func testAddBondWithRoundRobinOptionsMatchesIproute2() {
        assertBytes(encoded(LinkManager.addRequest("bond2", kind: .bond(BondSamples.roundRobin), parentIndex: nil, mac: nil, mtu: nil)),
                    IPRouteCaptures.addBondRROptions)
    }

    func testAddBondWithTLBOptionsMatchesIproute2() {
        assertBytes(encoded(LinkManager.addRequest("bond3", kind: .bond(BondSamples.tlb), parentIndex: nil, mac: nil, mtu: nil)),
                    IPRouteCaptures.addBondTLBOptions)
    }

    func testSetFlagsRequestCarriesOnlyTheChangedBit() throws {
        let request = LinkManager.linkRequest(16, flags: 0, name: "br0", ifiFlags: LinkFlags.noARP.rawValue, change: LinkFlags.noARP.rawValue)
        let message = NetlinkMessage(type: 16, flags: 0, sequence: 1, portID: 0, payload: request.payload)
        let header = try message.header(as: ifinfomsgLayout.self, context: "test")
        XCTAssertEqual(header.flags, 0x80)   // IFF_NOARP, as `ip link set br0 arp off`
        XCTAssertEqual(header.change, 0x80)
        XCTAssertEqual(header.index, 0)      // addressed by IFLA_IFNAME, never a stale index
        let attributes = try message.attributes(after: 16, context: "test")
        XCTAssertEqual(try attributes[3]?.string(), "br0")
    }
}

/// ifinfomsg spelled out, so the test does not depend on the C import.
struct ifinfomsgLayout {
    var family: UInt8, pad: UInt8, type: UInt16, index: Int32, flags: UInt32, change: UInt32
}

/// LinkManager against a scripted kernel: what `ensure` does with each answer.
final class LinkManagerFakeKernelTests: XCTestCase {
    private func newLinkReply(_ hex: String) -> FakeNetlinkTransport.Reply {
        let message = try! NetlinkMessage.split(datagram: bytes(hex: hex)[...])[0]
        return FakeNetlinkTransport.data(type: 16, payload: message.payload)
    }

    func testEnsureCreatesWhenTheKernelSaysNoSuchDevice() throws {
        let fake = FakeNetlinkTransport()
        let links = LinkManager(connection: NetlinkConnection(transport: fake, firstSequence: 1))
        fake.expect(FakeNetlinkTransport.error(ENODEV, message: nil))   // RTM_GETLINK br0
        fake.expect(FakeNetlinkTransport.ack())                          // RTM_NEWLINK
        XCTAssertEqual(try links.ensure(.init(name: "br0", kind: .bridge(Bridge()))), .created)
        XCTAssertEqual(fake.sent.count, 2)
        XCTAssertEqual(fake.sent[1][4], 16, "second request is RTM_NEWLINK")
    }

    /// Another creator won the race (EEXIST): adopt instead of failing.
    func testEnsureAdoptsAfterLosingACreationRace() throws {
        let fake = FakeNetlinkTransport()
        let links = LinkManager(connection: NetlinkConnection(transport: fake, firstSequence: 1))
        fake.expect(FakeNetlinkTransport.error(ENODEV, message: nil))
        fake.expect(FakeNetlinkTransport.error(EEXIST, message: nil))
        fake.expect(newLinkReply(IPRouteCaptures.bridgeReply))           // now it exists
        let desired = LinkManager.Desired(name: "br1", kind: .bridge(Bridge()), mtu: 1400)
        XCTAssertEqual(try links.ensure(desired), .unchanged)
    }

    func testEnsureNeverReplacesALinkOfAnotherKind() {
        let fake = FakeNetlinkTransport()
        let links = LinkManager(connection: NetlinkConnection(transport: fake, firstSequence: 1))
        fake.expect(newLinkReply(IPRouteCaptures.vifReply))              // vif1.0 is a veth
        XCTAssertThrowsError(try links.ensure(.init(name: "vif1.0", kind: .bridge(Bridge())))) { error in
            XCTAssertEqual("\(error)", "vif1.0 exists but is a veth interface, not a bridge")
        }
        XCTAssertEqual(fake.sent.count, 1, "no delete, no create")
    }

    func testEnsureAbsentTreatsNoSuchDeviceAsDone() throws {
        let fake = FakeNetlinkTransport()
        let links = LinkManager(connection: NetlinkConnection(transport: fake, firstSequence: 1))
        fake.expect(FakeNetlinkTransport.error(ENODEV, message: nil))
        XCTAssertFalse(try links.ensureAbsent("gone0"))
        fake.expect(FakeNetlinkTransport.error(EPERM, message: nil))
        XCTAssertThrowsError(try links.ensureAbsent("eth0")) { XCTAssertEqual(($0 as? NetlinkError)?.errno, EPERM) }
    }
}
