import XCTest
import Glibc
import CLinuxNet
import HanetHost
import HanetLinks
import HanetFirewall
import HanetNetlink
import HanetTesting

/// GuestIsolation with a recording firewall backend and the fake kernel
/// for the rtnetlink side (bridges, ports, forwarding entries).
final class GuestIsolationTests: FakeHostTestCase {
    static let guestMAC: MACAddress = "02:00:00:00:01:01"
    static let remoteMAC: MACAddress = "52:54:00:aa:bb:cc"
    static let uplinkMAC: MACAddress = "52:54:00:00:00:01"
    static let staticMAC: MACAddress = "02:00:00:00:09:09"

    var backend: FakeGuestBlockBackend!
    var routeOpened = 0
    let policy = GuestBlockPolicy(bridges: ["br1", "br0"],
                                  guestPorts: [GuestIsolationTests.pattern("vif*"), GuestIsolationTests.pattern("tap*")])

    static func pattern(_ text: String) -> PortPattern {
        do { return try PortPattern(parsing: text) } catch { preconditionFailure("\(error)") }
    }

    override func setUp() {
        super.setUp()
        backend = FakeGuestBlockBackend(name: "fake")
        routeOpened = 0
        // br0 with the uplink and one guest; br1 of the policy does not exist.
        kernel.addLink("br0", kind: .bridge(Bridge(stp: false)), up: true)
        kernel.addLink("eth0", mac: Self.uplinkMAC, up: true, master: "br0")
        kernel.addLink("vif1.0", up: true, master: "br0")
        kernel.addFDBEntry(Self.guestMAC, port: "vif1.0")                       // learned on the guest port
        kernel.addFDBEntry(Self.remoteMAC, port: "eth0")                        // learned on the uplink
        kernel.addFDBEntry(Self.uplinkMAC, port: "eth0", state: UInt16(NUD_PERMANENT)) // the port's own
        kernel.addFDBEntry(Self.staticMAC, port: "vif1.0", state: UInt16(NUD_NOARP))   // added by hand
    }

    override func tearDown() {
        backend = nil
        super.tearDown()
    }

    private func isolation(announce: Int = 0, portLock: Bool = true, policy: GuestBlockPolicy? = nil) -> GuestIsolation {
        var configuration = VhostNetConfiguration(policy: policy ?? self.policy)
        configuration.announce = announce
        configuration.portLock = portLock
        let kernel = self.kernel!
        return GuestIsolation(configuration: configuration, backend: backend, backendReason: "test",
                              openRoute: { [unowned self] in
                                  self.routeOpened += 1
                                  return NetlinkConnection(transport: kernel, firstSequence: 1)
                              },
                              stateDirectory: stateDirectory.path, log: log)
    }

    private var remainingMACs: [MACAddress] { kernel.fdbEntries(bridge: "br0").map(\.mac) }

    // MARK: block

    func testBlockInstallsTheBlockAndNeverForksAGuard() throws {
        let guests = isolation(portLock: false)
        try guests.block()
        XCTAssertEqual(backend.calls, [.block(policy)])
        XCTAssertFalse(guests.guardRunning, "block() leaves no guard behind: that is startGuard()'s job")
        XCTAssertEqual(routeOpened, 0, "without announcements or port lock a block needs no rtnetlink socket")
        XCTAssertEqual(kernel.requests.count, 0)
        XCTAssertEqual(try guests.health(), .stopped("guests on br0 br1 are blocked"))
    }

    // MARK: port lock

    func testBlockDisablesTheGuestPortsAfterTheFirewall() throws {
        kernel.addLink("tap0", up: false, master: "br0") // down: the kernel disables it already
        let guests = isolation()
        try guests.block()
        XCTAssertEqual(backend.calls, [.block(policy)])
        XCTAssertEqual(changes(), ["bridge link set dev vif1.0 state disabled"],
                       "guest ports that are up, nothing for the uplink, the down tap0 or the missing br1")
        XCTAssertEqual(kernel.link(named: "vif1.0")?.bridgePortState, .disabled)
        XCTAssertEqual(kernel.link(named: "eth0")?.bridgePortState, .forwarding)
        XCTAssertTrue(logged.contains { $0.contains("port lock: 1 guest port(s) disabled (vif1.0)") }, "\(logged)")
        // Idempotent: a second block reads and changes nothing.
        let mark = kernel.requests.count
        try guests.block()
        XCTAssertEqual(changes(since: mark), [])
    }

