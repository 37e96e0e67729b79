import XCTest
import Glibc
import HanetLinks
import HanetNetlink
import TestSupport

/// Every bond option added for issue 15, set through LinkManager on the
/// real 6.1 driver and read back twice: by our decoder and by `ip -d -j`
/// (an independent parser of the same dump), each in a mode that takes it.
final class BondOptionsVMTests: XCTestCase {
    private var ns: TestNamespace!
    private var links: LinkManager!

    override func setUpWithError() throws {
        try VMTier.require()
        ns = try TestNamespace("bondopts")
        links = try LinkManager(namespace: .named(ns.name))
    }

    override func tearDown() {
        links = nil
        ns?.remove()
    }

    /// A bond over two veths (e1/e2 for the first, e3/e4 for the next...), up.
    private func makeBond(_ name: InterfaceName, _ bond: Bond, slaves: [String]) throws {
        try links.add(name, kind: .bond(bond))
        for slave in slaves {
            let s = try InterfaceName(validating: slave), peer = try InterfaceName(validating: "p" + slave)
            try links.add(s, kind: .veth(Veth(peer: peer)))
            try links.setUp(peer, true)
            try links.setMaster(s, master: name)
            try links.setUp(s, true)
        }
        try links.setUp(name, true)
    }

    /// `ip -d -j link show NAME`'s info_data, every value as text, so
    /// numbers, "on"/"off" and lists compare alike.
    private func witness(_ name: String) throws -> [String: String] {
        let object = try XCTUnwrap(IPLinkJSON(namespace: ns, device: name).first)
        var out: [String: String] = [:]
        for (key, value) in IPLinkJSON.infoData(object) {
            if let list = value as? [Any] { out[key] = list.map { "\($0)" }.joined(separator: ",") } else { out[key] = "\(value)" }
        }
        return out
    }

    private func bond(_ name: InterfaceName) throws -> Bond { try XCTUnwrap(try links.link(named: name)?.kind?.bond) }

