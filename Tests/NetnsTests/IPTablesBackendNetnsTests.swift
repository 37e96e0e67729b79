import Foundation
import Glibc
import HanetLinks
import HanetNetlink
import TestSupport
import XCTest
@testable import HanetFirewall

/// The iptables-legacy backend against the real kernel, rule level: what it
/// writes, what it leaves alone, what `inspect` says, and how it behaves next
/// to iptables processes. The witnesses are the legacy tools themselves
/// (`iptables-legacy -S`, `-save`, `arptables-legacy -L`), never our own reader.
final class IPTablesBackendNetnsTests: XCTestCase {
    private var ns: TestNamespace!
    private var backend: IPTablesBackend!
    private var policy: GuestBlockPolicy!
    private var chain = ""

    override func setUpWithError() throws {
        ns = try TestNamespace("iptrules")
        backend = IPTablesBackend(namespace: .named(ns.name))
        policy = GuestBlockPolicy(bridges: ["br0"],
                                  guestPorts: try ["vif*", "tap*", "vnet*"].map { try PortPattern(parsing: $0) },
                                  exemptPorts: [try PortPattern(parsing: "vif0.0")])
        chain = IPTablesRuleset.chainName(for: policy)
    }

    override func tearDown() {
        ns?.remove()
    }

    // MARK: - Witnesses

    private func run(_ arguments: [String]) throws -> String {
        try ns.exec(arguments, must: true).stdout
    }

    /// `iptables-legacy -S` of one family (all chains), lines.
    private func rules(_ tool: String) throws -> [String] {
        try run([tool, "-w", "-S"]).split(separator: "\n").map(String.init)
    }

    /// `iptables-legacy-save` without counters and comments: the whole filter table.
    private func save(_ tool: String) throws -> [String] {
        try run([tool, "-t", "filter"]).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") }
            .map { $0.hasPrefix(":") ? String($0.prefix { $0 != "[" }) : $0 }  // ":INPUT ACCEPT [0:0]"
    }

    /// Lines of `save` that are not ours (our chain, its rules, the jump to it).
    private func foreign(_ lines: [String]) -> [String] {
        lines.filter { !$0.contains(chain) }
    }

