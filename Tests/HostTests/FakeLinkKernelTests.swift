import XCTest
import Glibc
import CLinuxNet
import HanetLinks
import HanetNetlink
import HanetTesting

/// The fake kernel itself, through the library's real LinkManager and
/// BridgeFDB: its replies decode to what it holds, and its rules answer
/// with the kernel's errno and extended-ACK text.
final class FakeLinkKernelTests: FakeHostTestCase {
    private func assertRefused(_ errno: Int32, _ message: String? = nil, file: StaticString = #filePath, line: UInt = #line,
                               _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let netlink = error as? NetlinkError else {
                return XCTFail("expected NetlinkError, got \(type(of: error)): \(error)", file: file, line: line)
            }
            XCTAssertEqual(netlink.errno, errno, "\(netlink)", file: file, line: line)
            XCTAssertEqual(netlink.kernelMessage, message, file: file, line: line)
        }
    }

    // MARK: replies

    func testListDecodesToExactlyWhatTheKernelHolds() throws {
        kernel.addLink("eth0", mac: "52:54:00:00:00:01", up: true)
        kernel.addLink("eth1", up: true, carrier: false)
        try links.add("br0", kind: .bridge(Bridge(stp: true, forwardDelaySeconds: 4)), mtu: 1400)
        try links.setMaster("eth0", master: "br0")
        try links.add("bond0", kind: .bond(Bond(mode: .activeBackup, miimon: 50)))
        try links.setUp("eth1", false)
        try links.setMaster("eth1", master: "bond0")
        try links.add("bond0.7", kind: .vlan(Vlan(id: 7)), parent: "bond0")
        try links.add("ve0", kind: .veth(Veth(peer: "ve1")))
        try links.setAlias("br0", "made by a test")

        let listed = try links.list()
        XCTAssertEqual(listed, kernel.links)
        XCTAssertEqual(listed.map(\.name.value), ["lo", "eth0", "eth1", "br0", "bond0", "bond0.7", "ve0", "ve1"])
        let br0 = try XCTUnwrap(try links.link(named: "br0"))
        XCTAssertEqual(br0.kind?.bridge?.stp, true)
        XCTAssertEqual(br0.kind?.bridge?.forwardDelaySeconds, 4)
        XCTAssertEqual(br0.kind?.bridge?.ageingTimeCentiseconds, 30000, "driver default")
        XCTAssertEqual(br0.alias, "made by a test")
        XCTAssertEqual(try links.ports(ofMasterIndex: br0.index).map(\.name), ["eth0"])
        let eth1 = try XCTUnwrap(try links.link(named: "eth1"))
        XCTAssertEqual(eth1.slaveKind, "bond")
        XCTAssertEqual(eth1.bondSlave?.miiStatus, .down, "no carrier")
        XCTAssertTrue(eth1.flags.contains(.slave))
        let vlan = try XCTUnwrap(try links.link(named: "bond0.7"))
        XCTAssertEqual(vlan.kind?.vlan?.id, 7)
        XCTAssertEqual(vlan.parentIndex, try links.link(named: "bond0")?.index)
        XCTAssertEqual(try links.link(named: "ve1")?.parentIndex, try links.link(named: "ve0")?.index)
        XCTAssertEqual(try links.link(index: br0.index)?.name, "br0")
    }

    func testDefaultsOfANewBondDecodeSoEnsureFindsNothingToChange() throws {
        let desired = LinkManager.Desired(name: "bond0", kind: .bond(Bond(mode: .activeBackup, miimon: 100)))
        XCTAssertEqual(try links.ensure(desired), .created)
        let mark = kernel.requests.count
        XCTAssertEqual(try links.ensure(desired), .unchanged)
        XCTAssertEqual(changes(since: mark), [])
    }

    func testAMissingLinkIsENODEV() throws {
        XCTAssertNil(try links.link(named: "eth9"))
        XCTAssertEqual(kernel.requests.last?.errno, ENODEV)
        XCTAssertNil(try links.link(index: 99))
        assertRefused(ENODEV) { try links.delete("eth9") }
        assertRefused(ENODEV) { try links.setUp("eth9", true) }
        XCTAssertFalse(try links.ensureAbsent("eth9"))
    }

    // MARK: kernel rules

    func testCreatingAnExistingNameIsEEXIST() throws {
        try links.add("br0", kind: .bridge(Bridge()))
        assertRefused(EEXIST) { try links.add("br0", kind: .bridge(Bridge())) }
        XCTAssertEqual(changes(), ["link add br0 type bridge", "link add br0 type bridge -> EEXIST"])
    }

    func testAnUnknownKindIsRefusedAsWithAMissingModule() throws {
        kernel.supportedKinds.remove("bond")
        assertRefused(EOPNOTSUPP, "Unknown device type") { try links.add("bond0", kind: .bond(Bond())) }
        XCTAssertNil(kernel.link(named: "bond0"))
    }

    func testAnUpLinkCannotBeEnslavedToABond() throws {
        kernel.addLink("eth0", up: true)
        try links.add("bond0", kind: .bond(Bond(mode: .activeBackup)))
        XCTAssertThrowsError(try links.setMaster("eth0", master: "bond0")) { error in
            XCTAssertEqual("\(error)", "RTM_NEWLINK eth0: Device can not be enslaved while up (EPERM)")
        }
        XCTAssertNil(kernel.link(named: "eth0")?.masterIndex)

        try links.setUp("eth0", false)
        try links.setMaster("eth0", master: "bond0")
        let eth0 = try XCTUnwrap(kernel.link(named: "eth0"))
        XCTAssertEqual(eth0.masterIndex, kernel.link(named: "bond0")?.index)
        XCTAssertTrue(eth0.isUp, "the bond opens its slave")
    }

    func testABridgeTakesUpPorts() throws {
        kernel.addLink("eth0", up: true)
        try links.add("br0", kind: .bridge(Bridge()))
        try links.setMaster("eth0", master: "br0")
        XCTAssertTrue(kernel.link(named: "eth0")?.isUp ?? false)
        kernel.addLink("br1", kind: .bridge(Bridge()))
        assertRefused(ELOOP, "Can not enslave a bridge to a bridge") { try links.setMaster("br1", master: "br0") }
        assertRefused(EOPNOTSUPP) { try links.setMaster("br1", master: "eth0") }
    }

    func testBondModeChangesNeedABondWithoutSlavesAndDown() throws {
        kernel.addLink("eth0")
        try links.add("bond0", kind: .bond(Bond(mode: .activeBackup)))
        try links.modify("bond0", kind: .bond(Bond(mode: .balanceXOR)))
        try links.setUp("bond0", true)
        assertRefused(EBUSY, "unable to set option because the bond is up") {
            try links.modify("bond0", kind: .bond(Bond(mode: .ieee8023ad)))
        }
        try links.setMaster("eth0", master: "bond0")
        assertRefused(ENOTEMPTY, "unable to set option because the bond device has slaves") {
            try links.modify("bond0", kind: .bond(Bond(mode: .activeBackup)))
        }
        try links.modify("bond0", kind: .bond(Bond(miimon: 200)))
        XCTAssertEqual(kernel.link(named: "bond0")?.kind?.bond?.mode, .balanceXOR)
        XCTAssertEqual(kernel.link(named: "bond0")?.kind?.bond?.miimon, 200)
    }

    func testDeletingAMasterReleasesItsPortsAndTakesItsVlansAlong() throws {
        kernel.addLink("eth0", mac: "52:54:00:00:00:01", up: true)
        kernel.addLink("eth1", mac: "52:54:00:00:00:02", up: true)
        try links.add("br0", kind: .bridge(Bridge()))
        try links.setMaster("eth0", master: "br0")
        try links.add("bond0", kind: .bond(Bond(mode: .activeBackup)))
        try links.setUp("eth1", false)
        try links.setMaster("eth1", master: "bond0")
        XCTAssertEqual(kernel.link(named: "eth1")?.mac, "52:54:00:00:00:02")
        try links.add("bond0.10", kind: .vlan(Vlan(id: 10)), parent: "bond0")

        try links.delete("br0")
        XCTAssertNil(kernel.link(named: "eth0")?.masterIndex)
        XCTAssertTrue(kernel.link(named: "eth0")?.isUp ?? false, "a bridge leaves its ports up")

        try links.delete("bond0")
        let eth1 = try XCTUnwrap(kernel.link(named: "eth1"))
        XCTAssertNil(eth1.masterIndex)
        XCTAssertFalse(eth1.isUp, "a bond closes the slaves it releases")
        XCTAssertNil(kernel.link(named: "bond0.10"), "VLANs go with their lower device")
        XCTAssertEqual(changes().last, "link del bond0")
    }

    func testVethPairsAndVlanRules() throws {
        try links.add("ve0", kind: .veth(Veth(peer: "ve1")))
        XCTAssertNotNil(kernel.link(named: "ve1"))
        try links.delete("ve1")
        XCTAssertNil(kernel.link(named: "ve0"), "a veth goes with its peer")

        kernel.addLink("eth0")
        try links.add("eth0.5", kind: .vlan(Vlan(id: 5)), parent: "eth0")
        assertRefused(EEXIST, "VLAN device already exists") { try links.add("vlan5", kind: .vlan(Vlan(id: 5)), parent: "eth0") }
    }

    func testAPhysicalInterfaceCannotBeDeleted() throws {
        kernel.addLink("eth0")
        assertRefused(EOPNOTSUPP) { try links.delete("eth0") }
        XCTAssertNotNil(kernel.link(named: "eth0"))
    }

    func testSettingAMasterMovesAPortFromItsOldMaster() throws {
        kernel.addLink("eth0", mtu: 9000, up: true)
        kernel.addLink("br0", kind: .bridge(Bridge()))
        kernel.addLink("br1", kind: .bridge(Bridge()))
        try links.setMaster("eth0", master: "br0")
        kernel.addFDBEntry("02:00:00:00:00:01", port: "eth0")
        XCTAssertEqual(kernel.link(named: "br0")?.mtu, 9000)
        try links.setMaster("eth0", master: "br1")
        XCTAssertEqual(kernel.link(named: "eth0")?.masterIndex, kernel.link(named: "br1")?.index)
        XCTAssertEqual(kernel.link(named: "br0")?.mtu, 1500, "the old bridge saw its port leave")
        XCTAssertEqual(kernel.fdbEntries(bridge: "br0"), [], "and forgot what it learned there")
        try links.setMaster("eth0", master: nil)
        XCTAssertNil(kernel.link(named: "eth0")?.masterIndex)
        XCTAssertEqual(changes(), ["link set eth0 master br0", "link set eth0 master br1", "link set eth0 nomaster"])
    }

    func testABridgeFollowsItsLowestPortMTUUntilOneIsSet() throws {
        kernel.addLink("eth0", mtu: 9000)
        kernel.addLink("eth1", mtu: 1500)
        try links.add("br0", kind: .bridge(Bridge()), mtu: 9000)
        try links.setMaster("eth0", master: "br0")
        XCTAssertEqual(kernel.link(named: "br0")?.mtu, 9000)
        try links.setMaster("eth1", master: "br0")
        XCTAssertEqual(kernel.link(named: "br0")?.mtu, 1500, "the MTU given at creation does not pin it")
        try links.setMTU("br0", 1400)
        try links.setMaster("eth1", master: nil)
        XCTAssertEqual(kernel.link(named: "br0")?.mtu, 1400, "one set afterwards does")
        assertRefused(EINVAL, "mtu less than device minimum") { try links.setMTU("br0", 20) }
    }

    func testFlagChangesTouchOnlyTheMaskedBits() throws {
        kernel.addLink("eth0", up: true)
        try links.setARP("eth0", false)
        try links.setMulticast("eth0", false)
        var eth0 = try XCTUnwrap(kernel.link(named: "eth0"))
        XCTAssertTrue(eth0.flags.contains(.noARP))
        XCTAssertFalse(eth0.flags.contains(.multicast))
        XCTAssertTrue(eth0.isUp)
        try links.setUp("eth0", false)
        eth0 = try XCTUnwrap(kernel.link(named: "eth0"))
        XCTAssertTrue(eth0.flags.contains(.noARP))
        XCTAssertFalse(eth0.isUp)
        XCTAssertFalse(eth0.hasCarrier, "no LOWER_UP while down")
        XCTAssertEqual(changes(), ["link set eth0 arp off", "link set eth0 multicast off", "link set eth0 down"])
    }

    // MARK: faults and the request log

    func testAnInjectedFaultFailsTheNextMatchingRequestOnly() throws {
        kernel.addLink("eth0")
        kernel.addLink("eth1")
        kernel.failNext(.newLink, object: "eth0", errno: EBUSY, message: "injected")
        XCTAssertEqual(kernel.armedFaults, 1)
        try links.setUp("eth1", true)
        XCTAssertNotNil(try links.link(named: "eth0"), "reads of other types are not matched")
        assertRefused(EBUSY, "injected") { try links.setUp("eth0", true) }
        XCTAssertFalse(kernel.link(named: "eth0")?.isUp ?? true, "a refused request changes nothing")
        XCTAssertEqual(kernel.armedFaults, 0)
        try links.setUp("eth0", true)
        XCTAssertEqual(changes(), ["link set eth1 up", "link set eth0 up -> EBUSY", "link set eth0 up"])
        XCTAssertEqual(kernel.changes.map(\.injected), [false, true, false])

        kernel.failNext(nil, errno: ENOMEM, times: 2) { $0.summary.hasPrefix("link show") }
        XCTAssertThrowsError(try links.list())
        XCTAssertThrowsError(try links.link(named: "eth0"))
        XCTAssertNoThrow(try links.list())
    }

    func testRequestsAreRecordedWithTheirOutcome() throws {
        _ = try links.list()
        _ = try links.link(named: "nope")
        try links.add("br0", kind: .bridge(Bridge(stp: false)), mac: "02:00:00:00:00:01")
        let lines = kernel.requests.map(\.description)
        XCTAssertEqual(lines, [
            "RTM_GETLINK: link show",
            "RTM_GETLINK: link show nope -> ENODEV",
            "RTM_NEWLINK: link add br0 address 02:00:00:00:00:01 type bridge stp_state 0",
        ])
        XCTAssertEqual(kernel.requests.map(\.isDump), [true, false, false])
        XCTAssertEqual(kernel.requests.last?.object, "br0")
    }

    func testAnInterruptedDumpIsRetried() throws {
        kernel.interruptNextDumps = 1
        XCTAssertEqual(try links.list().map(\.name), ["lo"])
        XCTAssertEqual(kernel.requests.map(\.summary), ["link show", "link show"])
    }

    func testReceiveWithoutARequestFailsInsteadOfBlocking() {
        XCTAssertThrowsError(try kernel.receive()) { XCTAssertEqual(($0 as? NetlinkError)?.errno, EAGAIN) }
    }

    // MARK: forwarding database

    /// Without NETLINK_GET_STRICT_CHK the kernel does not read NDA_MASTER in
    /// an FDB dump request: every device's entries come back, and entries
    /// of a device's own table carry no NDA_MASTER at all.
    func testFDBDumpIgnoresNDAMasterAsANonStrictKernelDoes() throws {
        kernel.addLink("br0", kind: .bridge(Bridge()), up: true)
        kernel.addLink("eth0", up: true, master: "br0")
        kernel.addLink("br1", kind: .bridge(Bridge()), up: true)
        kernel.addLink("eth1", up: true, master: "br1")
        kernel.addLink("vx0", kind: .other("vxlan"), up: true)
        kernel.addFDBEntry("02:00:00:00:00:01", port: "eth0")
        kernel.addFDBEntry("02:00:00:00:00:02", port: "eth1")
        kernel.addSelfFDBEntry("02:00:00:00:00:03", device: "vx0")

        var request = NetlinkRequest(type: UInt16(RTM_GETNEIGH), flags: 0)
        var header = ndmsg()
        header.ndm_family = UInt8(AF_BRIDGE)
        request.append(header: header)
        request.attribute(UInt16(NDA_MASTER), u32: UInt32(bitPattern: try XCTUnwrap(kernel.link(named: "br0")).index))
        let replies = try links.connection.dump(request, operation: "RTM_GETNEIGH")
        XCTAssertEqual(replies.count, 3, "all three devices' entries")
        XCTAssertEqual(kernel.requests.last?.summary, "fdb show br br0")
        let masters = try replies.map { message in
            try message.attributes(after: MemoryLayout<ndmsg>.size, context: "test")[UInt16(NDA_MASTER)]?.i32()
        }
        XCTAssertEqual(masters, [kernel.link(named: "br0")?.index, kernel.link(named: "br1")?.index, nil])
    }

    func testFDBDumpDeleteAndBulkFlush() throws {
        kernel.addLink("br0", kind: .bridge(Bridge()), up: true)
        kernel.addLink("eth0", up: true, master: "br0")
        kernel.addLink("br1", kind: .bridge(Bridge()), up: true)
        kernel.addLink("eth1", up: true, master: "br1")
        kernel.addFDBEntry("02:00:00:00:00:01", port: "eth0")
        kernel.addFDBEntry("02:00:00:00:00:02", port: "eth0", vlan: 10)
        kernel.addFDBEntry("02:00:00:00:00:02", port: "eth0", vlan: 20)
        kernel.addFDBEntry("02:00:00:00:00:03", port: "eth0", flags: UInt8(NTF_MASTER | NTF_EXT_LEARNED))
        kernel.addFDBEntry("02:00:00:00:00:04", port: "eth1")
        let fdb = BridgeFDB(connection: links.connection)
        let br0 = try XCTUnwrap(kernel.link(named: "br0")).index

        let entries = try fdb.entries(bridgeIndex: br0)
        XCTAssertEqual(entries, kernel.fdbEntries(bridge: "br0"))
        XCTAssertEqual(entries.map(\.vlan), [nil, 10, 20, nil])
        try fdb.delete(entries[1])
        XCTAssertEqual(kernel.fdbEntries(bridge: "br0").map(\.vlan), [nil, 20, nil], "only VLAN 10's entry")
        XCTAssertNoThrow(try fdb.delete(entries[1]), "an entry that aged out meanwhile is no error")
        XCTAssertEqual(kernel.requests.last?.errno, ENOENT)

        kernel.addLink("vx0", kind: .other("vxlan"), up: true)
        kernel.addSelfFDBEntry("02:00:00:00:00:05", device: "vx0", state: UInt16(NUD_REACHABLE))
        XCTAssertEqual(try fdb.flushLearned(bridgeIndex: br0), .bulk)
        XCTAssertEqual(kernel.fdbEntries(bridge: "br0").map(\.mac), ["02:00:00:00:00:03"], "externally learned stays")
        XCTAssertEqual(kernel.fdbEntries(bridge: "br1").count, 1, "other bridges untouched")
        XCTAssertEqual(kernel.allFDBEntries.last?.mac, "02:00:00:00:00:05", "and other devices' own tables")

        // A device's own entry is not the bridge's to delete.
        let vx0 = try XCTUnwrap(kernel.link(named: "vx0")).index
        assertRefused(EOPNOTSUPP) {
            try fdb.delete(FDBEntry(mac: "02:00:00:00:00:05", portIndex: vx0, state: UInt16(NUD_REACHABLE), flags: UInt8(NTF_SELF)))
        }

        try links.setMaster("eth1", master: nil)
        XCTAssertEqual(kernel.fdbEntries(bridge: "br1"), [], "a port leaving takes its entries")
    }
}
