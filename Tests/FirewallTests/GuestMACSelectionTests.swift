import XCTest
import HanetNetlink
import HanetLinks
@testable import HanetFirewall
import TestSupport

/// Guests selected by MAC: the value type, the policy, the rules (byte for
/// byte what nft 1.0.6 sends for the same matches) and their read-back.
final class GuestMACSelectionTests: XCTestCase {
    func prefix(_ text: String) throws -> MACPrefix { try MACPrefix(parsing: text) }

    func testPrefixesParseAndMatch() throws {
        let one = try prefix("52:54:00:12:34:56")
        XCTAssertEqual(one.length, 48)
        XCTAssertEqual(one.description, "52:54:00:12:34:56")
        XCTAssertTrue(one.contains("52:54:00:12:34:56"))
        XCTAssertFalse(one.contains("52:54:00:12:34:57"))
        let xen = try prefix("00:16:3E:00:00:00/24")
        XCTAssertEqual(xen.description, "00:16:3e:00:00:00/24")
        XCTAssertTrue(xen.contains("00:16:3e:7f:00:01"))
        XCTAssertFalse(xen.contains("00:16:3f:00:00:01"))
        let odd = try prefix("02:00:00:00:00:00/20")
        XCTAssertEqual(odd.maskBytes, [0xff, 0xff, 0xf0, 0, 0, 0])
        XCTAssertTrue(odd.contains("02:00:0f:ff:ff:ff"))
        XCTAssertFalse(odd.contains("02:00:10:00:00:00"))
        XCTAssertTrue(odd.contains("02:00:00:00:00:01"))
        XCTAssertEqual(try prefix("02:00:00:00:00:00/48"), try prefix("02:00:00:00:00:00"))
    }

    func testBadTokensAreRefusedNamingTheToken() {
        let bad: [(String, String)] = [
            ("52:54:00:12:34:56/24", "bits after the /24 prefix are set (the block starts at 52:54:00:00:00:00)"),
            ("01:00:5e:00:00:01", "a multicast address is never a guest's"),
            ("ff:ff:ff:ff:ff:ff", "a multicast address is never a guest's"),
            ("00:00:00:00:00:00", "00:00:00:00:00:00 is never a guest's"),
            ("00:16:3e:00:00:00/7", "the prefix length must be 8-48"),
            ("00:16:3e:00:00:00/49", "the prefix length must be 8-48"),
            ("00:16:3e:00:00:00/", "the prefix length must be 8-48"),
            ("00:16:3e:00:00:00/+8", "the prefix length must be 8-48"),
            ("00:16:3e", "not a MAC address (expected six hex octets like 52:54:00:12:34:56, optionally /8-48)"),
            ("vif1.0", "not a MAC address (expected six hex octets like 52:54:00:12:34:56, optionally /8-48)"),
        ]
        for (text, reason) in bad {
            XCTAssertThrowsError(try prefix(text), text) { error in
                XCTAssertEqual("\(error)", "'\(text)': \(reason)")
            }
        }
    }

    func testOverlap() throws {
        XCTAssertTrue(try prefix("00:16:3e:00:00:00/24").overlaps(try prefix("00:16:3e:12:34:56")))
        XCTAssertTrue(try prefix("00:16:3e:12:34:56").overlaps(try prefix("00:16:3e:00:00:00/24")))
        XCTAssertFalse(try prefix("00:16:3e:00:00:00/24").overlaps(try prefix("52:54:00:00:00:00/24")))
    }

