import XCTest
import Foundation
import TestSupport

/// ocf:hanet:vhostnet as Pacemaker runs it, against real traffic, for both
/// backends: the block must stop IPv4, IPv6 and ARP to and from every guest
/// while dom0 and exempt ports keep working.
/// Linux XCTest does not discover inherited test methods, so the scenarios
/// are `check…` methods here and each backend's class lists them.
class VhostNetAgentScenarios: XCTestCase {
    var backend: String { "nftables" }
    /// nftables drops at the bridge's prerouting/postrouting hooks, which
    /// also covers guest <-> dom0; iptables-legacy works in FORWARD (as the
    /// seed did), so a blocked guest still reaches dom0 itself, never the network.
    var blocksGuestToDom0: Bool { true }
    var lab: GuestLab!
    var agent: AgentProcess!
    // guard=false, port_lock=false: the firewall block alone, as Pacemaker sees it (a port
    // lock would hide a rule that lets frames through); both have tests of their own.
    var params: [String: String] { ["bridge": "xenbr1", "exempt_ports": "vif0.0", "backend": backend, "announce": "2", "announce_interval": "20", "guard": "false", "port_lock": "false"] }

    override func setUpWithError() throws {
        lab = try GuestLab(silent: ["g1"])
        agent = try AgentProcess(agent: "vhostnet", namespace: lab.host)
    }

    override func tearDown() { lab?.remove() }

    func monitor() -> Int32 { agent.run("monitor", params, environment: ["OCF_RESKEY_CRM_meta_interval": "5000"]).status }

    func assertGuestsIsolated(_ isolated: Bool, file: StaticString = #filePath, line: UInt = #line) {
        // Run the probes in parallel: each failing probe waits for its timeout.
        let lab: GuestLab = self.lab
        let checks: [(String, @Sendable () -> Bool)] = [
            ("ping g1", { lab.clientPings("10.80.0.11") }),
            ("ping g2", { lab.clientPings("10.80.0.12") }),
            ("ping tap guest", { lab.clientPings("10.80.0.13") }),
            ("ping vnet guest", { lab.clientPings("10.80.0.14") }),
            ("ping -6 g2", { lab.clientPings("fd80::12") }),
            ("ping -6 vnet guest", { lab.clientPings("fd80::14") }),
            ("arping g2", { lab.clientARPs("10.80.0.12") }),
            ("arping tap guest", { lab.clientARPs("10.80.0.13") }),
            ("g2 pings client", { lab.guestPings("g2", "10.80.0.100") }),
        ]
        let always: [(String, @Sendable () -> Bool)] = [
            ("ping dom0", { lab.clientPings("10.80.0.1") }),
            ("ping -6 dom0", { lab.clientPings("fd80::1") }),
            ("ping exempt vif0.0", { lab.clientPings("10.80.0.2") }),
            ("arping exempt vif0.0", { lab.clientARPs("10.80.0.2") }),
        ]
        let toDom0: (String, @Sendable () -> Bool, Bool) = ("g4 pings dom0", { lab.guestPings("g4", "10.80.0.1") }, !(isolated && blocksGuestToDom0))
        let all = checks.map { ($0.0, $0.1, !isolated) } + always.map { ($0.0, $0.1, true) } + [toDom0]
        let probes = all.map(\.1)
        final class Results: @unchecked Sendable { var values: [Bool]; init(_ n: Int) { values = .init(repeating: false, count: n) } }
        let box = Results(all.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: probes.count) { i in
            var ok = probes[i]()
            // A check that must succeed may ask again (one answer within
            // 5 s: a loaded machine can miss a single 1 s ping while
            // neighbour discovery restarts after the block). A check that
            // must fail is never retried, so a retry cannot hide a leak.
            var tries = 1
            while !ok && all[i].2 && tries < 5 {
                ok = probes[i]()
                tries += 1
            }
            lock.lock(); box.values[i] = ok; lock.unlock()
        }
        let results = box.values
        for (i, check) in all.enumerated() {
            XCTAssertEqual(results[i], check.2, "\(backend): \(check.0) should \(check.2 ? "work" : "fail")", file: file, line: line)
        }
    }

    func checkBlockUnblockCycleWithRealTraffic() throws {
        XCTAssertEqual(monitor(), 0, "no block installed: guests can reach the network")
        assertGuestsIsolated(false)
        let stop = agent.run("stop", params)
        XCTAssertEqual(stop.status, 0, "\(stop)")
        XCTAssertEqual(monitor(), 7, "complete block verified")
        assertGuestsIsolated(true)
        XCTAssertEqual(agent.run("stop", params).status, 0, "idempotent")

        // A guest that attaches while blocked is blocked from its first frame.
        let late = try TestNamespace("g5")
        defer { late.remove() }
        try lab.addGuest(port: "vif5.0", ns: late, id: 15)
        XCTAssertFalse(lab.clientPings("10.80.0.15"), "new guest port blocked at once")

        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        XCTAssertEqual(monitor(), 0)
        assertGuestsIsolated(false)
        XCTAssertTrue(lab.clientPings("10.80.0.15"))
        XCTAssertEqual(agent.run("start", params).status, 0, "idempotent")
    }

