import Foundation
import HanetOCF
import XCTest

final class MetadataXMLTests: XCTestCase {
    static let dtd = "/usr/share/resource-agents/ra-api-1.dtd"
    static let rng = "/usr/share/resource-agents/metadata.rng"
    static let xmllint = ["/usr/bin/xmllint", "/bin/xmllint", "/usr/local/bin/xmllint"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// An agent whose texts contain everything that needs escaping.
    static let awkward = AgentMetadata(
        name: "awk&ward",
        version: "1.0 \"beta\"",
        shortDescription: "Short <desc> & 'quotes'\nsecond line",
        longDescription: "Long <description>\n\n& \"more\" 'text' with a control\u{7} char",
        parameters: [
            ParameterSpec(name: "p<1>", type: .boolean, defaultValue: "a&b\"c'd<e>", required: true, unique: true,
                          reloadable: true, shortDescription: "s&", longDescription: "l<"),
            ParameterSpec(name: "count", type: .integer, shortDescription: "Count", choices: ["1", "2"]),
        ],
        actions: ActionSpec.standard + [
            ActionSpec(name: "monitor", timeout: .seconds(30), interval: .seconds(60), depth: 20),
            ActionSpec(name: "promote", timeout: .milliseconds(1500), role: .promoted),
            ActionSpec(name: "block", timeout: .seconds(5)),
            ActionSpec(name: "force-reload", timeout: .seconds(5)),
        ])

    func testEscape() {
        XCTAssertEqual(MetadataXML.escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f")
        XCTAssertEqual(MetadataXML.escape("tab\tnew\nline\r\u{1}x"), "tab\tnew\nline x")
        XCTAssertEqual(MetadataXML.escape("ünïcødé €"), "ünïcødé €")
    }

    func testFakeAgentDocument() {
        let xml = MetadataXML.render(FakeAgent.metadata)
        XCTAssertTrue(xml.hasPrefix("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"))
        XCTAssertTrue(xml.contains("<version>1.1</version>"))
        XCTAssertTrue(xml.contains("<resource-agent name=\"fake\" version=\"2.0\">"))
        XCTAssertTrue(xml.contains("<parameter name=\"name\" unique=\"1\" required=\"1\">"))
        XCTAssertTrue(xml.contains("<content type=\"boolean\" default=\"yes\" />"))
        XCTAssertTrue(xml.contains("<content type=\"integer\" default=\"1500\" />"))
        XCTAssertTrue(xml.contains("<content type=\"string\" />"))
        XCTAssertTrue(xml.contains("Allowed values: active-backup, balance-rr, 802.3ad."))
        XCTAssertTrue(xml.contains("<shortdesc lang=\"en\">A &lt;note&gt; &amp; &quot;quotes&quot; &apos;too&apos;</shortdesc>"))
        XCTAssertTrue(xml.contains("<action name=\"monitor\" timeout=\"20s\" interval=\"10s\" depth=\"0\" />"))
        XCTAssertTrue(xml.contains("<action name=\"meta-data\" timeout=\"5s\" />"))
        XCTAssertFalse(xml.contains("reloadable"))
        XCTAssertFalse(xml.contains("block"), "actions outside the DTD's list must be left out")
    }

    func testAwkwardDocument() {
        let xml = MetadataXML.render(Self.awkward)
        XCTAssertTrue(xml.contains("<resource-agent name=\"awk&amp;ward\" version=\"1.0 &quot;beta&quot;\">"))
        XCTAssertTrue(xml.contains("<shortdesc lang=\"en\">Short &lt;desc&gt; &amp; &apos;quotes&apos; second line</shortdesc>"))
        XCTAssertTrue(xml.contains("default=\"a&amp;b&quot;c&apos;d&lt;e&gt;\""))
        XCTAssertTrue(xml.contains("<action name=\"promote\" timeout=\"1500ms\" role=\"Promoted\" />"))
        XCTAssertTrue(xml.contains("<action name=\"monitor\" timeout=\"30s\" interval=\"60s\" depth=\"20\" />"))
        XCTAssertFalse(xml.contains("force-reload"))
    }

    // MARK: - Schema validation

    func xmllint(_ arguments: [String], document: String) throws -> (status: Int32, output: String) {
        guard let tool = Self.xmllint else {
            throw XCTSkip("xmllint not installed (apt-get install libxml2-utils); schema validation skipped")
        }
        let file = try temporaryDirectory(self).appendingPathComponent("metadata.xml")
        try document.write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments + [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func schema(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) missing (install resource-agents); schema validation skipped")
        }
        return path
    }

    func assertValid(_ metadata: AgentMetadata, file: StaticString = #filePath, line: UInt = #line) throws {
        let xml = MetadataXML.render(metadata)
        let dtd = try xmllint(["--noout", "--dtdvalid", try schema(Self.dtd)], document: xml)
        XCTAssertEqual(dtd.status, 0, "DTD validation failed:\n\(dtd.output)\n\(xml)", file: file, line: line)
        let rng = try xmllint(["--noout", "--relaxng", try schema(Self.rng)], document: xml)
        XCTAssertEqual(rng.status, 0, "RelaxNG validation failed:\n\(rng.output)\n\(xml)", file: file, line: line)
    }

    func testFakeAgentValidatesAgainstBothSchemas() throws {
        try assertValid(FakeAgent.metadata)
    }

    func testAwkwardAgentValidatesAgainstBothSchemas() throws {
        try assertValid(Self.awkward)
    }

    func testReloadingAgentValidatesAgainstBothSchemas() throws {
        try assertValid(ReloadingAgent.metadata)
    }

    /// Guards the test itself: the validators must reject what they should.
    func testValidatorsRejectReloadable() throws {
        let xml = MetadataXML.render(FakeAgent.metadata)
            .replacingOccurrences(of: "<parameter name=\"mtu\"", with: "<parameter name=\"mtu\" reloadable=\"1\"")
        XCTAssertNotEqual(try xmllint(["--noout", "--dtdvalid", try schema(Self.dtd)], document: xml).status, 0)
        XCTAssertNotEqual(try xmllint(["--noout", "--relaxng", try schema(Self.rng)], document: xml).status, 0)
    }
}
