import XCTest
import Foundation
import Glibc
import TestSupport

/// The second lock (port_lock=true): blocked guest ports held `disabled`,
/// so a flushed firewall lets nothing through, and the guard re-applies
/// the state where the kernel lifts it. Real traffic from the client on
/// the switch; each check has a control that shows the flush does open the
/// firewall, so "no answer" proves the port lock and not a leftover rule.
final class PortLockNetnsTests: XCTestCase {
    private var lab: GuestLab!
    private var agent: AgentProcess!

    override func setUpWithError() throws {
        lab = try GuestLab()
        agent = try AgentProcess(agent: "vhostnet", namespace: lab.host)
    }

    override func tearDown() {
        _ = agent?.run("start", params(backend: "nftables", guard: false, portLock: true))
        lab?.remove()
    }

    private func params(backend: String, guard guarding: Bool, portLock: Bool) -> [String: String] {
        ["bridge": "xenbr1", "exempt_ports": "vif0.0", "backend": backend, "announce": "0",
         "guard": guarding ? "true" : "false", "port_lock": portLock ? "true" : "false"]
    }

    private static let flushes = [
        "nftables": "nft flush ruleset",
        "iptables": "iptables-legacy -F; iptables-legacy -X; ip6tables-legacy -F; ip6tables-legacy -X; arptables-legacy -F; arptables-legacy -X",
    ]

    /// `bridge link show` state of one port, as iproute2 reads it.
    private func portState(_ port: String) throws -> String {
        let json = try lab.host.sh("bridge -j link show dev \(port)")
        let entries = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        return entries?.first?["state"] as? String ?? "?"
    }

    private func reachable() -> (ping: Bool, arp: Bool) {
        (lab.clientPings("10.80.0.12"), lab.clientARPs("10.80.0.13"))
    }

    private func checkFlush(backend: String) throws {
        let flush = try XCTUnwrap(Self.flushes[backend])
        // Control: the firewall lock alone opens with the flush.
        XCTAssertEqual(agent.run("stop", params(backend: backend, guard: false, portLock: false)).status, 0)
        XCTAssertEqual(try portState("vif2.0"), "forwarding")
        try lab.host.sh(flush)
        let open = reachable()
        XCTAssertTrue(open.ping && open.arp, "control (\(backend)): a flushed firewall lets the guests through: \(open)")

        // Both locks: the flush leaves the port lock, and nothing gets through.
        XCTAssertEqual(agent.run("stop", params(backend: backend, guard: false, portLock: true)).status, 0)
        for port in ["vif1.0", "vif2.0", "tap0", "vnet0"] {
            XCTAssertEqual(try portState(port), "disabled", "\(port)")
        }
        XCTAssertEqual(try portState("vif0.0"), "forwarding", "exempt port")
        XCTAssertEqual(try portState("uplink"), "forwarding", "uplink")
        try lab.host.sh(flush)
        let locked = reachable()
        XCTAssertFalse(locked.ping || locked.arp, "\(backend): a flushed firewall let a guest through the port lock: \(locked)")
        XCTAssertTrue(lab.clientPings("10.80.0.2"), "the exempt port still works")

        // Unblock opens both.
        XCTAssertEqual(agent.run("start", params(backend: backend, guard: false, portLock: true)).status, 0)
        XCTAssertEqual(try portState("vif2.0"), "forwarding")
        let reopened = reachable()
        XCTAssertTrue(reopened.ping && reopened.arp, "\(backend): start opens both locks: \(reopened)")
    }

    func testNFTablesFlushLetsNothingThroughThePortLock() throws {
        try checkFlush(backend: "nftables")
    }

    func testIPTablesFlushLetsNothingThroughThePortLock() throws {
        try checkFlush(backend: "iptables")
    }

