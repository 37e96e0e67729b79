import XCTest
import Foundation
import Glibc
import TestSupport

/// Two hosts with the same guest (same MAC and IP) on one switch, both
/// promoted as a partition without working fencing would leave them: the
/// sentinel of the host open longer sees the later host's announcements
/// arrive on its uplink and stays; the later host sees the duplicate and
/// blocks its guest again, its monitor names the MAC and the uplink, and
/// it refuses to open again during its hold-down.
///
///   client 10.81.0.100 -- [sw] --+-- eth1 [hostA: xenbr1] vif1.0 -- guest 02:00:00:00:81:11 10.81.0.11
///                                +-- eth1 [hostB: xenbr1] vif1.0 -- guest (the same)
final class DuplicateActiveNetnsTests: XCTestCase {
    static let guestMAC = "02:00:00:00:81:11"
    private var namespaces: [TestNamespace] = []
    private var hostA: TestNamespace!
    private var hostB: TestNamespace!
    private var guestA: TestNamespace!
    private var guestB: TestNamespace!
    private var client: TestNamespace!
    private let params = ["bridge": "xenbr1", "announce": "2", "announce_interval": "20"]
    private let promotable = ["OCF_RESKEY_CRM_meta_promotable": "true", "HA_LOGFACILITY": "none"]

