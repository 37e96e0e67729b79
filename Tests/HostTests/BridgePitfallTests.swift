import XCTest
import HanetHost
import HanetLinks
import HanetTesting

/// The seeds' uplink pitfalls, read from the (fake) kernel's view of the
/// uplink: warnings only, and none for a sound uplink.
final class BridgePitfallTests: FakeHostTestCase {
    private func bond(_ mode: BondMode, allSlavesActive: Bool? = nil) -> LinkKind {
        var options = Bond(mode: mode, miimon: 100)
        options.allSlavesActive = allSlavesActive
        return .bond(options)
    }

    private func pitfalls(uplink: InterfaceName, moveAddresses: Bool = false) throws -> [String] {
        var configuration = BridgeConfiguration(bridge: "br0", uplink: uplink)
        configuration.moveAddresses = moveAddresses
        let bridge = BridgeAttachment(configuration: configuration, links: links,
                                      stateDirectory: stateDirectory.path, log: log)
        return try bridge.validateReportingPitfalls().map(\.description)
    }

    func testActiveBackupWithAllSlavesActiveIsSeed001sPitfall() throws {
        kernel.addLink("bond0", kind: bond(.activeBackup, allSlavesActive: true), up: true)
        let found = try pitfalls(uplink: "bond0")
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.contains("all_slaves_active=1") == true, "\(found)")
    }

    func testBalanceALBAndTLBUnderABridgeAreSeed003sPitfall() throws {
        kernel.addLink("bond0", kind: bond(.balanceALB), up: true)
        kernel.addLink("bond1", kind: bond(.balanceTLB), up: true)
        XCTAssertTrue(try pitfalls(uplink: "bond0").first?.contains("balance-alb") == true)
        XCTAssertTrue(try pitfalls(uplink: "bond1").first?.contains("balance-tlb") == true)
    }

    func testAVLANUplinkIsJudgedByTheBondUnderIt() throws {
        kernel.addLink("bond0", kind: bond(.balanceALB), up: true)
        kernel.addLink("bond0.10", kind: .vlan(Vlan(id: 10)), up: true, parent: "bond0")
        let found = try pitfalls(uplink: "bond0.10")
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.contains("a VLAN on bond0") == true, "\(found)")
    }

    /// Seed 001 with move_addresses=false: the host's address must move to
    /// the bridge; link-local (the kernel's own fe80::) and other
    /// interfaces' addresses do not count. With move_addresses (the
    /// default) start moves them: no warning.
    func testAnUplinkCarryingTheHostAddressIsSeed001sPitfall() throws {
        kernel.addLink("eth1", up: true)
        kernel.addLink("eth2", up: true)
        kernel.addAddress("10.99.8.2", prefixLength: 24, device: "eth1")
        kernel.addAddress("fd99:8::2", prefixLength: 64, device: "eth1")
        kernel.addAddress("fe80::1", prefixLength: 64, device: "eth1", scope: 253)
        kernel.addAddress("10.99.9.2", prefixLength: 24, device: "eth2")
        let found = try pitfalls(uplink: "eth1")
        XCTAssertEqual(found.count, 1, "\(found)")
        let text = try XCTUnwrap(found.first)
        XCTAssertTrue(text.contains("10.99.8.2/24 fd99:8::2/64") && text.contains("put them on br0"), text)
        XCTAssertFalse(text.contains("fe80") || text.contains("10.99.9.2"), text)
        XCTAssertTrue(text.contains("move_addresses=true"), text)
        XCTAssertEqual(try pitfalls(uplink: "eth1", moveAddresses: true), [], "start moves them")
        kernel.addLink("eth3", up: true)
        kernel.addAddress("fe80::3", prefixLength: 64, device: "eth3", scope: 253)
        XCTAssertEqual(try pitfalls(uplink: "eth3"), [], "link-local only: nothing to move")
    }

    func testSoundUplinksHaveNone() throws {
        kernel.addLink("bond0", kind: bond(.activeBackup, allSlavesActive: false), up: true)
        kernel.addLink("bond1", kind: bond(.ieee8023ad), up: true)
        kernel.addLink("eth0", up: true)
        for uplink: InterfaceName in ["bond0", "bond1", "eth0"] {
            XCTAssertEqual(try pitfalls(uplink: uplink), [], "\(uplink)")
        }
    }
}
