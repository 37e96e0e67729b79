import XCTest
import Glibc
import HanetFirewall
import HanetNetlink
import TestSupport

/// The guard left by stop restores a removed block by itself, and start
/// ends it first so it never fights the cluster.
final class VhostNetGuardNetnsTests: XCTestCase {
    private func exercise(backend name: String, wipe: String, rounds: Int) throws {
        let ns = try TestNamespace("guard")
        defer { ns.remove() }
        try ns.sh("ip link add xenbr1 type bridge; ip link set xenbr1 up")
        let agent = try AgentProcess(agent: "vhostnet", namespace: ns)
        let params = ["bridge": "xenbr1", "backend": name, "announce": "0"]
        let stop = agent.run("stop", params)
        XCTAssertEqual(stop.status, 0, "\(stop)")
        let pid = try XCTUnwrap(agent.processPID(), "stop leaves a guard: \(agent.stateFiles())")
        XCTAssertTrue(AgentProcess.alive(pid))

        let choice = try XCTUnwrap(GuestBlockBackendChoice(rawValue: name))
        let policy = GuestBlockPolicy(bridges: ["xenbr1"], guestPorts: try ["vif*", "tap*", "vnet*"].map { try PortPattern(parsing: $0) })
        let backend = try NetworkNamespace.named(ns.name).perform { try choice.select().backend }
        var restore: [Double] = []
        for _ in 0..<rounds {
            try ns.sh(wipe)
            let back = try VMTier.waitUntil(timeoutSeconds: 3, intervalMs: 1) {
                try NetworkNamespace.named(ns.name).perform { try backend.inspect(policy) } == .blocked
            }
            XCTAssertNotNil(back, "\(name): block not restored after `\(wipe)`")
            if let back { restore.append(back) }
        }
        restore.sort()
        print("guard (\(name)): block back after wipe, \(restore.count) rounds: min \(Int(restore.first ?? -1)) ms, median \(Int(restore.isEmpty ? -1 : restore[restore.count / 2])) ms, max \(Int(restore.last ?? -1)) ms")
        XCTAssertEqual(agent.run("monitor", params).status, 7)

        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        XCTAssertFalse(AgentProcess.alive(pid), "start ends the guard")
        XCTAssertNil(agent.processPID())
        // Unblocked stays unblocked: nothing re-blocks behind Pacemaker's back.
        try ns.sh(wipe)
        usleep(600_000)
        XCTAssertEqual(agent.run("monitor", params).status, 0)
        XCTAssertEqual(try NetworkNamespace.named(ns.name).perform { try backend.inspect(policy) }, .unblocked)

        // The LSB/boot-time `block` action leaves a guard too; stop replaces it (one guard only).
        XCTAssertEqual(agent.run("block", params).status, 0)
        let first = try XCTUnwrap(agent.processPID())
        XCTAssertEqual(agent.run("stop", params).status, 0)
        let second = try XCTUnwrap(agent.processPID())
        XCTAssertFalse(AgentProcess.alive(first), "the previous guard was ended")
        XCTAssertTrue(AgentProcess.alive(second))
        var noGuard = params
        noGuard["guard"] = "false"
        XCTAssertEqual(agent.run("start", noGuard).status, 0, "start ends the guard whatever its own guard setting")
        XCTAssertFalse(AgentProcess.alive(second))
        XCTAssertEqual(agent.run("stop", noGuard).status, 0)
        XCTAssertNil(agent.processPID(), "guard=false leaves no guard")
    }

    /// Found with ocf-tester: a guard left by a call with another HA_RSCTMP
    /// (boot-time block vs Pacemaker) must still be ended by start.
    func testStartEndsAGuardStartedWithAnotherStateDirectory() throws {
        let ns = try TestNamespace("guarddir")
        defer { ns.remove() }
        try ns.sh("ip link add xenbr1 type bridge")
        let boot = try AgentProcess(agent: "vhostnet", namespace: ns)
        let cluster = try AgentProcess(agent: "vhostnet", namespace: ns)
        XCTAssertNotEqual(boot.stateDirectory, cluster.stateDirectory)
        let params = ["bridge": "xenbr1", "announce": "0"]
        XCTAssertEqual(boot.run("block", params).status, 0)
        let pid = try XCTUnwrap(boot.processPID())
        XCTAssertEqual(cluster.run("start", params).status, 0)
        XCTAssertFalse(AgentProcess.alive(pid), "start ended the boot-time guard")
        try ns.sh("nft flush ruleset")
        usleep(500_000)
        XCTAssertEqual(cluster.run("monitor", params).status, 0, "nothing re-blocked behind the cluster's back")
    }

    func testNFTablesGuardRestoresFlushedRulesetRepeatedly() throws {
        try exercise(backend: "nftables", wipe: "nft flush ruleset", rounds: 20)
    }

    func testIPTablesGuardRestoresFlushedChains() throws {
        try exercise(backend: "iptables", wipe: "iptables-legacy -F; iptables-legacy -X; ip6tables-legacy -F; ip6tables-legacy -X; arptables-legacy -F; arptables-legacy -X", rounds: 3)
    }
}
