import Foundation
import XCTest
import HanetLinks
import HanetNetlink
import TestSupport

/// reload-agent on a live bridge, through the built executable, with
/// traffic crossing it: STP, forward delay and MTU change in place, the
/// bridge keeps its ifindex and ports, and a guest pinging every 10 ms
/// through it loses nothing.
///
///   guest (10.81.0.11) -- vif1.0 --[host: xenbr1]-- uplink -- peer (10.81.0.100)
final class BridgeReloadNetnsTests: XCTestCase {
    private var host: TestNamespace!
    private var guest: TestNamespace!
    private var peer: TestNamespace!
    private var agent: AgentProcess!
    private let params = ["bridge": "xenbr1", "uplink": "uplink", "forward_delay": "0"]

    override func setUpWithError() throws {
        host = try TestNamespace("brreload")
        guest = try TestNamespace("brrl-guest")
        peer = try TestNamespace("brrl-peer")
        agent = try AgentProcess(agent: "bridge", namespace: host)
        try host.exec(["ip", "link", "add", "uplink", "type", "veth", "peer", "name", "eth0", "netns", peer.name], must: true)
        try peer.sh("ip link set eth0 address 02:00:00:00:00:64 up; ip addr add 10.81.0.100/24 dev eth0")
    }

    override func tearDown() {
        guest?.remove()
        peer?.remove()
        host?.remove()
    }

    private func bridgeJSON() throws -> [String: Any] {
        try XCTUnwrap(IPLinkJSON(namespace: host, device: "xenbr1").first)
    }

    private func portMasters() throws -> [String: String] {
        let all = try IPLinkJSON(namespace: host)
        var masters: [String: String] = [:]
        for name in ["uplink", "vif1.0"] { masters[name] = all.link(name)?["master"] as? String }
        return masters
    }

    func testReloadChangesSTPForwardDelayAndMTUInPlaceWithoutLosingAPing() throws {
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        try host.exec(["ip", "link", "add", "vif1.0", "type", "veth", "peer", "name", "eth0", "netns", guest.name], must: true)
        try host.sh("ip link set vif1.0 master xenbr1 up")
        try guest.sh("ip link set eth0 address 02:00:00:00:00:0b up; ip addr add 10.81.0.11/24 dev eth0")
        try host.waitUntilBridgePortsForward()
        XCTAssertTrue(try guest.exec(["ping", "-c1", "-W2", "-q", "10.81.0.100"]).succeeded, "the path works before the reload")

        let before = try bridgeJSON()
        let index = try XCTUnwrap(before["ifindex"] as? Int)
        XCTAssertEqual(IPLinkJSON.infoData(before)["stp_state"] as? Int, 0)
        let masters = try portMasters()
        XCTAssertEqual(masters, ["uplink": "xenbr1", "vif1.0": "xenbr1"])

        // 400 echoes 10 ms apart (4 s); the reloads run in the middle.
        let ping = try BackgroundPing(in: guest, "10.81.0.100", count: 400)
        usleep(1_000_000)
        let on = params.merging(["stp": "on", "forward_delay": "2", "mtu": "1400"]) { $1 }
        let reload = agent.run("reload-agent", on)
        XCTAssertEqual(reload.status, 0, "\(reload)")
        let during = try bridgeJSON()
        usleep(500_000)
        let back = params.merging(["stp": "off", "mtu": "1500"]) { $1 }
        let reloadBack = agent.run("reload-agent", back)
        XCTAssertEqual(reloadBack.status, 0, "\(reloadBack)")
        let (sent, lost, summary) = ping.finish()

        // The kernel's own report: changed in place.
        XCTAssertEqual(during["ifindex"] as? Int, index, "the same bridge, not a re-created one")
        XCTAssertEqual(IPLinkJSON.infoData(during)["stp_state"] as? Int, 1)
        XCTAssertEqual(IPLinkJSON.infoData(during)["forward_delay"] as? Int, 200)
        XCTAssertEqual(during["mtu"] as? Int, 1400)
        let after = try bridgeJSON()
        XCTAssertEqual(after["ifindex"] as? Int, index)
        XCTAssertEqual(IPLinkJSON.infoData(after)["stp_state"] as? Int, 0)
        XCTAssertEqual(after["mtu"] as? Int, 1500)
        XCTAssertEqual(try portMasters(), masters, "the ports stayed attached")
        XCTAssertEqual(agent.run("monitor", back).status, 0)

        XCTAssertGreaterThan(sent, 0, summary)
        print("bridge reload under a 10 ms guest ping: \(lost) of \(sent) answers lost (\(summary))")
        XCTAssertEqual(lost, 0, "no answer lost across two reloads: \(summary)")

        XCTAssertEqual(agent.run("stop", back).status, 0)
    }

    /// A non-reloadable change reaching reload (LSB reload, a hand call) is
    /// refused with the reason, and the bridge stays as it was.
    func testReloadWithAnotherUplinkFailsAndChangesNothing() throws {
        XCTAssertEqual(agent.run("start", params).status, 0)
        try host.exec(["ip", "link", "add", "other", "type", "veth", "peer", "name", "other-p"], must: true)
        let before = try bridgeJSON()
        let reload = agent.run("reload-agent", params.merging(["uplink": "other", "mtu": "1400"]) { $1 })
        XCTAssertEqual(reload.status, 1, "\(reload)")
        XCTAssertEqual(reload.exitReason, "uplink other is not a port of xenbr1: a new uplink takes a restart")
        let after = try bridgeJSON()
        XCTAssertEqual(after["mtu"] as? Int, before["mtu"] as? Int, "nothing half-applied")
        XCTAssertEqual(agent.run("reload-agent", ["bridge": "nosuchbr"]).status, 7, "a bridge that is not there: not running")
        XCTAssertEqual(agent.run("stop", params).status, 0)
    }
}