    func test8023adOptionsReadBackAndTheDriversIfDownRule() throws {
        var config = Bond(mode: .ieee8023ad, miimon: 100)
        config.lacpActive = false
        config.adActorSysPrio = 100
        config.adUserPortKey = 5
        config.adActorSystem = "02:00:00:00:00:01"
        config.useCarrier = false
        config.resendIGMP = 3
        config.peerNotifyDelay = 200
        try makeBond("bond0", config, slaves: ["e1", "e2"])
        let b = try bond("bond0")
        XCTAssertEqual(b.lacpActive, false)
        XCTAssertEqual(b.adActorSysPrio, 100)
        XCTAssertEqual(b.adUserPortKey, 5)
        XCTAssertEqual(b.adActorSystem, "02:00:00:00:00:01")
        XCTAssertEqual(b.useCarrier, false)
        XCTAssertEqual(b.resendIGMP, 3)
        XCTAssertEqual(b.peerNotifyDelay, 200)
        let ip = try witness("bond0")
        print("VM: ip -d -j bond0 (802.3ad): \(ip.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        XCTAssertEqual(ip["ad_actor_sys_prio"], "100")
        XCTAssertEqual(ip["ad_user_port_key"], "5")
        XCTAssertEqual(ip["ad_actor_system"], "02:00:00:00:00:01")
        XCTAssertEqual(ip["ad_lacp_active"], "off")
        XCTAssertEqual(ip["use_carrier"], "0")
        XCTAssertEqual(ip["resend_igmp"], "3")
        XCTAssertEqual(ip["peer_notify_delay"], "200")

        // On the up bond: ad_actor_sys_prio changes, lacp_active (IFDOWN) is refused.
        var prio = Bond()
        prio.adActorSysPrio = 200
        try links.modify("bond0", kind: .bond(prio))
        XCTAssertEqual(try bond("bond0").adActorSysPrio, 200)
        var passive = Bond()
        passive.lacpActive = true
        XCTAssertThrowsError(try links.modify("bond0", kind: .bond(passive))) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EBUSY, "\(error)")
        }
        // Options of other modes: EACCES, as BondConfiguration.validate says before start.
        var rr = Bond()
        rr.packetsPerSlave = 2
        XCTAssertThrowsError(try links.modify("bond0", kind: .bond(rr))) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EACCES, "\(error)")
        }
    }

    func testARPAndNSMonitorOptionsReadBack() throws {
        var config = Bond(mode: .activeBackup)
        config.arpInterval = 100
        config.arpIPTargets = [IPv4Address(192, 0, 2, 1)]
        config.nsIP6Targets = [IPv6Address(parsing: "2001:db8::1")!, IPv6Address(parsing: "2001:db8::2")!]
        config.arpAllTargets = .all
        config.arpMissedMax = 3
        try makeBond("bond0", config, slaves: ["e1", "e2"])
        let b = try bond("bond0")
        XCTAssertEqual(b.arpInterval, 100)
        XCTAssertEqual(b.miimon, 0)
        XCTAssertEqual(b.nsIP6Targets?.map(\.description), ["2001:db8::1", "2001:db8::2"])
        XCTAssertEqual(b.arpAllTargets, .all)
        XCTAssertEqual(b.arpMissedMax, 3)
        let ip = try witness("bond0")
        print("VM: ip -d -j bond0 (ARP/NS monitor): \(ip.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        XCTAssertEqual(ip["ns_ip6_target"], "2001:db8::1,2001:db8::2")
        XCTAssertEqual(ip["arp_all_targets"], "all")
        XCTAssertEqual(ip["arp_missed_max"], "3")

        // Replacing the list replaces it; the kernel refuses the addresses validate refuses.
        var one = Bond()
        one.nsIP6Targets = [IPv6Address(parsing: "fe80::1")!]
        try links.modify("bond0", kind: .bond(one))
        XCTAssertEqual(try bond("bond0").nsIP6Targets?.map(\.description), ["fe80::1"])
        var multicast = Bond()
        multicast.nsIP6Targets = [IPv6Address(parsing: "ff02::1")!]
        XCTAssertThrowsError(try links.modify("bond0", kind: .bond(multicast))) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EINVAL, "\(error)")
        }
        // peer_notif_delay counts miimon ticks: refused under ARP monitoring.
        var delay = Bond()
        delay.peerNotifyDelay = 100
        XCTAssertThrowsError(try links.modify("bond0", kind: .bond(delay))) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EPERM, "\(error)")
        }
    }

    func testRoundRobinAndTLBOptionsReadBack() throws {
        var rr = Bond(mode: .balanceRR, miimon: 100)
        rr.packetsPerSlave = 4
        rr.lpInterval = 5
        try makeBond("bond0", rr, slaves: ["e1", "e2"])
        var tlb = Bond(mode: .balanceTLB, miimon: 100)
        tlb.tlbDynamicLB = false
        tlb.lpInterval = 7
        try makeBond("bond1", tlb, slaves: ["e3", "e4"])

        XCTAssertEqual(try bond("bond0").packetsPerSlave, 4)
        XCTAssertEqual(try bond("bond0").lpInterval, 5)
        XCTAssertEqual(try bond("bond1").tlbDynamicLB, false)
        XCTAssertEqual(try bond("bond1").lpInterval, 7)
        let ip0 = try witness("bond0"), ip1 = try witness("bond1")
        XCTAssertEqual(ip0["packets_per_slave"], "4")
        XCTAssertEqual(ip0["lp_interval"], "5")
        XCTAssertEqual(ip1["tlb_dynamic_lb"], "0")
        XCTAssertEqual(ip1["lp_interval"], "7")

        // tlb_dynamic_lb is IFDOWN: refused up, taken down.
        var dynamic = Bond()
        dynamic.tlbDynamicLB = true
        XCTAssertThrowsError(try links.modify("bond1", kind: .bond(dynamic))) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EBUSY, "\(error)")
        }
        try links.setUp("bond1", false)
        try links.modify("bond1", kind: .bond(dynamic))
        XCTAssertEqual(try bond("bond1").tlbDynamicLB, true)
    }

    /// active_slave goes by ifindex on the wire; the driver takes it only for
    /// a slave with link, once the bond has an active slave.
    func testActiveSlaveByIndex() throws {
        try makeBond("bond0", Bond(mode: .activeBackup, miimon: 100), slaves: ["e1", "e2"])
        let e1 = try XCTUnwrap(try links.link(named: "e1")).index, e2 = try XCTUnwrap(try links.link(named: "e2")).index
        let elected = try VMTier.waitUntil(timeoutSeconds: 10) {
            try links.list().filter { $0.name.value.hasPrefix("e") }.allSatisfy { $0.bondSlave?.miiStatus == .up }
                && (try bond("bond0").activeSlaveIndex ?? 0) != 0
        }
        XCTAssertNotNil(elected)
        let other = try bond("bond0").activeSlaveIndex == e1 ? e2 : e1
        var choice = Bond()
        choice.activeSlaveIndex = other
        try links.modify("bond0", kind: .bond(choice))
        XCTAssertEqual(try bond("bond0").activeSlaveIndex, other)
        let otherName = try XCTUnwrap(try links.link(index: other)).name.value
        XCTAssertEqual(try witness("bond0")["active_slave"], otherName)
    }
}
