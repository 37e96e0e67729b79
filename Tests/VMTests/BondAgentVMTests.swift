import XCTest
import Glibc
import HanetLinks
import HanetNetlink
import TestSupport

/// ocf:hanet:bond on a real bonding driver, as Pacemaker runs it.
final class BondAgentVMTests: XCTestCase {
    private var ns: TestNamespace!
    private var agent: AgentProcess!
    private var links: LinkManager!

    override func setUpWithError() throws {
        try VMTier.require()
        ns = try TestNamespace("bondagent")
        agent = try AgentProcess(agent: "bond", namespace: ns)
        links = try LinkManager(namespace: .named(ns.name))
        // e1/e2 are the NICs, p1/p2 the switch ports; e2 starts down, e1 up.
        try ns.sh("""
            ip link add e1 type veth peer name p1; ip link add e2 type veth peer name p2
            ip link set p1 up; ip link set p2 up; ip link set e1 up
            """)
    }

    override func tearDown() {
        links = nil
        ns?.remove()
    }

    private func monitor(level: Int = 0) -> AgentProcess.Result {
        agent.run("monitor", params, environment: ["OCF_CHECK_LEVEL": String(level), "OCF_RESKEY_CRM_meta_interval": "10000"])
    }
    private var params = ["bond": "bond0", "slaves": "e1 e2", "mode": "active-backup", "miimon": "100",
                          "mac": "fe:ff:ff:ff:ff:ff", "arp": "off", "multicast": "off"]

    func testActiveBackupLifecycleDegradedFailedAndStopRestoresSlaves() throws {
        XCTAssertEqual(agent.run("monitor", params).status, 7, "probe")
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        XCTAssertEqual(monitor().status, 0)
        let bond = try XCTUnwrap(try links.link(named: "bond0"))
        XCTAssertEqual(bond.kind?.bond?.mode, .activeBackup)
        XCTAssertEqual(bond.mac, "fe:ff:ff:ff:ff:ff")
        XCTAssertTrue(bond.flags.contains(.noARP))
        XCTAssertEqual(agent.run("start", params).status, 0, "idempotent")

        let active = try XCTUnwrap(bond.kind?.bond?.activeSlaveIndex)
        let activeName = try XCTUnwrap(try links.link(index: active)).name
        let activePeer: InterfaceName = activeName == "e1" ? "p1" : "p2"
        let otherPeer: InterfaceName = activeName == "e1" ? "p2" : "p1"
        try links.setUp(activePeer, false)  // pull the active slave's cable
        let failedOver = try VMTier.waitUntil(timeoutSeconds: 10) {
            (try links.link(named: "bond0")?.kind?.bond?.activeSlaveIndex).map { $0 != active } ?? false
        }
        XCTAssertNotNil(failedOver, "kernel failover")
        let degraded = monitor()
        XCTAssertEqual(degraded.status, 190, "\(degraded)")
        var noDegraded = params
        noDegraded["degraded"] = "false"
        XCTAssertEqual(agent.run("monitor", noDegraded).status, 0, "degraded=false reports 0")

        try links.setUp(otherPeer, false)  // both cables out
        XCTAssertNotNil(VMTier.waitUntil(timeoutSeconds: 10) { self.monitor().status == 1 })
        let failed = monitor()
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.exitReason?.contains("no slave has link") == true, "\(failed)")

        try links.setUp(activePeer, true)
        try links.setUp(otherPeer, true)
        XCTAssertNotNil(VMTier.waitUntil(timeoutSeconds: 10) { self.monitor().status == 0 }, "links back: 0")

