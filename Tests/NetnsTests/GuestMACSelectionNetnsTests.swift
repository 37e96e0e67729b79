import XCTest
import Foundation
import Glibc
import TestSupport

/// Guests selected by MAC (guest_macs), against the real kernel: traffic
/// checked from the client on the switch side in both directions, over
/// IPv4, IPv6 and ARP, for a guest present at block time and one that
/// attaches later; other guests on ports of the same names stay open; two
/// groups on one bridge are blocked and opened independently.
///
/// "The client's unicast does not reach the guest" is counted inside the
/// guest: an nft counter on echo requests in the guest's own namespace
/// (the test's witness), with a control that shows the same probe counted
/// while the guest is open.
final class GuestMACSelectionNetnsTests: XCTestCase {
    private var lab: GuestLab!
    private var agent: AgentProcess!

    override func setUpWithError() throws {
        lab = try GuestLab()
        agent = try AgentProcess(agent: "vhostnet", namespace: lab.host)
        for (_, name, _) in GuestLab.guestPorts { try countEchoRequests(in: try XCTUnwrap(lab.guests[name])) }
    }

    override func tearDown() {
        lab?.remove()
    }

    private func params(_ macs: String, backend: String = "nftables") -> [String: String] {
        ["bridge": "xenbr1", "exempt_ports": "vif0.0", "guest_macs": macs, "backend": backend, "announce": "0", "guard": "false"]
    }

    private func countEchoRequests(in ns: TestNamespace) throws {
        try ns.sh("""
            nft add table inet witness
            nft add chain inet witness in '{ type filter hook input priority 0; }'
            nft add rule inet witness in icmp type echo-request counter
            nft add rule inet witness in icmpv6 type echo-request counter
            """)
    }

    /// Echo requests (IPv4 + IPv6) that reached `guest`'s own stack so far.
    private func echoRequests(_ guest: String) throws -> Int { try echoRequests(in: try XCTUnwrap(lab.guests[guest])) }

    private func echoRequests(in ns: TestNamespace) throws -> Int { try counters(in: ns, table: "inet witness") }

    /// The sum of the packet counters of `table` in `ns`.
    private func counters(in ns: TestNamespace, table: String) throws -> Int {
        let json = try ns.sh("nft -j list table \(table)")
        let top = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        var total = 0
        for item in top?["nftables"] as? [[String: Any]] ?? [] {
            guard let rule = item["rule"] as? [String: Any], let exprs = rule["expr"] as? [[String: Any]] else { continue }
            for expr in exprs { total += (expr["counter"] as? [String: Any])?["packets"] as? Int ?? 0 }
        }
        return total
    }

    /// Unicast echoes from the client to `id`'s addresses with static
    /// neighbours (no ARP needed), and whether any answer came back.
    private func clientUnicast(_ id: Int) throws -> Bool {
        try lab.client.sh("""
            ip neigh replace 10.80.0.\(id) lladdr \(GuestLab.mac(id)) dev eth0 nud permanent
            ip -6 neigh replace fd80::\(id) lladdr \(GuestLab.mac(id)) dev eth0 nud permanent
            """)
        let v4 = lab.clientPings("10.80.0.\(id)")
        let v6 = lab.clientPings("fd80::\(id)")
        try lab.client.sh("ip neigh del 10.80.0.\(id) dev eth0; ip -6 neigh del fd80::\(id) dev eth0")
        return v4 || v6
    }

    private struct Reach: Equatable { var ipv4, ipv6, arp, fromGuest: Bool }

    private func reach(_ name: String, _ id: Int) -> Reach {
        Reach(ipv4: lab.clientPings("10.80.0.\(id)"), ipv6: lab.clientPings("fd80::\(id)"),
              arp: lab.clientARPs("10.80.0.\(id)"), fromGuest: lab.guestPings(name, "10.80.0.100"))
    }

    private static let open = Reach(ipv4: true, ipv6: true, arp: true, fromGuest: true)
    private static let closed = Reach(ipv4: false, ipv6: false, arp: false, fromGuest: false)

