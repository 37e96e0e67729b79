import XCTest
import HanetNetlink
import HanetLinks
@testable import HanetFirewall

/// The rendering of a policy, and how a snapshot is compared with it.
final class NFTablesRulesetTests: XCTestCase {
    func patterns(_ texts: String...) -> [PortPattern] { texts.map { try! PortPattern(parsing: $0) } }

    func testBridgeScopedRenderingPutsExemptPortsFirstOnEachBridgeAndDirection() {
        let policy = GuestBlockPolicy(bridges: ["xenbr1", "br0"], guestPorts: patterns("vif*", "tap*"), exemptPorts: patterns("vif0.0"))
        let rendering = NFTablesRuleset(policy: policy, match: .bridgeAndPort)
        XCTAssertEqual(rendering.table.name, "hanet_" + policy.ownerTag)
        XCTAssertEqual(rendering.rules.map { "\($0.chain): \($0)" }, [
            #"from_guests: meta ibrname "br0" iifname "vif0.0" accept"#,
            #"from_guests: meta ibrname "br0" iifname "tap*" drop"#,
            #"from_guests: meta ibrname "br0" iifname "vif*" drop"#,
            #"from_guests: meta ibrname "xenbr1" iifname "vif0.0" accept"#,
            #"from_guests: meta ibrname "xenbr1" iifname "tap*" drop"#,
            #"from_guests: meta ibrname "xenbr1" iifname "vif*" drop"#,
            #"to_guests: meta obrname "br0" oifname "vif0.0" accept"#,
            #"to_guests: meta obrname "br0" oifname "tap*" drop"#,
            #"to_guests: meta obrname "br0" oifname "vif*" drop"#,
            #"to_guests: meta obrname "xenbr1" oifname "vif0.0" accept"#,
            #"to_guests: meta obrname "xenbr1" oifname "tap*" drop"#,
            #"to_guests: meta obrname "xenbr1" oifname "vif*" drop"#,
        ])
        XCTAssertEqual(rendering.chains.map(\.description), [
            "type filter hook prerouting priority -300; policy accept;",
            "type filter hook postrouting priority -300; policy accept;",
        ])
        XCTAssertEqual(rendering.table.comment, "hanet guest block v1; match=bridge+port; bridges=br0,xenbr1; guests=tap*,vif*; exempt=vif0.0")
        XCTAssertEqual(rendering.table.flags, 0)
    }

