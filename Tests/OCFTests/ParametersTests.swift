@testable import HanetOCF
import XCTest

final class ParametersTests: XCTestCase {
    enum Mode: String, CaseIterable { case activeBackup = "active-backup", balanceRR = "balance-rr", lacp = "802.3ad" }

    func parameters(_ values: [String: String]) -> Parameters {
        Parameters(values: values, specs: FakeAgent.metadata.parameters)
    }

    func assertFailure<T>(_ body: @autoclosure () throws(AgentFailure) -> T, _ reason: String,
                          file: StaticString = #filePath, line: UInt = #line) {
        do {
            let value = try body()
            XCTFail("expected failure, got \(value)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.code, .errConfigured, file: file, line: line)
            XCTAssertEqual(error.reason, reason, file: file, line: line)
        }
    }

    func testStringsAndDefaults() throws {
        let p = parameters(["name": "br0", "note": ""])
        XCTAssertEqual(try p.string("name"), "br0")
        XCTAssertEqual(try p.string("mode"), "active-backup")
        XCTAssertNil(try p.optionalString("note"))
        XCTAssertNil(try p.optionalString("slaves"))
        XCTAssertTrue(p.isSet("name"))
        XCTAssertFalse(p.isSet("note"))
        XCTAssertFalse(p.isSet("mode"))
        assertFailure(try p.string("note"), "parameter 'note': not set")
        assertFailure(try parameters([:]).string("name"), "parameter 'name': required but not set")
    }

    func testUndeclaredNameIsAProgrammingError() {
        XCTAssertThrowsError(try parameters([:]).string("nope")) { error in
            XCTAssertEqual((error as? AgentFailure)?.code, .errGeneric)
        }
    }

    func testBooleans() throws {
        for text in ["yes", "YES", "true", "True", "1", "on", "On", "y", "Y", " yes "] {
            XCTAssertEqual(Parameters.parseBoolean(text), true, text)
            XCTAssertEqual(try parameters(["enabled": text]).bool("enabled"), true, text)
        }
        for text in ["no", "NO", "false", "FALSE", "0", "off", "OFF", "n", "N"] {
            XCTAssertEqual(Parameters.parseBoolean(text), false, text)
            XCTAssertEqual(try parameters(["enabled": text]).bool("enabled"), false, text)
        }
        XCTAssertEqual(try parameters([:]).bool("enabled"), true)
        XCTAssertNil(try parameters([:]).optionalBool("note"))
        for text in ["maybe", "2", "ja", "yess"] {
            assertFailure(try parameters(["enabled": text]).bool("enabled"),
                          "parameter 'enabled': '\(text)' is not a boolean (use yes/no, true/false, on/off or 1/0)")
        }
    }

    func testIntegers() throws {
        XCTAssertEqual(try parameters([:]).integer("mtu"), 1500)
        XCTAssertEqual(try parameters(["mtu": "9000"]).integer("mtu", in: 68...9000), 9000)
        XCTAssertEqual(try parameters(["mtu": " 68 "]).integer("mtu", in: 68...9000), 68)
        XCTAssertEqual(try parameters(["mtu": "-5"]).integer("mtu"), -5)
        assertFailure(try parameters(["mtu": "12a"]).integer("mtu"), "parameter 'mtu': '12a' is not an integer")
        assertFailure(try parameters(["mtu": "99999999999999999999999"]).integer("mtu"),
                      "parameter 'mtu': '99999999999999999999999' is not an integer")
        assertFailure(try parameters(["mtu": "67"]).integer("mtu", in: 68...9000),
                      "parameter 'mtu': 67 is out of range (68 to 9000)")
        assertFailure(try parameters(["mtu": "9001"]).optionalInteger("mtu", in: 68...9000),
                      "parameter 'mtu': 9001 is out of range (68 to 9000)")
        XCTAssertNil(try parameters([:]).optionalInteger("note"))
    }

    func testEnumerations() throws {
        XCTAssertEqual(try parameters([:]).enumeration("mode"), "active-backup")
        XCTAssertEqual(try parameters(["mode": "802.3ad"]).enumeration("mode"), "802.3ad")
        XCTAssertEqual(try parameters(["mode": "balance-rr"]).enumeration("mode", as: Mode.self), .balanceRR)
        XCTAssertEqual(try parameters(["note": "b"]).enumeration("note", choices: ["a", "b"]), "b")
        assertFailure(try parameters(["mode": "LACP"]).enumeration("mode"),
                      "parameter 'mode': 'LACP' is not one of active-backup, balance-rr, 802.3ad")
        assertFailure(try parameters(["mode": "x"]).enumeration("mode", as: Mode.self),
                      "parameter 'mode': 'x' is not one of active-backup, balance-rr, 802.3ad")
    }

    func testLists() throws {
        XCTAssertEqual(try parameters(["slaves": "eth0 eth1"]).list("slaves"), ["eth0", "eth1"])
        XCTAssertEqual(try parameters(["slaves": "eth0,eth1"]).list("slaves"), ["eth0", "eth1"])
        XCTAssertEqual(try parameters(["slaves": " eth0 ,\teth1,, eth2 "]).list("slaves"), ["eth0", "eth1", "eth2"])
        XCTAssertEqual(try parameters([:]).list("slaves"), [])
        XCTAssertEqual(try parameters(["slaves": ""]).list("slaves"), [])
    }

    func testUnknownAndMissing() {
        let p = parameters(["bogus": "1", "another": "", "trace_ra": "1", "trace_file": "/tmp/t", "crm_feature_set": "3.16.2"])
        XCTAssertEqual(p.unknownNames, ["another", "bogus"])
        XCTAssertEqual(p.missingRequiredNames, ["name"])
        XCTAssertEqual(parameters(["name": "x"]).missingRequiredNames, [])
    }
}

final class ContextTests: XCTestCase {
    func testParameterAndMetaSplitting() {
        let env = [
            "OCF_RESKEY_name": "br0", "OCF_RESKEY_CRM_meta_interval": "10000",
            "OCF_RESKEY_CRM_meta_clone_max": "2", "OCF_ROOT": "/usr/lib/ocf", "OCF_RESKEY_": "empty",
        ]
        XCTAssertEqual(AgentContext.parameterValues(environment: env), ["name": "br0", "": "empty"])
        XCTAssertEqual(AgentContext.metaAttributes(environment: env), ["interval": "10000", "clone_max": "2"])
    }