    func testSelectedMACsAreBlockedBothWaysAndOtherGuestsOnTheSamePortsStayOpen() throws {
        try selectedMACsAreBlockedBothWays(backend: "nftables")
    }

    func testIPTablesSelectedMACsAreBlockedBothWaysAndOtherGuestsOnTheSamePortsStayOpen() throws {
        try enableBridgeNetfilter()
        try selectedMACsAreBlockedBothWays(backend: "iptables")
    }

    /// The iptables backend sees bridged frames only through br_netfilter.
    private func enableBridgeNetfilter() throws {
        try lab.host.sh("sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 net.bridge.bridge-nf-call-arptables=1")
    }

    private func selectedMACsAreBlockedBothWays(backend: String) throws {
        let group = params("\(GuestLab.mac(11)) \(GuestLab.mac(13))", backend: backend)
        XCTAssertEqual(agent.run("stop", group).status, 0)
        XCTAssertEqual(reach("g1", 11), Self.closed, "g1 (vif1.0) selected by MAC")
        XCTAssertEqual(reach("g3", 13), Self.closed, "g3 (tap0) selected by MAC")
        XCTAssertEqual(reach("g2", 12), Self.open, "g2 on vif2.0 is not in the group")
        XCTAssertEqual(reach("g4", 14), Self.open, "g4 on vnet0 is not in the group")
        XCTAssertTrue(lab.clientPings("10.80.0.2"), "the exempt port")

        // The client's unicast never reaches the blocked guest's stack.
        let before = try echoRequests("g1")
        XCTAssertFalse(try clientUnicast(11))
        XCTAssertEqual(try echoRequests("g1"), before, "echo requests reached the blocked guest")
        // An ARP reply addressed to the guest (sent by the client, so only
        // a to-guest rule can stop it: iptables' target hardware address).
        let replies = try arpReplies("g1")
        try clientSendsARPReply(to: 11)
        XCTAssertEqual(try arpReplies("g1"), replies, "an ARP reply reached the blocked guest")
        // port_lock (default true) does not touch shared ports of a MAC-selected group.
        XCTAssertTrue(try lab.host.sh("bridge -j link show dev vif1.0").contains("\"forwarding\""))

        XCTAssertEqual(agent.run("start", group).status, 0)
        XCTAssertEqual(reach("g1", 11), Self.open)
        XCTAssertEqual(reach("g3", 13), Self.open)
        let control = try echoRequests("g1")
        XCTAssertTrue(try clientUnicast(11))
        XCTAssertEqual(try echoRequests("g1"), control + 2, "control: the open guest counts the client's two echoes")
        let openReplies = try arpReplies("g1")
        try clientSendsARPReply(to: 11)
        XCTAssertEqual(try arpReplies("g1"), openReplies + 1, "control: the open guest counts the ARP reply")
    }

    /// One ARP reply from the client (10.80.0.100) to guest `id`, unsolicited,
    /// written raw (Ethernet and ARP target: the guest's MAC).
    private func clientSendsARPReply(to id: Int) throws {
        let mac = GuestLab.mac(id).replacingOccurrences(of: ":", with: "")
        try lab.client.exec(["/usr/bin/python3", "-c", """
            import socket, struct
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind(("eth0", 0))
            dst, src = bytes.fromhex("\(mac)"), bytes.fromhex("020000000064")
            arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + src + socket.inet_aton("10.80.0.100") + dst + socket.inet_aton("10.80.0.\(id)")
            s.send(dst + src + b"\\x08\\x06" + arp)
            """], must: true)
        usleep(200_000)
    }

    /// ARP replies that reached `guest`'s own stack so far (an nft arp-family counter there).
    private func arpReplies(_ guest: String) throws -> Int {
        let ns = try XCTUnwrap(lab.guests[guest])
        if (try? ns.sh("nft list table arp witness")) == nil {
            try ns.sh("""
                nft add table arp witness
                nft add chain arp witness in '{ type filter hook input priority 0; }'
                nft add rule arp witness in arp operation reply counter
                """)
        }
        return try counters(in: ns, table: "arp witness")
    }