    func checkVanishedBlockIsReportedAsReachableAndStopRestoresIt() throws {
        XCTAssertEqual(agent.run("stop", params).status, 0)
        XCTAssertEqual(monitor(), 7)
        try wipeFirewall()
        XCTAssertEqual(monitor(), 0, "a host whose block vanished must look active")
        XCTAssertTrue(lab.clientPings("10.80.0.12"), "and it really is reachable")
        XCTAssertEqual(agent.run("stop", params).status, 0)
        XCTAssertEqual(monitor(), 7)
        XCTAssertFalse(lab.clientPings("10.80.0.12"))
    }

    func wipeFirewall() throws { try lab.host.sh("nft flush ruleset") }

    /// Issue: while standby, the host's bridge learned the guest's MAC on the
    /// uplink (from the twin). A silent guest never corrects that itself.
    func checkSilentGuestIsReachableAtOnceAfterUnblock() throws {
        XCTAssertEqual(agent.run("stop", params).status, 0)
        // The twin on the other host: same MAC as g1, talks on the switch.
        let twin = try TestNamespace("twin")
        defer { twin.remove() }
        try twin.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "to-twin", "netns", lab.switchNS.name], must: true)
        try lab.switchNS.sh("ip link set to-twin master sw up")
        try twin.sh("ip link set eth0 address \(GuestLab.mac(11)) up; ip addr add 10.80.0.11/24 dev eth0")
        _ = try twin.exec(["arping", "-c1", "-w1", "-I", "eth0", "10.80.0.100"])
        let fdbBefore = try lab.host.exec(["bridge", "fdb", "show", "br", "xenbr1"], must: true).stdout
        XCTAssertTrue(fdbBefore.contains("\(GuestLab.mac(11)) dev uplink"), "precondition: guest MAC learned on the uplink\n\(fdbBefore)")
        twin.remove() // failover: the twin's host is now blocked
        // The client's ARP cache is warm: it sends straight to the MAC.
        try lab.client.sh("ip neigh replace 10.80.0.11 lladdr \(GuestLab.mac(11)) dev eth0 nud reachable")

        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        let fdbAfter = try lab.host.exec(["bridge", "fdb", "show", "br", "xenbr1"], must: true).stdout
        XCTAssertFalse(fdbAfter.contains("\(GuestLab.mac(11)) dev uplink"), "stale entry removed\n\(fdbAfter)")
        XCTAssertTrue(lab.clientPings("10.80.0.11"), "silent guest answers the first probe after unblock")
    }

    func checkAnnouncesKnownGuestMACsOutOfTheUplink() throws {
        XCTAssertEqual(agent.run("start", params).status, 0)
        XCTAssertTrue(lab.guestPings("g2", "10.80.0.100"))   // g2 talks: its MAC is learned
        XCTAssertEqual(monitor(), 0)                           // ... and recorded
        XCTAssertEqual(agent.run("stop", params).status, 0)

        let capture = Process()
        capture.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        capture.arguments = ["netns", "exec", lab.switchNS.name, "timeout", "3", "tcpdump", "-l", "-nn", "-e", "-i", "to-host", "rarp"]
        let out = Pipe()
        let err = Pipe()
        capture.standardOutput = out
        capture.standardError = err
        try capture.run()
        // Start only once tcpdump says it listens (a fixed sleep was flaky).
        var banner = ""
        let deadline = Date().addingTimeInterval(4)
        while !banner.contains("listening on") && Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        XCTAssertTrue(banner.contains("listening on"), "tcpdump did not start: \(banner)")
        XCTAssertEqual(agent.run("start", params).status, 0)
        capture.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let frames = text.split(separator: "\n").filter { $0.contains(GuestLab.mac(12)) && $0.contains("ff:ff:ff:ff:ff:ff") }
        XCTAssertEqual(frames.count, 2, "announce=2 RARP frames from g2's MAC on the switch:\n\(text)")
    }

    /// The promotable clone as Pacemaker drives it: start blocks, promote
    /// opens, demote blocks; monitor tells the roles apart and reports an
    /// unpromoted instance whose block vanished (never as promoted).
    func checkPromotableCycleWithRealTraffic() throws {
        let meta = ["OCF_RESKEY_CRM_meta_promotable": "true", "OCF_RESKEY_CRM_meta_promoted_max": "1"]
        func run(_ action: String) -> AgentProcess.Result { agent.run(action, params, environment: meta) }
        func monitor() -> AgentProcess.Result {
            agent.run("monitor", params, environment: meta.merging(["OCF_RESKEY_CRM_meta_interval": "7000"]) { $1 })
        }
        let probe = agent.run("monitor", params, environment: meta)
        XCTAssertEqual(probe.status, 1, "open guests on a host the cluster never started: a failure, so it gets blocked\n\(probe)")
        XCTAssertEqual(run("start").status, 0)
        XCTAssertEqual(monitor().status, 0, "unpromoted, block verified")
        assertGuestsIsolated(true)
        XCTAssertEqual(run("promote").status, 0)
        XCTAssertEqual(monitor().status, 8, "promoted, guests open")
        assertGuestsIsolated(false)
        XCTAssertEqual(run("demote").status, 0)
        XCTAssertEqual(monitor().status, 0)
        assertGuestsIsolated(true)

        try wipeFirewall()
        let vanished = monitor()
        XCTAssertEqual(vanished.status, 1, "an unpromoted instance whose block vanished is a failure of that instance, never 8\n\(vanished)")
        XCTAssertTrue(vanished.exitReason?.hasPrefix("unpromoted, but") == true, "\(vanished)")
        XCTAssertEqual(run("stop").status, 0, "recovery: stop blocks (fails closed) ...")
        XCTAssertEqual(monitor().status, 7)
        assertGuestsIsolated(true)
        XCTAssertEqual(run("start").status, 0, "... and start keeps it blocked")
        XCTAssertEqual(monitor().status, 0)

        // Someone else blocks the promoted host's guests (another instance's
        // state directory): a failed promoted instance, 9.
        XCTAssertEqual(run("promote").status, 0)
        let other = try AgentProcess(agent: "vhostnet", namespace: lab.host)
        XCTAssertEqual(other.run("block", params).status, 0)
        let cut = monitor()
        XCTAssertEqual(cut.status, 9, "\(cut)")
        XCTAssertEqual(run("promote").status, 0, "promote again opens them")
        XCTAssertEqual(monitor().status, 8)
        XCTAssertEqual(run("stop").status, 0, "stop of a promoted instance blocks")
        assertGuestsIsolated(true)
    }

    func checkBadParametersAndLSBBlockAction() throws {
        for (p, reason) in [(["bridge": "xenbr1", "guest_ports": "*"], "parameter 'guest_ports'"),
                            (["bridge": "xenbr1", "backend": "pf"], "parameter 'backend'"),
                            (["bridge": "xenbr1", "announce_interval": "1"], "parameter 'announce_interval'"),
                            (["bridge": "", "guest_ports": "vif*"], "bridge")] {
            let r = agent.run("validate-all", p)
            XCTAssertEqual(r.status, 6, "\(p): \(r)")
            XCTAssertTrue(r.exitReason?.contains(reason) == true, "\(p): \(r)")
        }
        let block = agent.run("block", params)
        XCTAssertEqual(block.status, 0, "\(block)")
        XCTAssertEqual(monitor(), 7)
    }
}

