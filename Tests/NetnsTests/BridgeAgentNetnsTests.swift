import XCTest
import HanetLinks
import HanetNetlink
import TestSupport

/// ocf:hanet:bridge as Pacemaker runs it: the built executable, in a namespace.
final class BridgeAgentNetnsTests: XCTestCase {
    private var ns: TestNamespace!
    private var agent: AgentProcess!
    private var links: LinkManager!
    private let params = ["bridge": "xenbr1", "uplink": "bond0", "arp": "off", "multicast": "off", "forward_delay": "0", "move_addresses": "false"]

    override func setUpWithError() throws {
        ns = try TestNamespace("bragent")
        agent = try AgentProcess(agent: "bridge", namespace: ns)
        links = try LinkManager(namespace: .named(ns.name))
        // A veth named like the seeds' bond plays the uplink here.
        try links.add("bond0", kind: .veth(Veth(peer: "switch0")))
        try links.setUp("switch0", true)
    }

    override func tearDown() {
        links = nil
        ns?.remove()
    }

    func testStartMonitorStopCycleIsIdempotent() throws {
        XCTAssertEqual(agent.run("monitor", params).status, 7, "probe before start")
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        let monitor = agent.run("monitor", params, environment: ["OCF_RESKEY_CRM_meta_interval": "10000"])
        XCTAssertEqual(monitor.status, 0, "\(monitor)")

        let bridge = try XCTUnwrap(try links.link(named: "xenbr1"))
        let uplink = try XCTUnwrap(try links.link(named: "bond0"))
        XCTAssertEqual(uplink.masterIndex, bridge.index)
        XCTAssertTrue(bridge.isUp)
        XCTAssertTrue(bridge.flags.contains(.noARP))
        XCTAssertFalse(bridge.flags.contains(.multicast))
        XCTAssertEqual(bridge.mac, uplink.mac, "default MAC is the uplink's, pinned")
        XCTAssertEqual(bridge.kind?.bridge?.forwardDelayCentiseconds, 0)
        XCTAssertEqual(bridge.alias, "hanet: created by ocf:hanet:bridge")

        // Second start: nothing changes (same ifindex, same state).
        XCTAssertEqual(agent.run("start", params).status, 0)
        XCTAssertEqual(try links.link(named: "xenbr1")?.index, bridge.index)

        // A guest port coming and going does not move the bridge address.
        try links.add("vif1.0", kind: .veth(Veth(peer: "guest1")))
        try ns.sh("ip link set vif1.0 address 00:00:00:00:00:01 master xenbr1")
        XCTAssertEqual(try links.link(named: "xenbr1")?.mac, uplink.mac)
        try links.delete("vif1.0")

        let stop = agent.run("stop", params)
        XCTAssertEqual(stop.status, 0, "\(stop)")
        XCTAssertNil(try links.link(named: "xenbr1"), "created bridge without other ports is deleted")
        XCTAssertNotNil(try links.link(named: "bond0"), "uplink survives")
        XCTAssertEqual(agent.run("monitor", params).status, 7)
        XCTAssertEqual(agent.run("stop", params).status, 0, "stop of a stopped resource succeeds")
        XCTAssertEqual(agent.stateFiles(), [], "no state left behind")
    }

    /// The host's address on the uplink (seed 001): validate-all and start
    /// warn and still succeed; `ip -j addr` is the witness of what hanet read.
    func testAnAddressOnTheUplinkIsAWarningNamingIt() throws {
        try ns.sh("ip link set bond0 up; ip addr add 10.99.8.2/24 dev bond0; ip addr add fd99:8::2/64 dev bond0 nodad")
        let uplink = try XCTUnwrap(try links.link(named: "bond0"))
        let read = try links.addresses(ofIndex: uplink.index).filter(\.isGlobal).map(\.description).sorted()
        let witness = try ns.exec(["ip", "-j", "addr", "show", "dev", "bond0", "scope", "global"], must: true).stdout
        for address in read { XCTAssertTrue(witness.contains("\"local\":\"\(address.split(separator: "/")[0])\""), "\(address) in \(witness)") }
        XCTAssertEqual(read, ["10.99.8.2/24", "fd99:8::2/64"])
        let logFile = agent.stateDirectory + "/agent.log"
        let environment = ["HA_LOGFACILITY": "none", "HA_LOGFILE": logFile]
        XCTAssertEqual(agent.run("validate-all", params, environment: environment).status, 0)
        XCTAssertEqual(agent.run("start", params, environment: environment).status, 0)
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        XCTAssertEqual(log.components(separatedBy: "WARNING: uplink bond0 carries the host's address(es) 10.99.8.2/24 fd99:8::2/64").count - 1, 2,
                       "validate-all and start warn once each: \(log)")
        XCTAssertEqual(agent.run("stop", params).status, 0)
    }

