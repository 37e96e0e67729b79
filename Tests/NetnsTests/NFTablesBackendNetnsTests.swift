import XCTest
import Foundation
import Glibc
import HanetNetlink
import HanetLinks
@testable import HanetFirewall
import TestSupport

/// The nftables backend against the real kernel, in throwaway namespaces.
///
/// Topology of `NFTablesLab` (all IPv4 10.9.0.0/24 and IPv6 fd00:9::/64):
///
/// ```
///  switch ns: up0 .254 ── eth0 ─┐
///                               │ host ns: bridge br0 (.1, dom0)
///  exempt ns: eth0 .10 ── vif0.0┤
///  guest  ns: eth0 .11 ── vif1.0┤
///  guest  ns: eth0 .12 ── vif2.0┤
///  guest  ns: eth0 .13 ── tap0  ┤
///  guest  ns: eth0 .14 ── vnet0 ┘
/// ```
///
/// `nft` (and `ping`, `arping`) are the independent witnesses.
final class NFTablesBackendNetnsTests: XCTestCase {
    static let guestPatterns = ["vif*", "tap*", "vnet*"]

    var policy: GuestBlockPolicy {
        GuestBlockPolicy(bridges: ["br0"], guestPorts: Self.guestPatterns.map { try! PortPattern(parsing: $0) },
                         exemptPorts: [try! PortPattern(parsing: "vif0.0")])
    }

    // MARK: traffic

    func testBlockCutsEveryGuestAndSparesDom0AndTheExemptPort() throws {
        let lab = try NFTablesLab()
        defer { lab.remove() }
        let backend = try NFTablesBackend(namespace: .named(lab.host.name))

        // The topology works before anything is blocked, or the blocked
        // results below would prove nothing.
        try lab.expect(lab.matrix(mustReach: { _ in true }), allReachable: true, phase: "before block")

        let result = try backend.install(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)
        let blocked = lab.matrix(mustReach: { !$0.involvesGuest })
        for check in blocked {
            XCTAssertEqual(check.reachable, !check.involvesGuest, "blocked: \(check.label)")
        }

        try backend.unblock(policy)
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        try lab.expect(lab.matrix(mustReach: { _ in true }), allReachable: true, phase: "after unblock")
        print("nftables block: \(result)")
    }

    func testAGuestPortAddedWhileBlockedIsBlockedAtOnce() throws {
        let lab = try NFTablesLab(guestPorts: ["vif1.0"])
        defer { lab.remove() }
        let backend = try NFTablesBackend(namespace: .named(lab.host.name))
        try backend.block(policy)

        let late = try lab.addGuest(port: "vif3.0", index: 21)
        let checks = lab.run([
            .ping(from: late.ns, to: NFTablesLab.switchV4, label: "vif3.0 -> switch v4"),
            .ping(from: late.ns, to: NFTablesLab.switchV6, label: "vif3.0 -> switch v6"),
            .arping(from: late.ns, to: NFTablesLab.switchV4, label: "vif3.0 -> switch arp"),
            .ping(from: lab.sw, to: late.v4, label: "switch -> vif3.0 v4"),
            .ping(from: lab.host, to: late.v6, label: "dom0 -> vif3.0 v6"),
            // Control: the same commands reach the exempt port.
            .ping(from: lab.sw, to: NFTablesLab.exemptV4, label: "switch -> exempt v4"),
        ], mustReach: { $0.label == "switch -> exempt v4" })
        XCTAssertEqual(checks.map(\.reachable), [false, false, false, false, false, true], "\(checks)")
        XCTAssertEqual(try backend.inspect(policy), .blocked, "the rules match names, nothing to update")
    }

