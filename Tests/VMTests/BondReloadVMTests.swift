import Foundation
import XCTest
import Glibc
import TestSupport

/// reload-agent on a live active-backup bond under Debian 6.1's bonding
/// driver: miimon and MTU change in place (read back from the kernel), the
/// slaves stay enslaved, the active slave stays, and a 10 ms ping through
/// the bond loses nothing.
///
///   [host: bond0 10.82.0.1 = e1 + e2] -- p1, p2 --[switch: bridge sw]-- tp -- [peer: eth0 10.82.0.100]
final class BondReloadVMTests: XCTestCase {
    private var host: TestNamespace!
    private var sw: TestNamespace!
    private var peer: TestNamespace!
    private var agent: AgentProcess!
    private let params = ["bond": "bond0", "slaves": "e1 e2", "mode": "active-backup", "miimon": "100"]

    override func setUpWithError() throws {
        try VMTier.require()
        host = try TestNamespace("bondrl")
        sw = try TestNamespace("bondrl-sw")
        peer = try TestNamespace("bondrl-peer")
        agent = try AgentProcess(agent: "bond", namespace: host)
        try sw.sh("ip link add sw type bridge; ip link set sw type bridge forward_delay 0; ip link set sw up")
        for (slave, port) in [("e1", "p1"), ("e2", "p2")] {
            try host.exec(["ip", "link", "add", slave, "type", "veth", "peer", "name", port, "netns", sw.name], must: true)
            try sw.sh("ip link set \(port) master sw up")
        }
        try peer.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "tp", "netns", sw.name], must: true)
        try sw.sh("ip link set tp master sw up")
        try peer.sh("ip link set eth0 up; ip addr add 10.82.0.100/24 dev eth0")
    }

    override func tearDown() {
        peer?.remove()
        sw?.remove()
        host?.remove()
    }

    private func bond() throws -> [String: Any] {
        try XCTUnwrap(IPLinkJSON(namespace: host, device: "bond0").first)
    }

    func testReloadChangesMiimonAndMTUOnALiveBondWithoutLosingAPing() throws {
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        try host.sh("ip addr add 10.82.0.1/24 dev bond0")
        XCTAssertNotNil(VMTier.waitUntil(timeoutSeconds: 20, intervalMs: 200) {
            (try? self.host.exec(["ping", "-c1", "-W1", "-q", "10.82.0.100"]).succeeded) ?? false
        }, "the path works before the reload")
        let before = try bond()
        let index = try XCTUnwrap(before["ifindex"] as? Int)
        let active = IPLinkJSON.infoData(before)["active_slave"] as? String
        XCTAssertEqual(IPLinkJSON.infoData(before)["miimon"] as? Int, 100)

        // 300 echoes 10 ms apart; the reload runs in the middle.
        let ping = try BackgroundPing(in: host, "10.82.0.100", count: 300, wait: 3)
        usleep(1_000_000)
        let reloaded = params.merging(["miimon": "50", "mtu": "1400"]) { $1 }
        let reload = agent.run("reload-agent", reloaded)
        XCTAssertEqual(reload.status, 0, "\(reload)")
        let (sent, lost, summary) = ping.finish()

        let after = try bond()
        XCTAssertEqual(after["ifindex"] as? Int, index, "the same bond, not a re-created one")
        XCTAssertEqual(IPLinkJSON.infoData(after)["miimon"] as? Int, 50)
        XCTAssertEqual(after["mtu"] as? Int, 1400)
        XCTAssertEqual(IPLinkJSON.infoData(after)["active_slave"] as? String, active, "no failover from the reload")
        let sysfs = try host.exec(["cat", "/sys/class/net/bond0/bonding/miimon", "/sys/class/net/bond0/bonding/slaves", "/sys/class/net/e1/mtu"], must: true).stdout
        XCTAssertEqual(sysfs.split(separator: "\n"), ["50", "e1 e2", "1400"], "sysfs agrees; the slaves follow the bond's MTU")
        XCTAssertEqual(agent.run("monitor", reloaded).status, 0)

        XCTAssertGreaterThan(sent, 0, summary)
        print("VM: bond reload (miimon 100->50, mtu 1500->1400) under a 10 ms ping: \(lost) of \(sent) lost (\(summary))")
        XCTAssertEqual(lost, 0, summary)

        // A change the driver refuses on an up bond with slaves: refused with the reason, nothing changed.
        let refused = agent.run("reload-agent", reloaded.merging(["fail_over_mac": "active"]) { $1 })
        XCTAssertEqual(refused.status, 1, "\(refused)")
        XCTAssertTrue(refused.exitReason?.contains("fail_over_mac") == true, "\(refused)")
        XCTAssertEqual(IPLinkJSON.infoData(try bond())["fail_over_mac"] as? String, "none")
        XCTAssertEqual(agent.run("stop", reloaded).status, 0)
    }
}