    func testPortSelectedPoliciesKeepTheirOwnerTag() throws {
        // The golden fixtures' tag: adding identities must not rename existing tables.
        XCTAssertEqual(NFTablesFixtures.policy.ownerTag, "b731889c")
        XCTAssertFalse(NFTablesFixtures.policy.selectsByIdentity)
        var withMAC = macPolicy
        XCTAssertTrue(withMAC.selectsByIdentity)
        XCTAssertNotEqual(withMAC.ownerTag, GuestBlockPolicy(bridges: ["br0"], guestPorts: [try PortPattern(parsing: "vnet*")]).ownerTag)
        // Canonical: order and duplicates do not matter.
        withMAC = GuestBlockPolicy(bridges: ["br0"], guestPorts: [try PortPattern(parsing: "vnet*")],
                                   guestMACs: macPolicy.guestMACs.reversed() + macPolicy.guestMACs)
        XCTAssertEqual(withMAC, macPolicy)
        XCTAssertEqual(withMAC.ownerTag, macPolicy.ownerTag)
        // Domain MACs are rendered, not tagged: a redefined domain keeps its table.
        let a = GuestBlockPolicy(bridges: ["br0"], guestPorts: [], guestDomains: ["web"], domainMACs: [try prefix("52:54:00:00:00:01")])
        let b = GuestBlockPolicy(bridges: ["br0"], guestPorts: [], guestDomains: ["web"], domainMACs: [try prefix("52:54:00:00:00:02")])
        XCTAssertEqual(a.ownerTag, b.ownerTag)
        XCTAssertNotEqual(a, b)
    }

    func testSelection() throws {
        XCTAssertTrue(macPolicy.isGuest(port: "vnet3", mac: "52:54:00:12:34:56"))
        XCTAssertTrue(macPolicy.isGuest(port: "vnet3", mac: "00:16:3e:aa:bb:cc"))
        XCTAssertFalse(macPolicy.isGuest(port: "vnet3", mac: "52:54:00:12:34:57"), "another group's guest on a shared port")
        XCTAssertFalse(macPolicy.isGuest(port: "eth0", mac: "52:54:00:12:34:56"), "the uplink carries the twins' frames")
        let byPort = GuestBlockPolicy(bridges: ["br0"], guestPorts: [try PortPattern(parsing: "vnet*")])
        XCTAssertTrue(byPort.isGuest(port: "vnet3", mac: "52:54:00:12:34:57"))
    }

    var macPolicy: GuestBlockPolicy {
        GuestBlockPolicy(bridges: ["br0"], guestPorts: [try! PortPattern(parsing: "vnet*")],
                         guestMACs: ["52:54:00:12:34:56", "00:16:3e:00:00:00/24", "02:00:00:00:00:00/20"].map { try! MACPrefix(parsing: $0) })
    }

