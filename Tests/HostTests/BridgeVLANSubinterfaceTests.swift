import XCTest
import Glibc
import HanetHost
import HanetLinks
import HanetNetlink
import HanetTesting

/// `vlan_id`: the bridge's uplink is a VLAN on any device, made by start
/// when absent and deleted by stop only if this resource made it.
final class BridgeVLANSubinterfaceTests: FakeHostTestCase {
    let recordName = "hanet-bridge-br0"

    override func setUp() {
        super.setUp()
        kernel.addLink("eth1", mac: "52:54:00:00:01:01", up: false)
    }

    private func configuration(_ id: UInt16 = 100, on parent: InterfaceName = "eth1") throws -> BridgeConfiguration {
        var c = BridgeConfiguration(bridge: "br0", uplink: parent)
        try c.attachVLAN(id, on: parent)
        return c
    }

    private func attachment(_ c: BridgeConfiguration) -> BridgeAttachment {
        BridgeAttachment(configuration: c, links: links, stateDirectory: stateDirectory.path, log: log)
    }

    func testStartCreatesTheVLANOnAPlainNICAndStopDeletesIt() throws {
        let bridge = attachment(try configuration())
        let done = try bridge.start()
        XCTAssertEqual(Array(done.prefix(3)), ["created VLAN eth1.100 on eth1", "brought eth1 up", "created bridge br0 (address 52:54:00:00:01:01)"])
        let vlan = try XCTUnwrap(kernel.link(named: "eth1.100"))
        XCTAssertEqual(vlan.kind?.vlan?.id, 100)
        XCTAssertEqual(vlan.parentIndex, kernel.link(named: "eth1")?.index)
        XCTAssertEqual(vlan.masterIndex, kernel.link(named: "br0")?.index, "the VLAN, not eth1, is the port")
        XCTAssertNil(kernel.link(named: "eth1")?.masterIndex)
        XCTAssertEqual(record(recordName)["vlan"], "eth1.100")
        XCTAssertEqual(try bridge.health().state, .running)

        let mark = kernel.requests.count
        XCTAssertEqual(try bridge.start(), [], "idempotent")
        XCTAssertEqual(changes(since: mark), [])

        let stopped = try bridge.stop()
        XCTAssertEqual(stopped, ["detached eth1.100 from br0", "deleted VLAN eth1.100", "deleted bridge br0"])
        XCTAssertNil(kernel.link(named: "eth1.100"))
        XCTAssertTrue(kernel.link(named: "eth1")?.isUp ?? false, "the parent stays up: other VLANs may use it")
        XCTAssertEqual(stateDirectory.files, [])
        XCTAssertEqual(try bridge.stop(), [])
    }

    /// The bond agent's `vlans=` (or ifupdown) made it: used, never deleted.
    func testAnExistingVLANIsAdoptedAndKept() throws {
        kernel.addLink("eth1.100", kind: .vlan(Vlan(id: 100)), up: true, parent: "eth1")
        let bridge = attachment(try configuration())
        let done = try bridge.start()
        XCTAssertFalse(done.contains { $0.hasPrefix("created VLAN") }, "\(done)")
        XCTAssertNil(record(recordName)["vlan"])
        try bridge.stop()
        XCTAssertNotNil(kernel.link(named: "eth1.100"), "not ours: left in place")
        XCTAssertNil(kernel.link(named: "eth1.100")?.masterIndex)
    }

    func testAnExistingDeviceThatIsNotThatVLANIsRefused() throws {
        kernel.addLink("eth2", up: true)
        kernel.addLink("eth1.100", kind: .vlan(Vlan(id: 200)), up: true, parent: "eth1")
        let error = assertHostError(.wrongKind) { try attachment(try configuration()).start() }
        XCTAssertEqual(error?.reason, "eth1.100 exists but is not VLAN 100 on eth1")
        XCTAssertEqual(changes(), [])
    }

    func testAMissingParentIsThisNodesProblem() throws {
        let error = assertHostError(.missingInterface) { try attachment(try configuration(on: "eth7")).validate() }
        XCTAssertEqual(error?.reason, "eth7 (the parent of VLAN 100) does not exist on this node")
        XCTAssertEqual(changes(), [])
    }

    func testAFailedAttachDeletesTheVLANItMade() throws {
        kernel.failNext(.newLink, object: "eth1.100", errno: EBUSY, message: "injected") { $0.summary.hasSuffix(" master br0") }
        XCTAssertThrowsError(try attachment(try configuration()).start())
        XCTAssertNil(kernel.link(named: "eth1.100"))
        XCTAssertNil(kernel.link(named: "br0"))
        XCTAssertEqual(stateDirectory.files, [])
        XCTAssertTrue(logged.contains("rolled back: deleted VLAN eth1.100"), "\(logged)")
    }

    func testEveryFailedStartStepRollsBack() throws {
        try assertEveryFailedStepRollsBack(setUpHost: { $0.addLink("eth1", up: false) }, start: { links, directory in
            var c = BridgeConfiguration(bridge: "br0", uplink: "eth1")
            try c.attachVLAN(100, on: "eth1")
            try BridgeAttachment(configuration: c, links: links, stateDirectory: directory).start()
        })
    }

    /// Killed after the kernel made the VLAN, before the record said
    /// "attached": stop still deletes it.
    func testStopAfterAStartKilledAfterTheVLANDeletesIt() throws {
        kernel.addLink("eth1.100", kind: .vlan(Vlan(id: 100)), parent: "eth1")
        try StateFile(directory: stateDirectory.path, name: recordName).write(["vlan": "eth1.100"])
        XCTAssertEqual(try attachment(try configuration()).stop(), ["deleted VLAN eth1.100"])
        XCTAssertNil(kernel.link(named: "eth1.100"))
        XCTAssertEqual(stateDirectory.files, [])
    }

    func testMonitorNamesAReplacedUplink() throws {
        let bridge = attachment(try configuration())
        try bridge.start()
        kernel.setUp("eth1", false)
        XCTAssertEqual(try bridge.health(), .failed("eth1 (the parent of uplink eth1.100) is down"))
    }

    func testConfigurationRules() throws {
        var c = BridgeConfiguration(bridge: "br0", uplink: "averylongname1")
        XCTAssertThrowsError(try c.attachVLAN(100, on: "averylongname1")) {
            XCTAssertEqual("\($0)", "parameter 'vlan_id': averylongname1.100 would be longer than 15 characters")
        }
        XCTAssertThrowsError(try c.attachVLAN(4095, on: "eth1")) { XCTAssertEqual("\($0)", "parameter 'vlan_id': must be 1-4094 (got 4095)") }
        var d = try configuration()
        d.uplink = "eth1"
        XCTAssertThrowsError(try d.validate()) { XCTAssertEqual("\($0)", "parameter 'vlan_id': the uplink must be eth1.100") }
    }
}
