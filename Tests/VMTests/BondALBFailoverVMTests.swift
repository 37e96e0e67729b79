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
final class BondALBFailoverVMTests: XCTestCase {
    struct Frame {
        var time: Double
        var destination: String
        var isRequest: Bool
    }

    struct Outcome: CustomStringConvertible {
        var settings: String
        var deadWasActive: Bool
        var lastToDeadMs: Double?
        var outageMs: Double
        var lost: Int
        var sent: Int
        var description: String {
            "\(settings): the peer's slave was \(deadWasActive ? "the active one" : "not the active one"); " +
            "requests to its MAC for \(lastToDeadMs.map { String(format: "%.0f ms", $0) } ?? "none after the cut") after the cut; " +
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
            let outcome = try measure(options: options)
            print("VM: balance-alb failover: \(outcome)")
            outcomes.append(outcome)
        }
        XCTAssertEqual(outcomes.count, 2)
    }

    /// The bond is made by ocf:hanet:bond (Debian 12's `ip` knows no
    /// peer_notif_delay).
    private func measure(options: [String: String]) throws -> Outcome {
        let host = try TestNamespace("alb"), sw = try TestNamespace("alb-sw"), peer = try TestNamespace("alb-peer")
        defer { peer.remove(); sw.remove(); host.remove() }
        try sw.sh("ip link add sw type bridge; ip link set sw type bridge forward_delay 0; ip link set sw up")
        for (slave, port) in [("e1", "p1"), ("e2", "p2")] {
            try host.exec(["ip", "link", "add", slave, "type", "veth", "peer", "name", port, "netns", sw.name], must: true)
            try sw.sh("ip link set \(port) master sw up")
        }
        try peer.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "tp", "netns", sw.name], must: true)
        try sw.sh("ip link set tp master sw up")
        try peer.sh("ip link set eth0 up; ip addr add 10.83.0.100/24 dev eth0")
        let agent = try AgentProcess(agent: "bond", namespace: host)
        let params = ["bond": "bond0", "slaves": "e1 e2", "mode": "balance-alb", "miimon": "10"].merging(options) { $1 }
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        try host.sh("ip addr add 10.83.0.1/24 dev bond0")
        let settings = try host.exec(["cat", "/sys/class/net/bond0/bonding/num_grat_arp", "/sys/class/net/bond0/bonding/peer_notif_delay"], must: true).stdout
            .split(separator: "\n").joined(separator: "/")
        XCTAssertNotNil(VMTier.waitUntil(timeoutSeconds: 20, intervalMs: 200) {
            (try? peer.exec(["ping", "-c1", "-W1", "-q", "10.83.0.1"]).succeeded) ?? false
        }, "the path works")
        // The MAC the peer sends to: rlb answered its ARP with one slave's address.
        let neighbour = try peer.exec(["ip", "-j", "neigh", "show", "10.83.0.1"], must: true).stdout
        let links = try IPLinkJSON(namespace: host)
        let slaveMACs = try ["e1", "e2"].map { name -> (String, String) in
            let sysfs = try host.exec(["cat", "/sys/class/net/\(name)/address"], must: true).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            return (name, sysfs)
        }
        let dead = try XCTUnwrap(slaveMACs.first { neighbour.contains($0.1) }, "peer neighbour \(neighbour) vs slaves \(slaveMACs)")
        let active = IPLinkJSON.infoData(links.link("bond0") ?? [:])["active_slave"] as? String
        let port = dead.0 == "e1" ? "p1" : "p2"

        let capture = Process()
        capture.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        capture.arguments = ["netns", "exec", peer.name, "tcpdump", "-i", "eth0", "-n", "-e", "-tt", "-l", "-U", "icmp"]
        let captured = Pipe()
        capture.standardOutput = captured
        capture.standardError = FileHandle.nullDevice
        try capture.run()
        usleep(1_000_000)
        let ping = Process()
        ping.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        ping.arguments = ["netns", "exec", peer.name, "ping", "-i", "0.01", "-c", "400", "-W", "2", "-q", "10.83.0.1"]
        let pinged = Pipe()
        ping.standardOutput = pinged
        try ping.run()
        usleep(1_000_000)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let cut = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        try sw.sh("ip link set \(port) down")
        let summaryText = String(decoding: pinged.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ping.waitUntilExit()
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
        let toDead = frames.filter { $0.isRequest && $0.destination == dead.1 && $0.time >= cut }
        let replies = frames.filter { !$0.isRequest }.map(\.time)
        var outage = 0.0
        for (a, b) in zip(replies, replies.dropFirst()) where b >= cut && a <= cut + 10 { outage = max(outage, (b - a) * 1000) }
        let summary = summaryText.split(separator: "\n").first { $0.contains("packets transmitted") }.map(String.init) ?? summaryText
        let numbers = summary.split(separator: " ").compactMap { Int($0) }
        return Outcome(settings: "miimon 10, num_grat_arp/peer_notif_delay \(settings)" + (options.isEmpty ? " (defaults)" : ""),
                       deadWasActive: active == dead.0, lastToDeadMs: toDead.last.map { ($0.time - cut) * 1000 },
                       outageMs: outage, lost: numbers.count >= 2 ? numbers[0] - numbers[1] : -1, sent: numbers.first ?? 0)
    }
}