    func testReblockingNeverLetsAFrameThrough() throws {
        let lab = try NFTablesLab(guestPorts: ["vif1.0"])
        defer { lab.remove() }
        let guest = lab.guests[0]
        // Static neighbours, so the guest keeps sending IPv4 frames while
        // blocked (no ARP needed), and a witness counter on the switch.
        let switchMAC = try lab.sw.sh("cat /sys/class/net/up0/address").trimmingCharacters(in: .whitespacesAndNewlines)
        try guest.ns.sh("ip neigh replace \(NFTablesLab.switchV4) lladdr \(switchMAC) dev eth0 nud permanent")
        let witness = Command.run(["ip", "netns", "exec", lab.sw.name, "nft", "-f", "-"], input: """
            table inet witness {
                chain input {
                    type filter hook input priority 0; policy accept;
                    ip saddr \(guest.v4) counter
                }
            }

            """)
        XCTAssertTrue(witness.succeeded, "\(witness)")
        func witnessed() throws -> Int {
            let text = try lab.sw.sh("nft list chain inet witness input")
            guard let range = text.range(of: "packets ") else { throw SetupError("no counter in \(text)") }
            return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
        }

        let backend = try NFTablesBackend(namespace: .named(lab.host.name))
        try backend.block(policy)
        let flood = Process()
        flood.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        flood.arguments = ["ip", "netns", "exec", guest.ns.name, "ping", "-q", "-n", "-i", "0.001", "-w", "3", NFTablesLab.switchV4]
        flood.standardOutput = FileHandle.nullDevice
        flood.standardError = FileHandle.nullDevice
        try flood.run()
        var blocks = 0
        while flood.isRunning {
            // Alternate a warm backend with a fresh one, which first tries
            // (and on a kernel without nft_meta_bridge aborts) bridge matching.
            if blocks % 2 == 0 {
                try backend.block(policy)
            } else {
                try NFTablesBackend(namespace: .named(lab.host.name)).block(policy)
            }
            blocks += 1
        }
        flood.waitUntilExit()
        XCTAssertGreaterThan(blocks, 10, "the block was replaced while frames flowed")
        let through = try witnessed()
        XCTAssertEqual(through, 0, "frames from the guest reached the switch during \(blocks) re-blocks")

        // Control: the witness does count the guest once unblocked.
        try backend.unblock(policy)
        XCTAssertTrue(lab.run([.ping(from: guest.ns, to: NFTablesLab.switchV4, label: "guest -> switch")], mustReach: { _ in true })[0].reachable)
        XCTAssertGreaterThan(try witnessed(), 0)
        print("nftables: \(blocks) re-blocks under a 1000 pps flood, \(through) frames through")
    }

    func testGuestNamedPortsOnAnotherBridgeFollowTheMatchKind() throws {
        let lab = try NFTablesLab(guestPorts: ["vif1.0"])
        defer { lab.remove() }
        // A second bridge, not in the policy, with a port whose name looks like a guest's.
        try lab.host.sh("ip link add br1 type bridge && ip link set br1 up && ip addr add 10.8.0.1/24 dev br1")
        let other = try TestNamespace("nftother")
        defer { other.remove() }
        try other.sh("ip link set lo up")
        try lab.host.sh("ip link add vif9.0 type veth peer name eth0 netns \(other.name) && ip link set vif9.0 master br1 up")
        try other.sh("ip addr add 10.8.0.9/24 dev eth0 && ip link set eth0 up")

        let backend = try NFTablesBackend(namespace: .named(lab.host.name))
        let result = try backend.install(policy)
        XCTAssertEqual(result.match, try Self.kernelMatchKind(), "what nft itself can install on this kernel")
        let checks = lab.run([
            .ping(from: other, to: "10.8.0.1", label: "vif9.0 on br1 -> dom0"),
            .ping(from: lab.guests[0].ns, to: NFTablesLab.dom0V4, label: "vif1.0 on br0 -> dom0"),
        ], mustReach: { $0.label.hasPrefix("vif9.0") && result.match == .bridgeAndPort })
        // Bridge scoping leaves br1 alone; port-name matching blocks vif9.0 too.
        XCTAssertEqual(checks.map(\.reachable), [result.match == .bridgeAndPort, false], "\(result): \(checks)")
        XCTAssertEqual(result.note == nil, result.match == .bridgeAndPort)
    }