    /// This machine's kernel is built without bridge VLAN filtering (the VM
    /// tier runs the VLAN-aware bridge on Debian's): a missing kernel
    /// feature is OCF_ERR_INSTALLED, and the failed start leaves nothing.
    func testVLANFilteringWithoutKernelSupportIsNotInstalledAndLeavesNothing() throws {
        let probe = try ns.exec(["ip", "link", "add", "vfprobe", "type", "bridge", "vlan_filtering", "1"])
        guard probe.status != 0 else {
            _ = try? ns.exec(["ip", "link", "del", "vfprobe"])
            throw XCTSkip("this kernel filters bridge VLANs: VLANAwareBridgeVMTests covers it")
        }
        var p = params
        p["vlan_filtering"] = "true"
        p["uplink_vlans"] = "10 20"
        let start = agent.run("start", p)
        XCTAssertEqual(start.status, 5, "\(start)")
        XCTAssertTrue(start.exitReason?.contains("no bridge VLAN filtering") == true, "\(start)")
        XCTAssertNil(try links.link(named: "xenbr1"), "rolled back")
        XCTAssertNil(try links.link(named: "bond0")?.masterIndex)
        XCTAssertEqual(agent.run("monitor", p).status, 7)
        XCTAssertEqual(agent.run("stop", p).status, 0)
    }

    /// vlan_id on a plain interface: this machine's kernel has no 802.1Q
    /// driver (BridgeVLANSubinterfaceVMTests runs it on Debian's), which is
    /// OCF_ERR_INSTALLED naming the missing driver, and nothing is left.
    func testVLANSubinterfaceWithout8021QIsNotInstalledAndLeavesNothing() throws {
        let probe = try ns.exec(["ip", "link", "add", "link", "bond0", "name", "bond0.9", "type", "vlan", "id", "9"])
        guard probe.status != 0 else {
            _ = try? ns.exec(["ip", "link", "del", "bond0.9"])
            throw XCTSkip("this kernel has 802.1Q: BridgeVLANSubinterfaceVMTests covers it")
        }
        var p = params
        p["vlan_id"] = "10"
        XCTAssertEqual(agent.run("validate-all", p).status, 0, "the VLAN is made by start, not required by validate")
        let start = agent.run("start", p)
        XCTAssertEqual(start.status, 5, "\(start)")
        XCTAssertTrue(start.exitReason?.contains("RTM_NEWLINK bond0.10") == true, "\(start)")
        XCTAssertTrue(start.exitReason?.contains("no driver") == true, "\(start)")
        XCTAssertNil(try links.link(named: "xenbr1"), "nothing made")
        XCTAssertNil(try links.link(named: "bond0.10"))
        XCTAssertEqual(agent.run("monitor", p).status, 7)
        XCTAssertEqual(agent.run("stop", p).status, 0)
        XCTAssertEqual(agent.stateFiles().filter { $0.hasPrefix("hanet-bridge") }, [], "no record left")
    }

    func testMonitorReportsWhatIsWrong() throws {
        XCTAssertEqual(agent.run("start", params).status, 0)
        try ns.sh("ip link set xenbr1 arp on")
        var result = agent.run("monitor", params)
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.exitReason, "bridge xenbr1 has arp on, expected off")
        XCTAssertEqual(agent.run("start", params).status, 0, "start repairs it")
        XCTAssertEqual(agent.run("monitor", params).status, 0)

        try ns.sh("ip link set bond0 nomaster")
        result = agent.run("monitor", params)
        XCTAssertEqual(result.status, 7, "\(result)")