    func testCheckLevelParsing() {
        XCTAssertEqual(AgentContext.parseCheckLevel(nil), 0)
        XCTAssertEqual(AgentContext.parseCheckLevel(""), 0)
        XCTAssertEqual(AgentContext.parseCheckLevel("10"), 10)
        XCTAssertEqual(AgentContext.parseCheckLevel(" 20 "), 20)
        XCTAssertNil(AgentContext.parseCheckLevel("-1"))
        XCTAssertNil(AgentContext.parseCheckLevel("deep"))
    }

    func makeContext(_ action: String, _ environment: [String: String]) throws -> AgentContext {
        let log = OCFLog(tag: "t", sink: CapturingLogSink())
        return try AgentRunner.makeContext(
            FakeAgent.self, action: action, mode: .ocf, instance: environment["OCF_RESOURCE_INSTANCE"],
            environment: environment, log: log)
    }

    func testContextFromEnvironment() throws {
        let context = try makeContext("monitor", ocfEnvironment.merging([
            "OCF_CHECK_LEVEL": "10", "HA_RSCTMP": "/tmp/rsc", "OCF_RESKEY_CRM_meta_notify": "true",
        ]) { $1 })
        XCTAssertEqual(context.action, "monitor")
        XCTAssertEqual(context.mode, .ocf)
        XCTAssertEqual(context.instance, "p_fake")
        XCTAssertEqual(context.interval, .seconds(10))
        XCTAssertEqual(context.timeout, .seconds(20))
        XCTAssertEqual(context.checkLevel, 10)
        XCTAssertEqual(context.stateDirectory, "/tmp/rsc")
        XCTAssertEqual(context.meta["notify"], "true")
        XCTAssertEqual(context.parameters.values, ["name": "br0"])
        XCTAssertFalse(context.isProbe)
        XCTAssertEqual(context.stateName(agent: "fake"), "p_fake")
    }

    func testDefaultsAndProbe() throws {
        let context = try makeContext("monitor", ["OCF_ROOT": "/usr/lib/ocf"])
        XCTAssertEqual(context.interval, .zero)
        XCTAssertNil(context.timeout)
        XCTAssertEqual(context.checkLevel, 0)
        XCTAssertEqual(context.stateDirectory, "/run/resource-agents")
        XCTAssertTrue(context.isProbe)
        XCTAssertEqual(context.stateName(agent: "fake"), "hanet-fake")
        XCTAssertFalse(try makeContext("start", ["OCF_RESKEY_name": "x"]).isProbe)
    }

    func testAbsentResourceFailure() throws {
        XCTAssertEqual(try makeContext("monitor", ["OCF_ROOT": "/"]).absent("no eth9"), .notRunning("no eth9"))
        XCTAssertEqual(try makeContext("status", ["OCF_ROOT": "/"]).absent("no eth9").code, .notRunning)
        XCTAssertEqual(try makeContext("start", ["OCF_RESKEY_name": "x"]).absent("no eth9"), .installed("no eth9"))
        XCTAssertEqual(try makeContext("validate-all", ["OCF_RESKEY_name": "x"]).absent("x").code, .errInstalled)
    }

    func testInvalidIntervalIsTreatedAsZero() throws {
        let context = try makeContext("monitor", ["OCF_RESKEY_CRM_meta_interval": "soon"])
        XCTAssertTrue(context.isProbe)
    }

    func testDurationFormatting() {
        XCTAssertEqual(Duration.seconds(20).ocfTimeString, "20s")
        XCTAssertEqual(Duration.milliseconds(1500).ocfTimeString, "1500ms")
        XCTAssertEqual(Duration.zero.ocfTimeString, "0s")
        XCTAssertEqual(Duration.ocfMilliseconds("250"), .milliseconds(250))
        XCTAssertNil(Duration.ocfMilliseconds("-1"))
        XCTAssertNil(Duration.ocfMilliseconds(nil))
    }
}
