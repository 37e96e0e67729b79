import XCTest
import Glibc
import HanetHost
import HanetLinks
import HanetNetlink
import HanetTesting

/// BondSetup against the stateful fake kernel. The fake reports each
/// slave's MII status from its carrier, so start's wait for carrier ends at
/// the first health check instead of running out its budget.
final class BondSetupTests: FakeHostTestCase {
    static let eth0MAC: MACAddress = "52:54:00:00:00:01"
    static let eth1MAC: MACAddress = "52:54:00:00:00:02"
    static let alias = "link set bond0 alias \"\(BondSetup.alias)\""
    static let add = "link add bond0 type bond mode active-backup miimon 10"
    let recordName = "hanet-bond-bond0"

    override func setUp() {
        super.setUp()
        kernel.addLink("eth0", mac: Self.eth0MAC, up: true)
        kernel.addLink("eth1", mac: Self.eth1MAC, up: true)
    }

    private func configuration(_ configure: (inout BondConfiguration) -> Void = { _ in }) -> BondConfiguration {
        var configuration = BondConfiguration(bond: "bond0", slaves: ["eth0", "eth1"], options: Bond(mode: .activeBackup, miimon: 10))
        configure(&configuration)
        return configuration
    }

    private func bond(_ configure: (inout BondConfiguration) -> Void = { _ in }) -> BondSetup {
        BondSetup(configuration: configuration(configure), links: links, stateDirectory: stateDirectory.path, log: log)
    }

