import Foundation
import HanetOCF
import XCTest

final class MetadataXMLTests: XCTestCase {
    /// ocf-tester's check: `xmllint --valid` in this directory, against the
    /// document's own DOCTYPE (ra-api-1.dtd plus the internal subset).
    static let dtdDirectory = "/usr/share/resource-agents"
    /// What pcs 0.11 validates OCF 1.1 meta-data with (the only installed
    /// schema that knows `reloadable`).
    static let rng = "/usr/share/pcs/data/ocf-1.1.rng"
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
        XCTAssertTrue(xml.hasPrefix("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\" [\n"))
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
        XCTAssertFalse(xml.contains("reloadable=\"1\""), "no reload-agent action: no parameter claims to be reloadable")
        XCTAssertFalse(xml.contains("block"), "actions outside the OCF list must be left out")
    }

    func testAwkwardDocument() {
        let xml = MetadataXML.render(Self.awkward)
        XCTAssertTrue(xml.contains("<resource-agent name=\"awk&amp;ward\" version=\"1.0 &quot;beta&quot;\">"))
        XCTAssertTrue(xml.contains("<shortdesc lang=\"en\">Short &lt;desc&gt; &amp; &apos;quotes&apos; second line</shortdesc>"))
        XCTAssertTrue(xml.contains("default=\"a&amp;b&quot;c&apos;d&lt;e&gt;\""))
        XCTAssertTrue(xml.contains("<action name=\"promote\" timeout=\"1500ms\" role=\"Promoted\" />"))
        XCTAssertTrue(xml.contains("<action name=\"monitor\" timeout=\"30s\" interval=\"60s\" depth=\"20\" />"))
        XCTAssertFalse(xml.contains("force-reload"))
        XCTAssertTrue(xml.contains("<parameter name=\"p&lt;1&gt;\" unique=\"1\" required=\"1\">"),
                      "reloadable without a reload-agent action is not emitted")
    }

    func testReloadingAgentDocument() {
        let xml = MetadataXML.render(ReloadingAgent.metadata)
        XCTAssertTrue(xml.contains("<parameter name=\"level\" unique=\"0\" required=\"0\" reloadable=\"1\">"))
        XCTAssertTrue(xml.contains("<parameter name=\"name\" unique=\"0\" required=\"0\">"))
        XCTAssertTrue(xml.contains("<action name=\"reload-agent\" timeout=\"20s\" />"))
        XCTAssertTrue(xml.contains("<action name=\"reload\" timeout=\"5s\" />"))
    }

    // MARK: - Schema validation

    /// Feeds the document on standard input, as ocf-tester does: the
    /// DOCTYPE's relative `ra-api-1.dtd` then resolves in `directory`.
    func xmllint(_ arguments: [String], document: String, in directory: String? = nil) throws -> (status: Int32, output: String) {
        guard let tool = Self.xmllint else {
            throw XCTSkip("xmllint not installed (apt-get install libxml2-utils); schema validation skipped")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments + ["-"]
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        input.fileHandleForWriting.write(Data(document.utf8))
        try input.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func schema(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) missing (install resource-agents and pcs); schema validation skipped")
        }
        return path
    }

    /// ocf-tester's DTD check, run as ocf-tester runs it.
    func dtdCheck(_ xml: String) throws -> (status: Int32, output: String) {
        _ = try schema(Self.dtdDirectory + "/ra-api-1.dtd")
        return try xmllint(["--noout", "--valid"], document: xml, in: Self.dtdDirectory)
    }

    func rngCheck(_ xml: String) throws -> (status: Int32, output: String) {
        try xmllint(["--noout", "--relaxng", try schema(Self.rng)], document: xml, in: Self.dtdDirectory)
    }

    func assertValid(_ metadata: AgentMetadata, file: StaticString = #filePath, line: UInt = #line) throws {
        let xml = MetadataXML.render(metadata)
        let dtd = try dtdCheck(xml)
        XCTAssertEqual(dtd.status, 0, "DTD validation failed:\n\(dtd.output)\n\(xml)", file: file, line: line)
        let rng = try rngCheck(xml)
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
    /// The internal subset admits exactly `reloadable` 0/1 and any action
    /// name; without it ra-api-1.dtd rejects both; other attributes stay
    /// rejected by both.
    func testValidatorsRejectWhatTheyShould() throws {
        let xml = MetadataXML.render(ReloadingAgent.metadata)
        let badValue = xml.replacingOccurrences(of: "reloadable=\"1\"", with: "reloadable=\"maybe\"")
        XCTAssertNotEqual(try dtdCheck(badValue).status, 0)
        XCTAssertNotEqual(try rngCheck(badValue).status, 0)
        let unknown = xml.replacingOccurrences(of: "<parameter name=\"name\"", with: "<parameter name=\"name\" frobnicate=\"1\"")
        XCTAssertNotEqual(try dtdCheck(unknown).status, 0)
        XCTAssertNotEqual(try rngCheck(unknown).status, 0)
        var withoutSubset = xml
        if let open = withoutSubset.range(of: " ["), let close = withoutSubset.range(of: "]>\n") {
            withoutSubset.replaceSubrange(open.lowerBound..<close.upperBound, with: ">\n")
        }
        XCTAssertFalse(withoutSubset.contains("ATTLIST"))
        XCTAssertNotEqual(try dtdCheck(withoutSubset).status, 0, "ra-api-1.dtd alone knows no reloadable nor reload-agent")
    }
}
