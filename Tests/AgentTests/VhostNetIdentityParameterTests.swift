import XCTest
import HanetOCF
@testable import HanetAgents
import HanetHost
import HanetLinks

/// guest_macs and guest_domains as the agent parses them, without root or kernel.
final class VhostNetIdentityParameterTests: XCTestCase {
    private func configuration(_ values: [String: String]) throws -> VhostNetConfiguration {
        let context = AgentContext(action: "validate-all", parameters: Parameters(values: values, specs: VhostNetAgent.metadata.parameters),
                                   log: OCFLog(tag: "test", sink: DiscardingLogSink()))
        return try VhostNetAgent(context: context).configuration
    }

    func testMACsKeepTheGuestPortsDefault() throws {
        let c = try configuration(["bridge": "xenbr1", "guest_macs": "52:54:00:12:34:56, 00:16:3e:00:00:00/24"])
        XCTAssertEqual(c.policy.guestMACs.map(\.description), ["00:16:3e:00:00:00/24", "52:54:00:12:34:56"])
        XCTAssertEqual(c.policy.guestPorts.map(\.description), ["tap*", "vif*", "vnet*"], "guest_ports still says where guests are")
        XCTAssertTrue(c.policy.selectsByIdentity)
        XCTAssertFalse(try configuration(["bridge": "xenbr1"]).policy.selectsByIdentity)
        // Either backend: iptables matches the MACs with xt_bpf and arptables.
        XCTAssertTrue(try configuration(["bridge": "xenbr1", "guest_macs": "52:54:00:12:34:56", "backend": "iptables"]).policy.selectsByIdentity)
    }

    func testABadTokenIsAConfigurationErrorNamingIt() {
        let cases: [[String: String]: String] = [
            ["guest_macs": "52:54:00:12:34:56 01:00:5e:00:00:01"]: "parameter 'guest_macs': '01:00:5e:00:00:01': a multicast address",
            ["guest_macs": "00:16:3e:00:00:01/24"]: "parameter 'guest_macs': '00:16:3e:00:00:01/24': bits after the /24 prefix",
            ["guest_macs": "00:00:00:00:00:00"]: "parameter 'guest_macs': '00:00:00:00:00:00'",
            ["guest_domains": "../etc/passwd"]: "parameter 'guest_domains': '../etc/passwd' is not a libvirt domain name",
        ]
        for (extra, expected) in cases {
            var values = ["bridge": "xenbr1"]
            values.merge(extra) { _, new in new }
            XCTAssertThrowsError(try configuration(values), "\(values)") { error in
                let failure = AgentFailure(error)
                XCTAssertEqual(failure.code, .errConfigured, "\(values)")
                XCTAssertTrue(failure.reason.hasPrefix(expected), "\(values): \(failure.reason)")
                XCTAssertFalse(failure.reason.contains("\n"), "one line")
            }
        }
    }

    func testADomainWithoutARecordHereIsNoConfigurationError() throws {
        setenv("HANET_LIBVIRT_CONFIG_DIR", "/nonexistent-hanet-test", 1)
        setenv("HANET_LIBVIRT_RUN_DIR", "/nonexistent-hanet-test", 1)
        defer { unsetenv("HANET_LIBVIRT_CONFIG_DIR"); unsetenv("HANET_LIBVIRT_RUN_DIR") }
        let c = try configuration(["bridge": "xenbr1", "guest_domains": "web1 db1"])
        XCTAssertEqual(c.domainsWithoutRecord, ["web1", "db1"])
        XCTAssertEqual(c.policy.guestDomains, ["db1", "web1"])
        XCTAssertTrue(c.policy.domainMACs.isEmpty)
        XCTAssertTrue(c.policy.selectsByIdentity, "still selected by identity: never every guest of the ports")
    }
}
