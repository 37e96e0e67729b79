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

/// Meta-data of every agent passes both schemas Pacemaker's tools use.
final class AgentMetadataTests: XCTestCase {
    func testMetadataValidatesAgainstDTDAndRelaxNG() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/xmllint") else {
            throw XCTSkip("xmllint missing (libxml2-utils)")
        }
        for agent in AgentCatalog.all {
            let file = NSTemporaryDirectory() + "hanet-md-\(agent.metadata.name).xml"
            try MetadataXML.render(agent.metadata).write(toFile: file, atomically: true, encoding: .utf8)
            for schema in [["--dtdvalid", "/usr/share/resource-agents/ra-api-1.dtd"], ["--relaxng", "/usr/share/resource-agents/metadata.rng"]] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
                p.arguments = ["--noout"] + schema + [file]
                let err = Pipe()
                p.standardError = err
                try p.run()
                p.waitUntilExit()
                let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                XCTAssertEqual(p.terminationStatus, 0, "\(agent.metadata.name) vs \(schema[1]): \(text)")
            }
        }
    }
}
