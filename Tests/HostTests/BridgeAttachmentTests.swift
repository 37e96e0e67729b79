import XCTest
import Glibc
import HanetHost
import HanetLinks
import HanetNetlink
import HanetTesting

/// BridgeAttachment against the stateful fake kernel: what start creates,
/// what stop may undo (only what start did), and what a failed start leaves.
final class BridgeAttachmentTests: FakeHostTestCase {
    static let uplinkMAC: MACAddress = "52:54:00:12:34:56"
    static let alias = "link set br0 alias \"\(BridgeAttachment.alias)\""
    let recordName = "hanet-bridge-br0"

    override func setUp() {
        super.setUp()
        kernel.addLink("eth0", mac: Self.uplinkMAC, up: true)
    }

    private func attachment(_ configure: (inout BridgeConfiguration) -> Void = { _ in }) -> BridgeAttachment {
        var configuration = BridgeConfiguration(bridge: "br0", uplink: "eth0")
        configure(&configuration)
        return BridgeAttachment(configuration: configuration, links: links, stateDirectory: stateDirectory.path, log: log)
    }

    // MARK: start, second start, stop

    func testStartCreatesBridgeAttachesUplinkAndBringsItUp() throws {
        let bridge = attachment()
        let done = try bridge.start()

        XCTAssertEqual(changes(), [
            "link add br0 address 52:54:00:12:34:56 type bridge stp_state 0",
            Self.alias,
            "link set eth0 master br0",
            "link set br0 up",
        ])
        XCTAssertEqual(done, ["created bridge br0 (address 52:54:00:12:34:56)", "attached eth0 to br0", "brought br0 up"])
        let br0 = try XCTUnwrap(kernel.link(named: "br0"))
        XCTAssertEqual(br0.kind?.kernelName, "bridge")
        XCTAssertTrue(br0.isUp)
        XCTAssertEqual(br0.mac, Self.uplinkMAC, "the uplink's address, pinned")
        XCTAssertEqual(br0.alias, BridgeAttachment.alias)
        XCTAssertEqual(kernel.link(named: "eth0")?.masterIndex, br0.index)
        XCTAssertEqual(record(recordName), ["created": "1", "attached": "eth0", "started": "1"])
        XCTAssertEqual(try bridge.health().state, .running)
    }

    func testSecondStartSendsNoChange() throws {
        let bridge = attachment()
        try bridge.start()
        let mark = kernel.requests.count
        let before = kernel.links

        XCTAssertEqual(try bridge.start(), [])
        XCTAssertEqual(changes(since: mark), [], "a second start only reads")
        XCTAssertGreaterThan(kernel.requests.count, mark, "it did read")
        XCTAssertEqual(kernel.links, before)
    }

    func testStopUndoesExactlyWhatStartDid() throws {
        let bridge = attachment()
        try bridge.start()
        let mark = kernel.requests.count

        let done = try bridge.stop()
        XCTAssertEqual(changes(since: mark), ["link set eth0 nomaster", "link del br0"])
        XCTAssertEqual(done, ["detached eth0 from br0", "deleted bridge br0"])
        XCTAssertNil(kernel.link(named: "br0"))
        let eth0 = try XCTUnwrap(kernel.link(named: "eth0"))
        XCTAssertNil(eth0.masterIndex)
        XCTAssertTrue(eth0.isUp, "stop never takes down a port it did not create")
        XCTAssertEqual(stateDirectory.files, [], "no record left")
        XCTAssertEqual(try bridge.health().state, .stopped)

        let again = kernel.requests.count
        XCTAssertEqual(try bridge.stop(), [], "stop of a stopped resource succeeds")
        XCTAssertEqual(changes(since: again), [])
    }

    // MARK: adoption

    func testAdoptedBridgeIsKeptAtStopAndOnlyTheUplinkIsDetached() throws {
        kernel.addLink("br0", kind: .bridge(Bridge(stp: false)), up: true)
        let bridge = attachment()
        XCTAssertEqual(try bridge.start(), ["attached eth0 to br0"])
        XCTAssertEqual(changes(), ["link set eth0 master br0"])
        XCTAssertEqual(record(recordName), ["attached": "eth0", "started": "1"], "no 'created': not ours")

        let mark = kernel.requests.count
        try bridge.stop()
        XCTAssertEqual(changes(since: mark), ["link set eth0 nomaster"])
        let br0 = try XCTUnwrap(kernel.link(named: "br0"), "an adopted bridge survives stop")
        XCTAssertTrue(br0.isUp)
        XCTAssertEqual(stateDirectory.files, [])
    }

    func testAdoptionBringsBridgeOptionsToTheConfiguration() throws {
        kernel.addLink("br0", kind: .bridge(Bridge(stp: true)), up: true)
        let done = try attachment().start()
        XCTAssertEqual(changes(), ["link set br0 type bridge stp_state 0", "link set eth0 master br0"])
        XCTAssertEqual(done.first, "adopted bridge br0: set bridge options")
        XCTAssertEqual(kernel.link(named: "br0")?.kind?.bridge?.stp, false)
    }