        XCTAssertEqual(agent.run("start", params).status, 0)
        try ns.sh("ip link set switch0 down")  // uplink loses carrier
        XCTAssertEqual(agent.run("monitor", params).status, 0, "level 0 ignores carrier")
        result = agent.run("monitor", params, environment: ["OCF_CHECK_LEVEL": "10"])
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.exitReason, "uplink bond0 has no carrier")
    }

    func testStopLeavesGuestPortsAndTheBridgeThatHoldsThem() throws {
        XCTAssertEqual(agent.run("start", params).status, 0)
        try ns.sh("ip link add vif3.0 type veth peer name g3; ip link set vif3.0 master xenbr1 up")
        let stop = agent.run("stop", params)
        XCTAssertEqual(stop.status, 0, "\(stop)")
        let bridge = try XCTUnwrap(try links.link(named: "xenbr1"), "bridge with a guest port stays")
        let guest = try XCTUnwrap(try links.link(named: "vif3.0"))
        XCTAssertEqual(guest.masterIndex, bridge.index)
        XCTAssertTrue(guest.isUp, "guest port untouched")
        XCTAssertNil(try links.link(named: "bond0")?.masterIndex, "uplink detached")
        XCTAssertEqual(agent.run("monitor", params).status, 7)
    }

    func testForeignBridgeIsAdoptedButNeverDeleted() throws {
        try ns.sh("ip link add xenbr1 type bridge; ip link set xenbr1 up")
        XCTAssertEqual(agent.run("start", params).status, 0)
        XCTAssertEqual(agent.run("monitor", params).status, 0)
        XCTAssertEqual(agent.run("stop", params).status, 0)
        XCTAssertNotNil(try links.link(named: "xenbr1"), "adopted bridge is left in place")
        XCTAssertNil(try links.link(named: "bond0")?.masterIndex)
        XCTAssertEqual(agent.run("monitor", params).status, 7)

        // create=false on a node without the bridge: not installed here (5), not a config error (6).
        try links.delete("xenbr1")
        var noCreate = params
        noCreate["create"] = "false"
        let result = agent.run("start", noCreate)
        XCTAssertEqual(result.status, 5, "\(result)")
        XCTAssertNil(try links.link(named: "xenbr1"))
    }

    func testMissingUplinkIsNodeLocalNeverConfigured() throws {
        var p = params
        p["uplink"] = "eth9"
        XCTAssertEqual(agent.run("monitor", p).status, 7, "probe")
        let start = agent.run("start", p)
        XCTAssertEqual(start.status, 5, "\(start)")
        XCTAssertEqual(start.exitReason, "uplink eth9 does not exist on this node")
        XCTAssertNil(try links.link(named: "xenbr1"), "nothing created")
    }

    func testUplinkOfAnotherBridgeIsRefusedWithBothNames() throws {
        try ns.sh("ip link add other0 type bridge; ip link set bond0 master other0")
        let result = agent.run("validate-all", params)
        XCTAssertEqual(result.status, 2, "a problem of this node only: OCF_ERR_ARGS, never 6")
        XCTAssertEqual(result.exitReason, "uplink bond0 is already a port of bridge other0, not of xenbr1")
        XCTAssertEqual(agent.run("start", params).status, 2)
        XCTAssertEqual(try links.link(named: "bond0")?.masterIndex, try links.link(named: "other0")?.index)
    }

    func testFailedStartRollsBackWhatItCreated() throws {
        // An MTU the veth uplink cannot take makes enslaving fail after the
        // bridge was created: start must delete the bridge it made.
        try ns.sh("ip link set bond0 mtu 1280")
        var p = params
        p["mtu"] = "9000"
        let result = agent.run("start", p)
        XCTAssertNotEqual(result.status, 0, "\(result)")
        XCTAssertNotNil(result.exitReason)
        XCTAssertNil(try links.link(named: "xenbr1"), "rolled back: \(result)")
        XCTAssertNil(try links.link(named: "bond0")?.masterIndex)
        XCTAssertEqual(agent.run("stop", p).status, 0)
    }

    func testInvalidParametersAreConfigurationErrorsWithReasons() throws {
        let cases: [([String: String], String)] = [
            (["bridge": "this-name-is-too-long"], "parameter 'bridge': interface name 'this-name-is-too-long' is 21 bytes long (at most 15)"),
            (["bridge": "xenbr1", "uplink": "xenbr1"], "parameter 'uplink': cannot be the bridge itself (xenbr1)"),
            (["bridge": "xenbr1", "mac": "01:00:5e:00:00:01"], "parameter 'mac': 01:00:5e:00:00:01 is not a unicast address"),
            (["bridge": "xenbr1", "stp": "on", "forward_delay": "0"], "parameter 'forward_delay': must be 2-30 seconds when stp=on (got 0)"),
            (["bridge": "xenbr1", "colour": "blue"], "unknown parameter"),
        ]
        for (p, reason) in cases {
            for action in ["validate-all", "start"] {
                let result = agent.run(action, p)
                XCTAssertEqual(result.status, 6, "\(action) \(p): \(result)")
                XCTAssertTrue(result.exitReason?.contains(reason) == true, "\(action) \(p): \(result)")
            }
            XCTAssertEqual(agent.run("stop", p).status, 0, "stop with bad parameters must not fail")
        }
        XCTAssertEqual(agent.run("monitor", ["bridge": "xenbr1", "mtu": "12"]).status, 6)
    }
}