    func testAPrefixSelectsAGuestThatAttachesAfterTheBlock() throws {
        try aPrefixSelectsALateGuest(backend: "nftables")
        XCTAssertTrue(try lab.host.sh("nft list ruleset").contains("ether saddr & ff:ff:ff:ff:ff:f0 == 02:00:00:00:00:20 drop"), "nft reads our bytes as the same match")
    }

    func testIPTablesAPrefixSelectsAGuestThatAttachesAfterTheBlock() throws {
        try enableBridgeNetfilter()
        try aPrefixSelectsALateGuest(backend: "iptables")
    }

    private func aPrefixSelectsALateGuest(backend: String) throws {
        // 02:00:00:00:00:20/44 covers ids 0x20-0x2f: none exists at block time.
        let group = params("02:00:00:00:00:20/44", backend: backend)
        XCTAssertEqual(agent.run("stop", group).status, 0)
        // The kernel's dump of the masked match reads back as rendered.
        XCTAssertEqual(agent.run("monitor", group).status, 7, "complete block verified")
        let late = try TestNamespace("g5")
        defer { late.remove() }
        try lab.addGuest(port: "vnet1", ns: late, id: 0x21)
        try countEchoRequests(in: late)
        XCTAssertFalse(lab.clientPings("10.80.0.33"), "IPv4 to the late guest")
        XCTAssertFalse(lab.clientPings("fd80::21"), "IPv6 to the late guest")
        XCTAssertFalse(lab.clientARPs("10.80.0.33"), "ARP for the late guest")
        XCTAssertFalse(Command.run(["ip", "netns", "exec", late.name, "ping", "-c1", "-W1", "-q", "10.80.0.100"]).succeeded,
                       "the late guest reaches the client")
        try lab.client.sh("ip neigh replace 10.80.0.33 lladdr 02:00:00:00:00:21 dev eth0 nud permanent")
        XCTAssertFalse(lab.clientPings("10.80.0.33"))
        XCTAssertEqual(try echoRequests(in: late), 0, "echo requests reached the late guest")
        XCTAssertEqual(reach("g4", 14), Self.open, "vnet0's guest is outside the prefix")
        XCTAssertEqual(agent.run("start", group).status, 0)
        XCTAssertTrue(lab.clientPings("10.80.0.33"), "control: opened")
        XCTAssertEqual(try echoRequests(in: late), 1, "control: the open guest counts the echo")
        XCTAssertEqual(agent.run("stop", group).status, 0, "blocked again, for the caller's own checks")
    }

    func testMonitorNamesAMissingMACRule() throws {
        // The promotable clone: start blocks (Unpromoted); a monitor that
        // finds the block incomplete fails naming the missing rule.
        let group = params(GuestLab.mac(11))
        let meta = ["OCF_RESKEY_CRM_meta_promotable": "true", "OCF_RESKEY_CRM_meta_promoted_max": "1",
                    "OCF_RESKEY_CRM_meta_interval": "7000"]
        XCTAssertEqual(agent.run("start", group, environment: meta).status, 0)
        XCTAssertEqual(agent.run("monitor", group, environment: meta).status, 0, "unpromoted, complete block verified")
        let listing = try lab.host.sh("nft -a list ruleset")
        let line = try XCTUnwrap(listing.split(separator: "\n").first { $0.contains("ether saddr 02:00:00:00:00:0b") }, listing)
        let handle = try XCTUnwrap(line.split(separator: " ").last)
        let table = try XCTUnwrap(listing.split(separator: "\n").first { $0.hasPrefix("table bridge hanet_") })
            .split(separator: " ")[2]
        try lab.host.sh("nft delete rule bridge \(table) from_guests handle \(handle)")
        let result = agent.run("monitor", group, environment: meta)
        XCTAssertEqual(result.status, 1, "\(result)")
        // Which guest-port rule the listing showed first (tap*, vif*, ...) is nft's order; the MAC is ours.
        XCTAssertTrue(result.stderr.contains("chain from_guests: 1 of 4 rules missing: `"), "\(result)")
        XCTAssertTrue(result.stderr.contains(" ether saddr 02:00:00:00:00:0b drop`"), "\(result)")
    }