final class VhostNetNFTablesNetnsTests: VhostNetAgentScenarios {
    override var backend: String { "nftables" }
    func testBlockUnblockCycleWithRealTraffic() throws { try checkBlockUnblockCycleWithRealTraffic() }
    func testVanishedBlockIsReportedAsReachableAndStopRestoresIt() throws { try checkVanishedBlockIsReportedAsReachableAndStopRestoresIt() }
    func testSilentGuestIsReachableAtOnceAfterUnblock() throws { try checkSilentGuestIsReachableAtOnceAfterUnblock() }
    func testAnnouncesKnownGuestMACsOutOfTheUplink() throws { try checkAnnouncesKnownGuestMACsOutOfTheUplink() }
    func testBadParametersAndLSBBlockAction() throws { try checkBadParametersAndLSBBlockAction() }
    func testPromotableCycleWithRealTraffic() throws { try checkPromotableCycleWithRealTraffic() }
}

final class VhostNetIPTablesNetnsTests: VhostNetAgentScenarios {
    override var backend: String { "iptables" }
    override var blocksGuestToDom0: Bool { false }
    override func wipeFirewall() throws {
        try lab.host.sh("iptables-legacy -F; iptables-legacy -X; ip6tables-legacy -F; ip6tables-legacy -X; arptables-legacy -F; arptables-legacy -X")
    }
    func testBlockUnblockCycleWithRealTraffic() throws { try checkBlockUnblockCycleWithRealTraffic() }
    func testVanishedBlockIsReportedAsReachableAndStopRestoresIt() throws { try checkVanishedBlockIsReportedAsReachableAndStopRestoresIt() }
    func testSilentGuestIsReachableAtOnceAfterUnblock() throws { try checkSilentGuestIsReachableAtOnceAfterUnblock() }
    func testAnnouncesKnownGuestMACsOutOfTheUplink() throws { try checkAnnouncesKnownGuestMACsOutOfTheUplink() }
    func testBadParametersAndLSBBlockAction() throws { try checkBadParametersAndLSBBlockAction() }
    func testPromotableCycleWithRealTraffic() throws { try checkPromotableCycleWithRealTraffic() }
}