    func testPortOnlyRenderingIgnoresBridges() {
        let policy = GuestBlockPolicy(bridges: ["br0", "br1"], guestPorts: patterns("vnet*"), exemptPorts: [])
        let rendering = NFTablesRuleset(policy: policy, match: .portOnly)
        XCTAssertEqual(rendering.rules.map(\.description), [#"iifname "vnet*" drop"#, #"oifname "vnet*" drop"#])
        XCTAssertEqual(rendering.table.comment, "hanet guest block v1; match=port; bridges=br0,br1; guests=vnet*; exempt=")
    }

    func testPrefixComparesTheStemAndAnExactNameTheWholePaddedBuffer() {
        XCTAssertEqual(NFTablesRuleset.patternData(try! PortPattern(parsing: "vif*")), Array("vif".utf8))
        XCTAssertEqual(NFTablesRuleset.patternData(try! PortPattern(parsing: "vif0.0")), Array("vif0.0".utf8) + [UInt8](repeating: 0, count: 10))
        XCTAssertEqual(NFTablesRuleset.patternData(try! PortPattern(parsing: "abcdefghijklmno")), Array("abcdefghijklmno".utf8) + [0])
        XCTAssertEqual(NFTablesExpression.interfacePattern(Array("vif".utf8)), "vif*")
        XCTAssertEqual(NFTablesExpression.interfacePattern(NFTablesRuleset.exactName("br0")), "br0")
    }

    func testOrderAndDuplicatesDoNotChangeTheRendering() {
        let a = GuestBlockPolicy(bridges: ["br1", "br0"], guestPorts: patterns("vif*", "tap*", "vif*"), exemptPorts: patterns("vif0.0"))
        let b = GuestBlockPolicy(bridges: ["br0", "br1", "br0"], guestPorts: patterns("tap*", "vif*"), exemptPorts: patterns("vif0.0", "vif0.0"))
        for match in NFTablesMatch.allCases {
            let ra = NFTablesRuleset(policy: a, match: match), rb = NFTablesRuleset(policy: b, match: match)
            XCTAssertEqual(ra.rules, rb.rules)
            XCTAssertEqual(ra.chains, rb.chains)
            XCTAssertEqual(ra.table.comment, rb.table.comment)
        }
        XCTAssertEqual(NFTablesRuleset(policy: a, match: .portOnly).rules.count, 6)
    }

    func testALongPolicyKeepsAShortComment() {
        let many = (0..<40).map { try! PortPattern(parsing: "guest\($0)-*") }
        let policy = GuestBlockPolicy(bridges: ["br0"], guestPorts: many)
        let rendering = NFTablesRuleset(policy: policy, match: .portOnly)
        XCTAssertEqual(rendering.table.comment, "hanet guest block v1; match=port")
        XCTAssertEqual(rendering.rules.count, 80)
    }

    // MARK: difference

    let policy = GuestBlockPolicy(bridges: ["br0"], guestPorts: [try! PortPattern(parsing: "vif*"), try! PortPattern(parsing: "tap*")],
                                  exemptPorts: [try! PortPattern(parsing: "vif0.0")])

    func installed(_ rendering: NFTablesRuleset) -> NFTablesSnapshot {
        var table = rendering.table
        table.use = UInt32(rendering.chains.count)
        return NFTablesSnapshot(table: table, chains: rendering.chains, rules: rendering.rules)
    }

    func testIdenticalSnapshotHasNoDifference() {
        let rendering = NFTablesRuleset(policy: policy, match: .bridgeAndPort)
        XCTAssertNil(rendering.difference(from: installed(rendering)))
    }

    func testEachKindOfDamageIsNamed() {
        let rendering = NFTablesRuleset(policy: policy, match: .portOnly)
        var snapshot = installed(rendering)

        snapshot.rules.swapAt(0, 1)
        XCTAssertEqual(rendering.difference(from: snapshot), "chain from_guests: rules out of order")

        snapshot = installed(rendering)
        snapshot.rules.removeAll { $0.chain == "to_guests" }
        XCTAssertEqual(rendering.difference(from: snapshot),
                       #"chain to_guests: 3 of 3 rules missing: `oifname "vif0.0" accept`, `oifname "tap*" drop`, `oifname "vif*" drop`"#)

        snapshot = installed(rendering)
        snapshot.chains.removeLast()
        snapshot.table.use = 1
        XCTAssertEqual(rendering.difference(from: snapshot),
                       "table bridge \(rendering.table.name) holds 1 chains/sets/objects, expected 2; chain to_guests is missing")

        snapshot = installed(rendering)
        snapshot.table.use = 3
        snapshot.rules.append(NFTablesRule(chain: "extra", expressions: [.verdict(0)]))
        XCTAssertEqual(rendering.difference(from: snapshot),
                       "table bridge \(rendering.table.name) holds 3 chains/sets/objects, expected 2; chain extra is not ours but holds rules")

        snapshot = installed(rendering)
        snapshot.chains[0].hook?.priority = 0
        XCTAssertEqual(rendering.difference(from: snapshot),
                       "chain from_guests is \"type filter hook prerouting priority 0; policy accept;\", expected \"type filter hook prerouting priority -300; policy accept;\"")

        snapshot = installed(rendering)
        snapshot.table.comment = "something else"
        XCTAssertEqual(rendering.difference(from: snapshot),
                       "table bridge \(rendering.table.name) comment is \"something else\", expected \"\(rendering.table.comment!)\"")

        snapshot = installed(rendering)
        snapshot.table.comment = nil // a kernel that keeps no table userdata
        XCTAssertNil(rendering.difference(from: snapshot))

        snapshot = installed(rendering)
        snapshot.table.flags = 2
        XCTAssertEqual(rendering.difference(from: snapshot), "table bridge \(rendering.table.name) has flags 0x2, expected 0x0")
    }

    func testManyMissingRulesAreSummarised() {
        let many = GuestBlockPolicy(bridges: ["br0"], guestPorts: (0..<6).map { try! PortPattern(parsing: "g\($0)*") })
        let rendering = NFTablesRuleset(policy: many, match: .portOnly)
        var snapshot = installed(rendering)
        snapshot.rules = snapshot.rules.filter { $0.chain == "to_guests" }
        XCTAssertEqual(rendering.difference(from: snapshot),
                       #"chain from_guests: 6 of 6 rules missing: `iifname "g0*" drop`, `iifname "g1*" drop`, `iifname "g2*" drop` and 3 more"#)
    }
}
