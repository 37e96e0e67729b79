import XCTest
import Glibc
import HanetNetlink
import HanetLinks
@testable import HanetFirewall
import TestSupport
import HanetTesting

/// The backend against a scripted kernel: error paths, fallback, inspect.
final class NFTablesBackendTests: XCTestCase {
    let policy = NFTablesFixtures.policy
    /// Kernel replies for the port-only rendering of `policy` (see the fixture).
    var tableReply: String { NFTablesFixtures.kernelReplies[0] }
    var inputChainReply: String { NFTablesFixtures.kernelReplies[1] }
    var outputChainReply: String { NFTablesFixtures.kernelReplies[2] }
    var ruleReplies: [String] { Array(NFTablesFixtures.kernelReplies[3..<13]) }
    var generationReply: String { NFTablesFixtures.kernelReplies[13] }

    // MARK: block

    func testFallbackIsRememberedAndReported() throws {
        let (fake, backend) = NFTablesFake.backend()
        XCTAssertNil(backend.bridgeMatchSupported)
        fake.expect(NFTablesFake.error(EOPNOTSUPP, message: nil, at: 6))
        fake.expect(NFTablesFake.ackLastObject(of: .portOnly))
        let first = try backend.install(policy)
        XCTAssertEqual(first.match, .portOnly)
        XCTAssertEqual(first.rules, 10)
        XCTAssertEqual(backend.bridgeMatchSupported, false)
        XCTAssertEqual(backend.lastBlock, first)
        XCTAssertEqual(first.note, "bridge scoping unavailable on this kernel (no nft_meta_bridge): matching guest ports by name on all bridges")
        XCTAssertTrue(first.description.contains("match port"), first.description)

        // The same backend does not try bridge matching again.
        fake.expect(NFTablesFake.ackLastObject(of: .portOnly))
        try backend.block(policy)
        XCTAssertEqual(fake.sent.count, 3)
        try NFTablesWire.assertWire(fake.sent[2], equals: NFTablesFixtures.portOnlyBlock)
    }

    func testBridgeMatchSupportIsRemembered() throws {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(NFTablesFake.ackLastObject(of: .bridgeAndPort))
        XCTAssertEqual(try backend.install(policy).match, .bridgeAndPort)
        XCTAssertEqual(backend.bridgeMatchSupported, true)
    }

    func testEOPNOTSUPPOfAChainIsNotMistakenForMissingBridgeMatching() throws {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(NFTablesFake.error(EOPNOTSUPP, message: "Hook not supported", at: 4))
        XCTAssertThrowsError(try backend.block(policy)) { error in
            let error = error as? NetlinkError
            XCTAssertEqual(error?.operation, "NFT_MSG_NEWCHAIN")
            XCTAssertEqual(error?.object, "bridge hanet_b731889c from_guests")
            XCTAssertEqual(error?.errno, EOPNOTSUPP)
            XCTAssertEqual(error?.kernelMessage, "Hook not supported")
        }
        XCTAssertEqual(fake.sent.count, 1, "no fallback batch")
        XCTAssertNil(backend.bridgeMatchSupported)
        XCTAssertNil(backend.lastBlock)
    }

