import Foundation
import HanetOCF
import XCTest

final class LSBConfigParserTests: XCTestCase {
    func parse(_ text: String) throws -> [String: String] {
        try LSBConfig.parse(text, path: "/etc/default/hanet-fake").values
    }

    func testCommentsBlankLinesQuotesAndWhitespace() throws {
        let text = """
            # hanet-fake configuration

              name = br0
            mode="802.3ad"
            slaves='eth0 eth1'   # the ports
            note=a#b
            export mtu=9000
            enabled = yes # inline comment
            empty=
            quoted="has # hash"\r
            """
        XCTAssertEqual(try parse(text), [
            "name": "br0", "mode": "802.3ad", "slaves": "eth0 eth1", "note": "a#b", "mtu": "9000",
            "enabled": "yes", "empty": "", "quoted": "has # hash",
        ])
    }

    func testLaterAssignmentWinsAndLinesAreKept() throws {
        let config = try LSBConfig.parse("name=a\n\nname=b\n", path: "f")
        XCTAssertEqual(config.values, ["name": "b"])
        XCTAssertEqual(config.entries.map(\.line), [1, 3])
    }

    func assertError(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try LSBConfig.parse(text, path: "/etc/default/hanet-fake")
            XCTFail("no error for \(text.debugDescription)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.description, expected, file: file, line: line)
        }
    }

    func testSyntaxErrorsNameFileAndLine() {
        assertError("name=br0\njust words\n", "/etc/default/hanet-fake:2: expected name=value")
        assertError("# c\n\nname=\"br0\n", "/etc/default/hanet-fake:3: missing closing \" in value of 'name'")
        assertError("name='br0' trailing", "/etc/default/hanet-fake:1: unexpected text after closing ' in value of 'name'")
        assertError("=value", "/etc/default/hanet-fake:1: missing parameter name before '='")
        assertError("my-name=x", "/etc/default/hanet-fake:1: invalid parameter name 'my-name'")
        assertError("1abc=x", "/etc/default/hanet-fake:1: invalid parameter name '1abc'")
    }

    func testUnknownEntries() throws {
        let config = try LSBConfig.parse("name=a\nbogus=1\ntrace_ra=1\n", path: "f")
        XCTAssertEqual(config.unknownEntries(specs: FakeAgent.metadata.parameters).map(\.name), ["bogus"])
    }

    func testPathDefaultAndOverride() {
        XCTAssertEqual(LSBConfig.path(agent: "bridge", environment: [:]), "/etc/default/hanet-bridge")
        XCTAssertEqual(LSBConfig.path(agent: "bridge", environment: ["HANET_CONFIG": "/tmp/x"]), "/tmp/x")
        XCTAssertEqual(LSBConfig.path(agent: "bridge", environment: ["HANET_CONFIG": ""]), "/etc/default/hanet-bridge")
    }
}