    func testAnUplinkAlreadyAttachedByOthersIsNotDetachedAtStop() throws {
        kernel.addLink("br0", kind: .bridge(Bridge(stp: false)), up: true)
        kernel.setMaster("eth0", "br0")
        let bridge = attachment()
        XCTAssertEqual(try bridge.start(), [])
        XCTAssertEqual(changes(), [])
        try bridge.stop()
        XCTAssertEqual(changes(), [], "neither the bridge nor the attachment was ours")
        XCTAssertEqual(kernel.link(named: "eth0")?.masterIndex, kernel.link(named: "br0")?.index)
    }

    // MARK: foreign ports

    func testBridgeWithForeignPortsIsLeftInPlaceAtStop() throws {
        let bridge = attachment()
        try bridge.start()
        kernel.addLink("vif1.0", up: true, master: "br0") // a guest started meanwhile
        let mark = kernel.requests.count

        let done = try bridge.stop()
        XCTAssertEqual(changes(since: mark), ["link set eth0 nomaster"], "no RTM_DELLINK with a guest attached")
        XCTAssertEqual(done, ["detached eth0 from br0", "left bridge br0 in place: ports vif1.0 remain"])
        XCTAssertNotNil(kernel.link(named: "br0"))
        XCTAssertEqual(record(recordName), ["created": "1"], "still ours, for a later stop")

        kernel.removeLink("vif1.0") // the guest went away
        let later = kernel.requests.count
        XCTAssertEqual(try bridge.stop(), ["deleted bridge br0"])
        XCTAssertEqual(changes(since: later), ["link del br0"])
        XCTAssertEqual(stateDirectory.files, [])
    }

    // MARK: rollback

