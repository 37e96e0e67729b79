import XCTest
import HanetNetlink
@testable import HanetFirewall
import TestSupport

/// Decoding what the kernel sends back, and refusing what it never would.
final class NFTablesDecoderTests: XCTestCase {
    let replies = NFTablesFixtures.kernelReplies.map(NFTablesWire.netlinkMessage)

    func testKernelRepliesDecodeToExactlyThePortOnlyRendering() throws {
        let (table, tableGeneration) = try NFTablesDecoder.table(replies[0])
        XCTAssertEqual(table.name, "hanet_b731889c")
        XCTAssertEqual(table.flags, 0)
        XCTAssertEqual(table.use, 2)
        XCTAssertEqual(tableGeneration, 7)
        let chains = try replies[1...2].map { try NFTablesDecoder.chain($0) }
        XCTAssertEqual(chains.map(\.table), ["hanet_b731889c", "hanet_b731889c"])
        XCTAssertEqual(chains.map(\.generation), [7, 7])
        let rules = try replies[3..<13].map { try NFTablesDecoder.rule($0) }
        let snapshot = NFTablesSnapshot(table: table, chains: chains.map(\.chain), rules: rules.map(\.rule))

        let rendering = NFTablesRuleset(policy: NFTablesFixtures.policy, match: .portOnly)
        XCTAssertEqual(snapshot.table.comment, rendering.table.comment)
        XCTAssertEqual(snapshot.chains, rendering.chains)
        XCTAssertEqual(snapshot.rules, rendering.rules)
        XCTAssertNil(rendering.difference(from: snapshot))
        // The other rendering is not mistaken for it.
        XCTAssertNotNil(NFTablesRuleset(policy: NFTablesFixtures.policy, match: .bridgeAndPort).difference(from: snapshot))
        XCTAssertEqual(rules.map(\.rule.description).prefix(3), [#"iifname "vif0.0" accept"#, #"iifname "guest7" drop"#, #"iifname "tap*" drop"#])
    }

    func testTruncatedRuleThrowsAtEveryCutInsideAnAttribute() throws {
        let rule = replies[3]
        let attributes = try rule.attributes(after: 4, context: "test")
        // Cuts that leave an attribute's header complete but its value short:
        // the header then claims bytes that are not there.
        let inside = attributes.all.flatMap { attribute in
            let header = attribute.value.startIndex - 4
            return Array((header + 4)..<(attribute.value.endIndex))
        }
        XCTAssertGreaterThan(inside.count, 150)
        for cut in inside {
            var truncated = rule
            truncated.payload = Array(rule.payload[..<cut])
            XCTAssertThrowsError(try NFTablesDecoder.rule(truncated), "cut at \(cut) of \(rule.payload.count)") { error in
                XCTAssertTrue(error is NetlinkDecodeError, "\(error)")
            }
        }
        // Cuts of the nfgenmsg itself.
        for cut in 0..<4 {
            var truncated = rule
            truncated.payload = Array(rule.payload[..<cut])
            XCTAssertThrowsError(try NFTablesDecoder.rule(truncated), "cut at \(cut)")
        }
    }

    func testRuleWithoutTableOrChainThrows() throws {
        var rule = replies[3]
        rule.payload = Array(rule.payload[..<4]) // nfgenmsg only
        XCTAssertThrowsError(try NFTablesDecoder.rule(rule)) { error in
            XCTAssertEqual((error as? NetlinkDecodeError)?.reason, "missing NFTA_RULE_TABLE or NFTA_RULE_CHAIN")
        }
    }

    func testNestedLengthRunningPastItsParentThrows() throws {
        // Inside the first expression: the cmp NFTA_DATA_VALUE of "vif0.0"
        // (length 0x14) claims 0x40 bytes, past the end of its nest.
        let line = NFTablesFixtures.kernelReplies[3]
        let patched = line.replacingOccurrences(of: "14000100766966302e30", with: "40000100766966302e30")
        XCTAssertNotEqual(patched, line)
        XCTAssertThrowsError(try NFTablesDecoder.rule(NFTablesWire.netlinkMessage(patched))) { error in
            XCTAssertTrue((error as? NetlinkDecodeError)?.reason.contains("runs past its buffer") == true, "\(error)")
        }
    }

    func testOversizedAttributesThrow() throws {
        // A 12-byte NFTA_META_KEY (a u32) and a 68-byte compare value.
        var request = NFTablesMessage.request(NFTablesConstants.newRule)
        request.attribute(NFTablesConstants.ruleTable, string: "t")
        request.attribute(NFTablesConstants.ruleChain, string: "c")
        request.nest(NFTablesConstants.ruleExpressions) { list in
            list.nest(NFTablesConstants.listElement) { element in
                element.attribute(NFTablesConstants.expressionName, string: "meta")
                element.nest(NFTablesConstants.expressionData) { data in
                    data.attribute(NFTablesConstants.metaKey, bytes: [UInt8](repeating: 0, count: 12))
                    data.attribute(NFTablesConstants.metaDestination, bigEndian: UInt32(1))
                }
            }
        }
        XCTAssertThrowsError(try NFTablesDecoder.rule(message(request))) { error in
            XCTAssertTrue((error as? NetlinkDecodeError)?.reason.contains("oversized") == true, "\(error)")
        }

        var big = NFTablesMessage.request(NFTablesConstants.newRule)
        big.attribute(NFTablesConstants.ruleTable, string: "t")
        big.attribute(NFTablesConstants.ruleChain, string: "c")
        big.nest(NFTablesConstants.ruleExpressions) { list in
            NFTablesExpression.compare(source: 1, operation: 0, data: [UInt8](repeating: 0x41, count: 68)).encode(into: &list)
        }
        XCTAssertThrowsError(try NFTablesDecoder.rule(message(big))) { error in
            XCTAssertEqual((error as? NetlinkDecodeError)?.reason, "NFTA_DATA_VALUE of 68 bytes is oversized")
        }
    }

    func testShortAttributesThrow() throws {
        // NFTA_CHAIN_POLICY of 2 bytes instead of 4.
        let line = NFTablesFixtures.kernelReplies[1]
        let patched = line.replacingOccurrences(of: "0800050000000001", with: "0600050000010000")
        XCTAssertNotEqual(patched, line)
        XCTAssertThrowsError(try NFTablesDecoder.chain(NFTablesWire.netlinkMessage(patched))) { error in
            XCTAssertTrue((error as? NetlinkDecodeError)?.reason.contains("has 2 bytes, expected 4") == true, "\(error)")
        }
    }

    func testTruncatedUserdataThrows() throws {
        // A comment TLV claiming 20 bytes where 5 follow.
        XCTAssertThrowsError(try NFTablesTable.comment(inUserdata: [0, 20, 0x61, 0x62, 0x63, 0x64, 0])) { error in
            XCTAssertTrue((error as? NetlinkDecodeError)?.reason.contains("runs past") == true, "\(error)")
        }
        XCTAssertThrowsError(try NFTablesTable.comment(inUserdata: [0, 2, 0x61, 0, 1]), "a lone type byte")
        XCTAssertEqual(try NFTablesTable.comment(inUserdata: [1, 1, 0x7a, 0, 3, 0x61, 0x62, 0]), "ab", "other TLVs are skipped")
        XCTAssertNil(try NFTablesTable.comment(inUserdata: []))
    }

    func testWrongMessageTypeAndShortHeaderThrow() throws {
        XCTAssertThrowsError(try NFTablesDecoder.chain(replies[0])) { error in
            XCTAssertEqual((error as? NetlinkDecodeError)?.reason, "unexpected message type 0xa00")
        }
        var short = replies[0]
        short.payload = [7, 0]
        XCTAssertThrowsError(try NFTablesDecoder.table(short)) { error in
            XCTAssertEqual((error as? NetlinkDecodeError)?.reason, "payload of 2 bytes is shorter than its 4-byte nfgenmsg")
        }
    }

    func testExpressionWithoutNameThrowsAndUnknownOnesAreKeptAsOther() throws {
        var nameless = NFTablesMessage.request(NFTablesConstants.newRule)
        nameless.attribute(NFTablesConstants.ruleTable, string: "t")
        nameless.attribute(NFTablesConstants.ruleChain, string: "c")
        nameless.nest(NFTablesConstants.ruleExpressions) { list in
            list.nest(NFTablesConstants.listElement) { $0.nest(NFTablesConstants.expressionData) { _ in } }
        }
        XCTAssertThrowsError(try NFTablesDecoder.rule(message(nameless))) { error in
            XCTAssertEqual((error as? NetlinkDecodeError)?.reason, "missing NFTA_EXPR_NAME")
        }

        // `counter` and a jump: decoded, never equal to what we render.
        var other = NFTablesMessage.request(NFTablesConstants.newRule)
        other.attribute(NFTablesConstants.ruleTable, string: "t")
        other.attribute(NFTablesConstants.ruleChain, string: "c")
        other.nest(NFTablesConstants.ruleExpressions) { list in
            list.nest(NFTablesConstants.listElement) { element in
                element.attribute(NFTablesConstants.expressionName, string: "counter")
                element.nest(NFTablesConstants.expressionData) { $0.attribute(1, bigEndian: UInt64(5)) }
            }
            list.nest(NFTablesConstants.listElement) { element in
                element.attribute(NFTablesConstants.expressionName, string: "immediate")
                element.nest(NFTablesConstants.expressionData) { data in
                    data.attribute(NFTablesConstants.immediateDestination, bigEndian: UInt32(0))
                    data.nest(NFTablesConstants.immediateData) { value in
                        value.nest(NFTablesConstants.dataVerdict) { verdict in
                            verdict.attribute(NFTablesConstants.verdictCode, bigEndian: UInt32(bitPattern: -3))
                            verdict.attribute(NFTablesConstants.verdictChain, string: "elsewhere")
                        }
                    }
                }
            }
        }
        let decoded = try NFTablesDecoder.rule(message(other)).rule
        XCTAssertEqual(decoded.expressions.count, 2)
        guard case .other("counter", _) = decoded.expressions[0], case .other("immediate", _) = decoded.expressions[1] else {
            return XCTFail("expected two .other expressions, got \(decoded.expressions)")
        }
        XCTAssertEqual(decoded.description, "[ counter ] [ immediate ]")
    }

    func testRenderedExpressionsRoundTrip() throws {
        for match in NFTablesMatch.allCases {
            let rendering = NFTablesRuleset(policy: NFTablesFixtures.policy, match: match)
            for rule in rendering.rules {
                let decoded = try NFTablesDecoder.rule(message(NFTablesMessage.newRule(rule, table: "t")))
                XCTAssertEqual(decoded.rule, rule)
                XCTAssertEqual(decoded.table, "t")
            }
            for chain in rendering.chains {
                XCTAssertEqual(try NFTablesDecoder.chain(message(NFTablesMessage.newChain(chain, table: "t"))).chain, chain)
            }
            XCTAssertEqual(try NFTablesDecoder.table(message(NFTablesMessage.newTable(rendering.table))).0, rendering.table)
        }
    }

    func message(_ request: NetlinkRequest) -> NetlinkMessage {
        NetlinkMessage(type: request.type, flags: 0, sequence: 0, portID: 0, payload: request.payload)
    }
}
