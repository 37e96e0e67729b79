import XCTest
import Glibc
import HanetLinks
import HanetNetlink
import TestSupport

/// The link layer against the real kernel, each test in its own namespace,
/// checked against `ip -d -j link show` as an independent witness.
final class LinkManagerNetnsTests: XCTestCase {
    private var ns: TestNamespace!
    private var links: LinkManager!

    override func setUpWithError() throws {
        ns = try TestNamespace("links")
        links = try LinkManager(namespace: .named(ns.name))
    }

    override func tearDown() {
        links = nil
        ns?.remove()
    }

    func testEnsureBridgeCreatesThenChangesNothing() throws {
        let desired = LinkManager.Desired(name: "xenbr1", kind: .bridge(Bridge(stp: false, forwardDelaySeconds: 0)),
                                          mac: "02:00:00:00:01:01", mtu: 1400)
        XCTAssertEqual(try links.ensure(desired), .created)
        XCTAssertEqual(try links.ensure(desired), .unchanged)

        let ip = try XCTUnwrap(IPLinkJSON(namespace: ns, device: "xenbr1").first)
        XCTAssertEqual(IPLinkJSON.kind(ip), "bridge")
        XCTAssertEqual(ip["address"] as? String, "02:00:00:00:01:01")
        XCTAssertEqual(ip["mtu"] as? Int, 1400)
        XCTAssertEqual(IPLinkJSON.infoData(ip)["stp_state"] as? Int, 0)
        XCTAssertEqual(IPLinkJSON.infoData(ip)["forward_delay"] as? Int, 0)

        // Someone changes it behind our back: ensure brings it back.
        try ns.sh("ip link set xenbr1 mtu 1300; ip link set xenbr1 type bridge forward_delay 1500")
        guard case .adopted(let changes) = try links.ensure(desired) else { return XCTFail("expected adoption") }
        XCTAssertEqual(changes.count, 2, "\(changes)")
        let after = try XCTUnwrap(IPLinkJSON(namespace: ns, device: "xenbr1").first)
        XCTAssertEqual(after["mtu"] as? Int, 1400)
        XCTAssertEqual(IPLinkJSON.infoData(after)["forward_delay"] as? Int, 0)
    }

    func testEnsureRefusesAnotherKindUnderTheSameName() throws {
        try ns.sh("ip link add xenbr1 type veth peer name xenbr1p")
        XCTAssertThrowsError(try links.ensure(.init(name: "xenbr1", kind: .bridge(Bridge())))) { error in
            XCTAssertTrue("\(error)".contains("not a bridge"), "\(error)")
        }
        XCTAssertNotNil(try links.link(named: "xenbr1"), "a foreign link must never be deleted to make room")
    }

    func testGuestPortsEnslaveFlagsAndDifferentialListing() throws {
        try links.add("br0", kind: .bridge(Bridge()))
        for port in ["vif3.0", "vif12.1", "tap0", "vnet7"] {
            try links.add(InterfaceName(validating: port), kind: .veth(Veth(peer: try InterfaceName(validating: "p-" + port))))
            XCTAssertTrue(try links.ensureMaster(InterfaceName(validating: port), master: "br0"))
            XCTAssertFalse(try links.ensureMaster(InterfaceName(validating: port), master: "br0"), "second enslave is a no-op")
            try links.setUp(InterfaceName(validating: port), true)
        }
        try links.setUp("br0", true)
        try links.setARP("br0", false)
        try links.setMulticast("br0", false)
        try links.setMAC("br0", "fe:ff:ff:ff:ff:ff")
        try links.setAlias("br0", "hanet:bridge:test")

        let ours = try links.list()
        let ip = try IPLinkJSON(namespace: ns)
        XCTAssertEqual(Set(ours.map(\.name.value)), Set(ip.objects.compactMap { $0["ifname"] as? String }))
        let bridge = try XCTUnwrap(ours.first { $0.name == "br0" })
        for link in ours {
            let witness = try XCTUnwrap(ip.link(link.name.value))
            XCTAssertEqual(Int(link.index), witness["ifindex"] as? Int, link.name.value)
            XCTAssertEqual(link.mtu.map(Int.init), witness["mtu"] as? Int, link.name.value)
            XCTAssertEqual(link.mac?.description, witness["address"] as? String, link.name.value)
            XCTAssertEqual(link.kind?.kernelName, IPLinkJSON.kind(witness), link.name.value)
            XCTAssertEqual(link.isUp, IPLinkJSON.flags(witness).contains("UP"), link.name.value)
            XCTAssertEqual(link.masterIndex != nil ? "br0" : nil, witness["master"] as? String, link.name.value)
        }
        let ports = links.ports(of: bridge, in: ours).map(\.name.value).sorted()
        XCTAssertEqual(ports, ["tap0", "vif12.1", "vif3.0", "vnet7"])
        // The kernel-filtered dump returns exactly the same ports.
        XCTAssertEqual(try links.ports(ofMasterIndex: bridge.index).map(\.name.value).sorted(), ports)
        XCTAssertEqual(ours.first { $0.name == "vif12.1" }?.guestPort, .xen(domain: 12, device: 1))

        let flags = IPLinkJSON.flags(try XCTUnwrap(ip.link("br0")))
        XCTAssertTrue(flags.contains("NOARP"), "\(flags)")
        XCTAssertFalse(flags.contains("MULTICAST"), "\(flags)")
        XCTAssertEqual(ip.link("br0")?["address"] as? String, "fe:ff:ff:ff:ff:ff")
        XCTAssertEqual(ip.link("br0")?["ifalias"] as? String, "hanet:bridge:test")
        XCTAssertTrue(bridge.flags.contains(.noARP))
        XCTAssertEqual(bridge.alias, "hanet:bridge:test")

        try links.setARP("br0", true)
        try links.setMulticast("br0", true)
        try links.setAlias("br0", "")
        let again = try XCTUnwrap(try links.link(named: "br0"))
        XCTAssertFalse(again.flags.contains(.noARP))
        XCTAssertTrue(again.flags.contains(.multicast))
        XCTAssertNil(again.alias.flatMap { $0.isEmpty ? nil : $0 })

        try links.setMaster("vif3.0", master: nil)
        XCTAssertNil(try links.link(named: "vif3.0")?.masterIndex)
    }

