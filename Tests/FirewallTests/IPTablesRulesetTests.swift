@testable import HanetFirewall
import HanetLinks
import XCTest

/// What the iptables backend renders for a policy (no kernel involved).
final class IPTablesRulesetTests: XCTestCase {
    func policy(_ bridges: [InterfaceName] = ["br0"], guests: [String] = ["vif*", "tap*", "vnet*"],
                exempt: [String] = ["vif0.0"]) throws -> GuestBlockPolicy {
        GuestBlockPolicy(bridges: bridges, guestPorts: try guests.map { try PortPattern(parsing: $0) },
                         exemptPorts: try exempt.map { try PortPattern(parsing: $0) })
    }

    func testChainIsNamedAfterTheOwnerTag() throws {
        let policy = try policy()
        let ruleset = try IPTablesRuleset(policy)
        XCTAssertEqual(ruleset.chain, "HANET-" + policy.ownerTag)
        XCTAssertEqual(ruleset.chain.utf8.count, 14)
        XCTAssertLessThanOrEqual(ruleset.chain.utf8.count, IPTablesRuleset.maxChainNameLength)
        XCTAssertLessThanOrEqual(ruleset.chain.utf8.count, ARPTablesTable.maxChainNameLength)
        XCTAssertEqual(IPTablesRuleset.chainName(for: policy), ruleset.chain)
        XCTAssertNotEqual(try IPTablesRuleset(try self.policy(["br1"])).chain, ruleset.chain, "another policy, another chain")
    }

    func testRendersExemptReturnsFirstThenGuestDropsScopedToEachBridge() throws {
        let ruleset = try IPTablesRuleset(try policy(["br1", "br0"], guests: ["vif*", "tap*"]))
        let chain = ruleset.chain
        XCTAssertEqual(ruleset.script, [
            "# ip4 filter, ip6 filter",
            "-N \(chain)",
            "-A \(chain) -i br0 -m physdev --physdev-in vif0.0 --physdev-is-bridged -j RETURN",
            "-A \(chain) -o br0 -m physdev --physdev-out vif0.0 --physdev-is-bridged -j RETURN",
            "-A \(chain) -i br1 -m physdev --physdev-in vif0.0 --physdev-is-bridged -j RETURN",
            "-A \(chain) -o br1 -m physdev --physdev-out vif0.0 --physdev-is-bridged -j RETURN",
            "-A \(chain) -i br0 -m physdev --physdev-in tap+ --physdev-is-bridged -j DROP",
            "-A \(chain) -o br0 -m physdev --physdev-out tap+ --physdev-is-bridged -j DROP",
            "-A \(chain) -i br0 -m physdev --physdev-in vif+ --physdev-is-bridged -j DROP",
            "-A \(chain) -o br0 -m physdev --physdev-out vif+ --physdev-is-bridged -j DROP",
            "-A \(chain) -i br1 -m physdev --physdev-in tap+ --physdev-is-bridged -j DROP",
            "-A \(chain) -o br1 -m physdev --physdev-out tap+ --physdev-is-bridged -j DROP",
            "-A \(chain) -i br1 -m physdev --physdev-in vif+ --physdev-is-bridged -j DROP",
            "-A \(chain) -o br1 -m physdev --physdev-out vif+ --physdev-is-bridged -j DROP",
            "-I FORWARD 1 -j \(chain)",
            "# arp filter",
            "-N \(chain)",
            "-A \(chain) -i vif0.0 -j RETURN",
            "-A \(chain) -o vif0.0 -j RETURN",
            "-A \(chain) -i tap+ -j DROP",
            "-A \(chain) -o tap+ -j DROP",
            "-A \(chain) -i vif+ -j DROP",
            "-A \(chain) -o vif+ -j DROP",
            "-I FORWARD 1 -j \(chain)",
        ])
    }

    func testSameSetsInAnotherOrderRenderTheSame() throws {
        let one = try IPTablesRuleset(try policy(["br0", "br1"], guests: ["vif*", "tap*"], exempt: ["vif0.1", "vif0.0"]))
        let two = try IPTablesRuleset(try policy(["br1", "br0"], guests: ["tap*", "vif*"], exempt: ["vif0.0", "vif0.1"]))
        XCTAssertEqual(one, two)
    }

    func testExactAndPrefixPatternsOfTheSameStemStayDistinct() throws {
        let ruleset = try IPTablesRuleset(try policy(guests: ["tap0", "tap*"], exempt: []))
        XCTAssertEqual(ruleset.arpRules.map(\.description), ["-i tap+ -j DROP", "-o tap+ -j DROP", "-i tap0 -j DROP", "-o tap0 -j DROP"])
    }

    func testPolicyWithoutBridgeOrGuestsIsRefused() throws {
        XCTAssertThrowsError(try IPTablesRuleset(try policy([]))) { error in
            let error = error as? IPTablesError
            XCTAssertEqual(error?.errno, EINVAL)
            XCTAssertTrue(error?.description.contains("names no bridge") ?? false, "\(String(describing: error))")
        }
        XCTAssertThrowsError(try IPTablesRuleset(try policy(guests: [])))
        let problems = IPTablesBackend().problems(for: try policy([]))
        XCTAssertTrue(problems.contains { $0.kind == .invalidPolicy }, "\(problems)")
    }
}
