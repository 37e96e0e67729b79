import XCTest
import HanetOCF
@testable import HanetAgents
import HanetHost

/// Parameter parsing of ocf:hanet:bridge, without root or kernel.
final class BridgeAgentParameterTests: XCTestCase {
    private func configuration(_ values: [String: String]) throws -> BridgeConfiguration {
        let context = AgentContext(action: "validate-all", parameters: Parameters(values: values, specs: BridgeAgent.metadata.parameters), log: OCFLog(tag: "test", sink: DiscardingLogSink()))
        return try BridgeAgent(context: context).configuration
    }

    func testDefaults() throws {
        let c = try configuration(["bridge": "xenbr1"])
        XCTAssertEqual(c.bridge, "xenbr1")
        XCTAssertNil(c.uplink)
        XCTAssertTrue(c.create)
        XCTAssertTrue(c.arp)
        XCTAssertTrue(c.multicast)
        XCTAssertFalse(c.stp)
        XCTAssertNil(c.forwardDelay)
        XCTAssertNil(c.mac)
    }

    func testSeedStyleValues() throws {
        let c = try configuration(["bridge": "xenbr1", "uplink": "bond0.10", "arp": "off", "multicast": "no",
                                   "stp": "on", "forward_delay": "4", "mac": "FE:FF:FF:FF:FF:FF", "mtu": "9000"])
        XCTAssertEqual(c.uplink, "bond0.10")
        XCTAssertFalse(c.arp)
        XCTAssertFalse(c.multicast)
        XCTAssertTrue(c.stp)
        XCTAssertEqual(c.forwardDelay, 4)
        XCTAssertEqual(c.mac, "fe:ff:ff:ff:ff:ff")
        XCTAssertEqual(c.mtu, 9000)
    }

    func testErrorsNameTheParameter() {
        let cases: [[String: String]: String] = [
            ["bridge": "a b"]: "parameter 'bridge'",
            ["bridge": "br0", "uplink": "eth0:1"]: "parameter 'uplink'",
            ["bridge": "br0", "mtu": "67"]: "parameter 'mtu'",
            ["bridge": "br0", "forward_delay": "31"]: "parameter 'forward_delay'",
            ["bridge": "br0", "arp": "maybe"]: "parameter 'arp'",
            ["bridge": "br0", "mac": "00:00:00:00:00:00"]: "parameter 'mac'",
        ]
        for (values, expected) in cases {
            XCTAssertThrowsError(try configuration(values), "\(values)") { error in
                let failure = AgentFailure(error)
                XCTAssertEqual(failure.code, .errConfigured, "\(values)")
                XCTAssertTrue(failure.reason.hasPrefix(expected), "\(values): \(failure.reason)")
            }
        }
    }

    func testVLANAwareParameters() throws {
        let c = try configuration(["bridge": "vmbr0", "uplink": "bond0", "vlan_filtering": "true",
                                   "uplink_vlans": "10, 20 100-103", "pvid": "99"])
        XCTAssertTrue(c.vlanFiltering)
        XCTAssertEqual(c.uplinkVLANs, [10, 20, 100, 101, 102, 103])
        XCTAssertEqual(c.pvid, 99)
        XCTAssertFalse(try configuration(["bridge": "vmbr0"]).vlanFiltering, "off by default")
        for (values, parameter) in [
            (["uplink_vlans": "10"], "uplink_vlans"),                              // without vlan_filtering
            (["vlan_filtering": "true", "uplink_vlans": "0"], "uplink_vlans"),
            (["vlan_filtering": "true", "uplink_vlans": "4095"], "uplink_vlans"),
            (["vlan_filtering": "true", "uplink_vlans": "30-20"], "uplink_vlans"),
            (["vlan_filtering": "true", "uplink_vlans": "1-2-3"], "uplink_vlans"),
            (["vlan_filtering": "true", "pvid": "4095"], "pvid"),
            (["pvid": "5"], "pvid"),                                                // without vlan_filtering
        ] {
            XCTAssertThrowsError(try configuration(["bridge": "vmbr0", "uplink": "bond0"].merging(values) { $1 }), "\(values)") { error in
                XCTAssertTrue("\(error)".contains(parameter), "\(values): \(error)")
            }
        }
        XCTAssertThrowsError(try configuration(["bridge": "vmbr0", "vlan_filtering": "true", "uplink_vlans": "10"]), "no uplink")
    }

    func testVLANOnAnyParent() throws {
        let c = try configuration(["bridge": "xenbr0", "uplink": "eth1", "vlan_id": "100"])
        XCTAssertEqual(c.uplink, "eth1.100", "the port is the VLAN")
        XCTAssertEqual(c.vlanSubinterface, VLANSubinterface(parent: "eth1", id: 100))
        XCTAssertNil(try configuration(["bridge": "xenbr0", "uplink": "eth1"]).vlanSubinterface)
        for (values, reason) in [
            (["vlan_id": "100"], "parameter 'vlan_id': needs an uplink: the device that carries VLAN 100"),
            (["uplink": "eth1", "vlan_id": "0"], "parameter 'vlan_id'"),
            (["uplink": "eth1", "vlan_id": "4095"], "parameter 'vlan_id'"),
            (["uplink": "enp129s0f1np1", "vlan_id": "100"], "parameter 'vlan_id': enp129s0f1np1.100 would be longer than 15 characters"),
            (["uplink": "xenbr0", "vlan_id": "7"], "parameter 'uplink': cannot be the bridge itself (xenbr0)"),
        ] {
            XCTAssertThrowsError(try configuration(["bridge": "xenbr0"].merging(values) { $1 }), "\(values)") { error in
                let failure = AgentFailure(error)
                XCTAssertEqual(failure.code, .errConfigured, "\(values)")
                XCTAssertTrue(failure.reason.hasPrefix(reason), "\(values): \(failure.reason)")
            }
        }
    }

    func testDerivedMACIsStableUnicastAndLocal() {
        let a = BridgeConfiguration(bridge: "xenbr1").derivedMAC
        XCTAssertEqual(a, BridgeConfiguration(bridge: "xenbr1").derivedMAC)
        XCTAssertNotEqual(a, BridgeConfiguration(bridge: "xenbr2").derivedMAC)
        XCTAssertFalse(a.isMulticast)
        XCTAssertTrue(a.isLocallyAdministered)
    }
}