    override func setUpWithError() throws {
        let sw = try TestNamespace("dupsw")
        namespaces = [sw]
        func make(_ label: String) throws -> TestNamespace {
            let ns = try TestNamespace(label)
            namespaces.append(ns)
            return ns
        }
        hostA = try make("dupa"); hostB = try make("dupb")
        guestA = try make("dupga"); guestB = try make("dupgb"); client = try make("dupc")
        try sw.sh("ip link add sw type bridge; ip link set sw type bridge forward_delay 0; ip link set sw up")
        for (host, guest, port) in [(hostA!, guestA!, "toa"), (hostB!, guestB!, "tob")] {
            try host.exec(["ip", "link", "add", "eth1", "type", "veth", "peer", "name", port, "netns", sw.name], must: true)
            try sw.sh("ip link set \(port) master sw up")
            try host.exec(["ip", "link", "add", "vif1.0", "type", "veth", "peer", "name", "eth0", "netns", guest.name], must: true)
            try host.sh("""
                ip link add xenbr1 type bridge; ip link set xenbr1 type bridge forward_delay 0 stp_state 0
                ip link set eth1 master xenbr1 up; ip link set vif1.0 master xenbr1 up; ip link set xenbr1 up
                """)
            try guest.sh("""
                sysctl -qw net.ipv6.conf.all.disable_ipv6=1; sysctl -qw net.ipv6.conf.default.disable_ipv6=1
                ip link set eth0 address \(Self.guestMAC) up; ip addr add 10.81.0.11/24 dev eth0
                """)
        }
        try client.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "toc", "netns", sw.name], must: true)
        try sw.sh("ip link set toc master sw up")
        try client.sh("ip link set eth0 address 02:00:00:00:81:64 up; ip addr add 10.81.0.100/24 dev eth0")
        try hostA.waitUntilBridgePortsForward()
        try hostB.waitUntilBridgePortsForward()
        try sw.waitUntilBridgePortsForward()
    }

    override func tearDown() {
        for ns in namespaces.reversed() { ns.remove() }
    }

    /// The guest talks: the host's bridge learns its MAC on vif1.0.
    private func guestTalks(_ guest: TestNamespace) {
        _ = try? guest.exec(["ping", "-c1", "-W1", "-q", "10.81.0.100"])
    }

    func testTheHostThatOpenedLaterYields() throws {
        let a = try AgentProcess(agent: "vhostnet", namespace: hostA)
        let b = try AgentProcess(agent: "vhostnet", namespace: hostB)
        // hostB ran the guest before: its registry knows the MAC (as after a switchover).
        XCTAssertEqual(b.run("start", params, environment: promotable).status, 0)
        XCTAssertEqual(b.run("promote", params, environment: promotable).status, 0)
        guestTalks(guestB)
        XCTAssertEqual(b.run("demote", params, environment: promotable).status, 0)
        // hostA opens and runs for a while: its sentinel knows the guest from its own port.
        XCTAssertEqual(a.run("start", params, environment: promotable).status, 0)
        XCTAssertEqual(a.run("promote", params, environment: promotable).status, 0)
        guestTalks(guestA)
        usleep(1_500_000)
        XCTAssertEqual(a.run("monitor", params, environment: promotable).status, 8)

        // The split brain: hostB is promoted too.
        let t0 = Date()
        let promote = b.run("promote", params, environment: promotable)
        XCTAssertEqual(promote.status, 0, "\(promote)")
        let yielded = VMTier.waitUntil(timeoutSeconds: 3, intervalMs: 5) {
            b.run("monitor", params, environment: promotable).status == 9
        }
        XCTAssertNotNil(yielded, "hostB, which opened later, did not block its guest again")
        let elapsed = Date().timeIntervalSince(t0) * 1000
        let monitor = b.run("monitor", params, environment: promotable)
        XCTAssertEqual(monitor.status, 9)
        let reason = monitor.exitReason ?? ""
        XCTAssertTrue(reason.contains("yielded") && reason.contains(Self.guestMAC) && reason.contains("eth1"),
                      "the monitor names the MAC and the uplink: \(monitor)")
        XCTAssertEqual(a.run("monitor", params, environment: promotable).status, 8, "hostA, open longer, stays open")
        print("duplicate active: hostB blocked again \(Int(elapsed)) ms after its promote began (monitor polling every ~5 ms)")

        // Pacemaker's recovery (demote, promote) meets the hold-down.
        XCTAssertEqual(b.run("demote", params, environment: promotable).status, 0)
        let again = b.run("promote", params, environment: promotable)
        XCTAssertEqual(again.status, 1, "a host that yielded does not open again during its hold-down: \(again)")
        XCTAssertTrue(again.exitReason?.contains("may open again in") == true, "\(again)")

        for agent in [a, b] { _ = agent.run("stop", params, environment: promotable) }
    }

    /// A sentinel that died (only root can kill it) is no reason to take
    /// the guests away, but the Promoted monitor says what is missing.
    func testPromotedMonitorWarnsWhenTheSentinelIsGone() throws {
        let a = try AgentProcess(agent: "vhostnet", namespace: hostA)
        let logFile = a.stateDirectory + "/agent.log"
        var environment = promotable
        environment["HA_LOGFILE"] = logFile
        XCTAssertEqual(a.run("start", params, environment: environment).status, 0)
        XCTAssertEqual(a.run("promote", params, environment: environment).status, 0)
        XCTAssertEqual(a.run("monitor", params, environment: environment).status, 8)
        let warning = "no sentinel watches them"
        XCTAssertFalse(((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").contains(warning), "a sentinel runs")
        let pid = try XCTUnwrap(a.processPID(role: "sentinel"), "promote leaves a sentinel: \(a.stateFiles())")
        kill(pid, SIGKILL)
        XCTAssertNotNil(VMTier.waitUntil(timeoutSeconds: 3, intervalMs: 10) { !AgentProcess.alive(pid) })
        XCTAssertEqual(a.run("monitor", params, environment: environment).status, 8, "the guests stay open")
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("WARNING: promoted, but " + warning), log)
        XCTAssertEqual(a.run("stop", params, environment: environment).status, 0)
    }

    func testNoSentinelWithDuplicatePolicyOffAndQuorumBlockFalse() throws {
        let a = try AgentProcess(agent: "vhostnet", namespace: hostA)
        var off = params
        off["duplicate_policy"] = "off"
        off["quorum_block"] = "false"
        XCTAssertEqual(a.run("start", off).status, 0)
        XCTAssertFalse(a.stateFiles().contains { $0.hasSuffix(".sentinel") }, "\(a.stateFiles())")
        XCTAssertEqual(a.run("stop", off).status, 0)
        XCTAssertEqual(a.run("start", params).status, 0)
        XCTAssertTrue(a.stateFiles().contains { $0.hasSuffix(".sentinel") }, "start leaves a sentinel: \(a.stateFiles())")
        XCTAssertEqual(a.run("stop", params).status, 0)
        XCTAssertFalse(a.stateFiles().contains { $0.hasSuffix(".sentinel") }, "stop ends it: \(a.stateFiles())")
    }
}