final class LSBModeRunnerTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try temporaryDirectory(self)
    }

    /// An LSB environment whose config file has `contents` (nil: no file).
    func environment(_ contents: String?, extra: [String: String] = [:]) throws -> [String: String] {
        let path = directory.appendingPathComponent("hanet-fake").path
        if let contents { try contents.write(toFile: path, atomically: true, encoding: .utf8) }
        return ["PATH": "/usr/bin:/bin", "HANET_CONFIG": path].merging(extra) { $1 }
    }

    /// An administrator's `status` is not a cluster probe: why it is
    /// stopped is worth saying.
    func testStatusStoppedKeepsItsReason() throws {
        let result = invoke(["status"], environment: try environment("name=br0\n", extra: ["FAKE_MONITOR": "fail:7:eth9 absent"]))
        XCTAssertEqual(result.code, 3)
        XCTAssertEqual(result.exitReasons, ["eth9 absent"])
    }

    /// The agent runs as root and acts on the file: one another user could
    /// have written is refused with the fix, as sshd's StrictModes does.
    func testConfigWritableByOthersIsRefused() throws {
        let env = try environment("name=br0\n")
        let path = env["HANET_CONFIG"]!
        XCTAssertEqual(chmod(path, 0o666), 0)
        let result = invoke(["start"], environment: env)
        XCTAssertEqual(result.code, 4, "LSB: insufficient privilege")
        XCTAssertEqual(result.exitReasons, ["refusing \(path): \(path) is writable by group or others (mode 0666; chmod go-w \(path))"])
        XCTAssertTrue(result.calls.isEmpty, "nothing started")
        XCTAssertEqual(chmod(path, 0o644), 0)
        XCTAssertEqual(chmod(directory.path, 0o777), 0)
        XCTAssertEqual(invoke(["start"], environment: env).exitReasons.first?.contains("\(directory.path) is writable by group or others"), true)
        XCTAssertEqual(chmod(directory.path, 0o755), 0)
        XCTAssertEqual(invoke(["start"], environment: env).code, 0)
    }

    func testStatusRunning() throws {
        let result = invoke(["status"], environment: try environment("name=br0\n"))
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.stdout, "hanet-fake: running\n")
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(result.log.records.first?.tag, "hanet-fake")
    }

    func testStatusCodes() throws {
        let cases: [(String, Int32, String)] = [
            ("return:7", 3, "stopped"), ("return:1", 1, "failed"), ("return:190", 0, "running (degraded)"),
            ("fail:6:bad", 4, "status unknown"), ("convertible", 4, "status unknown"), ("return:9", 1, "failed"),
        ]
        for (script, code, word) in cases {
            let result = invoke(["status"], environment: try environment("name=br0\n", extra: ["FAKE_MONITOR": script]))
            XCTAssertEqual(result.code, code, script)
            XCTAssertEqual(result.stdout, "hanet-fake: \(word)\n", script)
        }
    }

    func testStatusIsAProbe() throws {
        let result = invoke(["status"], environment: try environment("name=br0\n"))
        XCTAssertTrue(result.log.messages.contains("probe:true level:0"))
    }

    func testActionsUseLSBCodes() throws {
        XCTAssertEqual(invoke(["start"], environment: try environment("name=br0\n")).code, 0)
        XCTAssertEqual(invoke(["start"], environment: try environment("name=br0\n", extra: ["FAKE_START": "convertible"])).code, 5)
        XCTAssertEqual(invoke(["stop"], environment: try environment("name=br0\n", extra: ["FAKE_STOP": "fail:7:x"])).code, 0)
        XCTAssertEqual(invoke(["start"], environment: try environment("name=br0\n", extra: ["FAKE_START": "fail:191:x"])).code, 0)
        XCTAssertEqual(invoke(["start"], environment: try environment("name=br0\n"), euid: 1000).code, 4)
        XCTAssertEqual(invoke(["restart"], environment: try environment("name=br0\n")).calls, ["init", "validate", "stop", "start"])
        XCTAssertEqual(invoke(["frob"], environment: try environment("name=br0\n")).code, 3)
        XCTAssertEqual(invoke([], environment: try environment("name=br0\n")).code, 2)
        XCTAssertEqual(invoke(["start"], environment: try environment(nil)).stdout, "")
    }

    func testUsageNamesTheInitScript() throws {
        let result = invoke([], environment: try environment("name=br0\n"))
        XCTAssertTrue(result.stderr.hasPrefix("usage: hanet-fake {start|"), result.stderr)
    }

    func testParametersComeFromTheFile() throws {
        let result = invoke(["start"], environment: try environment("name=br0\nmtu=100000\n"))
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["parameter 'mtu': 100000 is out of range (68 to 9000)"])
    }

    func testMissingFileWithRequiredParameters() throws {
        let env = try environment(nil)
        let result = invoke(["start"], environment: env)
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["configuration file \(env["HANET_CONFIG"]!) not found (required: name)"])
        XCTAssertEqual(invoke(["status"], environment: env).code, 4)
    }

    func testMissingFileWithoutRequiredParametersIsFine() throws {
        let result = invoke(ReloadingAgent.self, ["status"], environment: try environment(nil))
        XCTAssertEqual(result.code, 3)
        XCTAssertEqual(result.stdout, "hanet-reloader: stopped\n")
        XCTAssertTrue(result.log.messages.contains("level:1"))
    }

    func testDefaultConfigPathIsUsedWithoutOverride() {
        // /etc/default/hanet-reloader does not exist on a build host.
        let result = invoke(ReloadingAgent.self, ["status"], environment: ["PATH": "/bin"])
        XCTAssertEqual(result.code, 3)
    }

    func testUnknownNameInFile() throws {
        let env = try environment("name=br0\n# comment\nbrdige=br1\nfoo=1\n")
        let result = invoke(["stop"], environment: env)
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["\(env["HANET_CONFIG"]!):3: unknown parameter 'brdige'; also 'foo' (line 4)"])
    }

    func testSyntaxErrorInFile() throws {
        let env = try environment("name=br0\nwhat is this\n")
        let result = invoke(["start"], environment: env)
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["\(env["HANET_CONFIG"]!):2: expected name=value"])
    }

    func testUnreadableConfigIsReported() throws {
        // A directory cannot be read as a file: EISDIR.
        let result = invoke(["start"], environment: ["HANET_CONFIG": directory.path])
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons.first?.hasPrefix("cannot read \(directory.path): "), true)
    }
}

final class RunModeTests: XCTestCase {
    func testDetection() {
        XCTAssertEqual(RunMode.detect(environment: [:]), .lsb)
        XCTAssertEqual(RunMode.detect(environment: ["PATH": "/bin", "HANET_CONFIG": "x"]), .lsb)
        XCTAssertEqual(RunMode.detect(environment: ["OCF_ROOT": "/usr/lib/ocf"]), .ocf)
        XCTAssertEqual(RunMode.detect(environment: ["OCF_RESOURCE_INSTANCE": "r"]), .ocf)
        XCTAssertEqual(RunMode.detect(environment: ["OCF_RESKEY_name": "x"]), .ocf)
    }
}