    /// `nft -f mac.nft` (nftables 1.0.6) in an empty namespace, captured with
    /// `strace -f -e trace=sendmsg -e write=3`, where mac.nft adds table
    /// bridge t with the two chains of `NFTablesRuleset` and:
    ///
    ///     add rule bridge t from_guests meta ibrname "br0" iifname "vnet*" ether saddr 52:54:00:12:34:56 drop
    ///     add rule bridge t to_guests meta obrname "br0" oifname "vnet*" ether daddr 00:16:3e:00:00:00/24 drop
    ///     add rule bridge t from_guests meta ibrname "br0" iifname "vnet*" ether saddr 02:00:00:10:00:00/20 drop
    ///
    /// (nft masks the address itself, so the last rule carries 02:00:00:00:00:00,
    /// the spelling hanet requires.)
    static let nftRules: [String] = [
        "0a06 0c01 0700000006000100740000001000020066726f6d5f677565737473004401048024000180090001006d6574610000000014000280080002000000001108000100000000013800018008000100636d70002c0002800800010000000001080002000000000018000380140001006272300000000000000000000000000024000180090001006d6574610000000014000280080002000000000608000100000000012c00018008000100636d700020000280080001000000000108000200000000000c00038008000100766e6574340001800c0001007061796c6f6164002400028008000100000000010800020000000000080003000000000608000400000000063000018008000100636d70002400028008000100000000010800020000000000100003800a0001005254001234560000300001800e000100696d6d6564696174650000001c0002800800010000000000100002800c0002800800010000000000",
        "0a06 0c01 0700000006000100740000000e000200746f5f6775657374730000004001048024000180090001006d6574610000000014000280080002000000001208000100000000013800018008000100636d70002c0002800800010000000001080002000000000018000380140001006272300000000000000000000000000024000180090001006d6574610000000014000280080002000000000708000100000000012c00018008000100636d700020000280080001000000000108000200000000000c00038008000100766e6574340001800c0001007061796c6f6164002400028008000100000000010800020000000000080003000000000008000400000000032c00018008000100636d700020000280080001000000000108000200000000000c0003800700010000163e00300001800e000100696d6d6564696174650000001c0002800800010000000000100002800c0002800800010000000000",
        "0a06 0c01 0700000006000100740000001000020066726f6d5f677565737473009001048024000180090001006d6574610000000014000280080002000000001108000100000000013800018008000100636d70002c0002800800010000000001080002000000000018000380140001006272300000000000000000000000000024000180090001006d6574610000000014000280080002000000000608000100000000012c00018008000100636d700020000280080001000000000108000200000000000c00038008000100766e6574340001800c0001007061796c6f6164002400028008000100000000010800020000000000080003000000000608000400000000064c0001800c00010062697477697365003c000280080001000000000108000200000000010800030000000006100004800a000100fffff00000000000100005800a00010000000000000000003000018008000100636d70002400028008000100000000010800020000000000100003800a0001000200000000000000300001800e000100696d6d6564696174650000001c0002800800010000000000100002800c0002800800010000000000",
    ]

    func testMACRulesAreByteForByteWhatNftSends() throws {
        let rendering = NFTablesRuleset(policy: macPolicy, match: .bridgeAndPort)
        func rule(_ chain: String, _ mac: String) throws -> NFTablesRule {
            let wanted = try prefix(mac)
            let found = rendering.rules.filter { $0.chain == chain && $0.description.contains(wanted.description) }
            XCTAssertEqual(found.count, 1, "\(chain) \(mac): \(rendering.rules.map(\.description))")
            return try XCTUnwrap(found.first)
        }
        let mine = [try rule("from_guests", "52:54:00:12:34:56"), try rule("to_guests", "00:16:3e:00:00:00/24"),
                    try rule("from_guests", "02:00:00:00:00:00/20")]
        let theirs = NFTablesWire.messages(fixture: Self.nftRules)
        for (rule, expected) in zip(mine, theirs) {
            let request = NFTablesMessage.newRule(rule, table: "t")
            XCTAssertEqual(request.type, expected.type)
            if request.payload != expected.payload {
                XCTFail("\(rule) differs from nft's:\n" + NFTablesWire.hexDiff(expected: expected.payload, actual: request.payload))
            }
        }
    }

    func testRenderingDropsOnlyTheSelectedMACsOnGuestPortsInBothDirections() {
        let rendering = NFTablesRuleset(policy: macPolicy, match: .bridgeAndPort)
        XCTAssertEqual(rendering.rules.map(\.description), [
            #"meta ibrname "br0" iifname "vnet*" ether saddr 00:16:3e:00:00:00/24 drop"#,
            #"meta ibrname "br0" iifname "vnet*" ether saddr 02:00:00:00:00:00/20 drop"#,
            #"meta ibrname "br0" iifname "vnet*" ether saddr 52:54:00:12:34:56 drop"#,
            #"meta obrname "br0" oifname "vnet*" ether daddr 00:16:3e:00:00:00/24 drop"#,
            #"meta obrname "br0" oifname "vnet*" ether daddr 02:00:00:00:00:00/20 drop"#,
            #"meta obrname "br0" oifname "vnet*" ether daddr 52:54:00:12:34:56 drop"#,
        ])
        XCTAssertTrue(rendering.table.comment?.hasPrefix("hanet guest block v1; match=bridge+port; select=mac;") == true,
                      rendering.table.comment ?? "")
        // A port-selected policy renders as before.
        XCTAssertFalse(NFTablesRuleset(policy: NFTablesFixtures.policy, match: .bridgeAndPort).table.comment?.contains("select=") == true)
    }

