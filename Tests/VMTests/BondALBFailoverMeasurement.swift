import Foundation
import XCTest
import Glibc
import TestSupport

/// Measures (prints, records in BENCHMARKS.md; asserts no timing) what a
/// balance-alb failover looks like from a peer: the peer pings the bond
/// every 10 ms, the slave whose MAC the peer sends to loses its cable, and
/// tcpdump at the peer shows how long it keeps sending to that MAC and when
/// answers come back; with default settings and with num_grat_arp /
/// peer_notif_delay set.
///
///   [host: bond0 10.83.0.1 = e1 + e2] -- p1, p2 --[switch: bridge sw]-- tp -- [peer: eth0 10.83.0.100]
final class BondALBFailoverMeasurement: XCTestCase {
    struct Frame {
        var time: Double
        var destination: String
        var isRequest: Bool
    }

    struct Outcome: CustomStringConvertible {
        var settings: String
        var cut: String
        var peerMAC: String
        var macMoved: Bool
        var lastToDeadMs: Double?
        var outageMs: Double
        var lost: Int
        var sent: Int
        var description: String {
            "\(settings), cut the \(cut) slave: the peer on it sent to \(peerMAC) " +
            (macMoved ? "(the MAC moved to the live slave) " : "(the MAC stayed on the dead slave) ") +
            "until \(lastToDeadMs.map { String(format: "%.0f ms", $0) } ?? "-") after the cut; " +
            "longest gap between answers \(String(format: "%.0f ms", outageMs)); lost \(lost) of \(sent)"
        }
    }

    override func setUpWithError() throws {
        try VMTier.require()
        guard Command.exists("tcpdump") else { throw XCTSkip("tcpdump not installed") }
    }

    func testFailoverWithDefaultsAndWithPeerNotification() throws {
        var outcomes: [Outcome] = []
        for options in [[:], ["num_grat_arp": "5", "peer_notif_delay": "100"]] {
            for cut in ["active", "other"] {
                guard let outcome = try measure(options: options, cut: cut) else { continue }
                print("VM: balance-alb failover: \(outcome)")
                outcomes.append(outcome)
            }
        }
        XCTAssertFalse(outcomes.isEmpty)
    }