        XCTAssertEqual(agent.run("stop", params).status, 0)
        XCTAssertNil(try links.link(named: "bond0"))
        let e1 = try XCTUnwrap(try links.link(named: "e1")), e2 = try XCTUnwrap(try links.link(named: "e2"))
        XCTAssertNil(e1.masterIndex)
        XCTAssertTrue(e1.isUp, "e1 was up before start")
        XCTAssertFalse(e2.isUp, "e2 was down before start")
        XCTAssertEqual(agent.run("stop", params).status, 0)
        XCTAssertEqual(agent.run("monitor", params).status, 7)
    }

    func testLACPWithVLANsUnderABridgeAgentLevel10() throws {
        let far = try TestNamespace("lacpfar")
        defer { far.remove() }
        try ns.sh("ip link del e1; ip link del e2")
        try ns.exec(["sh", "-ec", "ip link add e1 type veth peer name f1 netns \(far.name); ip link add e2 type veth peer name f2 netns \(far.name)"], must: true)
        try far.sh("ip link add bond0 type bond mode 802.3ad miimon 100 lacp_rate fast; ip link set f1 master bond0; ip link set f2 master bond0; ip link set bond0 up")
        var p = params
        p["mode"] = "802.3ad"; p["lacp_rate"] = "fast"; p["xmit_hash_policy"] = "layer3+4"; p["vlans"] = "10,20"
        p["arp"] = "on"; p["multicast"] = "on"
        let start = agent.run("start", p)
        XCTAssertEqual(start.status, 0, "\(start)")
        let converged = VMTier.waitUntil(timeoutSeconds: 15, intervalMs: 200) {
            self.agent.run("monitor", p, environment: ["OCF_CHECK_LEVEL": "10"]).status == 0
        }
        XCTAssertNotNil(converged, "level-10 monitor (LACP partner, VLANs): \(agent.run("monitor", p, environment: ["OCF_CHECK_LEVEL": "10"]))")
        XCTAssertEqual(try links.link(named: "bond0.10")?.kind?.vlan?.id, 10)
        XCTAssertEqual(try links.link(named: "bond0.20")?.kind?.vlan?.id, 20)

        // Seed 002: bond0.10 is the uplink of its own bridge, through ocf:hanet:bridge.
        let bridge = try AgentProcess(agent: "bridge", namespace: ns)
        let br = ["bridge": "vmbr10", "uplink": "bond0.10", "forward_delay": "0"]
        XCTAssertEqual(bridge.run("start", br).status, 0)
        XCTAssertEqual(bridge.run("monitor", br).status, 0)
        XCTAssertEqual(try links.link(named: "bond0.10")?.masterIndex, try links.link(named: "vmbr10")?.index)

        // The far side's bond vanishes: no partner, slaves leave the aggregator.
        try far.sh("ip link del bond0")
        let noticed = VMTier.waitUntil(timeoutSeconds: 10, intervalMs: 200) {
            self.agent.run("monitor", p, environment: ["OCF_CHECK_LEVEL": "10"]).status != 0
        }
        XCTAssertNotNil(noticed, "monitor must notice the lost partner")
        print("VM: 802.3ad partner loss reported: \(agent.run("monitor", p, environment: ["OCF_CHECK_LEVEL": "10"]).exitReason ?? "-")")

        XCTAssertEqual(bridge.run("stop", br).status, 0)
        XCTAssertEqual(agent.run("stop", p).status, 0)
        XCTAssertNil(try links.link(named: "bond0.10"))
        XCTAssertNil(try links.link(named: "bond0"))
    }

    func testBalanceALBAndRollbackAfterInjectedFailure() throws {
        var p = params
        p["mode"] = "balance-alb"
        XCTAssertEqual(agent.run("start", p).status, 0)
        XCTAssertEqual(try links.link(named: "bond0")?.kind?.bond?.mode, .balanceALB)
        XCTAssertEqual(agent.run("stop", p).status, 0)

        // Injected failure: a foreign link already holds the VLAN's name, so
        // start fails after creating the bond and enslaving: all rolled back.
        try ns.sh("ip link add bond0.10 type veth peer name x0")
        p["vlans"] = "10"
        let start = agent.run("start", p)
        XCTAssertEqual(start.status, 2, "\(start)")
        XCTAssertEqual(start.exitReason, "bond0.10 exists but is not VLAN 10 on bond0")
        XCTAssertNil(try links.link(named: "bond0"), "bond rolled back")
        XCTAssertNil(try links.link(named: "e1")?.masterIndex)
        XCTAssertNotNil(try links.link(named: "bond0.10"), "the foreign link is not ours to delete")
        XCTAssertEqual(agent.run("stop", p).status, 0)
    }

    /// The seeds' pitfalls on a real bonding driver: the bridge agent's
    /// validate-all reads the uplink bond's mode and all_slaves_active back
    /// from the kernel and warns (rc 0: the bridge works).
    func testBridgeValidateWarnsAboutTheSeedsBondPitfalls() throws {
        let bridge = try AgentProcess(agent: "bridge", namespace: ns)
        let logFile = bridge.stateDirectory + "/agent.log"
        let environment = ["HA_LOGFACILITY": "none", "HA_LOGFILE": logFile]
        func warnings(uplink: String) throws -> String {
            unlink(logFile)
            let result = bridge.run("validate-all", ["bridge": "xenbr1", "uplink": uplink], environment: environment)
            XCTAssertEqual(result.status, 0, "a pitfall is a warning, not an error: \(result)")
            return ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.contains("WARNING") }.joined(separator: "\n")
        }
        try ns.sh("ip link add bond0 type bond mode active-backup all_slaves_active 1 miimon 100")
        XCTAssertTrue(try warnings(uplink: "bond0").contains("all_slaves_active=1"))
        try ns.sh("ip link set bond0 type bond all_slaves_active 0")
        XCTAssertEqual(try warnings(uplink: "bond0"), "", "active-backup with all_slaves_active=0 is sound")
        try ns.sh("ip link del bond0; ip link add bond0 type bond mode balance-alb miimon 100; ip link add link bond0 name bond0.20 type vlan id 20")
        let alb = try warnings(uplink: "bond0.20")
        XCTAssertTrue(alb.contains("balance-alb") && alb.contains("a VLAN on bond0"), alb)
    }

    func testAdoptedBondIsLeftInPlaceAndModeRuleReported() throws {
        try ns.sh("ip link add bond0 type bond mode balance-rr; ip link set e1 down; ip link set e1 master bond0")
        let validate = agent.run("validate-all", params)
        XCTAssertEqual(validate.status, 2, "\(validate)")
        XCTAssertTrue(validate.exitReason?.contains("the mode can only be changed on a bond without slaves") == true, "\(validate)")
        try ns.sh("ip link set e1 nomaster")
        XCTAssertEqual(agent.run("start", params).status, 0)
        XCTAssertEqual(try links.link(named: "bond0")?.kind?.bond?.mode, .activeBackup, "mode set while it had no slaves")
        XCTAssertEqual(agent.run("stop", params).status, 0)
        XCTAssertNotNil(try links.link(named: "bond0"), "adopted bond left in place")
        XCTAssertEqual(agent.run("monitor", params).status, 7, "stopped even though the adopted bond remains")
    }

    func testOCFTesterAndCrmResourceInsideTheVM() throws {
        let tester = try ns.exec(["ocf-tester", "-n", "bond-test", "-o", "bond=bond0", "-o", "slaves=e1 e2",
                                  agent.linkPathForTools])
        XCTAssertTrue(tester.stdout.contains("passed all tests"), "\(tester)")
        // crm_resource finds agents only under OCF_ROOT; inside the VM the
        // root is a throwaway overlay, so the link can go where Pacemaker looks.
        try Command.must(["mkdir", "-p", "/usr/lib/ocf/resource.d/hanet"])
        try Command.must(["ln", "-sfn", AgentProcess.buildDirectory + "/hanet-agent", "/usr/lib/ocf/resource.d/hanet/bond"])
        let crm = ["crm_resource", "--class", "ocf", "--provider", "hanet", "--agent", "bond",
                   "--option", "bond=bond0", "--option", "slaves=e1 e2"]
        XCTAssertEqual(try ns.exec(crm + ["--force-start"]).status, 0)
        XCTAssertEqual(try ns.exec(crm + ["--force-check"]).status, 0)
        XCTAssertEqual(try ns.exec(crm + ["--force-stop"]).status, 0)
        XCTAssertEqual(try ns.exec(crm + ["--force-check"]).status, 7)
    }

    // MARK: options of issue 15, as Pacemaker sets them

    private func ipInfoData(_ namespace: TestNamespace, _ device: String) throws -> [String: String] {
        let object = try XCTUnwrap(IPLinkJSON(namespace: namespace, device: device).first)
        return IPLinkJSON.infoData(object).mapValues { "\($0)" }
    }

    /// active_slave by name (e2, which the driver would not pick: it is
    /// enslaved second), with the options every mode takes.
    func testActiveSlaveAndCommonOptionsThroughStart() throws {
        var p = params
        p["active_slave"] = "e2"; p["use_carrier"] = "off"; p["resend_igmp"] = "4"; p["peer_notif_delay"] = "200"
        let start = agent.run("start", p)
        XCTAssertEqual(start.status, 0, "\(start)")
        let e2 = try XCTUnwrap(try links.link(named: "e2")).index
        let b = try XCTUnwrap(try links.link(named: "bond0")?.kind?.bond)
        XCTAssertEqual(b.activeSlaveIndex, e2)
        XCTAssertEqual(b.useCarrier, false)
        XCTAssertEqual(b.resendIGMP, 4)
        XCTAssertEqual(b.peerNotifyDelay, 200)
        let ip = try ipInfoData(ns, "bond0")
        XCTAssertEqual(ip["active_slave"], "e2")
        XCTAssertEqual(ip["use_carrier"], "0")
        XCTAssertEqual(ip["resend_igmp"], "4")
        XCTAssertEqual(ip["peer_notify_delay"], "200")
        XCTAssertEqual(monitor().status, 0)
        XCTAssertEqual(agent.run("start", p).status, 0, "idempotent")
        XCTAssertEqual(agent.run("stop", p).status, 0)
        XCTAssertNil(try links.link(named: "bond0"))
    }

    /// A passive (lacp_active=off) bond still aggregates with an active
    /// partner, and the partner sees our ad_actor_system as our system id.
    func testLACPPassiveWithActorSystemConvergesWithTheFarSide() throws {
        let far = try TestNamespace("lacpfar2")
        defer { far.remove() }
        try ns.sh("ip link del e1; ip link del e2")
        try ns.exec(["sh", "-ec", "ip link add e1 type veth peer name f1 netns \(far.name); ip link add e2 type veth peer name f2 netns \(far.name)"], must: true)
        try far.sh("ip link add bond0 type bond mode 802.3ad miimon 100 lacp_rate fast; ip link set f1 master bond0; ip link set f2 master bond0; ip link set bond0 up")
        var p = params
        p["mode"] = "802.3ad"; p["lacp_rate"] = "fast"; p["arp"] = "on"; p["multicast"] = "on"
        p["lacp_active"] = "off"; p["ad_actor_sys_prio"] = "100"; p["ad_user_port_key"] = "5"; p["ad_actor_system"] = "02:00:00:00:00:01"
        let start = agent.run("start", p)
        XCTAssertEqual(start.status, 0, "\(start)")
        let converged = VMTier.waitUntil(timeoutSeconds: 15, intervalMs: 200) {
            self.agent.run("monitor", p, environment: ["OCF_CHECK_LEVEL": "10"]).status == 0
        }
        XCTAssertNotNil(converged, "passive LACP with an active partner: \(agent.run("monitor", p, environment: ["OCF_CHECK_LEVEL": "10"]))")
        let b = try XCTUnwrap(try links.link(named: "bond0")?.kind?.bond)
        XCTAssertEqual(b.lacpActive, false)
        XCTAssertEqual(b.adActorSysPrio, 100)
        XCTAssertEqual(b.adUserPortKey, 5)
        XCTAssertEqual(b.adActorSystem, "02:00:00:00:00:01")
        let ip = try ipInfoData(ns, "bond0")
        XCTAssertEqual(ip["ad_lacp_active"], "off")
        XCTAssertEqual(ip["ad_actor_sys_prio"], "100")
        XCTAssertEqual(ip["ad_user_port_key"], "5")
        XCTAssertEqual(ip["ad_actor_system"], "02:00:00:00:00:01")
        let farLinks = try LinkManager(namespace: .named(far.name))
        XCTAssertEqual(try farLinks.link(named: "bond0")?.kind?.bond?.adInfo?.partnerMAC, "02:00:00:00:00:01",
                       "the switch side sees ad_actor_system as our LACP system")
        XCTAssertEqual(agent.run("stop", p).status, 0)

        // An up bond the agent would adopt: lacp_active can only change while it is down.
        try ns.sh("ip link add bond0 type bond mode 802.3ad miimon 100; ip link set bond0 up")
        let validate = agent.run("validate-all", p)
        XCTAssertEqual(validate.status, 2, "\(validate)")
        XCTAssertTrue(validate.exitReason?.contains("lacp_active, ad_user_port_key only while it is down") == true, "\(validate)")
    }
}