    func testIPTablesMonitorNamesADeletedBPFRule() throws {
        try enableBridgeNetfilter()
        let group = params(GuestLab.mac(11), backend: "iptables")
        let meta = ["OCF_RESKEY_CRM_meta_promotable": "true", "OCF_RESKEY_CRM_meta_promoted_max": "1",
                    "OCF_RESKEY_CRM_meta_interval": "7000"]
        XCTAssertEqual(agent.run("start", group, environment: meta).status, 0)
        XCTAssertEqual(agent.run("monitor", group, environment: meta).status, 0, "unpromoted, complete block verified")
        XCTAssertEqual(reach("g1", 11), Self.closed)
        // From the guest on tap*: the first guest-port rule after vif0.0's two RETURNs.
        let rule = "-i xenbr1 -m physdev --physdev-in tap+ --physdev-is-bridged -m bpf --bytecode "
            + "\"6,32 0 0 4292870150,21 0 3 33554432,40 0 0 4292870154,21 0 1 11,6 0 0 1,6 0 0 0\" -j DROP"
        let saved = try lab.host.sh("ip6tables-legacy-save")
        let line = try XCTUnwrap(saved.split(separator: "\n").first { $0.hasPrefix("-A HANET-") && $0.hasSuffix(rule) }, saved)
        try lab.host.sh("ip6tables-legacy -w -D" + line.dropFirst(2))
        let result = agent.run("monitor", group, environment: meta)
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertTrue(result.stderr.contains("ip6 filter: rule 3 of HANET-"), "\(result)")
        XCTAssertTrue(result.stderr.contains("is not `\(rule)`"), "\(result)")
    }

    func testTwoGroupsOnOneBridgeAreBlockedAndOpenedIndependently() throws {
        // Two promotable clones as Pacemaker runs them: start blocks, promote opens, demote blocks.
        func run(_ action: String, _ group: String, _ macs: String) -> AgentProcess.Result {
            agent.run(action, params(macs), environment: ["OCF_RESOURCE_INSTANCE": group + ":0", "OCF_RESKEY_CRM_meta_promotable": "true",
                                                           "OCF_RESKEY_CRM_meta_promoted_max": "1"])
        }
        let a = "\(GuestLab.mac(11)) \(GuestLab.mac(12))"
        let b = "\(GuestLab.mac(13)) \(GuestLab.mac(14))"
        func state() -> [Bool] { [11, 12, 13, 14].map { lab.clientPings("10.80.0.\($0)") } }
        XCTAssertEqual(run("start", "group-a", a).status, 0)
        XCTAssertEqual(run("start", "group-b", b).status, 0)
        XCTAssertEqual(state(), [false, false, false, false])
        XCTAssertEqual(run("promote", "group-a", a).status, 0)
        XCTAssertEqual(state(), [true, true, false, false], "A open, B blocked")
        XCTAssertEqual(run("demote", "group-a", a).status, 0)
        XCTAssertEqual(run("promote", "group-b", b).status, 0)
        XCTAssertEqual(state(), [false, false, true, true], "B open, A blocked")
        XCTAssertEqual(reach("g3", 13), Self.open)
        XCTAssertEqual(reach("g1", 11), Self.closed)
        XCTAssertEqual(run("promote", "group-a", a).status, 0)
        XCTAssertEqual(state(), [true, true, true, true])

        // A third group that shares a MAC with A, or takes every guest of the ports, is refused naming both.
        let shared = run("start", "group-c", "\(GuestLab.mac(12)) \(GuestLab.mac(2))")
        XCTAssertEqual(shared.status, 6, "\(shared)")
        XCTAssertTrue(shared.stderr.contains("guest group of group-c overlaps group-a's: both select MAC 02:00:00:00:00:0c on bridge xenbr1"),
                      "\(shared)")
        var everyone = params("")
        everyone["guest_macs"] = nil
        let byPort = agent.run("start", everyone, environment: ["OCF_RESOURCE_INSTANCE": "group-d"])
        XCTAssertEqual(byPort.status, 6, "\(byPort)")
        XCTAssertTrue(byPort.stderr.contains("guest group of group-d overlaps group-a's"), "\(byPort)")
        XCTAssertEqual(state(), [true, true, true, true], "refused groups changed nothing")
        XCTAssertEqual(run("demote", "group-a", a).status, 0, "demote never fails over a group record")
        XCTAssertEqual(run("demote", "group-b", b).status, 0)
        // Each group owns its own table.
        let listing = try lab.host.sh("nft list ruleset")
        XCTAssertEqual(listing.components(separatedBy: "table bridge hanet_").count - 1, 2, listing)
    }

