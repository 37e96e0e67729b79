import XCTest
import Foundation
import TestSupport

/// A VLAN-aware bridge (vlan_filtering) carrying two VLANs end to end:
/// the agent makes the bridge and the uplink trunk, a "hypervisor" puts
/// each guest's port in its VLAN, and a VLAN-aware switch gives each
/// client an access port. Every endpoint shares one subnet, so only the
/// VLANs keep guest 1 and client B (and guest 2 and client A) apart.
/// In the VM: this machine's kernel has no bridge VLAN filtering
/// (`BridgeAgentNetnsTests` checks the agent says so).
///
///   clientA 10.83.0.100 -- toa (pvid 10) [sw: vlan_filtering] tohost (10, 20 tagged) --
///   clientB 10.83.0.101 -- tob (pvid 20)                                               |
///     eth1 (10, 20 tagged) [host: xenbr1 vlan_filtering] vif1.0 (pvid 10) -- guest1 10.83.0.11
///                                                         vif2.0 (pvid 20) -- guest2 10.83.0.12
final class VLANAwareBridgeVMTests: XCTestCase {
    private var namespaces: [TestNamespace] = []
    private var host: TestNamespace!
    private let params = ["bridge": "xenbr1", "uplink": "eth1", "vlan_filtering": "true", "uplink_vlans": "10,20",
                          "forward_delay": "0", "arp": "off", "multicast": "off"]