    func testFailureOfTheFallbackBatchIsThrown() throws {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(NFTablesFake.error(EOPNOTSUPP, message: nil, at: 6))
        fake.expect(NFTablesFake.error(ENOMEM, message: "out of memory", at: 8))
        XCTAssertThrowsError(try backend.block(policy)) { error in
            let error = error as? NetlinkError
            XCTAssertEqual(error?.operation, "NFT_MSG_NEWRULE")
            XCTAssertEqual(error?.errno, ENOMEM)
            XCTAssertEqual(error?.object, #"bridge hanet_b731889c from_guests [iifname "tap*" drop]"#)
            XCTAssertEqual(error?.description, #"NFT_MSG_NEWRULE bridge hanet_b731889c from_guests [iifname "tap*" drop]: out of memory (ENOMEM)"#)
        }
        XCTAssertEqual(fake.sent.count, 2)
        XCTAssertNil(backend.lastBlock)
    }

    func testCommitErrorAgainstTheBatchHeaderIsThrown() throws {
        let (fake, backend) = NFTablesFake.backend()
        // A failed commit is reported against NFNL_MSG_BATCH_BEGIN, with no ACK after it.
        fake.expect(NFTablesFake.error(EBUSY, message: "Device or resource busy", at: 0))
        XCTAssertThrowsError(try backend.block(policy)) { error in
            let error = error as? NetlinkError
            XCTAssertEqual(error?.operation, "NFNL_MSG_BATCH_BEGIN")
            XCTAssertEqual(error?.errno, EBUSY)
            XCTAssertEqual(error?.object, "bridge hanet_b731889c")
        }
    }

    func testEmptyBridgeListMatchesPortsOnlyWithoutTryingBridgeMatching() throws {
        let (fake, backend) = NFTablesFake.backend()
        let policy = GuestBlockPolicy(bridges: [], guestPorts: self.policy.guestPorts, exemptPorts: self.policy.exemptPorts)
        fake.expect(NFTablesFake.ackLastObject(of: .portOnly, policy: policy))
        XCTAssertEqual(try backend.install(policy).match, .portOnly)
        XCTAssertEqual(fake.sent.count, 1)
        XCTAssertNil(backend.bridgeMatchSupported, "nothing learnt about the kernel")
    }

    // MARK: unblock

    func testUnblockOfAMissingTableSucceeds() throws {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(NFTablesFake.error(ENOENT, message: "No such file or directory", at: 1))
        XCTAssertNoThrow(try backend.unblock(policy))
        XCTAssertEqual(fake.sent.count, 1)
    }

    func testUnblockPropagatesOtherErrorsWithTheKernelsText() throws {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(NFTablesFake.error(EPERM, message: "Operation not permitted by test", at: 1))
        XCTAssertThrowsError(try backend.unblock(policy)) { error in
            let error = error as? NetlinkError
            XCTAssertEqual(error?.operation, "NFT_MSG_DELTABLE")
            XCTAssertEqual(error?.object, "bridge hanet_b731889c")
            XCTAssertEqual(error?.kernelMessage, "Operation not permitted by test")
            XCTAssertEqual(error?.description, "NFT_MSG_DELTABLE bridge hanet_b731889c: Operation not permitted by test (EPERM)")
        }
    }

    func testUnblockForgetsTheLastBlock() throws {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(NFTablesFake.ackLastObject(of: .bridgeAndPort))
        try backend.block(policy)
        XCTAssertNotNil(backend.lastBlock)
        fake.expect(NFTablesFake.ack(at: 1))
        try backend.unblock(policy)
        XCTAssertNil(backend.lastBlock)
    }

    // MARK: inspect

    func testInspectOfAMissingTableIsUnblocked() throws {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(FakeNetlinkTransport.error(ENOENT))
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        XCTAssertEqual(fake.sent.count, 1, "nothing else is read")
        let request = try NFTablesWire.messages(datagram: fake.sent[0])[0]
        XCTAssertEqual(request.type, 0x0a01, "NFT_MSG_GETTABLE")
        XCTAssertEqual(request.flags & NetlinkConstants.dump, 0, "a get by name, not a dump of every table")
        XCTAssertEqual(request.payload, [7, 0, 0, 0] + [19, 0, 1, 0] + Array("hanet_b731889c".utf8) + [0, 0])
    }

    func testInspectOfTheKernelsOwnRepliesIsBlocked() throws {
        let (fake, backend) = NFTablesFake.backend()
        scriptCompleteTable(fake)
        XCTAssertEqual(try backend.inspect(policy), .blocked)
        // Requests: table, two chains by name, rules of our table only.
        let requests = try fake.sent.map { try NFTablesWire.messages(datagram: $0)[0] }
        XCTAssertEqual(requests.map(\.type), [0x0a01, 0x0a04, 0x0a04, 0x0a07])
        guard requests.count == 4 else { return }
        XCTAssertEqual(requests.map { $0.flags & NetlinkConstants.dump }, [0, 0, 0, NetlinkConstants.dump])
        XCTAssertEqual(requests[3].payload, [7, 0, 0, 0] + [19, 0, 1, 0] + Array("hanet_b731889c".utf8) + [0, 0],
                       "the rule dump carries NFTA_RULE_TABLE so the kernel filters it")
    }

    func testInspectNamesADeletedRule() throws {
        let (fake, backend) = NFTablesFake.backend()
        var rules = ruleReplies
        rules.remove(at: 2) // from_guests: iifname "tap*" drop
        scriptCompleteTable(fake, rules: rules)
        guard case .incomplete(let reason) = try backend.inspect(policy) else { return XCTFail("expected incomplete") }
        XCTAssertEqual(reason, #"chain from_guests: 1 of 5 rules missing: `iifname "tap*" drop`"#)
    }

    func testInspectNamesAMissingChainAndFlushedRules() throws {
        let (fake, backend) = NFTablesFake.backend()
        fake.expect(NFTablesFake.reply(tableReply))
        fake.expect(NFTablesFake.reply(inputChainReply))
        fake.expect(FakeNetlinkTransport.error(ENOENT))
        fake.expect(NFTablesFake.dump([]))
        guard case .incomplete(let reason) = try backend.inspect(policy) else { return XCTFail("expected incomplete") }
        XCTAssertTrue(reason.contains("chain from_guests: 5 of 5 rules missing"), reason)
        XCTAssertTrue(reason.contains("chain to_guests is missing"), reason)
    }

    /// Dormant = switched off by unblock: inert, guests reachable. The
    /// unblocked host's monitor reads the table header and nothing more.
    func testInspectReadsADormantTableAsUnblockedFromItsHeaderAlone() throws {
        let (fake, backend) = NFTablesFake.backend()
        let dormant = tableReply.replacingOccurrences(of: "0800020000000000", with: "0800020000000001")
        XCTAssertNotEqual(dormant, tableReply)
        scriptCompleteTable(fake, table: dormant)
        XCTAssertEqual(try backend.inspect(policy), .unblocked)
        XCTAssertEqual(fake.sent.count, 1, "one NFT_MSG_GETTABLE, no chain or rule reads")
        // The same table, not dormant, is read in full.
        let (fullFake, fullBackend) = NFTablesFake.backend()
        scriptCompleteTable(fullFake)
        XCTAssertEqual(try fullBackend.inspect(policy), .blocked)
        XCTAssertEqual(fullFake.sent.count, 4)
    }

    /// A dormant table whose rules were also edited is still reported as it is.
    func testDormancyIsIgnoredOnlyForAnOtherwiseIntactTable() throws {
        let ruleset = NFTablesRuleset(policy: policy, match: .portOnly)
        var table = ruleset.table
        table.flags |= 1
        let snapshot = NFTablesSnapshot(table: table, chains: ruleset.chains, rules: Array(ruleset.rules.dropLast()))
        XCTAssertNotNil(ruleset.difference(from: snapshot, ignoringDormancy: true))
        XCTAssertEqual(ruleset.difference(from: NFTablesSnapshot(table: table, chains: ruleset.chains, rules: ruleset.rules), ignoringDormancy: true), nil)
        XCTAssertTrue(ruleset.difference(from: NFTablesSnapshot(table: table, chains: ruleset.chains, rules: ruleset.rules))?.contains("dormant") == true)
    }

    /// The switch is one NEWTABLE with only the flags changed.
    func testSwitchBatchTogglesOnlyTheDormantFlag() throws {
        let ruleset = NFTablesRuleset(policy: policy, match: .portOnly)
        let off = ruleset.switchBatch(dormant: true)
        XCTAssertEqual(off.map(\.operation), ["NFNL_MSG_BATCH_BEGIN", "NFT_MSG_NEWTABLE", "NFNL_MSG_BATCH_END"])
        let on = ruleset.switchBatch(dormant: false)
        XCTAssertNotEqual(off[1].request.payload, on[1].request.payload)
        XCTAssertEqual(on[1].request.payload, NFTablesMessage.newTable(ruleset.table).payload)
        XCTAssertNotEqual(off[1].request.flags & NetlinkConstants.ack, 0, "the only object message asks for the ACK")
    }

    func testInspectReportsAnExtraRuleAndAChangedPolicy() throws {
        let (fake, backend) = NFTablesFake.backend()
        var rules = ruleReplies
        rules.append(rules[0]) // iifname "vif0.0" accept, twice
        // to_guests with policy drop instead of accept (NFTA_CHAIN_POLICY, 5).
        let changed = outputChainReply.replacingOccurrences(of: "0800050000000001", with: "0800050000000000")
        XCTAssertNotEqual(changed, outputChainReply)
        scriptCompleteTable(fake, outputChain: changed, rules: rules)
        guard case .incomplete(let reason) = try backend.inspect(policy) else { return XCTFail("expected incomplete") }
        XCTAssertTrue(reason.contains(#"chain from_guests: 1 unexpected: `iifname "vif0.0" accept`"#), reason)
        XCTAssertTrue(reason.contains("chain to_guests is \"type filter hook postrouting priority -300; policy drop;\", expected \"type filter hook postrouting priority -300; policy accept;\""), reason)
    }

    func testInspectRereadsWhenACommitRacedTheReads() throws {
        let (fake, backend) = NFTablesFake.backend()
        // First round: the rules come from generation 8, the table from 7.
        scriptCompleteTable(fake, rules: ruleReplies.map { $0.replacingOccurrences(of: " 07000007", with: " 07000008") })
        scriptCompleteTable(fake)
        XCTAssertEqual(try backend.inspect(policy), .blocked)
        XCTAssertEqual(fake.sent.count, 8, "read twice")
    }

    func testInspectOfAnotherRenderingComparesWithWhatTheCommentNames() throws {
        // Our table, but made by a bridge-scoped block: compare with that rendering.
        let (fake, backend) = NFTablesFake.backend()
        var made = NFTablesMessage.newTable(NFTablesRuleset(policy: policy, match: .bridgeAndPort).table)
        made.attribute(NFTablesConstants.tableUse, bigEndian: UInt32(2))
        var payload = made.payload
        payload[3] = 7 // the generation of the other fixture replies
        let line = "0a00 0000 " + NFTablesWire.hex(payload)
        scriptCompleteTable(fake, table: line)
        guard case .incomplete(let reason) = try backend.inspect(policy) else { return XCTFail("expected incomplete") }
        XCTAssertTrue(reason.contains(#"chain from_guests: 10 of 10 rules missing: `meta ibrname "br0" iifname "vif0.0" accept`"#), reason)
    }

    func testProbeDecodesTheGeneration() throws {
        let message = NFTablesWire.netlinkMessage(generationReply)
        XCTAssertEqual(try NFTablesDecoder.generationID(message), 7)
    }

    // MARK: helpers

    func scriptCompleteTable(_ fake: FakeNetlinkTransport, table: String? = nil, outputChain: String? = nil, rules: [String]? = nil) {
        fake.expect(NFTablesFake.reply(table ?? tableReply))
        fake.expect(NFTablesFake.reply(inputChainReply))
        fake.expect(NFTablesFake.reply(outputChain ?? outputChainReply))
        fake.expect(NFTablesFake.dump(rules ?? ruleReplies))
    }
}
