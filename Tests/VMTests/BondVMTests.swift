import XCTest
import Glibc
import HanetLinks
import HanetNetlink
import TestSupport

/// Bonds and VLANs on a real bonding driver (inside the VM).
final class BondVMTests: XCTestCase {
    private var ns: TestNamespace!
    private var links: LinkManager!

    override func setUpWithError() throws {
        try VMTier.require()
        ns = try TestNamespace("bond")
        links = try LinkManager(namespace: .named(ns.name))
    }

    override func tearDown() {
        links = nil
        ns?.remove()
    }

    /// Two veth pairs; the bond takes e1/e2, the peers p1/p2 play the switch.
    private func makeBond(_ name: InterfaceName, _ bond: Bond, slaves: [InterfaceName] = ["e1", "e2"]) throws {
        try links.add(name, kind: .bond(bond))
        for (i, slave) in slaves.enumerated() {
            let peer = try InterfaceName(validating: "p\(i + 1)")
            try links.add(slave, kind: .veth(Veth(peer: peer)))
            try links.setUp(peer, true)
            // 6.1 refuses to enslave an up link: enslave while down.
            try links.setMaster(slave, master: name)
            try links.setUp(slave, true)
        }
        try links.setUp(name, true)
    }

    func testActiveBackupFailsOverWhenActiveSlaveLosesCarrier() throws {
        var config = Bond(mode: .activeBackup, miimon: 100)
        config.numPeerNotifications = 1
        try makeBond("bond0", config)
        let bond = try XCTUnwrap(try links.link(named: "bond0"))
        XCTAssertEqual(bond.kind?.bond?.mode, .activeBackup)
        XCTAssertEqual(bond.kind?.bond?.miimon, 100)

        let elected = try VMTier.waitUntil(timeoutSeconds: 10) {
            (try links.link(named: "bond0")?.kind?.bond?.activeSlaveIndex ?? 0) > 0
        }
        XCTAssertNotNil(elected, "no active slave elected")
        let firstActive = try XCTUnwrap(try links.link(named: "bond0")?.kind?.bond?.activeSlaveIndex)
        let active = try XCTUnwrap(try links.link(index: firstActive))
        XCTAssertEqual(active.bondSlave?.role, .active)
        XCTAssertEqual(active.bondSlave?.miiStatus, .up)
        let peer: InterfaceName = active.name == "e1" ? "p1" : "p2"

        // Subscribe and take the baseline before the failover, as `hanet
        // watch` does: a baseline read after it would already hold the new
        // active slave, and the queued events would show no change.
        let monitor = try LinkMonitor(namespace: .named(ns.name))
        var tracker = LinkChangeTracker(links: [])
        _ = tracker.resync(try links.list())
        try links.setUp(peer, false)   // "pull the cable"
        let failover = try VMTier.waitUntil(timeoutSeconds: 10) {
            let now = try links.link(named: "bond0")?.kind?.bond?.activeSlaveIndex
            return now != nil && now != firstActive
        }
        XCTAssertNotNil(failover, "kernel did not fail over within 10 s")
        print("VM: active-backup failover observed after \(Int(failover ?? -1)) ms")

        // The event stream tells the same story (what `hanet watch` prints).
        var lines: [String] = []
        while let event = try monitor.next(timeoutMilliseconds: 500) { lines += tracker.apply(event) }
        XCTAssertTrue(lines.contains { $0.contains("bond0: active slave") && $0.contains("(failover)") }, "\(lines)")

        let oldActive = try XCTUnwrap(try links.link(index: firstActive))
        XCTAssertNotEqual(oldActive.bondSlave?.miiStatus, .up)
        try links.setUp(peer, true)
        let recovered = try VMTier.waitUntil(timeoutSeconds: 10) { try links.link(index: firstActive)?.bondSlave?.miiStatus == .up }
        XCTAssertNotNil(recovered)
    }