    /// guest_domains: the MACs come from libvirt's records (in directories
    /// the test points the agent at, with the same trust checks); a domain
    /// defined only after the block is found missing by the next monitor,
    /// and Pacemaker's recovery (stop, start) then blocks it too.
    func testLibvirtDomainsAreSelectedFromTheirRecordsAndALaterDefinitionIsCaught() throws {
        let base = NSTemporaryDirectory() + "hanet-libvirt-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        for sub in ["", "/etc", "/run"] { XCTAssertEqual(mkdir(base + sub, 0o755), 0); chmod(base + sub, 0o755) }
        func record(_ path: String, mac: String, target: String? = nil) throws {
            let dev = target.map { "<target dev='\($0)'/>" } ?? ""
            try "<domain type='kvm'><name>x</name><devices><interface type='bridge'><mac address='\(mac)'/>\(dev)<source bridge='xenbr1'/></interface></devices></domain>"
                .write(toFile: base + path, atomically: false, encoding: .utf8)
            chmod(base + path, 0o600)
        }
        try record("/etc/web.xml", mac: GuestLab.mac(11))
        try record("/run/web.xml", mac: GuestLab.mac(11), target: "vif1.0")
        var group = params("")
        group["guest_macs"] = nil
        group["guest_domains"] = "web late"
        let env = ["OCF_RESKEY_CRM_meta_promotable": "true", "OCF_RESKEY_CRM_meta_promoted_max": "1",
                   "OCF_RESKEY_CRM_meta_interval": "7000", "HANET_LIBVIRT_CONFIG_DIR": base + "/etc", "HANET_LIBVIRT_RUN_DIR": base + "/run"]
        XCTAssertEqual(agent.run("start", group, environment: env).status, 0)
        XCTAssertEqual(reach("g1", 11), Self.closed, "web's MAC from libvirt's records")
        XCTAssertEqual(reach("g2", 12), Self.open, "late is not defined on this node yet")
        XCTAssertEqual(agent.run("monitor", group, environment: env).status, 0)

        try record("/etc/late.xml", mac: GuestLab.mac(12))
        let found = agent.run("monitor", group, environment: env)
        XCTAssertEqual(found.status, 1, "the new definition's rules are missing: \(found)")
        XCTAssertTrue(found.stderr.contains("ether saddr 02:00:00:00:00:0c"), "\(found)")
        XCTAssertEqual(agent.run("stop", group, environment: env).status, 0)
        XCTAssertEqual(agent.run("start", group, environment: env).status, 0)
        XCTAssertEqual(agent.run("monitor", group, environment: env).status, 0)
        XCTAssertEqual(reach("g2", 12), Self.closed, "late, once defined")
        XCTAssertEqual(reach("g3", 13), Self.open)

        // A record others may write is refused: never 6, and nothing opened.
        chmod(base + "/etc/late.xml", 0o666)
        let unsafe = agent.run("promote", group, environment: env)
        XCTAssertEqual(unsafe.status, 4, "OCF_ERR_PERM: \(unsafe)")
        XCTAssertEqual(reach("g2", 12), Self.closed)
    }

    func testIdentitySelectionTakesEitherBackendAndStrictMACs() throws {
        try enableBridgeNetfilter()
        let iptables = agent.run("validate-all", params(GuestLab.mac(11), backend: "iptables"))
        XCTAssertEqual(iptables.status, 0, "once refused, now rendered with xt_bpf: \(iptables)")
        let bad = agent.run("validate-all", params("02:00:00:00:00:0b 01:00:5e:00:00:01"))
        XCTAssertEqual(bad.status, 6, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("01:00:5e:00:00:01"), "\(bad)")
    }
}
