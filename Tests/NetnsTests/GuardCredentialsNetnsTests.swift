import XCTest
import Foundation
import Glibc
import HanetFirewall
import HanetNetlink
import TestSupport

/// The guard's abstract socket name can be reached and bound by any local
/// user. Tried as such a user would (uid 65534 through `setpriv`, Debian's
/// own python3 as the client): asking the guard to end is ignored, and a
/// name bound first is reported by stop and by monitor, never silent.
final class GuardCredentialsNetnsTests: XCTestCase {
    private static let nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c"]
    private let params = ["bridge": "xenbr1", "backend": "nftables", "announce": "0"]
    /// Log lines on stderr (ocf_log's rule when syslog is off and no file is set).
    private let plain = ["HA_LOGFACILITY": "none"]
    private let promotable = ["OCF_RESKEY_CRM_meta_promotable": "true", "HA_LOGFACILITY": "none"]

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs /usr/bin/python3 and setpriv (scripts/install-deps.sh)")
        }
    }

    /// The guard's socket name, from its pid file's name (`hanet-vhostnet-<tag>.guard`).
    private func socketName(_ agent: AgentProcess) throws -> String {
        let file = try XCTUnwrap(agent.stateFiles().first { $0.hasSuffix(".guard") }, "\(agent.stateFiles())")
        let tag = file.dropFirst("hanet-vhostnet-".count).dropLast(".guard".count)
        return "hanet-vhostnet-guard-\(tag)"
    }

    func testAnotherUserCannotEndTheGuard() throws {
        let ns = try TestNamespace("guardcred")
        defer { ns.remove() }
        try ns.sh("ip link add xenbr1 type bridge; ip link set xenbr1 up")
        let agent = try AgentProcess(agent: "vhostnet", namespace: ns)
        XCTAssertEqual(agent.run("stop", params).status, 0)
        let pid = try XCTUnwrap(agent.processPID())
        let name = try socketName(agent)

        // Connects, asks the guard to end as root's stop does, and reports
        // how the guard answered: closed at once ("closed") or nothing.
        let client = """
            import socket
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect('\\0\(name)')
            s.settimeout(2)
            try:
                s.sendall(b'E')
                print('closed' if s.recv(1) == b'' else 'answered')
            except (BrokenPipeError, ConnectionResetError):
                print('closed')  # closed with our request unread
            except socket.timeout:
                print('left open')
            """
        for round in 0..<3 {
            let attempt = try ns.exec(Self.nobody + [client])
            XCTAssertTrue(attempt.succeeded, "the unprivileged client could not even connect: \(attempt) \(attempt.stderr)")
            XCTAssertTrue(attempt.stdout.contains("closed"), "the guard closes another user's connection unread: \(attempt)")
            usleep(100_000)
            XCTAssertTrue(AgentProcess.alive(pid), "round \(round): uid 65534 ended the guard")
        }
        // Still guarding: a flush is undone by the same guard.
        try ns.sh("nft flush ruleset")
        let back = try VMTier.waitUntil(timeoutSeconds: 3, intervalMs: 2) {
            self.agent(agent, monitorIs: 7)
        }
        XCTAssertNotNil(back, "the guard no longer restores the block after the unprivileged requests")
        XCTAssertTrue(AgentProcess.alive(pid))
        // Root's stop request still ends it.
        XCTAssertEqual(agent.run("start", params).status, 0)
        usleep(100_000)
        XCTAssertFalse(AgentProcess.alive(pid), "root's unblock ends the guard")
    }

    private func agent(_ agent: AgentProcess, monitorIs status: Int32) -> Bool {
        agent.run("monitor", params).status == status
    }

    func testANameBoundByAnotherUserIsReportedByStopAndMonitor() throws {
        let ns = try TestNamespace("guardsquat")
        defer { ns.remove() }
        try ns.sh("ip link add xenbr1 type bridge; ip link set xenbr1 up")
        let agent = try AgentProcess(agent: "vhostnet", namespace: ns)
        // Learn the name, then leave it free (start ends the guard).
        XCTAssertEqual(agent.run("stop", params).status, 0)
        let name = try socketName(agent)
        XCTAssertEqual(agent.run("start", params).status, 0)

        // uid 65534 binds the name first and holds it.
        let squatter = Process()
        squatter.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        squatter.arguments = ["netns", "exec", ns.name] + Self.nobody + ["""
            import socket, sys, time
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind('\\0\(name)')
            s.listen(8)
            print('bound', flush=True)
            time.sleep(60)
            """]
        let out = Pipe()
        squatter.standardOutput = out
        try squatter.run()
        defer { if squatter.isRunning { squatter.terminate() }; squatter.waitUntilExit() }
        let line = out.fileHandleForReading.availableData
        XCTAssertEqual(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), "bound")

        // stop still blocks (rc 0: the block is in place), and says why no guard runs.
        let stop = agent.run("stop", params, environment: plain)
        XCTAssertEqual(stop.status, 0, "\(stop)")
        XCTAssertTrue(stop.stderr.contains("held by uid 65534"), "stop says the guard could not start and why: \(stop)")
        XCTAssertEqual(agent.run("monitor", params).status, 7, "blocked")
        let monitor = agent.run("monitor", params, environment: plain)
        XCTAssertTrue(monitor.stderr.contains("held by uid 65534"), "the stopped-role monitor warns: \(monitor)")

        // The promotable clone's Unpromoted instance: a warning on every
        // monitor, and success (OCF_DEGRADED would count as a failure in
        // Pacemaker 2.1.5 and could keep this host from being promoted).
        let start = agent.run("start", params, environment: promotable)
        XCTAssertEqual(start.status, 0, "\(start)")
        XCTAssertTrue(start.stderr.contains("held by uid 65534"), "\(start)")
        let warned = agent.run("monitor", params, environment: promotable)
        XCTAssertEqual(warned.status, 0, "\(warned)")
        XCTAssertTrue(warned.stderr.contains("WARNING") && warned.stderr.contains("held by uid 65534"), "\(warned)")

        // Once the name is free again, the next block starts a real guard.
        squatter.terminate()
        squatter.waitUntilExit()
        XCTAssertEqual(agent.run("demote", params, environment: promotable).status, 0)
        let healthy = agent.run("monitor", params, environment: promotable)
        XCTAssertEqual(healthy.status, 0, "\(healthy)")
        XCTAssertFalse(healthy.stderr.contains("WARNING"), "a guard runs again: \(healthy)")
        let pid = try XCTUnwrap(agent.processPID())
        XCTAssertTrue(AgentProcess.alive(pid))
        XCTAssertEqual(agent.run("stop", params, environment: promotable).status, 0)
    }
}