    func testLACPNegotiatesBetweenTwoBondsInTwoNamespaces() throws {
        let other = try TestNamespace("lacp")
        defer { other.remove() }
        let remote = try LinkManager(namespace: .named(other.name))
        var config = Bond(mode: .ieee8023ad, miimon: 100)
        config.lacpRate = .fast
        config.xmitHashPolicy = .layer34
        try links.add("bond0", kind: .bond(config))
        try remote.add("bond0", kind: .bond(config))
        for i in 1...2 {
            let local = try InterfaceName(validating: "a\(i)"), far = try InterfaceName(validating: "b\(i)")
            try ns.exec(["ip", "link", "add", local.value, "type", "veth", "peer", "name", far.value, "netns", other.name], must: true)
            try links.setMaster(local, master: "bond0")
            try remote.setMaster(far, master: "bond0")
            try links.setUp(local, true)
            try remote.setUp(far, true)
        }
        try links.setUp("bond0", true)
        try remote.setUp("bond0", true)

        let negotiated = try VMTier.waitUntil(timeoutSeconds: 15, intervalMs: 100) {
            guard let info = try links.link(named: "bond0")?.kind?.bond?.adInfo, info.partnerAnswered else { return false }
            let slaves = try links.list().filter { $0.name.value.hasPrefix("a") }
            return slaves.count == 2 && slaves.allSatisfy { $0.bondSlave?.aggregatorID == info.aggregatorID }
        }
        let adInfo = try links.link(named: "bond0")?.kind?.bond?.adInfo
        XCTAssertNotNil(negotiated, "LACP did not converge: \(String(describing: adInfo))")
        let bond = try XCTUnwrap(try links.link(named: "bond0")?.kind?.bond)
        XCTAssertEqual(bond.mode, .ieee8023ad)
        XCTAssertEqual(bond.lacpRate, .fast)
        XCTAssertEqual(bond.xmitHashPolicy, .layer34)
        XCTAssertEqual(bond.adInfo?.numberOfPorts, 2)
        let remoteMAC = try remote.link(named: "bond0")?.mac
        XCTAssertEqual(bond.adInfo?.partnerMAC, remoteMAC)
        print("VM: LACP converged after \(Int(negotiated ?? -1)) ms")
    }

    func testBalanceALBAndVLANOnBondUnderABridge() throws {
        try makeBond("bond0", Bond(mode: .balanceALB, miimon: 100))
        let mode = try links.link(named: "bond0")?.kind?.bond?.mode
        XCTAssertEqual(mode, .balanceALB)
        let ports = try links.list().filter { $0.slaveKind == "bond" }.map(\.name.value).sorted()
        XCTAssertEqual(ports, ["e1", "e2"])

        try links.add("bond0.10", kind: .vlan(Vlan(id: 10)), parent: "bond0")
        try links.add("vmbr10", kind: .bridge(Bridge(stp: false, forwardDelaySeconds: 0)))
        try links.setMaster("bond0.10", master: "vmbr10")
        try links.setUp("bond0.10", true)
        try links.setUp("vmbr10", true)
        let vlan = try XCTUnwrap(try links.link(named: "bond0.10"))
        XCTAssertEqual(vlan.kind?.vlan?.id, 10)
        let bondIndex = try links.link(named: "bond0")?.index
        let bridgeIndex = try links.link(named: "vmbr10")?.index
        XCTAssertEqual(vlan.parentIndex, bondIndex)
        XCTAssertEqual(vlan.masterIndex, bridgeIndex)
        let witness = try XCTUnwrap(IPLinkJSON(namespace: ns, device: "bond0.10").first)
        XCTAssertEqual(IPLinkJSON.infoData(witness)["id"] as? Int, 10)
    }

    func testModeChangeRefusedWhileSlavesPresentWithKernelReason() throws {
        try makeBond("bond0", Bond(mode: .activeBackup, miimon: 100))
        XCTAssertThrowsError(try links.modify("bond0", kind: .bond(Bond(mode: .balanceRR)))) { error in
            let e = error as? NetlinkError
            XCTAssertNotNil(e?.kernelMessage, "the kernel explains why: \(error)")
            print("VM: mode change refused: \(error)")
        }
    }
}
