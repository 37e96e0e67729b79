import XCTest
import Foundation
import Glibc
import TestSupport

/// An open host that loses quorum blocks its guests through its sentinel,
/// against a real corosync (one node, in the host's namespace, with
/// private /var/lib/corosync and /run): raising quorum.expected_votes at
/// run time takes its quorum away, as a partition of a three-node cluster
/// does for the minority node; lowering it gives quorum back.
///
///   client 10.82.0.100 -- eth1 [host: xenbr1, corosync] vif1.0 -- guest 10.82.0.11
final class QuorumBlockNetnsTests: XCTestCase {
    private var namespaces: [TestNamespace] = []
    private var host: TestNamespace!
    private var guest: TestNamespace!
    private var client: TestNamespace!
    private var directory = ""
    private let params = ["bridge": "xenbr1", "announce": "0", "duplicate_policy": "off"]
    private var environment: [String: String] = [:]
    private var corosyncLauncher: pid_t = 0

    override func setUpWithError() throws {
        try TestNamespace.requireRoot()
        guard Command.exists("corosync"), Command.exists("corosync-cmapctl") else { throw XCTSkip("corosync not installed") }
        host = try TestNamespace("qhost"); guest = try TestNamespace("qguest"); client = try TestNamespace("qclient")
        namespaces = [host, guest, client]
        try host.exec(["ip", "link", "add", "vif1.0", "type", "veth", "peer", "name", "eth0", "netns", guest.name], must: true)
        try host.exec(["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", client.name], must: true)
        try host.sh("""
            ip link set lo up
            ip link add xenbr1 type bridge; ip link set xenbr1 type bridge forward_delay 0 stp_state 0
            ip link set eth1 master xenbr1 up; ip link set vif1.0 master xenbr1 up; ip link set xenbr1 up
            """)
        try guest.sh("ip link set eth0 address 02:00:00:00:82:11 up; ip addr add 10.82.0.11/24 dev eth0")
        try client.sh("ip link set eth0 up; ip addr add 10.82.0.100/24 dev eth0")
        try host.waitUntilBridgePortsForward()
        directory = NSTemporaryDirectory() + "hanet-quorum-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        environment = ["OCF_RESKEY_CRM_meta_promotable": "true", "HA_LOGFACILITY": "none", "HA_LOGFILE": directory + "/agent.log"]
        try startCorosync()
    }

    override func tearDown() {
        // Removing the namespace kills corosync and the sentinel with it.
        for ns in namespaces.reversed() { ns.remove() }
        if corosyncLauncher > 0 { var status: Int32 = 0; waitpid(corosyncLauncher, &status, 0) }
        if !directory.isEmpty { try? FileManager.default.removeItem(atPath: directory) }
    }

    private func startCorosync() throws {
        let conf = """
            totem {
                version: 2
                cluster_name: hanetq
                transport: knet
                crypto_cipher: none
                crypto_hash: none
            }
            nodelist {
                node {
                    ring0_addr: 127.0.0.1
                    name: solo
                    nodeid: 1
                }
            }
            quorum {
                provider: corosync_votequorum
                expected_votes: 1
            }
            logging {
                to_logfile: yes
                logfile: \(directory)/corosync.log
                to_stderr: no
                to_syslog: no
                timestamp: hires
            }
            """
        try conf.write(toFile: directory + "/corosync.conf", atomically: true, encoding: .utf8)
        // corosync stays in the namespace (its private mounts die with it).
        // Spawned directly, never waited for: a shell that backgrounds it
        // left Foundation's Process waiting for the shell forever.
        let script = "mount -t tmpfs hanetq /var/lib/corosync && mount -t tmpfs hanetq /run && " +
            "exec corosync -f -c \(directory)/corosync.conf >\(directory)/corosync.out 2>&1 </dev/null"
        let argv = ["/usr/bin/env", "ip", "netns", "exec", host.name, "unshare", "-m", "sh", "-c", script]
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        XCTAssertEqual(posix_spawn(&pid, argv[0], nil, nil, &cArgs, environ), 0, "corosync could not be spawned")
        corosyncLauncher = pid
        let up = try VMTier.waitUntil(timeoutSeconds: 15, intervalMs: 100) { self.quorate() == true }
        XCTAssertNotNil(up, "corosync did not become quorate: \((try? String(contentsOfFile: self.directory + "/corosync.out", encoding: .utf8)) ?? "")")
    }

    /// corosync's own view (corosync-quorumtool), nil when it does not answer.
    private func quorate() -> Bool? {
        guard let out = try? host.exec(["corosync-quorumtool", "-s"]), let line = out.stdout.split(separator: "\n").first(where: { $0.hasPrefix("Quorate:") }) else { return nil }
        return line.contains("Yes")
    }

    private func setExpectedVotes(_ votes: Int) throws {
        try host.exec(["corosync-cmapctl", "-s", "quorum.expected_votes", "u32", String(votes)], must: true)
    }

    private func guestReachable() -> Bool {
        (try? client.exec(["ping", "-c1", "-W1", "-q", "10.82.0.11"]).status) == 0
    }

    private func log() -> String { (try? String(contentsOfFile: directory + "/agent.log", encoding: .utf8)) ?? "" }