    func testKernelErrorsCarryOperationObjectAndReason() throws {
        try links.add("br0", kind: .bridge(Bridge()))
        XCTAssertThrowsError(try links.add("br0", kind: .bridge(Bridge()))) { error in
            let e = error as? NetlinkError
            XCTAssertEqual(e?.errno, EEXIST)
            XCTAssertEqual(e?.description.hasPrefix("RTM_NEWLINK br0: "), true, "\(error)")
            XCTAssertEqual(e?.description.hasSuffix("(EEXIST)"), true, "\(error)")
        }
        XCTAssertThrowsError(try links.setUp("nosuch0", true)) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, ENODEV, "\(error)")
        }
        XCTAssertNil(try links.link(named: "nosuch0"))
        XCTAssertFalse(try links.ensureAbsent("nosuch0"))
        // A bridge cannot be its own port: the kernel explains why.
        XCTAssertThrowsError(try links.setMaster("br0", master: "br0")) { error in
            XCTAssertNotNil((error as? NetlinkError)?.errno, "\(error)")
        }
    }

    /// Where the bonding driver is missing (this host), the kernel says so
    /// and we keep its words; in the VM tier the same call succeeds.
    func testBondWithoutDriverReportsUnknownDeviceType() throws {
        do {
            try links.add("bond0", kind: .bond(Bond(mode: .activeBackup, miimon: 100)))
            XCTAssertEqual(try links.link(named: "bond0")?.kind?.bond?.mode, .activeBackup)
        } catch let error as NetlinkError {
            XCTAssertEqual(error.errno, EOPNOTSUPP, "\(error)")
            XCTAssertEqual(error.kernelMessage, "Unknown device type", "\(error)")
            XCTAssertEqual(error.description, "RTM_NEWLINK bond0: Unknown device type (EOPNOTSUPP)")
        }
    }

    func testEnsureAbsentDeletesAndVethPeerGoesToo() throws {
        try links.add("vif1.0", kind: .veth(Veth(peer: "vif1.0p")))
        XCTAssertTrue(try links.ensureAbsent("vif1.0"))
        XCTAssertNil(try links.link(named: "vif1.0p"), "deleting one end of a veth deletes its peer")
        XCTAssertFalse(try links.ensureAbsent("vif1.0"))
    }

    func testNamespaceByPathAndEventsSeeChanges() throws {
        let byPath = try LinkManager(namespace: .path("/run/netns/\(ns.name)"))
        let monitor = try LinkMonitor(namespace: .named(ns.name))
        try byPath.add("br9", kind: .bridge(Bridge()))
        try byPath.setUp("br9", true)
        try byPath.delete("br9")
        var sawCreate = false, sawUp = false, sawRemove = false
        while let event = try monitor.next(timeoutMilliseconds: 1000) {
            switch event {
            case .changed(let link) where link.name == "br9":
                sawCreate = true
                if link.isUp { sawUp = true }
            case .removed(let link) where link.name == "br9":
                sawRemove = true
            default: break
            }
            if sawRemove { break }
        }
        XCTAssertTrue(sawCreate && sawUp && sawRemove, "create \(sawCreate) up \(sawUp) remove \(sawRemove)")
        // The host's own namespace never saw br9.
        XCTAssertNil(try LinkManager().link(named: "br9"))
    }
}