    func testFailedUplinkEnslaveDeletesTheCreatedBridgeAndLeavesNoRecord() throws {
        kernel.failNext(.newLink, object: "eth0", errno: EBUSY, message: "injected") { $0.summary.hasSuffix(" master br0") }
        let bridge = attachment()
        XCTAssertThrowsError(try bridge.start()) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EBUSY)
            XCTAssertEqual((error as? NetlinkError)?.description, "RTM_NEWLINK eth0: injected (EBUSY)")
        }
        XCTAssertEqual(changes(), [
            "link add br0 address 52:54:00:12:34:56 type bridge stp_state 0",
            Self.alias,
            "link set eth0 master br0 -> EBUSY",
            "link del br0",
        ])
        XCTAssertNil(kernel.link(named: "br0"))
        XCTAssertNil(kernel.link(named: "eth0")?.masterIndex)
        XCTAssertEqual(record(recordName), [:], "no leftover keys")
        XCTAssertEqual(stateDirectory.files, [])
        XCTAssertTrue(logged.contains("rolled back: deleted br0"), "\(logged)")
    }

    /// A bridge MTU that does not hold (the kernel lowers a bridge to its
    /// lowest port MTU) is a failed start, rolled back at once.
    func testStartThatDoesNotConvergeIsRolledBack() throws {
        let bridge = attachment { $0.mtu = 9000 }
        let error = assertHostError(.notConverged) { try bridge.start() }
        XCTAssertEqual(error?.reason, "start did not reach the configured state: bridge br0 has mtu 1500, expected 9000")
        XCTAssertEqual(Array(changes().suffix(2)), ["link set eth0 nomaster", "link del br0"])
        XCTAssertNil(kernel.link(named: "br0"))
        XCTAssertEqual(stateDirectory.files, [])
    }

    func testEveryFailedStartStepRollsBack() throws {
        try assertEveryFailedStepRollsBack(setUpHost: { $0.addLink("eth0", mac: Self.uplinkMAC, up: true) },
                                           start: { links, directory in
            try BridgeAttachment(configuration: BridgeConfiguration(bridge: "br0", uplink: "eth0"),
                                 links: links, stateDirectory: directory).start()
        })
    }

    /// The agent was killed after recording its intent and before the
    /// kernel made the bridge: stop must still succeed and clean up.
    func testStopAfterAKilledStartSucceeds() throws {
        try StateFile(directory: stateDirectory.path, name: recordName).write(["created": "1", "attached": "eth0"])
        let bridge = attachment()
        XCTAssertEqual(try bridge.health().state, .stopped)
        XCTAssertEqual(try bridge.stop(), [])
        XCTAssertEqual(changes(), [], "nothing to undo in the kernel")
        XCTAssertEqual(stateDirectory.files, [])
        XCTAssertTrue(kernel.link(named: "eth0")?.isUp ?? false)
    }

    /// Killed after the kernel made the bridge, before the uplink was
    /// attached: the record says it is ours, so stop deletes it.
    func testStopAfterAStartKilledHalfwayDeletesWhatWasRecorded() throws {
        kernel.addLink("br0", kind: .bridge(Bridge(stp: false)), mac: Self.uplinkMAC, alias: BridgeAttachment.alias)
        try StateFile(directory: stateDirectory.path, name: recordName).write(["created": "1", "attached": "eth0"])
        XCTAssertEqual(try attachment().stop(), ["deleted bridge br0"])
        XCTAssertEqual(changes(), ["link del br0"], "eth0 was never attached: nothing to detach")
        XCTAssertEqual(stateDirectory.files, [])
    }

    // MARK: refusals before any change

    func testWrongKindUnderTheBridgeName() throws {
        kernel.addLink("br0", kind: .bond(Bond(mode: .activeBackup)))
        let bridge = attachment()
        let error = assertHostError(.wrongKind) { try bridge.start() }
        XCTAssertEqual(error?.object, "br0")
        XCTAssertEqual(changes(), [])
        XCTAssertEqual(try bridge.health(), .failed("br0 is a bond interface, not a bridge"))
        XCTAssertEqual(try bridge.stop(), [])
        XCTAssertNotNil(kernel.link(named: "br0"), "never 'fixed' by deleting it")
    }

    func testUplinkEnslavedElsewhere() throws {
        kernel.addLink("bond0", kind: .bond(Bond(mode: .activeBackup)), up: true)
        kernel.setMaster("eth0", "bond0")
        let error = assertHostError(.alreadyEnslaved) { try attachment().start() }
        XCTAssertEqual(error?.object, "eth0")
        XCTAssertEqual(error?.reason, "uplink eth0 is a slave of bond bond0, not of br0")
        XCTAssertEqual(changes(), [])
    }

    func testMissingUplink() throws {
        let bridge = BridgeAttachment(configuration: BridgeConfiguration(bridge: "br0", uplink: "eth9"),
                                      links: links, stateDirectory: stateDirectory.path)
        let error = assertHostError(.missingInterface) { try bridge.start() }
        XCTAssertEqual(error?.object, "eth9")
        XCTAssertEqual(changes(), [])
        XCTAssertEqual(try bridge.health(), .stopped("bridge br0 does not exist"))
        kernel.addLink("br0", kind: .bridge(Bridge(stp: false)), up: true)
        XCTAssertEqual(try bridge.health(), .stopped("uplink eth9 does not exist"))
    }

    func testMissingBridgeWithoutCreate() throws {
        let error = assertHostError(.missingInterface) { try attachment { $0.create = false }.validate() }
        XCTAssertEqual(error?.object, "br0")
    }

    func testConfigurationRulesComeFirst() throws {
        assertConfigurationError("uplink") {
            try BridgeAttachment(configuration: BridgeConfiguration(bridge: "br0", uplink: "br0"),
                                 links: links, stateDirectory: stateDirectory.path).start()
        }
        assertConfigurationError("mtu") { try attachment { $0.mtu = 10 }.start() }
        XCTAssertEqual(kernel.requests.count, 0, "refused before the kernel was asked anything")
    }

    // MARK: health

    func testHealthStates() throws {
        let bridge = attachment()
        XCTAssertEqual(try bridge.health(), .stopped("bridge br0 does not exist"))
        try bridge.start()
        XCTAssertEqual(try bridge.health(), .running("bridge br0 is up with uplink eth0"))

        kernel.setCarrier("eth0", false)
        XCTAssertEqual(try bridge.health().state, .running, "carrier only counts at level 10")
        XCTAssertEqual(try bridge.health(checkLevel: 10), .failed("uplink eth0 has no carrier"))
        kernel.setCarrier("eth0", true)

        kernel.setUp("eth0", false)
        XCTAssertEqual(try bridge.health(), .failed("uplink eth0 is down"))
        kernel.setUp("eth0", true)

        kernel.setUp("br0", false)
        XCTAssertEqual(try bridge.health(), .failed("bridge br0 is down"))
        kernel.setUp("br0", true)

        kernel.setMaster("eth0", nil)
        XCTAssertEqual(try bridge.health(), .stopped("uplink eth0 is not attached to br0"))
        XCTAssertEqual(changes().count, 4, "health only reads")
    }

    func testHealthOfABridgeWithoutUplinkNeedsOurStart() throws {
        kernel.addLink("br0", kind: .bridge(Bridge(stp: false)), up: true)
        let bridge = BridgeAttachment(configuration: BridgeConfiguration(bridge: "br0"), links: links,
                                      stateDirectory: stateDirectory.path)
        XCTAssertEqual(try bridge.health(), .stopped("bridge br0 exists but was not started by this resource"))
        XCTAssertEqual(try bridge.start(), [])
        XCTAssertEqual(try bridge.health(), .running("bridge br0 is up"))
        try bridge.stop()
        XCTAssertNotNil(kernel.link(named: "br0"))
        XCTAssertEqual(try bridge.health().state, .stopped)
    }
}