    func testMACRulesRoundTripThroughTheDecoder() throws {
        for match in NFTablesMatch.allCases {
            for rule in NFTablesRuleset(policy: macPolicy, match: match).rules {
                let request = NFTablesMessage.newRule(rule, table: "t")
                let decoded = try NFTablesDecoder.rule(NetlinkMessage(type: request.type, flags: 0, sequence: 0, portID: 0, payload: request.payload))
                XCTAssertEqual(decoded.rule, rule)
            }
        }
    }

    func testGroupOverlap() throws {
        func group(_ bridges: [InterfaceName] = ["br0"], ports: [String] = ["vif*", "vnet*"], exempt: [String] = [],
                   macs: [String] = [], domains: [String] = [], domainMACs: [String] = []) throws -> GuestBlockPolicy {
            GuestBlockPolicy(bridges: bridges, guestPorts: try ports.map { try PortPattern(parsing: $0) },
                             exemptPorts: try exempt.map { try PortPattern(parsing: $0) },
                             guestMACs: try macs.map { try prefix($0) }, guestDomains: domains, domainMACs: try domainMACs.map { try prefix($0) })
        }
        let a = try group(macs: ["52:54:00:00:00:01"])
        XCTAssertNil(a.overlap(with: try group(macs: ["52:54:00:00:00:02"])), "disjoint MACs share bridges and ports")
        XCTAssertNil(a.overlap(with: try group(["br1"], macs: ["52:54:00:00:00:01"])), "other bridges")
        XCTAssertNil(a.overlap(with: try group(ports: ["tap*"], macs: ["52:54:00:00:00:01"])), "disjoint ports")
        XCTAssertEqual(a.overlap(with: try group(macs: ["52:54:00:00:00:00/24"])),
                       "both select MACs 52:54:00:00:00:01 and 52:54:00:00:00:00/24 on bridge br0, ports vif*")
        XCTAssertEqual(a.overlap(with: try group(ports: ["vif1.0"], macs: ["02:00:00:00:00:01"], domainMACs: ["52:54:00:00:00:01"])),
                       "both select MAC 52:54:00:00:00:01 on bridge br0, ports vif* and vif1.0")
        XCTAssertEqual(try group(domains: ["web"]).overlap(with: try group(domains: ["web", "db"])),
                       "both select libvirt domain web on bridge br0, ports vif*")
        XCTAssertEqual(a.overlap(with: try group(ports: ["vnet*"])),
                       "both block guests on bridge br0, ports vnet*: the other group selects every guest there by port (give each group guest_macs or guest_domains)")
        XCTAssertNil(try group(ports: ["vif0.0"], exempt: ["vif0.0"]).overlap(with: try group(ports: ["vif0.0"], exempt: ["vif0.0"])),
                     "a port both exempt")
        XCTAssertTrue(try PortPattern(parsing: "vif*").overlaps(try PortPattern(parsing: "vif1*")))
        XCTAssertFalse(try PortPattern(parsing: "vif1.0").overlaps(try PortPattern(parsing: "vif1.1")))
        XCTAssertFalse(try PortPattern(parsing: "tap*").overlaps(try PortPattern(parsing: "vif*")))
    }

    func testIPTablesRendersIdentitySelection() throws {
        // Once refused; now one rule per MAC, port pattern and direction (see MACFilterProgramTests).
        let ruleset = try IPTablesRuleset(macPolicy)
        XCTAssertEqual(ruleset.rules.count, 6)
        XCTAssertTrue(ruleset.rules.allSatisfy { $0.macFilter != nil && $0.target == .drop })
        XCTAssertEqual(ruleset.arpRules.count, 6)
    }
}
