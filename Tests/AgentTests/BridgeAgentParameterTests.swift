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

    func testDerivedMACIsStableUnicastAndLocal() {
        let a = BridgeConfiguration(bridge: "xenbr1").derivedMAC
        XCTAssertEqual(a, BridgeConfiguration(bridge: "xenbr1").derivedMAC)
        XCTAssertNotEqual(a, BridgeConfiguration(bridge: "xenbr2").derivedMAC)
        XCTAssertFalse(a.isMulticast)
        XCTAssertTrue(a.isLocallyAdministered)
    }
}