    func testUnblockPutsTheGuestPortsBackToForwarding() throws {
        let guests = isolation()
        try guests.block()
        let mark = kernel.requests.count
        try guests.unblock()
        XCTAssertEqual(changes(since: mark), ["bridge link set dev vif1.0 state forwarding", "fdb flush dev br0"])
        XCTAssertEqual(kernel.link(named: "vif1.0")?.bridgePortState, .forwarding)
        XCTAssertEqual(backend.callKinds.last, .unblock)
    }

    func testAPortChangeLiftsTheLockAndOnePassRestoresIt() throws {
        let guests = isolation()
        try guests.block()
        let lock = try guests.portLock()
        XCTAssertEqual(try lock.unlockedPorts(), [])
        kernel.setCarrier("vif1.0", true) // a NETDEV_CHANGE: the bridge enables the port again
        XCTAssertEqual(try lock.unlockedPorts(), ["vif1.0"], "what the guard's pass looks for")
        kernel.addLink("vif2.0", up: true, master: "br0") // a guest that attached while blocked
        let pass = try lock.lock()
        XCTAssertEqual(pass.changed, ["vif1.0", "vif2.0"])
        XCTAssertEqual(try lock.unlockedPorts(), [])
        XCTAssertEqual(try lock.lock().changed, [], "nothing left to do: no request")
    }

