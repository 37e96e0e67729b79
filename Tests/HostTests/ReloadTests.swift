import XCTest
import Glibc
import HanetHost
import HanetLinks
import HanetNetlink
import HanetTesting

/// Reload (OCF 1.1 reload-agent) against the stateful fake kernel: which
/// change requests a reload sends, none when nothing changed, never a
/// delete, re-create or detach, and a clear error for what takes a restart.
final class BridgeReloadTests: FakeHostTestCase {
    override func setUp() {
        super.setUp()
        kernel.addLink("eth0", mac: "52:54:00:12:34:56", up: true)
    }

    private func attachment(_ configure: (inout BridgeConfiguration) -> Void = { _ in }) -> BridgeAttachment {
        var configuration = BridgeConfiguration(bridge: "br0", uplink: "eth0")
        configure(&configuration)
        return BridgeAttachment(configuration: configuration, links: links, stateDirectory: stateDirectory.path, log: log)
    }

    func testReloadWithNothingChangedOnlyReads() throws {
        try attachment { $0.stp = true; $0.forwardDelay = 4; $0.arp = false }.start()
        let mark = kernel.requests.count
        XCTAssertEqual(try attachment { $0.stp = true; $0.forwardDelay = 4; $0.arp = false }.reload(), [])
        XCTAssertEqual(changes(since: mark), [])
        XCTAssertEqual(kernel.requests.count - mark, 1, "one dump, nothing else")
    }

    func testReloadChangesOnlyWhatDiffersInPlace() throws {
        try attachment().start()
        let before = try XCTUnwrap(kernel.link(named: "br0"))
        let mark = kernel.requests.count
        let done = try attachment { $0.stp = true; $0.forwardDelay = 4; $0.mtu = 1400; $0.arp = false }.reload()
        XCTAssertEqual(changes(since: mark), [
            "link set br0 mtu 1400",
            "link set br0 arp off",
            "link set br0 type bridge forward_delay 400",
            "link set br0 type bridge stp_state 1",
        ], "the delay before STP goes on: the kernel checks it against the STP state it has")
        XCTAssertEqual(done, ["mtu 1400", "arp off", "forward_delay 4", "stp on"])
        let after = try XCTUnwrap(kernel.link(named: "br0"))
        XCTAssertEqual(after.index, before.index, "the same bridge, not a new one")
        XCTAssertEqual(kernel.link(named: "eth0")?.masterIndex, after.index, "the uplink stays attached")
        XCTAssertEqual(try attachment { $0.stp = true; $0.forwardDelay = 4; $0.mtu = 1400; $0.arp = false }.health().state, .running)
        XCTAssertEqual(record("hanet-bridge-br0")["started"], "1")
    }

    func testSTPOffGoesBeforeAShortDelay() throws {
        try attachment { $0.stp = true; $0.forwardDelay = 4 }.start()
        let mark = kernel.requests.count
        try attachment { $0.stp = false; $0.forwardDelay = 0 }.reload()
        XCTAssertEqual(changes(since: mark), ["link set br0 type bridge stp_state 0", "link set br0 type bridge forward_delay 0"])
    }

    func testReloadOfAStoppedBridgeIsNotRunning() throws {
        assertHostError(.notRunning) { try attachment().reload() }
        XCTAssertEqual(changes(), [])
    }

    func testAnotherUplinkTakesARestart() throws {
        kernel.addLink("eth1", up: true)
        try attachment().start()
        let mark = kernel.requests.count
        let error = assertHostError(.needsRestart) { try attachment { $0.uplink = "eth1"; $0.mtu = 1400 }.reload() }
        XCTAssertTrue(error?.reason.contains("eth1") ?? false, "\(String(describing: error))")
        XCTAssertEqual(changes(since: mark), [], "nothing half-applied")
    }

    func testInvalidConfigurationChangesNothing() throws {
        try attachment().start()
        let mark = kernel.requests.count
        assertConfigurationError("forward_delay") { try attachment { $0.stp = true; $0.forwardDelay = 1 }.reload() }
        XCTAssertEqual(kernel.requests.count, mark)
    }
}

final class BondReloadTests: FakeHostTestCase {
    override func setUp() {
        super.setUp()
        kernel.addLink("eth0", mac: "52:54:00:00:00:01", up: true)
        kernel.addLink("eth1", mac: "52:54:00:00:00:02", up: true)
        kernel.addLink("eth2", mac: "52:54:00:00:00:03", up: true)
    }

    private func bond(_ configure: (inout BondConfiguration) -> Void = { _ in }) -> BondSetup {
        var c = BondConfiguration(bond: "bond0", slaves: ["eth0", "eth1"], options: Bond(mode: .activeBackup, miimon: 10))
        configure(&c)
        return BondSetup(configuration: c, links: links, stateDirectory: stateDirectory.path, log: log)
    }

    func testReloadWithNothingChangedOnlyReads() throws {
        try bond { $0.mtu = 1400 }.start()
        let mark = kernel.requests.count
        XCTAssertEqual(try bond { $0.mtu = 1400 }.reload(), [])
        XCTAssertEqual(changes(since: mark), [])
    }

    func testReloadSendsOneOptionsRequestAndTheMTU() throws {
        try bond().start()
        let before = try XCTUnwrap(kernel.link(named: "bond0"))
        let mark = kernel.requests.count
        let done = try bond { $0.options.miimon = 50; $0.options.updelay = 100; $0.options.numPeerNotifications = 3; $0.mtu = 1400; $0.primary = "eth1" }.reload()
        XCTAssertEqual(changes(since: mark), [
            "link set bond0 type bond miimon 50 updelay 100 primary eth1 num_grat_arp 3",
            "link set bond0 mtu 1400",
        ])
        XCTAssertEqual(done, ["bond options miimon updelay primary num_grat_arp", "mtu 1400"])
        let after = try XCTUnwrap(kernel.link(named: "bond0"))
        XCTAssertEqual(after.index, before.index)
        XCTAssertEqual(kernel.link(named: "eth0")?.masterIndex, after.index, "slaves stay enslaved")
        XCTAssertEqual(kernel.link(named: "eth1")?.masterIndex, after.index)
        XCTAssertEqual(after.kind?.bond?.miimon, 50)
    }

    func testOptionsTheDriverRefusesOnAnUpBondTakeARestart() throws {
        try bond().start()
        let mark = kernel.requests.count
        let error = assertHostError(.needsRestart) { try bond { $0.options.failOverMAC = .active; $0.options.miimon = 50 }.reload() }
        XCTAssertTrue(error?.reason.contains("fail_over_mac") ?? false, "\(String(describing: error))")
        XCTAssertEqual(changes(since: mark), [], "nothing half-applied")
    }

    func testNewSlavesTakeARestart() throws {
        try bond().start()
        let mark = kernel.requests.count
        assertHostError(.needsRestart) { try bond { $0.slaves = ["eth0", "eth1", "eth2"] }.reload() }
        assertHostError(.needsRestart) { try bond { $0.slaves = ["eth0", "eth2"] }.reload() }
        XCTAssertEqual(changes(since: mark), [])
    }

    func testReloadOfAStoppedBondIsNotRunning() throws {
        assertHostError(.notRunning) { try bond().reload() }
    }
}