    // MARK: ownership

    func testForeignTablesSurviveEveryActionByteForByte() throws {
        let host = try TestNamespace("nftforeign")
        defer { host.remove() }
        let script = """
            table bridge foreign {
                chain forward_check { type filter hook forward priority 0; policy accept; ether type arp counter accept; iifname "vif*" counter drop; }
            }
            table inet foreignfw {
                set blocked { type ipv4_addr; elements = { 192.0.2.1, 192.0.2.2 }; }
                chain input { type filter hook input priority 0; policy accept; ip saddr @blocked counter drop; }
            }
            table bridge hanet_00000000 {
                comment "looks like ours, is not"
                chain from_guests { type filter hook prerouting priority -300; policy accept; iifname "eth*" drop; }
            }
            """
        let loaded = Command.run(["ip", "netns", "exec", host.name, "nft", "-f", "-"], input: script)
        XCTAssertTrue(loaded.succeeded, "\(loaded)")
        func foreign() throws -> String {
            try ["bridge foreign", "inet foreignfw", "bridge hanet_00000000"].map { table in
                try host.exec(["nft", "-a", "list", "table"] + table.split(separator: " ").map(String.init), must: true).stdout
            }.joined()
        }
        let before = try foreign()
        XCTAssertTrue(before.contains("192.0.2.2") && before.contains("looks like ours"), before)

        let backend = try NFTablesBackend(namespace: .named(host.name))
        let other = GuestBlockPolicy(bridges: ["br9"], guestPorts: [try PortPattern(parsing: "tap*")])
        let steps: [(String, () throws -> Void)] = [
            ("unblock of nothing", { try backend.unblock(self.policy) }),
            ("block", { try backend.block(self.policy) }),
            ("block again", { try backend.block(self.policy) }),
            ("block another policy", { try backend.block(other) }),
            ("inspect", { XCTAssertEqual(try backend.inspect(self.policy), .blocked) }),
            ("unblock", { try backend.unblock(self.policy) }),
            ("unblock again", { try backend.unblock(self.policy) }),
        ]
        for (name, step) in steps {
            try step()
            XCTAssertEqual(try foreign(), before, "after \(name)")
        }
        // The other policy's table is a separate owner: still complete.
        XCTAssertEqual(try backend.inspect(other), .blocked)
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        XCTAssertNotEqual(NFTablesBackend.tableName(for: other), NFTablesBackend.tableName(for: policy))
    }

    // MARK: inspect against hand edits

