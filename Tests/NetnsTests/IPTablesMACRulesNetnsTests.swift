import Foundation
import Glibc
import HanetLinks
import TestSupport
import XCTest
@testable import HanetFirewall

/// Guests selected by MAC on the iptables-legacy backend, rule level: the
/// xt_bpf and arp_tables entries we write are the ones the legacy tools
/// write for the same rules, byte for byte both ways (the tools find ours
/// with `-C`; rules the tools wrote verify as ours), and a deleted one is
/// named. The witnesses are the tools; the traffic is checked in
/// GuestMACSelectionNetnsTests.
final class IPTablesMACRulesNetnsTests: XCTestCase {
    private var ns: TestNamespace!
    private var backend: IPTablesBackend!
    private var policy: GuestBlockPolicy!
    private var ruleset: IPTablesRuleset!

    override func setUpWithError() throws {
        ns = try TestNamespace("iptmac")
        backend = IPTablesBackend(namespace: .named(ns.name))
        policy = GuestBlockPolicy(bridges: ["br0"], guestPorts: [try PortPattern(parsing: "vif*")],
                                  exemptPorts: [try PortPattern(parsing: "vif0.0")],
                                  guestMACs: [try MACPrefix(parsing: "52:54:00:aa:bb:cc"), try MACPrefix(parsing: "00:16:3e:00:00:00/24")])
        ruleset = try IPTablesRuleset(policy)
    }

    override func tearDown() {
        ns?.remove()
    }

    private var chain: String { ruleset.chain }

    func testTheLegacyToolsReadAndWriteTheSameRules() throws {
        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked)

        // The tools' own spelling of what we wrote is our rendering.
        let expected = ["-N \(chain)", "-A FORWARD -j \(chain)"] + ruleset.rules.map { "-A \(chain) \($0)" }
        for tool in ["iptables-legacy", "ip6tables-legacy"] {
            let lines = try ns.sh("\(tool) -w -S").split(separator: "\n").map(String.init).filter { $0.contains(chain) }
            XCTAssertEqual(lines, expected, tool)
            // -C compares whole entries (up to the bpf match's kernel pointer): the tool finds each of ours.
            for rule in ruleset.rules {
                XCTAssertNoThrow(try ns.sh("\(tool) -w -C \(chain) \(rule)"), "\(tool): \(rule)")
            }
        }
        XCTAssertTrue(try ns.sh("iptables-legacy -w -S").contains(
            "--physdev-out vif+ --physdev-is-bridged -m bpf --bytecode \"6,32 0 0 4292870144,21 0 3 1381236906,40 0 0 4292870148,21 0 1 48076,6 0 0 1,6 0 0 0\" -j DROP"),
            "the lead's hand-written rule for traffic to 52:54:00:aa:bb:cc")
        let arp = try ns.sh("arptables-legacy -L -n")
        XCTAssertTrue(arp.contains("--src-mac 00:16:3e:00:00:00/ff:ff:ff:00:00:00"), arp)
        XCTAssertTrue(arp.contains("--dst-mac 52:54:00:aa:bb:cc"), arp)

        // The other way: the same rules written by the tools verify as ours.
        var script = ""
        for tool in ["iptables-legacy", "ip6tables-legacy"] {
            script += "\(tool) -w -F \(chain)\n" + ruleset.rules.map { "\(tool) -w -A \(chain) \($0)\n" }.joined()
        }
        script += "arptables-legacy -F \(chain)\n" + ruleset.arpRules.map { "arptables-legacy -A \(chain) \($0)\n" }.joined()
        try ns.sh(script)
        XCTAssertEqual(try backend.inspect(policy), .blocked, "the tools' bytes are ours")
    }

    func testADeletedMACRuleIsNamed() throws {
        try backend.block(policy)
        // Rule 5: the second MAC (52:54:00:aa:bb:cc), from the guest.
        let deleted = ruleset.rules[4]
        XCTAssertNotNil(deleted.macFilter)
        try ns.sh("ip6tables-legacy -w -D \(chain) \(deleted)")
        guard case .incomplete(let reason) = try backend.inspect(policy) else { return XCTFail("still blocked") }
        XCTAssertTrue(reason.contains("ip6 filter: rule 5 of \(chain) is not `\(deleted)`"), reason)
        XCTAssertFalse(reason.contains("ip4 filter"), reason)

        try backend.block(policy)
        XCTAssertEqual(try backend.inspect(policy), .blocked, "block repairs it")
        let arpDeleted = ruleset.arpRules[3]
        XCTAssertNotNil(arpDeleted.targetMAC)
        try ns.sh("arptables-legacy -D \(chain) \(arpDeleted)")
        guard case .incomplete(let arpReason) = try backend.inspect(policy) else { return XCTFail("still blocked") }
        XCTAssertTrue(arpReason.contains("arp filter"), arpReason)
        XCTAssertTrue(arpReason.contains("--destination-mac 00:16:3e:00:00:00/ff:ff:ff:00:00:00"), arpReason)

        try backend.unblock(policy)
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
    }
}
