import XCTest
import HanetOCF
@testable import HanetAgents
import HanetHost

/// man/ is generated from the agents' meta-data; a stale page fails here.
/// Regenerate with `make man`.
final class ManPagesAreCurrentTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testEveryAgentHasACurrentManPage() throws {
        XCTAssertFalse(AgentCatalog.all.isEmpty)
        for agent in AgentCatalog.all {
            let path = Self.repository.appendingPathComponent("man").appendingPathComponent(ManPage.fileName(for: agent.metadata))
            let checkedIn = try String(contentsOf: path, encoding: .utf8)
            XCTAssertEqual(checkedIn, ManPage.render(agent.metadata),
                           "\(path.lastPathComponent) is stale: run `make man` and commit the result")
        }
    }

    func testNoStrayManPages() throws {
        let expected = Set(AgentCatalog.all.map { ManPage.fileName(for: $0.metadata) })
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.repository.appendingPathComponent("man").path)
            .filter { $0.hasPrefix("ocf_hanet_") }
        XCTAssertEqual(Set(present), expected, "man/ holds pages for agents that no longer exist")
    }
}

/// Meta-data of every agent passes the checks Pacemaker's tools make:
/// ocf-tester's (`xmllint --valid` on standard input in the DTD's
/// directory, so the document's DOCTYPE and internal subset count) and
/// pcs's OCF 1.1 RelaxNG schema; and it declares what Pacemaker needs to
/// reload instead of restart.
final class AgentMetadataTests: XCTestCase {
    func testMetadataValidatesAsOCFTesterAndPcsCheckIt() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/xmllint") else {
            throw XCTSkip("xmllint missing (libxml2-utils)")
        }
        for path in ["/usr/share/resource-agents/ra-api-1.dtd", "/usr/share/pcs/data/ocf-1.1.rng"] where !FileManager.default.fileExists(atPath: path) {
            throw XCTSkip("\(path) missing (resource-agents, pcs)")
        }
        for agent in AgentCatalog.all {
            let xml = MetadataXML.render(agent.metadata)
            for schema in [["--valid"], ["--relaxng", "/usr/share/pcs/data/ocf-1.1.rng"]] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
                p.arguments = ["--noout"] + schema + ["-"]
                p.currentDirectoryURL = URL(fileURLWithPath: "/usr/share/resource-agents")
                let input = Pipe(), err = Pipe()
                p.standardInput = input
                p.standardError = err
                try p.run()
                input.fileHandleForWriting.write(Data(xml.utf8))
                try input.fileHandleForWriting.close()
                let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                p.waitUntilExit()
                XCTAssertEqual(p.terminationStatus, 0, "\(agent.metadata.name) vs \(schema.last!): \(text)")
            }
        }
    }

    /// Pacemaker 2.1 reloads only an agent whose meta-data says OCF 1.1 and
    /// lists reload-agent; the bond and bridge agents do, and mark only the
    /// parameters their reload applies.
    func testBondAndBridgeDeclareReloadAgent() {
        for agent in [BondAgent.self as any ResourceAgent.Type, BridgeAgent.self] {
            let xml = MetadataXML.render(agent.metadata)
            XCTAssertTrue(xml.contains("<version>1.1</version>"))
            XCTAssertTrue(xml.contains("<action name=\"reload-agent\""), agent.metadata.name)
        }
        XCTAssertEqual(Set(BridgeAgent.metadata.parameters.filter(\.reloadable).map(\.name)),
                       ["arp", "multicast", "stp", "forward_delay", "mac", "mtu", "uplink_vlans", "pvid"])
        let bondFixed = Set(BondAgent.metadata.parameters.filter { !$0.reloadable }.map(\.name))
        XCTAssertEqual(bondFixed, ["bond", "slaves", "mode", "fail_over_mac", "lacp_rate", "ad_select", "lacp_active",
                                   "ad_user_port_key", "tlb_dynamic_lb", "vlans"])
        XCTAssertFalse(MetadataXML.render(VhostNetAgent.metadata).contains("reload-agent"))
    }
}