    /// `iptables-legacy-restore` without --noflush (a firewall reload) on a
    /// blocked host, guard on: the guard puts the rules back within its
    /// 250 ms re-check, and with the port lock not one echo gets through
    /// meanwhile. Static neighbours on both ends, so the probe needs no ARP
    /// (which arptables would still block) and counts IPv4 only. The
    /// control runs without the port lock and must see answers.
    private func echoesThroughReloads(portLock: Bool, rounds: Int) throws -> [Int] {
        let p = params(backend: "iptables", guard: true, portLock: portLock)
        XCTAssertEqual(agent.run("stop", p).status, 0)
        try lab.client.sh("ip neigh replace 10.80.0.12 lladdr \(GuestLab.mac(12)) dev eth0 nud permanent")
        try XCTUnwrap(lab.guests["g2"]).sh("ip neigh replace 10.80.0.100 lladdr 02:00:00:00:00:64 dev eth0 nud permanent")
        var received: [Int] = []
        for _ in 0..<rounds {
            try lab.host.sh("printf '*filter\\nCOMMIT\\n' | iptables-legacy-restore; printf '*filter\\nCOMMIT\\n' | ip6tables-legacy-restore")
            let ping = try lab.client.exec(["ping", "-4", "-n", "-q", "-c", "40", "-i", "0.01", "-W", "1", "10.80.0.12"])
            let count = ping.stdout.split(separator: "\n").first { $0.contains("received") }
                .flatMap { line in line.split(separator: ",").first { $0.contains("received") } }
                .flatMap { Int($0.split(separator: " ").first ?? "") } ?? -1
            received.append(count)
            // The guard restores within its 250 ms re-check; the next round flushes a complete block.
            XCTAssertNotNil(try VMTier.waitUntil(timeoutSeconds: 2, intervalMs: 20) {
                try self.lab.host.sh("iptables-legacy -S FORWARD").contains("-j HANET-")
            }, "the guard did not restore the iptables block")
        }
        XCTAssertEqual(agent.run("start", p).status, 0)
        return received
    }

    func testIPTablesRestoreLetsNoEchoThroughWithThePortLock() throws {
        let control = try echoesThroughReloads(portLock: false, rounds: 3)
        XCTAssertGreaterThan(control.reduce(0, +), 0, "control: without the port lock a reload lets echoes through until the guard's re-check: \(control)")
        let locked = try echoesThroughReloads(portLock: true, rounds: 20)
        XCTAssertEqual(locked, Array(repeating: 0, count: 20), "echoes answered through the port lock after iptables-legacy-restore")
        print("iptables-legacy-restore on a blocked host, guard on: echoes answered in the 400 ms after each reload: without port lock \(control), with port lock \(locked)")
    }

    /// The kernel lifts `disabled` on the port's own link changes and on a
    /// re-enslave; a new guest port starts forwarding. The guard sees the
    /// link events and locks again (the firewall rules hold meanwhile).
    func testTheGuardRelocksAfterAFlapAndANewGuestPort() throws {
        let p = params(backend: "nftables", guard: true, portLock: true)
        XCTAssertEqual(agent.run("stop", p).status, 0)
        XCTAssertEqual(try portState("vif2.0"), "disabled")

        func relocked(_ port: String, after change: String) throws -> Double? {
            try lab.host.sh(change)
            return try VMTier.waitUntil(timeoutSeconds: 3, intervalMs: 2) { try self.portState(port) == "disabled" }
        }
        var times: [Double] = []
        for round in 0..<5 {
            let back = try relocked("vif2.0", after: "ip link set vif2.0 down; ip link set vif2.0 up")
            XCTAssertNotNil(back, "round \(round): the guard did not lock vif2.0 again after a flap")
            if let back { times.append(back) }
        }
        let reenslaved = try relocked("tap0", after: "ip link set tap0 nomaster; ip link set tap0 master xenbr1")
        XCTAssertNotNil(reenslaved, "the guard did not lock tap0 again after a re-enslave")

        let newGuest = try TestNamespace("g5")
        defer { newGuest.remove() }
        try lab.addGuest(port: "vif5.0", ns: newGuest, id: 15, waitForForwarding: false)
        let locked = try VMTier.waitUntil(timeoutSeconds: 3, intervalMs: 2) { try self.portState("vif5.0") == "disabled" }
        XCTAssertNotNil(locked, "the guard did not lock a guest port that appeared while blocked")
        XCTAssertFalse(lab.clientPings("10.80.0.15"), "the new guest is blocked")
        times.sort()
        print("port lock back after a flap, \(times.count) rounds: min \(Int(times.first ?? -1)) ms, median \(Int(times.isEmpty ? -1 : times[times.count / 2])) ms, max \(Int(times.last ?? -1)) ms (2 ms polling of bridge -j link)")
        XCTAssertEqual(agent.run("start", p).status, 0)
        XCTAssertEqual(try portState("vif5.0"), "forwarding", "start opens the new guest's port too")
    }
}