    func testOnePortsRefusalDoesNotStopTheOthers() throws {
        kernel.addLink("vif2.0", up: true, master: "br0")
        kernel.addLink("vif3.0", up: true, master: "br0")
        kernel.failNext(.setLink, object: "vif2.0", errno: ENETDOWN) // went down meanwhile
        let pass = try isolation().portLock().lock()
        XCTAssertEqual(pass.changed, ["vif1.0", "vif3.0"], "the others are locked, in one datagram")
        XCTAssertEqual(changes(), ["bridge link set dev vif1.0 state disabled",
                                   "bridge link set dev vif2.0 state disabled -> ENETDOWN",
                                   "bridge link set dev vif3.0 state disabled"])
        kernel.failNext(.setLink, object: "vif1.0", errno: EPERM)
        kernel.setCarrier("vif1.0", true)
        XCTAssertThrowsError(try isolation().portLock().lock(), "a refusal other than down, STP or gone is an error") { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EPERM)
        }
    }

    func testBridgesRunningSTPAreLeftToSTP() throws {
        kernel.addLink("brstp", kind: .bridge(Bridge(stp: true)), up: true)
        kernel.addLink("vif5.0", up: true, master: "brstp")
        let stpPolicy = GuestBlockPolicy(bridges: ["brstp"], guestPorts: [Self.pattern("vif*")])
        let guests = isolation(policy: stpPolicy)
        try guests.block()
        XCTAssertEqual(changes(), [], "STP owns the port states there")
        XCTAssertTrue(logged.contains { $0.contains("STP runs on brstp") }, "\(logged)")
        XCTAssertEqual(try guests.portLock().lock().stpBridges, ["brstp"])
    }

    func testARefusedPortLockLeavesTheFirewallBlockAndDoesNotFail() throws {
        kernel.failNext(.setLink, object: "vif1.0", errno: EPERM)
        let guests = isolation()
        XCTAssertNoThrow(try guests.block(), "the firewall block holds: a stop must not fail over the second lock")
        XCTAssertEqual(backend.calls, [.block(policy)])
        XCTAssertTrue(logged.contains { $0.contains("could not disable the guest ports") }, "\(logged)")
    }

    func testStopBlocksAndStartUnblocks() throws {
        let guests = isolation()
        XCTAssertEqual(try guests.stop(), ["blocked guests on br0 br1"])
        XCTAssertFalse(guests.guardRunning)
        XCTAssertEqual(try guests.health().state, .stopped)

        XCTAssertEqual(try guests.start(), ["unblocked guests on br0 br1", "flushed learned entries on br0"])
        XCTAssertEqual(backend.callKinds, [.block, .inspect, .problems, .unblock])
        XCTAssertEqual(try guests.health().state, .running)
        XCTAssertFalse(guests.guardRunning)
    }

    func testBlockWithAnnouncementsRemembersTheGuestMACs() throws {
        let guests = isolation(announce: 3, portLock: false)
        try guests.block()
        XCTAssertEqual(routeOpened, 1)
        XCTAssertEqual(changes(), [], "remembering only reads")
        XCTAssertEqual(kernel.requests.map(\.summary), ["link show br0", "link show master br0", "fdb show br br0",
                                                        "link show br1"])
        let registry = record("hanet-vhostnet-\(policy.ownerTag)-macs")
        XCTAssertEqual(registry, [Self.guestMAC.description: "vif1.0"], "guest ports only, learned entries only")
        XCTAssertEqual(backend.calls, [.block(policy)])
    }

    // MARK: unblock

    func testUnblockFlushesLearnedEntriesOncePerExistingBridge() throws {
        let guests = isolation()
        let report = try guests.unblock()
        XCTAssertEqual(backend.calls, [.unblock(policy)], "the block goes first")
        XCTAssertEqual(report.flushedBridges, ["br0"])
        XCTAssertEqual(report.flushedOneByOne, 0)
        XCTAssertEqual(changes(), ["fdb flush dev br0"], "one bulk RTM_DELNEIGH, none for the missing br1")
        let flush = try XCTUnwrap(kernel.changes.first)
        XCTAssertEqual(flush.type, .delNeigh)
        XCTAssertNotEqual(flush.flags & UInt16(NLM_F_BULK), 0)
        XCTAssertEqual(remainingMACs, [Self.uplinkMAC, Self.staticMAC], "permanent and static entries stay")
        XCTAssertTrue(logged.contains("bridge br1 does not exist: nothing to relearn there"), "\(logged)")
        XCTAssertFalse(guests.guardRunning)
    }

    func testUnblockOnAKernelWithoutBulkDeleteFlushesEntryByEntry() throws {
        kernel.bulkFDBDelete = false // before Linux 5.19
        let report = try isolation().unblock()
        XCTAssertEqual(report.flushedBridges, ["br0"])
        XCTAssertEqual(report.flushedOneByOne, 2)
        XCTAssertEqual(changes(), [
            "fdb flush dev br0 -> EINVAL",
            "fdb del \(Self.guestMAC) dev vif1.0",
            "fdb del \(Self.remoteMAC) dev eth0",
        ])
        XCTAssertEqual(remainingMACs, [Self.uplinkMAC, Self.staticMAC])
    }

    func testUnblockWithoutAnyBridgeFlushesNothing() throws {
        kernel.removeLink("br0")
        let report = try isolation().unblock()
        XCTAssertEqual(report.flushedBridges, [])
        XCTAssertEqual(changes(), [])
        XCTAssertEqual(backend.calls, [.unblock(policy)], "the block is removed all the same")
    }

    func testAFailedUnblockFlushesNothing() throws {
        struct Refused: Error {}
        backend.setState(.blocked, for: policy)
        backend.failNext(.unblock, with: Refused())
        XCTAssertThrowsError(try isolation().unblock()) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(changes(), [], "no relearning while guests are still blocked")
        XCTAssertEqual(backend.state(for: policy), .blocked)
    }

    // MARK: health

    func testHealthMapsTheBackendState() throws {
        let guests = isolation()
        backend.setState(.blocked, for: policy)
        XCTAssertEqual(try guests.health(), .stopped("guests on br0 br1 are blocked"))
        backend.setState(.unblocked, for: policy)
        XCTAssertEqual(try guests.health(), .running("no block installed: guests on br0 br1 can reach the network"))
        backend.setState(.incomplete(reason: "chain hanet-fwd flushed"), for: policy)
        XCTAssertEqual(try guests.health(), .running("block incomplete (chain hanet-fwd flushed): guests on br0 br1 may reach the network"))
        XCTAssertEqual(backend.callKinds, [.inspect, .inspect, .inspect], "health only inspects")
        XCTAssertEqual(routeOpened, 0)
    }

    // MARK: validate

    func testValidateRefusesABackendWithAHostProblem() throws {
        backend.hostProblems = [GuestBlockProblem(kind: .bridgeNetfilterMissing,
                                                  description: "br_netfilter is not loaded: modprobe br_netfilter")]
        let guests = isolation()
        let error = assertHostError(.backendUnavailable) { try guests.validate() }
        XCTAssertEqual(error?.object, "fake")
        XCTAssertEqual(error?.reason, "br_netfilter is not loaded: modprobe br_netfilter")
        assertHostError(.backendUnavailable) { try guests.start() }
        XCTAssertFalse(backend.callKinds.contains(.unblock), "start validates first")
        XCTAssertEqual(kernel.requests.count, 0)
    }

    func testValidateRefusesAPolicyThatBlocksNothing() throws {
        let empty = GuestBlockPolicy(bridges: ["br0"], guestPorts: [])
        assertConfigurationError("guest_ports") { try isolation(policy: empty).validate() }
        assertConfigurationError("bridge") {
            try isolation(policy: GuestBlockPolicy(bridges: [], guestPorts: [Self.pattern("vif*")])).validate()
        }
        assertConfigurationError("announce") { try isolation(announce: 101).validate() }
        XCTAssertEqual(backend.calls, [], "refused before the backend was asked")
        XCTAssertNoThrow(try isolation().validate())
    }
}