    /// `arptables-legacy -L -n`: chains and rules in the tool's spelling.
    private func arpListing() throws -> [String] {
        try run(["arptables-legacy", "-L", "-n"]).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The arp listing without our chain's block, and with our jump removed.
    private func arpForeign(_ lines: [String]) -> [String] {
        var result: [String] = []
        var inOurs = false
        for line in lines {
            if line.hasPrefix("Chain ") { inOurs = line.hasPrefix("Chain \(chain) ") }
            if inOurs || line == "-j \(chain)" { continue }
            result.append(line)
        }
        return result
    }

    private func tableNames() throws -> String {
        try run(["cat", "/proc/net/ip_tables_names", "/proc/net/ip6_tables_names", "/proc/net/arp_tables_names"])
    }

    // MARK: - Tests

    func testBlockWritesExactlyTheRenderingInAllThreeTables() throws {
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        try backend.block(policy)

        let expected = [
            "-N \(chain)",
            "-A FORWARD -j \(chain)",
            "-A \(chain) -i br0 -m physdev --physdev-in vif0.0 --physdev-is-bridged -j RETURN",
            "-A \(chain) -o br0 -m physdev --physdev-out vif0.0 --physdev-is-bridged -j RETURN",
            "-A \(chain) -i br0 -m physdev --physdev-in tap+ --physdev-is-bridged -j DROP",
            "-A \(chain) -o br0 -m physdev --physdev-out tap+ --physdev-is-bridged -j DROP",
            "-A \(chain) -i br0 -m physdev --physdev-in vif+ --physdev-is-bridged -j DROP",
            "-A \(chain) -o br0 -m physdev --physdev-out vif+ --physdev-is-bridged -j DROP",
            "-A \(chain) -i br0 -m physdev --physdev-in vnet+ --physdev-is-bridged -j DROP",
            "-A \(chain) -o br0 -m physdev --physdev-out vnet+ --physdev-is-bridged -j DROP",
        ]
        for tool in ["iptables-legacy", "ip6tables-legacy"] {
            let lines = try rules(tool)
            XCTAssertEqual(lines.filter { $0.contains(chain) }, expected, tool)
        }
        XCTAssertEqual(try arpListing(), [
            "Chain INPUT (policy ACCEPT)", "Chain OUTPUT (policy ACCEPT)",
            "Chain FORWARD (policy ACCEPT)", "-j \(chain)",
            "Chain \(chain) (1 references)",
            "-j RETURN -i vif0.0", "-j RETURN -o vif0.0",
            "-j DROP -i tap+", "-j DROP -o tap+",
            "-j DROP -i vif+", "-j DROP -o vif+",
            "-j DROP -i vnet+", "-j DROP -o vnet+",
        ])
        XCTAssertEqual(try backend.inspect(policy), .blocked)

        // Idempotent: a second block changes nothing, not even counters.
        try ns.sh("iptables-legacy -w -Z")
        // With counters, without the "# Generated ... on <time>" comments
        // (a second may tick between the two saves).
        func savedWithCounters() throws -> [Substring] {
            try run(["iptables-legacy-save", "-c"]).split(separator: "\n").filter { !$0.hasPrefix("#") }
        }
        let before = try savedWithCounters()
        try backend.block(policy)
        XCTAssertEqual(try savedWithCounters(), before)

        try backend.unblock(policy)
        for tool in ["iptables-legacy", "ip6tables-legacy"] {
            XCTAssertEqual(try rules(tool), ["-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT"], tool)
        }
        XCTAssertFalse(try arpListing().contains { $0.contains(chain) })
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        XCTAssertNoThrow(try backend.unblock(policy), "unblock of nothing succeeds")
    }

    func testUnblockAndInspectNeverCreateLegacyTables() throws {
        let hostUsesLegacy = IPTablesBackend.legacyTablesInUse()
        XCTAssertEqual(try tableNames(), "", "a fresh namespace has no legacy table")
        XCTAssertFalse(IPTablesBackend.legacyTablesInUse(namespace: .named(ns.name)))
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        try backend.unblock(policy)
        XCTAssertEqual(try tableNames(), "", "inspect and unblock created a table")
        XCTAssertFalse(IPTablesBackend.legacyTablesInUse(namespace: .named(ns.name)))

        try backend.block(policy)
        XCTAssertEqual(try tableNames(), "filter\nfilter\nfilter\n")
        XCTAssertTrue(IPTablesBackend.legacyTablesInUse(namespace: .named(ns.name)))
        XCTAssertEqual(IPTablesBackend.legacyTablesInUse(), hostUsesLegacy, "the test process's own namespace is not touched")
    }

    func testForeignRulesSurviveEveryActionByteForByte() throws {
        // Foreign state before we arrive: rules above and below, user chains, policies.
        try ns.sh("""
            iptables-legacy -w -N FOREIGN
            iptables-legacy -w -A FOREIGN -s 192.0.2.0/24 -j ACCEPT
            iptables-legacy -w -A FORWARD -i eth0 -j FOREIGN
            iptables-legacy -w -A FORWARD -m physdev --physdev-in vif5.0 -j ACCEPT
            iptables-legacy -w -A INPUT -p tcp --dport 22 -j ACCEPT
            iptables-legacy -w -P FORWARD DROP
            ip6tables-legacy -w -N FOREIGN6
            ip6tables-legacy -w -A FOREIGN6 -s 2001:db8::/32 -j DROP
            ip6tables-legacy -w -A FORWARD -j FOREIGN6
            arptables-legacy -N AFOREIGN
            arptables-legacy -A AFOREIGN -i eth+ -s 192.0.2.1 -j DROP
            arptables-legacy -A FORWARD -j AFOREIGN
            arptables-legacy -A INPUT -s 192.0.2.2 -j ACCEPT
            arptables-legacy -P OUTPUT DROP
            """)
        var saved4 = try save("iptables-legacy-save")
        var saved6 = try save("ip6tables-legacy-save")
        var savedARP = try arpListing()

        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)
        XCTAssertEqual(foreign(try save("iptables-legacy-save")), saved4)
        XCTAssertEqual(foreign(try save("ip6tables-legacy-save")), saved6)
        XCTAssertEqual(arpForeign(try arpListing()), savedARP)
        XCTAssertEqual(try rules("iptables-legacy").first { $0.hasPrefix("-A FORWARD") }, "-A FORWARD -j \(chain)", "jump is first")

        // Foreign changes while we are installed, including above our jump.
        try ns.sh("""
            iptables-legacy -w -I FORWARD 1 -o eth9 -j ACCEPT
            iptables-legacy -w -A FORWARD -p udp -j ACCEPT
            ip6tables-legacy -w -I FORWARD 1 -p ipv6-icmp -j ACCEPT
            arptables-legacy -I FORWARD 1 -o eth9 -j ACCEPT
            arptables-legacy -A AFOREIGN -d 192.0.2.9 -j ACCEPT
            """)
        saved4 = foreign(try save("iptables-legacy-save"))
        saved6 = foreign(try save("ip6tables-legacy-save"))
        savedARP = arpForeign(try arpListing())
        XCTAssertEqual(try backend.inspect(policy), .blocked, "a foreign rule above ours does not make the block incomplete")

        // A refresh (our chain damaged) and an unblock touch none of it.
        try ns.sh("iptables-legacy -w -D \(chain) 3; arptables-legacy -D \(chain) 3")
        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)
        XCTAssertEqual(foreign(try save("iptables-legacy-save")), saved4)
        XCTAssertEqual(foreign(try save("ip6tables-legacy-save")), saved6)
        XCTAssertEqual(arpForeign(try arpListing()), savedARP)
        XCTAssertEqual(try rules("iptables-legacy").filter { $0.hasPrefix("-A FORWARD") }.first, "-A FORWARD -o eth9 -j ACCEPT",
                       "the refresh leaves our jump where it is, below a foreign rule inserted above it")