    func testAnOpenHostThatLosesQuorumBlocksItsGuests() throws {
        let agent = try AgentProcess(agent: "vhostnet", namespace: host)
        XCTAssertEqual(agent.run("start", params, environment: environment).status, 0)
        XCTAssertEqual(agent.run("promote", params, environment: environment).status, 0)
        XCTAssertTrue(guestReachable(), "the promoted host's guest answers")
        let following = try VMTier.waitUntil(timeoutSeconds: 5, intervalMs: 20) { self.log().contains("following this node's quorum") }
        XCTAssertNotNil(following, "the sentinel follows quorum: \(log())")

        let t0 = Date()
        try setExpectedVotes(3)
        let blocked = try VMTier.waitUntil(timeoutSeconds: 5, intervalMs: 5) { self.log().contains("lost quorum") }
        XCTAssertNotNil(blocked, "no block after the quorum loss: \(log())")
        print("quorum loss: sentinel reported the block \(Int(Date().timeIntervalSince(t0) * 1000)) ms after corosync-cmapctl returned")
        XCTAssertEqual(quorate(), false)
        XCTAssertFalse(guestReachable(), "the guest must be cut off once this node has no quorum")
        let monitor = agent.run("monitor", params, environment: environment)
        XCTAssertEqual(monitor.status, 9, "\(monitor)")
        XCTAssertTrue(monitor.exitReason?.contains("lost quorum") == true, "the monitor says why: \(monitor)")

        // Pacemaker's answer (demote) and a promote once quorum is back.
        XCTAssertEqual(agent.run("demote", params, environment: environment).status, 0)
        try setExpectedVotes(1)
        XCTAssertNotNil(try VMTier.waitUntil(timeoutSeconds: 5, intervalMs: 20) { self.quorate() == true })
        XCTAssertEqual(agent.run("promote", params, environment: environment).status, 0)
        XCTAssertEqual(agent.run("monitor", params, environment: environment).status, 8)
        XCTAssertTrue(guestReachable())
        XCTAssertEqual(agent.run("stop", params, environment: environment).status, 0)
    }

    func testAHostOpenedWithoutQuorumBlocksAtOnce() throws {
        try setExpectedVotes(3)
        XCTAssertNotNil(try VMTier.waitUntil(timeoutSeconds: 5, intervalMs: 20) { self.quorate() == false })
        let agent = try AgentProcess(agent: "vhostnet", namespace: host)
        XCTAssertEqual(agent.run("start", params, environment: environment).status, 0)
        XCTAssertEqual(agent.run("promote", params, environment: environment).status, 0)
        let blocked = try VMTier.waitUntil(timeoutSeconds: 5, intervalMs: 10) {
            agent.run("monitor", self.params, environment: self.environment).status == 9
        }
        XCTAssertNotNil(blocked, "a host opened without quorum must block: \(log())")
        XCTAssertFalse(guestReachable())
        XCTAssertEqual(agent.run("stop", params, environment: environment).status, 0)
    }

    func testCorosyncGoneCountsAsQuorumLost() throws {
        let agent = try AgentProcess(agent: "vhostnet", namespace: host)
        XCTAssertEqual(agent.run("start", params, environment: environment).status, 0)
        XCTAssertEqual(agent.run("promote", params, environment: environment).status, 0)
        XCTAssertNotNil(try VMTier.waitUntil(timeoutSeconds: 5, intervalMs: 20) { self.log().contains("following this node's quorum") })
        // Only this namespace's corosync: a namespace hides no process, and
        // `pkill corosync` would also kill a lab cluster's.
        let pids = Command.run(["ip", "netns", "pids", host.name]).stdout.split(separator: "\n").compactMap { Int32($0) }
        let corosync = pids.filter { (try? String(contentsOfFile: "/proc/\($0)/comm", encoding: .utf8))?.hasPrefix("corosync") == true }
        XCTAssertEqual(corosync.count, 1, "this test's corosync, by pid: \(corosync)")
        for pid in corosync { kill(pid, SIGKILL) }
        let blocked = try VMTier.waitUntil(timeoutSeconds: 5, intervalMs: 10) { self.log().contains("connection to corosync") }
        XCTAssertNotNil(blocked, "a crashed corosync must block the guests: \(log())")
        XCTAssertFalse(guestReachable())
        XCTAssertEqual(agent.run("monitor", params, environment: environment).status, 9)
        XCTAssertEqual(agent.run("stop", params, environment: environment).status, 0)
    }

    /// The control: with quorum_block=false the same loss changes nothing
    /// (so the checks above can fail).
    func testQuorumBlockFalseKeepsTheGuestsOpen() throws {
        var off = params
        off["quorum_block"] = "false"
        let agent = try AgentProcess(agent: "vhostnet", namespace: host)
        XCTAssertEqual(agent.run("start", off, environment: environment).status, 0)
        XCTAssertEqual(agent.run("promote", off, environment: environment).status, 0)
        XCTAssertFalse(agent.stateFiles().contains { $0.hasSuffix(".sentinel") }, "no sentinel: duplicate_policy=off, quorum_block=false")
        try setExpectedVotes(3)
        XCTAssertNotNil(try VMTier.waitUntil(timeoutSeconds: 5, intervalMs: 20) { self.quorate() == false })
        usleep(300_000)
        XCTAssertTrue(guestReachable(), "quorum_block=false: the guest stays open")
        XCTAssertEqual(agent.run("monitor", off, environment: environment).status, 8)
        XCTAssertEqual(agent.run("stop", off, environment: environment).status, 0)
    }
}