    private static func milliseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int(ts.tv_sec) * 1000 + Int(ts.tv_nsec) / 1_000_000
    }

    // MARK: start, second start, stop

    func testStartCreatesBondEnslavesSlavesDownFirstAndBringsItUp() throws {
        // miimon 1000: start would wait up to 3.3 s if carrier were not seen.
        let setup = bond { $0.options.miimon = 1000 }
        let started = Self.milliseconds()
        let done = try setup.start()
        XCTAssertLessThan(Self.milliseconds() - started, 1500, "start saw the slaves' MII status up at once")

        XCTAssertEqual(changes(), [
            "link add bond0 type bond mode active-backup miimon 1000",
            Self.alias,
            "link set eth0 down", "link set eth0 master bond0",
            "link set eth1 down", "link set eth1 master bond0",
            "link set bond0 up",
        ])
        XCTAssertEqual(done, ["created bond bond0 mode active-backup", "enslaved eth0", "enslaved eth1", "brought bond0 up"])
        let bond0 = try XCTUnwrap(kernel.link(named: "bond0"))
        XCTAssertTrue(bond0.isUp)
        XCTAssertEqual(bond0.kind?.bond?.mode, .activeBackup)
        XCTAssertEqual(bond0.mac, Self.eth0MAC, "the first slave's address")
        for name: InterfaceName in ["eth0", "eth1"] {
            let slave = try XCTUnwrap(kernel.link(named: name))
            XCTAssertEqual(slave.masterIndex, bond0.index)
            XCTAssertTrue(slave.isUp, "the bond opened \(name)")
            XCTAssertEqual(slave.bondSlave?.miiStatus, .up)
        }
        XCTAssertEqual(record(recordName), ["created": "1", "slave.eth0": "up", "slave.eth1": "up", "started": "1"])
        XCTAssertEqual(try setup.health(), .running("bond bond0: all 2 slaves up"))
    }

    func testSecondStartSendsNoChange() throws {
        let setup = bond { $0.primary = "eth1" }
        try setup.start()
        XCTAssertTrue(changes().contains("link set bond0 type bond primary eth1"), "\(changes())")
        XCTAssertEqual(kernel.link(named: "bond0")?.kind?.bond?.activeSlaveIndex, kernel.link(named: "eth1")?.index)
        let mark = kernel.requests.count
        let before = kernel.links

        XCTAssertEqual(try setup.start(), [])
        XCTAssertEqual(changes(since: mark), [])
        XCTAssertEqual(kernel.links, before)
    }

    func testStopReleasesSlavesRestoresTheirStateAndDeletesTheBond() throws {
        kernel.setUp("eth1", false)
        let setup = bond()
        try setup.start()
        XCTAssertFalse(changes().contains("link set eth1 down"), "already down: left alone")
        XCTAssertEqual(record(recordName)["slave.eth1"], "down")
        let mark = kernel.requests.count

        try setup.stop()
        XCTAssertEqual(changes(since: mark), [
            "link set eth0 nomaster", "link set eth0 up",
            "link set eth1 nomaster", "link set eth1 down",
            "link del bond0",
        ])
        XCTAssertNil(kernel.link(named: "bond0"))
        let eth0 = try XCTUnwrap(kernel.link(named: "eth0"))
        let eth1 = try XCTUnwrap(kernel.link(named: "eth1"))
        XCTAssertTrue(eth0.isUp, "eth0 was up before start")
        XCTAssertFalse(eth1.isUp, "eth1 was down before start")
        XCTAssertEqual(eth1.mac, Self.eth1MAC, "the driver gave back its own address")
        XCTAssertNil(eth0.masterIndex)
        XCTAssertNil(eth1.masterIndex)
        XCTAssertEqual(stateDirectory.files, [])
        XCTAssertEqual(try setup.health().state, .stopped)
    }

    // MARK: adoption

    func testAdoptedBondIsKeptAtStop() throws {
        kernel.addLink("bond0", kind: .bond(Bond(mode: .activeBackup, miimon: 10)), up: true)
        let setup = bond()
        XCTAssertEqual(try setup.start(), ["enslaved eth0", "enslaved eth1"])
        XCTAssertEqual(changes(), ["link set eth0 down", "link set eth0 master bond0", "link set eth1 down", "link set eth1 master bond0"])
        XCTAssertEqual(record(recordName)["adopted"], "1")
        XCTAssertNil(record(recordName)["created"])

        let mark = kernel.requests.count
        try setup.stop()
        XCTAssertEqual(changes(since: mark), ["link set eth0 nomaster", "link set eth0 up", "link set eth1 nomaster", "link set eth1 up"])
        let bond0 = try XCTUnwrap(kernel.link(named: "bond0"), "an adopted bond survives stop")
        XCTAssertTrue(bond0.isUp)
        XCTAssertEqual(stateDirectory.files, [])
        XCTAssertEqual(try setup.health(), .stopped("bond bond0 exists but was not started by this resource"))
    }

    func testAdoptionSetsDifferingOptions() throws {
        kernel.addLink("bond0", kind: .bond(Bond(mode: .activeBackup, miimon: 100)), up: true)
        let done = try bond().start()
        XCTAssertEqual(changes().first, "link set bond0 type bond miimon 10")
        XCTAssertEqual(done.first, "adopted bond bond0: set bond options")
        XCTAssertEqual(kernel.link(named: "bond0")?.kind?.bond?.miimon, 10)
    }

    func testModeOfAnAdoptedBondWithSlavesCannotChange() throws {
        kernel.addLink("bond0", kind: .bond(Bond(mode: .balanceRR)), up: true)
        kernel.addLink("eth2", up: true, master: "bond0")
        let setup = bond { $0.slaves = ["eth2", "eth0"] }
        // The kind this conflict maps to is the agents' business (it moved
        // from notConverged to wrongKind on main); what matters here is that
        // validate refuses it, says why, and changes nothing.
        XCTAssertThrowsError(try setup.start()) { error in
            XCTAssertEqual((error as? HostError)?.object, "bond0")
            XCTAssertEqual((error as? HostError)?.reason,
                           "bond bond0 runs mode balance-rr with slaves eth2; the mode can only be changed on a bond without slaves")
        }
        XCTAssertEqual(changes(), [], "validate refused before any change")

        // Without validation the kernel refuses it, in its own words.
        XCTAssertThrowsError(try setup.start(validating: false)) { error in
            let netlink = error as? NetlinkError
            XCTAssertEqual(netlink?.errno, ENOTEMPTY)
            XCTAssertEqual(netlink?.kernelMessage, "unable to set option because the bond device has slaves")
        }
        XCTAssertEqual(changes(), ["link set bond0 type bond mode active-backup miimon 10 -> ENOTEMPTY"])
        XCTAssertEqual(kernel.link(named: "bond0")?.kind?.bond?.mode, .balanceRR)
        XCTAssertEqual(stateDirectory.files, [])
    }

    // MARK: rollback

    func testFailedSecondSlaveEnslaveRollsBackTheFirstAndTheBond() throws {
        kernel.failNext(.newLink, object: "eth1", errno: EBUSY, message: "injected") { $0.summary.hasSuffix(" master bond0") }
        XCTAssertThrowsError(try bond().start()) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, EBUSY)
        }
        XCTAssertEqual(changes(), [
            Self.add, Self.alias,
            "link set eth0 down", "link set eth0 master bond0",
            "link set eth1 down", "link set eth1 master bond0 -> EBUSY",
            "link set eth0 nomaster", "link set eth0 up",
            "link set eth1 up",
            "link del bond0",
        ])
        XCTAssertNil(kernel.link(named: "bond0"))
        for name: InterfaceName in ["eth0", "eth1"] {
            let slave = try XCTUnwrap(kernel.link(named: name))
            XCTAssertNil(slave.masterIndex, "\(name) released")
            XCTAssertTrue(slave.isUp, "\(name) is up again, as before start")
        }
        XCTAssertEqual(kernel.link(named: "eth0")?.mac, Self.eth0MAC)
        XCTAssertEqual(stateDirectory.files, [], "no leftover keys")
    }

    /// Another tool takes eth0 for a bond of its own while start runs, and
    /// start then fails: the rollback releases only from bond0, so eth0
    /// stays in the other bond, up/down untouched.
    func testRollbackLeavesASlaveThatAnotherToolMovedMeanwhile() throws {
        kernel.addLink("bond9", kind: .bond(Bond(mode: .activeBackup)), up: true)
        let kernel = self.kernel!
        kernel.failNext(FakeKernelFault(type: .newLink, object: "eth1", errno: EBUSY, message: "injected") { request in
            guard request.summary.hasSuffix(" master bond0") else { return false }
            kernel.setMaster("eth0", "bond9") // the other tool, just before eth1's enslave fails
            return true
        })
        XCTAssertThrowsError(try bond().start())
        let eth0 = try XCTUnwrap(kernel.link(named: "eth0"))
        XCTAssertEqual(eth0.masterIndex, kernel.link(named: "bond9")?.index, "eth0 stays where the other tool put it")
        XCTAssertFalse(changes().contains("link set eth0 nomaster"), "\(changes())")
        XCTAssertFalse(changes().contains("link set eth0 up"), "its up/down state is the other tool's business now")
        XCTAssertNil(kernel.link(named: "bond0"), "the bond this start created is gone")
        XCTAssertTrue(logged.contains { $0.contains("eth0 is a port of another master now") }, "\(logged)")
    }

    func testEveryFailedStartStepRollsBack() throws {
        try assertEveryFailedStepRollsBack(setUpHost: { host in
            host.addLink("eth0", mac: Self.eth0MAC, up: true)
            host.addLink("eth1", mac: Self.eth1MAC)
        }, start: { links, directory in
            var c = BondConfiguration(bond: "bond0", slaves: ["eth0", "eth1"], options: Bond(mode: .activeBackup, miimon: 10))
            c.vlans = [10, 20]
            c.primary = "eth1"
            try BondSetup(configuration: c, links: links, stateDirectory: directory).start()
        })
    }

    /// Killed after enslaving eth0 (down first) and before eth1: stop
    /// releases what the record names, restores it, and deletes the bond.
    func testStopAfterAStartKilledHalfwayRestoresWhatWasRecorded() throws {
        kernel.addLink("bond0", kind: .bond(Bond(mode: .activeBackup, miimon: 10)), alias: BondSetup.alias)
        kernel.setUp("eth0", false)
        kernel.setMaster("eth0", "bond0")
        try StateFile(directory: stateDirectory.path, name: recordName).write(["created": "1", "slave.eth0": "up", "slave.eth1": "up"])
        try bond().stop()
        XCTAssertEqual(changes(), ["link set eth0 nomaster", "link set eth0 up", "link set eth1 up", "link del bond0"])
        XCTAssertEqual(kernel.link(named: "eth0")?.isUp, true)
        XCTAssertNil(kernel.link(named: "bond0"))
        XCTAssertEqual(stateDirectory.files, [])
    }

    // MARK: VLANs

    func testVlansAreCreatedOnTheBondAndRemovedAtStop() throws {
        let setup = bond { $0.vlans = [10, 20] }
        try setup.start()
        XCTAssertEqual(Array(changes().suffix(4)), [
            "link add link bond0 bond0.10 type vlan id 10", "link set bond0.10 up",
            "link add link bond0 bond0.20 type vlan id 20", "link set bond0.20 up",
        ])
        let bond0 = try XCTUnwrap(kernel.link(named: "bond0"))
        for (name, id): (InterfaceName, UInt16) in [("bond0.10", 10), ("bond0.20", 20)] {
            let vlan = try XCTUnwrap(kernel.link(named: name))
            XCTAssertEqual(vlan.kind?.vlan?.id, id)
            XCTAssertEqual(vlan.parentIndex, bond0.index)
            XCTAssertTrue(vlan.isUp && vlan.hasCarrier)
        }
        XCTAssertEqual(record(recordName)["vlan.bond0.10"], "created")
        XCTAssertEqual(try setup.health(checkLevel: 10).state, .running)

        kernel.setUp("bond0.20", false)
        XCTAssertEqual(try setup.health(checkLevel: 10), .failed("VLAN bond0.20 is down"))
        XCTAssertEqual(try setup.health().state, .running, "VLANs count at level 10")
        kernel.setUp("bond0.20", true)

        let mark = kernel.requests.count
        try setup.stop()
        XCTAssertEqual(Array(changes(since: mark).prefix(2)), ["link del bond0.10", "link del bond0.20"])
        XCTAssertEqual(changes(since: mark).last, "link del bond0")
        XCTAssertNil(kernel.link(named: "bond0.10"))
        XCTAssertEqual(stateDirectory.files, [])
    }

    func testAnExistingInterfaceUnderAVlanNameIsRefusedAndStartRolledBack() throws {
        kernel.addLink("bond0.10", kind: .other("dummy"))
        let error = assertHostError(.wrongKind) { try bond { $0.vlans = [10] }.start() }
        XCTAssertEqual(error?.object, "bond0.10")
        XCTAssertNil(kernel.link(named: "bond0"), "the created bond was deleted")
        XCTAssertNotNil(kernel.link(named: "bond0.10"), "and the foreign interface left alone")
        XCTAssertEqual(kernel.link(named: "eth0")?.isUp, true)
        XCTAssertEqual(stateDirectory.files, [])
    }

    // MARK: health

    func testHealthIsDegradedWhileOneSlaveHasNoLink() throws {
        let setup = bond()
        XCTAssertEqual(try setup.health(), .stopped("bond bond0 does not exist"))
        try setup.start()
        kernel.setCarrier("eth1", false)
        XCTAssertEqual(kernel.link(named: "eth1")?.bondSlave?.miiStatus, .down)
        XCTAssertEqual(try setup.health(), .degraded("bond bond0 degraded: slaves down: eth1"))
        kernel.setCarrier("eth0", false)
        XCTAssertEqual(try setup.health(), .failed("bond bond0: no slave has link (eth0 eth1 down)"))
        kernel.setCarrier("eth0", true)
        kernel.setCarrier("eth1", true)
        kernel.setUp("bond0", false)
        XCTAssertEqual(try setup.health(), .failed("bond bond0 is down"))
    }

    /// A slave without link does not fail start: start waits its bounded
    /// budget (miimon 10: 330 ms) and reports what monitor will see.
    func testStartWithASlaveWithoutLinkEndsDegraded() throws {
        kernel.setCarrier("eth1", false)
        let setup = bond()
        try setup.start()
        XCTAssertEqual(try setup.health().state, .degraded)
        XCTAssertEqual(logged.last, "after start: bond bond0 degraded: slaves down: eth1")
    }

    func testHealthOfSomethingElseUnderTheBondName() throws {
        kernel.addLink("bond0", kind: .bridge(Bridge()))
        XCTAssertEqual(try bond().health(), .failed("bond0 is a bridge interface, not a bond"))
        assertHostError(.wrongKind) { try bond().start() }
        XCTAssertEqual(changes(), [])
    }

    // MARK: refusals before any change

    func testHostErrorsBeforeAnyChange() throws {
        let missing = assertHostError(.missingInterface) { try bond { $0.slaves = ["eth0", "eth7"] }.start() }
        XCTAssertEqual(missing?.reason, "slave eth7 does not exist on this node")

        kernel.addLink("br0", kind: .bridge(Bridge()), up: true)
        kernel.setMaster("eth1", "br0")
        let enslaved = assertHostError(.alreadyEnslaved) { try bond().start() }
        XCTAssertEqual(enslaved?.reason, "slave eth1 is already a port of bridge br0, not of bond0")
        XCTAssertEqual(changes(), [])
        XCTAssertEqual(stateDirectory.files, [])
    }

    func testConfigurationErrorsNameTheParameter() throws {
        let cases: [(String, (inout BondConfiguration) -> Void)] = [
            ("slaves", { $0.slaves = ["eth0"] }),
            ("slaves", { $0.slaves = ["eth0", "eth0"] }),
            ("slaves", { $0.slaves = ["eth0", "bond0"] }),
            ("arp_interval", { $0.options.arpInterval = 100; $0.options.arpIPTargets = [IPv4Address(10, 0, 0, 1)] }),
            ("arp_ip_target", { $0.options.miimon = nil; $0.options.arpInterval = 100 }),
            ("miimon", { $0.options.miimon = 0 }),
            ("updelay", { $0.options.updelay = 15 }),
            ("lacp_rate", { $0.options.lacpRate = .fast }),
            ("xmit_hash_policy", { $0.options.xmitHashPolicy = .layer34 }),
            ("primary", { $0.primary = "eth2" }),
            ("mac", { $0.mac = "01:00:5e:00:00:01" }),
            ("mtu", { $0.mtu = 20 }),
            ("vlans", { $0.vlans = [4095] }),
            ("vlans", { $0.vlans = [10, 10] }),
            ("active_slave", { $0.activeSlave = "eth2" }),
            ("lacp_active", { $0.options.lacpActive = false }),
            ("ad_actor_system", { $0.options.mode = .ieee8023ad; $0.options.adActorSystem = "01:80:c2:00:00:02" }),
            ("arp_missed_max", { $0.options.arpMissedMax = 3 }),
            ("ns_ip6_target", { $0.options.miimon = 0; $0.options.arpInterval = 100; $0.options.nsIP6Targets = [IPv6Address(parsing: "ff02::1")!] }),
            ("peer_notif_delay", { $0.options.peerNotifyDelay = 15 }),
            ("packets_per_slave", { $0.options.packetsPerSlave = 2 }),
            ("tlb_dynamic_lb", { $0.options.tlbDynamicLB = false }),
            ("lp_interval", { $0.options.lpInterval = 0 }),
            ("resend_igmp", { $0.options.resendIGMP = 300 }),
        ]
        for (parameter, configure) in cases {
            assertConfigurationError(parameter) { try configuration(configure).validate() }
            assertConfigurationError(parameter) { try bond(configure).start() }
        }
        XCTAssertEqual(kernel.requests.count, 0, "refused before the kernel was asked anything")
        XCTAssertNoThrow(try configuration().validate())
    }

    // MARK: options of issue 15

    /// The driver takes active_slave only for an enslaved slave with link, so
    /// start sets it after the bond is up; a second start changes nothing.
    func testActiveSlaveIsSetByNameOnceTheBondIsUp() throws {
        let setup = bond { $0.activeSlave = "eth1" }
        let done = try setup.start()
        XCTAssertEqual(Array(changes().suffix(2)), ["link set bond0 up", "link set bond0 type bond active_slave eth1"])
        XCTAssertEqual(done.last, "active slave eth1")
        XCTAssertEqual(kernel.link(named: "bond0")?.kind?.bond?.activeSlaveIndex, kernel.link(named: "eth1")?.index)
        let mark = kernel.requests.count
        XCTAssertEqual(try setup.start(), [])
        XCTAssertEqual(changes(since: mark), [])
    }

    func testNewOptionsReachTheKernelAtCreation() throws {
        let setup = bond {
            $0.options.mode = .ieee8023ad
            $0.options.lacpActive = false
            $0.options.adActorSysPrio = 100
            $0.options.adUserPortKey = 7
            $0.options.adActorSystem = "02:00:00:00:00:01"
            $0.options.resendIGMP = 3
            $0.options.useCarrier = false
            $0.options.peerNotifyDelay = 20
        }
        try setup.start()
        XCTAssertEqual(changes().first, "link add bond0 type bond mode 802.3ad miimon 10 peer_notify_delay 20 use_carrier 0 lacp_active off ad_actor_sys_prio 100 ad_user_port_key 7 ad_actor_system 02:00:00:00:00:01 resend_igmp 3")
        let b = try XCTUnwrap(kernel.link(named: "bond0")?.kind?.bond)
        XCTAssertEqual(b.lacpActive, false)
        XCTAssertEqual(b.adActorSysPrio, 100)
        XCTAssertEqual(b.adUserPortKey, 7)
        XCTAssertEqual(b.adActorSystem, "02:00:00:00:00:01")
        XCTAssertEqual(b.resendIGMP, 3)
        XCTAssertEqual(b.useCarrier, false)
        XCTAssertEqual(b.peerNotifyDelay, 20)
        let mark = kernel.requests.count
        XCTAssertEqual(try setup.start(), [], "read back equal: nothing to change")
        XCTAssertEqual(changes(since: mark), [])
    }

    /// lacp_active, ad_user_port_key, tlb_dynamic_lb (like mode, lacp_rate,
    /// ad_select) change only on a down bond: an up one is refused by name
    /// before any slave is touched, instead of failing half-way with EBUSY.
    func testAdoptingAnUpBondRefusesOptionsTheKernelSetsOnlyWhileDown() throws {
        var existing = Bond(mode: .ieee8023ad, miimon: 10)
        existing.lacpActive = true
        kernel.addLink("bond0", kind: .bond(existing), up: true)
        let error = assertHostError(.wrongKind) {
            try bond { $0.options.mode = .ieee8023ad; $0.options.lacpActive = false; $0.options.adUserPortKey = 3 }.start()
        }
        XCTAssertEqual(error?.reason, "bond bond0 is up and the kernel changes lacp_active, ad_user_port_key only while it is down; set them down or as the bond has them")
        XCTAssertEqual(changes(), [])
        XCTAssertNoThrow(try bond { $0.options.mode = .ieee8023ad; $0.options.lacpActive = true }.start(), "the value it has is no change")
    }
}