    func testFlushRulesetMakesInspectUnblocked() throws {
        let host = try TestNamespace("nftflush")
        defer { host.remove() }
        let backend = try NFTablesBackend(namespace: .named(host.name))
        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)
        try host.exec(["nft", "flush", "ruleset"], must: true)
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
    }

    func testHandEditsOfOurTableAreIncompleteAndBlockRepairsThem() throws {
        let host = try TestNamespace("nftedit")
        defer { host.remove() }
        let backend = try NFTablesBackend(namespace: .named(host.name))
        let table = NFTablesBackend.tableName(for: policy)
        let result = try backend.install(policy)
        let tapDrop = result.match == .bridgeAndPort ? #"meta ibrname "br0" iifname "tap*" drop"# : #"iifname "tap*" drop"#

        // Delete one rule by handle.
        let listing = try host.exec(["nft", "-a", "list", "chain", "bridge", table, "from_guests"], must: true).stdout
        let line = try XCTUnwrap(listing.split(separator: "\n").first { $0.contains(#""tap*" drop"#) }, listing)
        let handle = try XCTUnwrap(line.split(separator: " ").last.map(String.init))
        try host.exec(["nft", "delete", "rule", "bridge", table, "from_guests", "handle", handle], must: true)
        try assertIncomplete(backend, containing: "chain from_guests: 1 of 4 rules missing: `\(tapDrop)`")
        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)

        // Flush one chain.
        try host.exec(["nft", "flush", "chain", "bridge", table, "to_guests"], must: true)
        try assertIncomplete(backend, containing: "chain to_guests: 4 of 4 rules missing")
        try backend.block(policy)

        // Add a rule of our own making at the top (an accept that would let guests through).
        try host.exec(["nft", "insert", "rule", "bridge", table, "from_guests", "iifname", "vif1.0", "accept"], must: true)
        try assertIncomplete(backend, containing: #"chain from_guests: 1 unexpected: `iifname "vif1.0" accept`"#)
        try backend.block(policy)

        // Delete a whole chain.
        try host.exec(["nft", "delete", "chain", "bridge", table, "to_guests"], must: true)
        try assertIncomplete(backend, containing: "chain to_guests is missing")
        try backend.block(policy)

        // An extra chain in our table.
        try host.exec(["nft", "add", "chain", "bridge", table, "sneaky", "{ type filter hook input priority 0; policy drop; }"], must: true)
        try assertIncomplete(backend, containing: "holds 3 chains/sets/objects, expected 2")
        try backend.block(policy)

        // Made dormant by hand: complete but inert, so guests are reachable.
        try host.exec(["nft", "add", "table", "bridge", table, "{ flags dormant; }"], must: true)
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)
        let listed = try host.exec(["nft", "list", "table", "bridge", table], must: true).stdout
        XCTAssertFalse(listed.contains("dormant"), listed)
    }

    func assertIncomplete(_ backend: NFTablesBackend, containing text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let state = try backend.inspect(policy)
        guard case .incomplete(let reason) = state else {
            return XCTFail("expected incomplete (\(text)), got \(state)", file: file, line: line)
        }
        XCTAssertTrue(reason.contains(text), "reason: \(reason)", file: file, line: line)
    }

    // MARK: idempotence, cycles, timings

    func testBlockIsIdempotentAndCyclesCleanly() throws {
        let host = try TestNamespace("nftidem")
        defer { host.remove() }
        let backend = try NFTablesBackend(namespace: .named(host.name))
        let table = NFTablesBackend.tableName(for: policy)
        func listing() throws -> String { try host.exec(["nft", "list", "ruleset"], must: true).stdout }

        try backend.block(policy)
        let once = try listing()
        try backend.block(policy)
        XCTAssertEqual(try listing(), once, "block twice = block once")
        XCTAssertEqual(once.components(separatedBy: "table bridge \(table)").count, 2, "exactly one table of ours:\n\(once)")
        XCTAssertEqual(try backend.inspect(policy), .blocked)

        try backend.unblock(policy)
        let dormant = try listing()
        XCTAssertTrue(dormant.contains("flags dormant"), "unblock switches our table dormant:\n\(dormant)")
        // nft prints the flag on its own line plus a blank separator line.
        func content(_ text: String) -> [Substring] { text.split(separator: "\n").filter { !$0.contains("flags dormant") } }
        XCTAssertEqual(content(dormant), content(once), "and changes nothing else")
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        try backend.block(policy)
        XCTAssertEqual(try listing(), once, "block -> unblock -> block")

        // The replace path (a table missing or tampered with) still works.
        let replacing = NFTablesBackend(connection: try NetlinkConnection(bus: NetlinkConstants.netfilter, namespace: .named(host.name)),
                                        switchesDormantTables: false)
        try replacing.unblock(policy)
        XCTAssertEqual(try listing(), "", "replace-path unblock deletes the table")
        try replacing.block(policy)
        XCTAssertEqual(try listing(), once)

        // Quick loop for wall time per call.
        var blockTime = Duration.zero, inspectTime = Duration.zero, unblockTime = Duration.zero
        let clock = ContinuousClock()
        let rounds = 50
        for _ in 0..<rounds {
            blockTime += try clock.measure { try backend.block(policy) }
            var state = GuestBlockState.unblocked
            inspectTime += try clock.measure { state = try backend.inspect(policy) }
            XCTAssertEqual(state, .blocked)
            unblockTime += try clock.measure { try backend.unblock(policy) }
        }
        print("nftables timings over \(rounds) rounds: block \(blockTime / rounds), inspect \(inspectTime / rounds), unblock \(unblockTime / rounds)")
        XCTAssertEqual(try backend.inspect(policy), .unblocked)

        // As a short-lived agent does it: a new socket per call, and the
        // block learning about bridge matching from the kernel each time.
        var coldBlock = Duration.zero, coldInspect = Duration.zero, coldUnblock = Duration.zero
        for _ in 0..<rounds {
            coldBlock += try clock.measure { try NFTablesBackend(namespace: .named(host.name)).block(policy) }
            coldInspect += try clock.measure { _ = try NFTablesBackend(namespace: .named(host.name)).inspect(policy) }
            coldUnblock += try clock.measure { try NFTablesBackend(namespace: .named(host.name)).unblock(policy) }
        }
        print("nftables timings, new backend per call: block \(coldBlock / rounds), inspect \(coldInspect / rounds), unblock \(coldUnblock / rounds)")
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
    }

    func testLargeBatchRaisesTheSendBuffer() throws {
        let host = try TestNamespace("nftlarge")
        defer { host.remove() }
        let many = (0..<1000).map { try! PortPattern(parsing: "g\($0)x*") }
        let policy = GuestBlockPolicy(bridges: ["br0"], guestPorts: many)
        let backend = try NFTablesBackend(namespace: .named(host.name))
        let clock = ContinuousClock()
        var result: NFTablesBlockResult?
        let elapsed = try clock.measure { result = try backend.install(policy) }
        let installed = try XCTUnwrap(result)
        let defaultBuffer = Int(try String(contentsOfFile: "/proc/sys/net/core/wmem_default", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertGreaterThan(installed.bytes, defaultBuffer, "the batch must not fit the default send buffer, or this test proves nothing")
        XCTAssertEqual(installed.rules, 2000)
        var state = GuestBlockState.unblocked
        let inspectElapsed = try clock.measure { state = try backend.inspect(policy) }
        XCTAssertEqual(state, .blocked)
        let listed = try host.exec(["nft", "list", "table", "bridge", installed.table], must: true).stdout
        XCTAssertEqual(listed.components(separatedBy: " drop").count - 1, 2000)
        print("nftables large policy: \(installed), \(installed.bytes) bytes, block \(elapsed), inspect \(inspectElapsed)")
    }

    // MARK: differential check with nft's own reading

    func testNftReadsBackExactlyTheRendering() throws {
        let host = try TestNamespace("nftjson")
        defer { host.remove() }
        let backend = try NFTablesBackend(namespace: .named(host.name))
        let policy = GuestBlockPolicy(bridges: ["br0", "xenbr1"], guestPorts: Self.guestPatterns.map { try! PortPattern(parsing: $0) } + [try PortPattern(parsing: "guest7")],
                                      exemptPorts: [try PortPattern(parsing: "vif0.0")])
        let result = try backend.install(policy)
        let json = try host.exec(["nft", "-j", "list", "table", "bridge", result.table], must: true).stdout
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let objects = try XCTUnwrap(root["nftables"] as? [[String: Any]])

        let chains = objects.compactMap { $0["chain"] as? [String: Any] }.map { chain in
            "\(chain["name"]!) \(chain["type"]!) \(chain["hook"]!) \(chain["prio"]!) \(chain["policy"]!)"
        }
        XCTAssertEqual(chains, ["from_guests filter prerouting -300 accept", "to_guests filter postrouting -300 accept"])

        // Each rule as "chain: key=value ... verdict", from nft's JSON.
        let rules = objects.compactMap { $0["rule"] as? [String: Any] }.map { rule -> String in
            let exprs = rule["expr"] as? [[String: Any]] ?? []
            let words = exprs.map { expr -> String in
                if let match = expr["match"] as? [String: Any],
                   let left = match["left"] as? [String: Any], let meta = left["meta"] as? [String: Any] {
                    return "\(meta["key"]!)\(match["op"]!)\(match["right"]!)"
                }
                return expr.keys.sorted().joined()
            }
            return "\(rule["chain"]!): " + words.joined(separator: " ")
        }
        // Written out independently of the renderer: exempt first, patterns sorted.
        var expected: [String] = []
        for (chain, port, bridgeKey) in [("from_guests", "iifname", "ibrname"), ("to_guests", "oifname", "obrname")] {
            let scopes = result.match == .bridgeAndPort ? ["\(bridgeKey)==br0 ", "\(bridgeKey)==xenbr1 "] : [""]
            for scope in scopes {
                expected.append("\(chain): \(scope)\(port)==vif0.0 accept")
                for pattern in ["guest7", "tap*", "vif*", "vnet*"] {
                    expected.append("\(chain): \(scope)\(port)==\(pattern) drop")
                }
            }
        }
        XCTAssertEqual(rules, expected)
        let text = try host.exec(["nft", "list", "table", "bridge", result.table], must: true).stdout
        XCTAssertTrue(text.contains(#"comment "hanet guest block v1; match=\#(result.match.rawValue); bridges=br0,xenbr1; guests=guest7,tap*,vif*,vnet*; exempt=vif0.0""#), text)
    }

    // MARK: availability

    func testProbeHasNoSideEffects() throws {
        let host = try TestNamespace("nftprobe")
        defer { host.remove() }
        let first = try NFTablesBackend.probe(namespace: .named(host.name))
        XCTAssertTrue(NFTablesBackend.isAvailable(namespace: .named(host.name)))
        XCTAssertEqual(try NFTablesBackend.probe(namespace: .named(host.name)), first, "the generation did not move: nothing was committed")
        XCTAssertEqual(try host.exec(["nft", "list", "ruleset"], must: true).stdout, "")
        // A commit moves the generation, so the comparison above could fail.
        try NFTablesBackend(namespace: .named(host.name)).block(policy)
        XCTAssertNotEqual(try NFTablesBackend.probe(namespace: .named(host.name)), first)
        XCTAssertFalse(NFTablesBackend.isAvailable(namespace: .named("hnt-no-such-namespace")))
    }

    // MARK: helpers

    /// What nft itself manages on this kernel: bridge scoping, or not.
    static func kernelMatchKind() throws -> NFTablesMatch {
        let scratch = try TestNamespace("nftkind")
        defer { scratch.remove() }
        let outcome = Command.run(["ip", "netns", "exec", scratch.name, "nft", "-f", "-"], input: """
            table bridge probe {
                chain c {
                    type filter hook prerouting priority 0; policy accept;
                    meta ibrname "br0" accept
                }
            }

            """)
        // Anything but success or the kernel's EOPNOTSUPP is a broken probe, not an answer.
        guard outcome.succeeded || outcome.stderr.contains("Operation not supported") else {
            throw SetupError("nft probe for meta ibrname failed: \(outcome)")
        }
        return outcome.succeeded ? .bridgeAndPort : .portOnly
    }
}

/// The bridge, uplink, dom0, exempt port and guests, each in its namespace.
final class NFTablesLab {
    static let dom0V4 = "10.9.0.1", dom0V6 = "fd00:9::1"
    static let switchV4 = "10.9.0.254", switchV6 = "fd00:9::fe"
    static let exemptV4 = "10.9.0.10", exemptV6 = "fd00:9::10"

    struct Guest {
        var port: String
        var ns: TestNamespace
        var v4: String
        var v6: String
    }

    let host: TestNamespace
    let sw: TestNamespace
    let exempt: TestNamespace
    private(set) var guests: [Guest] = []

    init(guestPorts: [String] = ["vif1.0", "vif2.0", "tap0", "vnet0"]) throws {
        host = try TestNamespace("nfthost")
        sw = try TestNamespace("nftswitch")
        exempt = try TestNamespace("nftexempt")
        do {
            for ns in [host, sw, exempt] { try Self.prepare(ns) }
            try host.sh("""
                ip link add br0 type bridge
                ip link set br0 up
                ip addr add \(Self.dom0V4)/24 dev br0
                ip addr add \(Self.dom0V6)/64 dev br0 nodad
                ip link add eth0 type veth peer name up0 netns \(sw.name)
                ip link set eth0 master br0 up
                ip link add vif0.0 type veth peer name eth0 netns \(exempt.name)
                ip link set vif0.0 master br0 up
                """)
            try sw.sh("ip addr add \(Self.switchV4)/24 dev up0 && ip addr add \(Self.switchV6)/64 dev up0 nodad && ip link set up0 up")
            try exempt.sh("ip addr add \(Self.exemptV4)/24 dev eth0 && ip addr add \(Self.exemptV6)/64 dev eth0 nodad && ip link set eth0 up")
            for (index, port) in guestPorts.enumerated() {
                _ = try addGuest(port: port, index: 11 + index, waitForForwarding: false)
            }
            try host.waitUntilBridgePortsForward()
        } catch {
            remove()
            throw error
        }
    }

    static func prepare(_ ns: TestNamespace) throws {
        try ns.sh("sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")
    }

    @discardableResult
    func addGuest(port: String, index: Int, waitForForwarding: Bool = true) throws -> Guest {
        let ns = try TestNamespace("nftguest")
        try Self.prepare(ns)
        let guest = Guest(port: port, ns: ns, v4: "10.9.0.\(index)", v6: "fd00:9::\(index)")
        try host.sh("ip link add \(port) type veth peer name eth0 netns \(ns.name) && ip link set \(port) master br0 up")
        try ns.sh("ip addr add \(guest.v4)/24 dev eth0 && ip addr add \(guest.v6)/64 dev eth0 nodad && ip link set eth0 up")
        guests.append(guest)
        // Forwarding first, so "unreachable" means blocked, not "not yet up".
        if waitForForwarding { try host.waitUntilBridgePortsForward() }
        return guest
    }

    func remove() {
        for guest in guests { guest.ns.remove() }
        for ns in [exempt, sw, host] { ns.remove() }
    }

    // MARK: reachability

    struct Check: CustomStringConvertible {
        var label: String
        var namespace: String
        var command: String
        /// The retry: one answer within 5 s, asking every second.
        var patientCommand: String
        var involvesGuest = false
        var reachable = false
        var description: String { "\(label): \(reachable ? "ok" : "unreachable")" }

        static func ping(from ns: TestNamespace, to address: String, label: String, guest: Bool = false) -> Check {
            Check(label: label, namespace: ns.name, command: "ping -n -q -c2 -i0.2 -W1 \(address)",
                  patientCommand: "ping -n -q -c1 -w5 \(address)", involvesGuest: guest)
        }
        static func arping(from ns: TestNamespace, to address: String, device: String = "eth0", label: String, guest: Bool = false) -> Check {
            Check(label: label, namespace: ns.name, command: "arping -q -c1 -w1 -I \(device) \(address)",
                  patientCommand: "arping -q -c1 -w5 -I \(device) \(address)", involvesGuest: guest)
        }
    }

    /// Every direction that matters: guests to and from the switch and dom0
    /// (must be cut while blocked), dom0 and the exempt port to and from the
    /// switch (must never be).
    func matrix(mustReach: (Check) -> Bool = { _ in false }) -> [Check] {
        var checks: [Check] = []
        for g in guests {
            checks += [
                .ping(from: g.ns, to: Self.switchV4, label: "\(g.port) -> switch v4", guest: true),
                .ping(from: g.ns, to: Self.switchV6, label: "\(g.port) -> switch v6", guest: true),
                .arping(from: g.ns, to: Self.switchV4, label: "\(g.port) -> switch arp", guest: true),
                .ping(from: sw, to: g.v4, label: "switch -> \(g.port) v4", guest: true),
                .ping(from: sw, to: g.v6, label: "switch -> \(g.port) v6", guest: true),
                .arping(from: sw, to: g.v4, device: "up0", label: "switch -> \(g.port) arp", guest: true),
                .ping(from: g.ns, to: Self.dom0V4, label: "\(g.port) -> dom0 v4", guest: true),
                .ping(from: g.ns, to: Self.dom0V6, label: "\(g.port) -> dom0 v6", guest: true),
                .ping(from: host, to: g.v4, label: "dom0 -> \(g.port) v4", guest: true),
                .ping(from: host, to: g.v6, label: "dom0 -> \(g.port) v6", guest: true),
                .arping(from: host, to: g.v4, device: "br0", label: "dom0 -> \(g.port) arp", guest: true),
            ]
        }
        checks += [
            .ping(from: exempt, to: Self.switchV4, label: "exempt -> switch v4"),
            .ping(from: exempt, to: Self.switchV6, label: "exempt -> switch v6"),
            .arping(from: exempt, to: Self.switchV4, label: "exempt -> switch arp"),
            .ping(from: sw, to: Self.exemptV4, label: "switch -> exempt v4"),
            .ping(from: exempt, to: Self.dom0V4, label: "exempt -> dom0 v4"),
            .ping(from: sw, to: Self.dom0V4, label: "switch -> dom0 v4"),
            .ping(from: sw, to: Self.dom0V6, label: "switch -> dom0 v6"),
            .arping(from: sw, to: Self.dom0V4, device: "up0", label: "switch -> dom0 arp"),
            .ping(from: host, to: Self.switchV4, label: "dom0 -> switch v4"),
            .ping(from: host, to: Self.switchV6, label: "dom0 -> switch v6"),
        ]
        return run(checks, mustReach: mustReach)
    }

    /// Runs all checks at once (each waits at most ~1 s when cut off).
    ///
    /// A check for which `mustReach` holds and that failed is run again, up
    /// to twice, a few at a time: dozens of pings and arpings started at once
    /// in a one-vCPU emulated VM can miss a one-second deadline without
    /// anything being blocked. A check expected to be cut off is never
    /// retried, so a retry can only hide slowness, never a leak.
    func run(_ checks: [Check], mustReach: (Check) -> Bool = { _ in false }) -> [Check] {
        var results = runOnce(checks)
        for _ in 0..<2 {
            let again = results.indices.filter { !results[$0].reachable && mustReach(results[$0]) }
            if again.isEmpty { break }
            for batch in stride(from: 0, to: again.count, by: 4) {
                let indices = Array(again[batch..<min(batch + 4, again.count)])
                let retried = runOnce(indices.map { results[$0] }, patient: true)
                for (index, check) in zip(indices, retried) { results[index] = check }
            }
        }
        return results
    }

    private func runOnce(_ checks: [Check], patient: Bool = false) -> [Check] {
        var script = ""
        for (index, check) in checks.enumerated() {
            let command = patient ? check.patientCommand : check.command
            script += "(ip netns exec \(check.namespace) \(command) >/dev/null 2>&1; echo \"\(index) $?\") &\n"
        }
        script += "wait\n"
        let output = Command.run(["sh", "-c", script]).stdout
        var results = checks
        for index in results.indices { results[index].reachable = false }
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let index = Int(fields[0]), let status = Int(fields[1]), results.indices.contains(index) else { continue }
            results[index].reachable = status == 0
        }
        return results
    }

    func expect(_ checks: [Check], allReachable: Bool, phase: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let wrong = checks.filter { $0.reachable != allReachable }
        XCTAssertTrue(wrong.isEmpty, "\(phase): \(wrong)", file: file, line: line)
    }
}