    override func setUpWithError() throws {
        try VMTier.require()
        func make(_ label: String) throws -> TestNamespace {
            let ns = try TestNamespace(label)
            namespaces.append(ns)
            return ns
        }
        host = try make("vhost")
        let sw = try make("vsw"), guest1 = try make("vg1"), guest2 = try make("vg2"), clientA = try make("vca"), clientB = try make("vcb")
        try host.exec(["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "tohost", "netns", sw.name], must: true)
        try host.exec(["ip", "link", "add", "vif1.0", "type", "veth", "peer", "name", "eth0", "netns", guest1.name], must: true)
        try host.exec(["ip", "link", "add", "vif2.0", "type", "veth", "peer", "name", "eth0", "netns", guest2.name], must: true)
        try clientA.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "toa", "netns", sw.name], must: true)
        try clientB.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "tob", "netns", sw.name], must: true)
        try sw.sh("""
            ip link add sw type bridge vlan_filtering 1 forward_delay 0; ip link set sw up
            for p in tohost toa tob; do ip link set $p master sw up; bridge vlan del dev $p vid 1; done
            bridge vlan add dev tohost vid 10; bridge vlan add dev tohost vid 20
            bridge vlan add dev toa vid 10 pvid untagged; bridge vlan add dev tob vid 20 pvid untagged
            """)
        for (ns, address) in [(guest1, "10.83.0.11"), (guest2, "10.83.0.12"), (clientA, "10.83.0.100"), (clientB, "10.83.0.101")] {
            try ns.sh("ip link set eth0 up; ip addr add \(address)/24 dev eth0")
        }
    }

    override func tearDown() {
        for ns in namespaces.reversed() { ns.remove() }
    }

    private func ns(_ label: String) -> TestNamespace { namespaces.first { $0.name.contains("-\(label)-") }! }
    private func reaches(_ from: String, _ address: String) -> Bool {
        (try? ns(from).exec(["ping", "-c1", "-W1", "-q", address]).status) == 0
    }

    /// What a hypervisor does when a guest starts: its port, in its VLAN.
    private func plugGuests() throws {
        try host.sh("""
            ip link set vif1.0 master xenbr1 up; bridge vlan del dev vif1.0 vid 1; bridge vlan add dev vif1.0 vid 10 pvid untagged
            ip link set vif2.0 master xenbr1 up; bridge vlan del dev vif2.0 vid 1; bridge vlan add dev vif2.0 vid 20 pvid untagged
            """)
        try host.waitUntilBridgePortsForward()
        try ns("vsw").waitUntilBridgePortsForward()
    }

    func testTwoVLANsEndToEndAndIsolated() throws {
        let agent = try AgentProcess(agent: "bridge", namespace: host)
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        try plugGuests()
        let trunk = try host.exec(["bridge", "-j", "vlan", "show", "dev", "eth1"], must: true).stdout
        XCTAssertTrue(trunk.contains("\"vlan\":10") && trunk.contains("\"vlan\":20"), "the uplink carries both VLANs: \(trunk)")
        XCTAssertTrue(try host.sh("cat /sys/class/net/xenbr1/bridge/vlan_filtering").hasPrefix("1"))
        XCTAssertTrue(reaches("vca", "10.83.0.11"), "VLAN 10 end to end")
        XCTAssertTrue(reaches("vcb", "10.83.0.12"), "VLAN 20 end to end")
        XCTAssertFalse(reaches("vca", "10.83.0.12"), "client A (VLAN 10) must not reach guest 2 (VLAN 20)")
        XCTAssertFalse(reaches("vcb", "10.83.0.11"), "client B (VLAN 20) must not reach guest 1 (VLAN 10)")
        XCTAssertEqual(agent.run("monitor", params).status, 0)

        // A VLAN taken off the trunk by hand: monitor names it, start puts it back.
        try host.sh("bridge vlan del dev eth1 vid 20")
        XCTAssertFalse(reaches("vcb", "10.83.0.12"), "without VLAN 20 on the trunk guest 2 is cut off")
        let monitor = agent.run("monitor", params)
        XCTAssertEqual(monitor.status, 1, "\(monitor)")
        XCTAssertTrue(monitor.exitReason?.contains("does not carry VLAN(s) 20") == true, "\(monitor)")
        XCTAssertEqual(agent.run("start", params).status, 0)
        XCTAssertEqual(agent.run("monitor", params).status, 0)
        XCTAssertTrue(reaches("vcb", "10.83.0.12"))
        XCTAssertEqual(agent.run("stop", params).status, 0)
    }

    /// reload-agent changes the trunk's VLAN list and the default PVID on
    /// the live bridge: VLAN 10's guest keeps answering throughout, VLAN 20
    /// leaves and comes back, and a VLAN the administrator put on the
    /// trunk by hand is never taken away.
    func testReloadChangesTheTrunkLive() throws {
        let agent = try AgentProcess(agent: "bridge", namespace: host)
        XCTAssertEqual(agent.run("start", params).status, 0)
        try plugGuests()
        try host.sh("bridge vlan add dev eth1 vid 40")
        let index = try host.sh("cat /sys/class/net/xenbr1/ifindex")
        XCTAssertTrue(reaches("vcb", "10.83.0.12"))

        let ping = try BackgroundPing(in: ns("vca"), "10.83.0.11", count: 300)
        usleep(300_000)
        var p = params
        p["uplink_vlans"] = "10"
        p["pvid"] = "99"
        let reload = agent.run("reload-agent", p)
        XCTAssertEqual(reload.status, 0, "\(reload)")
        let (sent, lost, summary) = ping.finish()
        let trunk = try host.exec(["bridge", "-j", "vlan", "show", "dev", "eth1"], must: true).stdout
        XCTAssertFalse(trunk.contains("\"vlan\":20"), "VLAN 20 left the trunk: \(trunk)")
        XCTAssertTrue(trunk.contains("\"vlan\":40"), "the administrator's VLAN 40 stays: \(trunk)")
        XCTAssertTrue(try host.sh("cat /sys/class/net/xenbr1/bridge/default_pvid").hasPrefix("99"))
        XCTAssertEqual(try host.sh("cat /sys/class/net/xenbr1/ifindex"), index, "the same bridge")
        XCTAssertFalse(reaches("vcb", "10.83.0.12"), "VLAN 20 no longer reaches guest 2")
        XCTAssertEqual(agent.run("monitor", p).status, 0)
        print("bridge VLAN reload: VLAN 10 guest ping during the reload: \(summary)")
        XCTAssertGreaterThan(sent, 0, summary)
        XCTAssertEqual(lost, 0, "VLAN 10 loses nothing while the trunk changes: \(summary)")

        XCTAssertEqual(agent.run("reload-agent", params).status, 0, "and back")
        XCTAssertTrue(reaches("vcb", "10.83.0.12"), "VLAN 20 is carried again")
        XCTAssertEqual(agent.run("monitor", params).status, 0)
        XCTAssertEqual(agent.run("stop", params).status, 0)
    }

    func testVLANParametersAreCheckedBeforeAnythingChanges() throws {
        let agent = try AgentProcess(agent: "bridge", namespace: host)
        var p = params
        p["uplink_vlans"] = "10 4095"
        var result = agent.run("validate-all", p)
        XCTAssertEqual(result.status, 6, "\(result)")
        XCTAssertTrue(result.exitReason?.contains("uplink_vlans") == true, "\(result)")
        p = params
        p["vlan_filtering"] = "false"
        result = agent.run("validate-all", p)
        XCTAssertEqual(result.status, 6)
        XCTAssertTrue(result.exitReason?.contains("needs vlan_filtering=true") == true, "\(result)")
        p = params
        p["uplink_vlans"] = "20-10"
        XCTAssertEqual(agent.run("validate-all", p).status, 6)
        XCTAssertEqual(agent.run("monitor", params).status, 7, "nothing was created")
    }
}
