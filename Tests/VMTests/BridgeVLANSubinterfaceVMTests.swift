import XCTest
import Foundation
import TestSupport

/// `vlan_id` on a plain NIC (a veth here, not a bond): the bridge agent
/// makes eth1.100, attaches it, and a guest reaches an address that the
/// switch has only on its VLAN 100 interface (answering ARP only there).
/// In the VM: this machine's kernel has no 802.1Q driver
/// (`BridgeAgentNetnsTests` checks the agent says so).
///
///   guest 10.84.0.11 -- vif1.0 [host: xenbr0] eth1.100 (eth1) -- tohost [sw] tohost.100 10.84.0.1
final class BridgeVLANSubinterfaceVMTests: XCTestCase {
    private var namespaces: [TestNamespace] = []
    private var host: TestNamespace!
    private var sw: TestNamespace!
    private var guest: TestNamespace!
    private let params = ["bridge": "xenbr0", "uplink": "eth1", "vlan_id": "100", "forward_delay": "0"]

    override func setUpWithError() throws {
        try VMTier.require()
        func make(_ label: String) throws -> TestNamespace {
            let ns = try TestNamespace(label)
            namespaces.append(ns)
            return ns
        }
        host = try make("vlhost")
        sw = try make("vlsw")
        guest = try make("vlg")
        try host.exec(["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "tohost", "netns", sw.name], must: true)
        try host.exec(["ip", "link", "add", "vif1.0", "type", "veth", "peer", "name", "eth0", "netns", guest.name], must: true)
        try sw.sh("""
            sysctl -qw net.ipv4.conf.all.arp_ignore=1; ip link set tohost up
            ip link add link tohost name tohost.100 type vlan id 100; ip link set tohost.100 up
            ip addr add 10.84.0.1/24 dev tohost.100
            """)
        try guest.sh("ip link set eth0 up; ip addr add 10.84.0.11/24 dev eth0")
    }

    override func tearDown() {
        for ns in namespaces.reversed() { ns.remove() }
    }

    private func guestReaches(_ address: String) -> Bool {
        (try? guest.exec(["ping", "-c1", "-W1", "-q", address]).status) == 0
    }

    private func vlanDetails(_ name: String) throws -> String {
        try host.exec(["ip", "-d", "-j", "link", "show", "dev", name]).stdout
    }

    func testTheAgentMakesTheVLANAttachesItAndRemovesItAtStop() throws {
        let agent = try AgentProcess(agent: "bridge", namespace: host)
        XCTAssertEqual(agent.run("monitor", params).status, 7)
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        let details = try vlanDetails("eth1.100")
        XCTAssertTrue(details.contains("\"id\":100") && details.contains("\"link\":\"eth1\""), details)
        XCTAssertTrue(details.contains("\"master\":\"xenbr0\""), details)
        try host.sh("ip link set vif1.0 master xenbr0 up")
        try host.waitUntilBridgePortsForward()
        XCTAssertTrue(guestReaches("10.84.0.1"), "tagged VLAN 100 end to end")
        let tagged = try sw.sh("cat /sys/class/net/tohost.100/statistics/rx_packets")
        XCTAssertGreaterThan(Int(tagged.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 0, "frames arrived tagged")
        XCTAssertEqual(agent.run("monitor", params).status, 0)
        XCTAssertEqual(agent.run("start", params).status, 0, "idempotent")

        try host.sh("ip link set eth1 down")
        let down = agent.run("monitor", params)
        XCTAssertEqual(down.status, 1, "\(down)")
        XCTAssertTrue(down.exitReason?.contains("eth1 (the parent of uplink eth1.100) is down") == true, "\(down)")
        try host.sh("ip link set eth1 up")

        let stop = agent.run("stop", params)
        XCTAssertEqual(stop.status, 0, "\(stop)")
        XCTAssertNotEqual(try host.exec(["ip", "link", "show", "dev", "eth1.100"]).status, 0, "the VLAN it made is gone")
        XCTAssertEqual(try host.exec(["ip", "link", "show", "dev", "eth1"]).status, 0, "the parent stays")
        XCTAssertEqual(try host.exec(["ip", "link", "show", "dev", "vif1.0"]).status, 0, "the guest port stays")
        XCTAssertEqual(agent.run("monitor", params).status, 7)
    }

    /// Made by someone else (ifupdown, the bond agent's vlans=): used, kept.
    func testAnExistingVLANIsUsedAndKept() throws {
        try host.sh("ip link add link eth1 name eth1.100 type vlan id 100")
        let agent = try AgentProcess(agent: "bridge", namespace: host)
        XCTAssertEqual(agent.run("start", params).status, 0)
        XCTAssertEqual(agent.run("stop", params).status, 0)
        let details = try vlanDetails("eth1.100")
        XCTAssertTrue(details.contains("\"id\":100"), "kept: \(details)")
        XCTAssertFalse(details.contains("\"master\""), "detached: \(details)")
    }

    func testADeviceWithThatNameButAnotherVLANIsRefused() throws {
        try host.sh("ip link add link eth1 name eth1.100 type vlan id 200")
        let agent = try AgentProcess(agent: "bridge", namespace: host)
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 2, "a device in the way on this node: \(start)")
        XCTAssertTrue(start.exitReason?.contains("eth1.100 exists but is not VLAN 100 on eth1") == true, "\(start)")
        XCTAssertNotEqual(try host.exec(["ip", "link", "show", "dev", "xenbr0"]).status, 0, "nothing made")
    }
}