        try backend.unblock(policy)
        XCTAssertEqual(try save("iptables-legacy-save"), saved4)
        XCTAssertEqual(try save("ip6tables-legacy-save"), saved6)
        XCTAssertEqual(try arpListing(), savedARP)
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
    }

    func testForeignARPCountersSurviveOurReplace() throws {
        // Our arp_tables writer puts counters back like libiptc does for ip_tables.
        try ns.sh("""
            arptables-legacy -A OUTPUT -j ACCEPT
            ip link add d0 type veth peer name d1; ip link set d0 up; ip link set d1 up
            ip addr add 192.0.2.1/24 dev d0
            ping -c 1 -W 1 192.0.2.7 || true
            ip link set d0 down   # no more neighbour probes: counters stay put
            """)
        func outputCounters() throws -> String {
            try run(["arptables-legacy", "-L", "OUTPUT", "-v", "-n", "-x"]).split(separator: "\n")
                .first { $0.contains("-j ACCEPT") }.map(String.init) ?? ""
        }
        let before = try outputCounters()
        // One request of 28 bytes, or more if the kernel retried before the
        // link went down (seen on a loaded machine): counted, whatever the number.
        XCTAssertNotNil(before.range(of: #"pcnt=[1-9][0-9]* -- bcnt=[1-9][0-9]*"#, options: .regularExpression),
                        "the kernel's ARP request was counted: \(before)")
        try backend.block(policy)
        XCTAssertEqual(try outputCounters(), before)
        try backend.unblock(policy)
        XCTAssertEqual(try outputCounters(), before)
    }

    func testInspectDistinguishesUnblockedIncompleteAndBlocked() throws {
        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)

        // A hand-deleted rule in our chain.
        try ns.sh("iptables-legacy -w -D \(chain) 5")
        var state = try backend.inspect(policy)
        XCTAssertEqual(state, .incomplete(reason: "ip4 filter: rule 5 of \(chain) is not "
                                          + "`-i br0 -m physdev --physdev-in vif+ --physdev-is-bridged -j DROP` (7 rules, expected 8)"))
        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked, "block repairs it")

        // The jump deleted in arp filter only.
        try ns.sh("arptables-legacy -D FORWARD -j \(chain)")
        XCTAssertEqual(try backend.inspect(policy), .incomplete(reason: "arp filter: FORWARD does not jump to \(chain)"))
        try backend.block(policy)

        // A rule appended to our chain, a second jump, a jump with a condition.
        try ns.sh("ip6tables-legacy -w -A \(chain) -j ACCEPT")
        state = try backend.inspect(policy)
        XCTAssertEqual(state, .incomplete(reason: "ip6 filter: \(chain) has 1 rule(s) more than the 8 expected"))
        try backend.block(policy)
        try ns.sh("iptables-legacy -w -A FORWARD -j \(chain)")
        XCTAssertEqual(try backend.inspect(policy), .incomplete(reason: "ip4 filter: FORWARD has 2 rules jumping to \(chain), expected one"))
        try backend.block(policy)
        XCTAssertEqual(try rules("iptables-legacy").filter { $0 == "-A FORWARD -j \(chain)" }.count, 1, "duplicate removed")
        try ns.sh("iptables-legacy -w -D FORWARD -j \(chain); iptables-legacy -w -A FORWARD -i br0 -j \(chain)")
        XCTAssertEqual(try backend.inspect(policy),
                       .incomplete(reason: "ip4 filter: FORWARD jumps to \(chain) only with a different rule than `-j \(chain)`"))
        try backend.block(policy)
        XCTAssertEqual(try rules("iptables-legacy").filter { $0.contains("-j \(chain)") }, ["-A FORWARD -j \(chain)"])
        XCTAssertEqual(try backend.inspect(policy), .blocked)

        // iptables flushed and chains deleted: ip4 gone, the rest still there.
        try ns.sh("iptables-legacy -w -F; iptables-legacy -w -X")
        guard case .incomplete(let reason) = try backend.inspect(policy) else { return XCTFail("expected incomplete") }
        XCTAssertEqual(reason, "ip4 filter: no chain \(chain) and no jump to it")

        // Every family flushed: nothing of ours left.
        try ns.sh("ip6tables-legacy -w -F; ip6tables-legacy -w -X; arptables-legacy -F; arptables-legacy -X")
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        try backend.unblock(policy)
        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)

        // Another policy's block is not ours.
        let other = GuestBlockPolicy(bridges: ["br1"], guestPorts: policy.guestPorts, exemptPorts: policy.exemptPorts)
        XCTAssertEqual(try backend.inspect(other), .unblocked)
        try backend.block(other)
        try backend.unblock(policy)
        XCTAssertEqual(try backend.inspect(other), .blocked)
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
    }

    func testUnblockRefusesAChainStillReferencedOutsideForward() throws {
        try backend.block(policy)
        try ns.sh("iptables-legacy -w -A INPUT -j \(chain)")
        XCTAssertThrowsError(try backend.unblock(policy)) { error in
            let error = error as? IPTablesError
            XCTAssertEqual(error?.errno, EBUSY)
            XCTAssertEqual(error?.table, "ip4 filter")
            XCTAssertEqual(error?.object, chain)
            XCTAssertTrue(error?.description.contains("outside FORWARD still jump to \(chain)") ?? false, "\(String(describing: error))")
        }
        XCTAssertEqual(try backend.inspect(policy), .blocked, "nothing was committed")
    }

    func testLockHeldByAnotherProcessTimesOutWithATypedError() throws {
        let path = "/tmp/hanet-ipt-lock-\(getpid()).lock"
        defer { unlink(path) }
        let locked = IPTablesBackend(namespace: .named(ns.name), lockPath: path, lockTimeout: .milliseconds(300))
        // flock(1) from util-linux, holding the lock like a running iptables.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [path, "sleep", "3"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        usleep(200_000)
        XCTAssertThrowsError(try locked.block(policy)) { error in
            XCTAssertEqual((error as? IPTablesError)?.errno, ETIMEDOUT, "\(error)")
        }
        XCTAssertEqual(try tableNames(), "", "nothing happened without the lock")
    }

    func testConcurrentIptablesWritersLoseNothing() throws {
        // iptables-legacy -w appends and deletes foreign FORWARD rules while
        // we block and unblock in a loop; all serialise on the xtables lock.
        let count = 120
        let script = """
            for i in $(seq 1 \(count)); do
              iptables-legacy -w -A FORWARD -s 10.9.0.$i -j ACCEPT
              ip6tables-legacy -w -A FORWARD -s 2001:db8::$i -j ACCEPT
            done
            for i in $(seq 1 2 \(count)); do
              iptables-legacy -w -D FORWARD -s 10.9.0.$i -j ACCEPT
              ip6tables-legacy -w -D FORWARD -s 2001:db8::$i -j ACCEPT
            done
            """
        final class Outcome: @unchecked Sendable { var errors: [String] = []; var rounds = 0 }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let stop = DispatchSemaphore(value: 0)
        let backend = self.backend!, policy = self.policy!
        let thread = Thread {
            while stop.wait(timeout: .now()) == .timedOut {
                do {
                    try backend.block(policy)
                    try backend.unblock(policy)
                    outcome.rounds += 1
                } catch {
                    outcome.errors.append("\(error)")
                }
            }
            do { try backend.block(policy) } catch { outcome.errors.append("\(error)") }
            done.signal()
        }
        thread.start()
        let result = try ns.exec(["sh", "-ec", script])
        stop.signal()
        done.wait()
        XCTAssertTrue(result.succeeded, "\(result)")
        XCTAssertEqual(outcome.errors, [])
        XCTAssertGreaterThan(outcome.rounds, 5, "the loops did overlap")

        let expected4 = stride(from: 2, through: count, by: 2).map { "-A FORWARD -s 10.9.0.\($0)/32 -j ACCEPT" }
        let expected6 = stride(from: 2, through: count, by: 2).map { "-A FORWARD -s 2001:db8::\(String($0))/128 -j ACCEPT" }
        XCTAssertEqual(try rules("iptables-legacy").filter { $0.hasPrefix("-A FORWARD -s") }, expected4)
        XCTAssertEqual(try rules("ip6tables-legacy").filter { $0.hasPrefix("-A FORWARD -s") }, expected6)
        XCTAssertEqual(try backend.inspect(policy), .blocked)
        XCTAssertEqual(try rules("iptables-legacy").filter { $0.contains("-j \(chain)") }, ["-A FORWARD -j \(chain)"])
        print("iptables concurrency: \(outcome.rounds) block+unblock rounds alongside \(count * 3) iptables commands")
    }

    func testValidateReportsBridgeNetfilterSwitchedOff() throws {
        let hostProblems = IPTablesBackend.bridgeNetfilterProblems()
        XCTAssertEqual(backend.problems(for: policy), [], "fresh namespace: br_netfilter built in, all bridge-nf-call-* = 1")
        try ns.sh("sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-arptables=0")
        let problems = backend.problems(for: policy)
        XCTAssertEqual(problems.map(\.kind), [
            .bridgeNetfilterCallOff(sysctl: "net.bridge.bridge-nf-call-iptables", value: "0"),
            .bridgeNetfilterCallOff(sysctl: "net.bridge.bridge-nf-call-arptables", value: "0"),
        ])
        XCTAssertEqual(problems.first?.description,
                       "net.bridge.bridge-nf-call-iptables is 0 in this namespace: physdev rules see no bridged IPv4 traffic; "
                       + "set it to 1 (sysctl -w net.bridge.bridge-nf-call-iptables=1) or use backend=nftables")
        XCTAssertEqual(IPTablesBackend.bridgeNetfilterProblems(), hostProblems, "the test process's namespace is unaffected")
        try ns.sh("sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-arptables=1")
        XCTAssertEqual(backend.problems(for: policy), [])
    }

    func testTimings() throws {
        let clock = ContinuousClock()
        func measure(_ body: () throws -> Void) rethrows -> Duration {
            let start = clock.now
            try body()
            return clock.now - start
        }
        let first = try measure { try backend.block(policy) }
        let again = try measure { try backend.block(policy) }
        let inspect = try measure { _ = try backend.inspect(policy) }
        let unblock = try measure { try backend.unblock(policy) }
        let inspectEmpty = try measure { _ = try backend.inspect(policy) }
        print("iptables backend timings: block \(first), block again \(again), inspect \(inspect), unblock \(unblock), inspect unblocked \(inspectEmpty)")
        XCTAssertLessThan(first, .milliseconds(500))
        XCTAssertLessThan(inspect, .milliseconds(200))
    }
}