    private static func realtime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private func background(_ arguments: [String], output: Pipe) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Two peers (rlb gives each client its own slave), both pinging the
    /// bond every 10 ms; the `cut` slave ("active": the one with the bond's
    /// MAC, or "other") loses its cable; measured at the peer whose slave it
    /// was. nil when no peer was on that slave. The bond is made by
    /// ocf:hanet:bond (Debian 12's `ip` knows no peer_notif_delay).
    private func measure(options: [String: String], cut: String) throws -> Outcome? {
        let host = try TestNamespace("alb"), sw = try TestNamespace("alb-sw")
        let peers = [try TestNamespace("alb-peer1"), try TestNamespace("alb-peer2")]
        defer { for peer in peers { peer.remove() }; sw.remove(); host.remove() }
        try sw.sh("ip link add sw type bridge; ip link set sw type bridge forward_delay 0; ip link set sw up")
        for (slave, port) in [("e1", "p1"), ("e2", "p2")] {
            try host.exec(["ip", "link", "add", slave, "type", "veth", "peer", "name", port, "netns", sw.name], must: true)
            try sw.sh("ip link set \(port) master sw up")
        }
        for (i, peer) in peers.enumerated() {
            try peer.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "tp\(i)", "netns", sw.name], must: true)
            try sw.sh("ip link set tp\(i) master sw up")
            try peer.sh("ip link set eth0 up; ip addr add 10.83.0.\(100 + i)/24 dev eth0")
        }
        let agent = try AgentProcess(agent: "bond", namespace: host)
        let params = ["bond": "bond0", "slaves": "e1 e2", "mode": "balance-alb", "miimon": "10"].merging(options) { $1 }
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        try host.sh("ip addr add 10.83.0.1/24 dev bond0")
        let settings = try host.exec(["cat", "/sys/class/net/bond0/bonding/num_grat_arp", "/sys/class/net/bond0/bonding/peer_notif_delay"], must: true).stdout
            .split(separator: "\n").joined(separator: "/")
        for peer in peers {
            XCTAssertNotNil(VMTier.waitUntil(timeoutSeconds: 20, intervalMs: 200) {
                (try? peer.exec(["ping", "-c1", "-W1", "-q", "10.83.0.1"]).succeeded) ?? false
            }, "the path works")
        }
        func address(_ name: String) throws -> String {
            try host.exec(["cat", "/sys/class/net/\(name)/address"], must: true).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let active = try host.exec(["cat", "/sys/class/net/bond0/bonding/active_slave"], must: true).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let victim = cut == "active" ? active : (active == "e1" ? "e2" : "e1")
        let deadMAC = try address(victim)
        // The peer whose neighbour entry (rlb's answer) names the victim's MAC.
        guard let peer = try peers.first(where: { try $0.exec(["ip", "-j", "neigh", "show", "10.83.0.1"], must: true).stdout.contains(deadMAC) }) else {
            print("VM: balance-alb failover: \(settings), cut the \(cut) slave: no peer was on it (rlb put both elsewhere)")
            return nil
        }

        let captured = Pipe(), pinged = Pipe()
        let capture = try background(["netns", "exec", peer.name, "tcpdump", "-i", "eth0", "-n", "-e", "-tt", "-l", "-U", "icmp"], output: captured)
        usleep(1_000_000)
        let ping = try background(["netns", "exec", peer.name, "ping", "-i", "0.01", "-c", "400", "-W", "2", "-q", "10.83.0.1"], output: pinged)
        usleep(1_000_000)
        let cutAt = Self.realtime()
        try sw.sh("ip link set \(victim == "e1" ? "p1" : "p2") down")
        let summaryText = String(decoding: pinged.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ping.waitUntilExit()
        let liveMACs = try [victim == "e1" ? "e2" : "e1"].map(address)
        usleep(300_000)
        capture.terminate()
        let dump = String(decoding: captured.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        capture.waitUntilExit()

        let frames = dump.split(separator: "\n").compactMap { line -> Frame? in
            // 1700000000.123456 02:..:.. > aa:..:.., ethertype IPv4 (0x0800), length 98: 10.83.0.100 > 10.83.0.1: ICMP echo request, ...
            let words = line.split(separator: " ")
            guard words.count > 4, let time = Double(words[0]) else { return nil }
            return Frame(time: time, destination: String(words[3]).trimmingCharacters(in: CharacterSet(charactersIn: ",")),
                         isRequest: line.contains("echo request"))
        }
        let toDead = frames.filter { $0.isRequest && $0.destination == deadMAC && $0.time >= cutAt }
        let replies = frames.filter { !$0.isRequest }.map(\.time)
        var outage = 0.0
        for (a, b) in zip(replies, replies.dropFirst()) where b >= cutAt && a <= cutAt + 10 { outage = max(outage, (b - a) * 1000) }
        let summary = summaryText.split(separator: "\n").first { $0.contains("packets transmitted") }.map(String.init) ?? summaryText
        let numbers = summary.split(separator: " ").compactMap { Int($0) }
        XCTAssertEqual(agent.run("stop", params).status, 0)
        return Outcome(settings: "miimon 10, num_grat_arp/peer_notif_delay \(settings)" + (options.isEmpty ? " (defaults)" : ""),
                       cut: cut, peerMAC: deadMAC, macMoved: liveMACs.contains(deadMAC),
                       lastToDeadMs: toDead.last.map { ($0.time - cutAt) * 1000 },
                       outageMs: outage, lost: numbers.count >= 2 ? numbers[0] - numbers[1] : -1, sent: numbers.first ?? 0)
    }
}
