import HanetOCF
import XCTest

final class RunnerInvocationTests: XCTestCase {
    func testMissingActionPrintsUsageAndReturnsErrArgs() {
        let result = invoke([])
        XCTAssertEqual(result.code, 2)
        XCTAssertTrue(result.stderr.hasPrefix("usage: fake {start|stop|monitor|block|"), result.stderr)
        XCTAssertEqual(result.exitReasons, ["no action given"])
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.calls.isEmpty)
    }

    func testTwoArgumentsAreErrArgs() {
        let result = invoke(["start", "now"])
        XCTAssertEqual(result.code, 2)
        XCTAssertEqual(result.exitReasons, ["expected one action, got 2 arguments"])
        XCTAssertTrue(result.calls.isEmpty)
    }

    func testUnknownActionIsUnimplementedWithoutConstructingTheAgent() {
        let result = invoke(["frobnicate"])
        XCTAssertEqual(result.code, 3)
        XCTAssertEqual(result.exitReasons, ["unknown action 'frobnicate'"])
        XCTAssertTrue(result.stderr.contains("usage: fake"))
        XCTAssertTrue(result.calls.isEmpty)
    }

    func testUndeclaredReloadIsUnknown() {
        XCTAssertEqual(invoke(["reload"]).code, 3)
    }

    func testMetaDataNeedsNoParametersNoRootAndWritesNothingElse() {
        let result = invoke(["meta-data"], environment: ["LC_ALL": "C"], euid: 189)
        XCTAssertEqual(result.code, 0)
        XCTAssertTrue(result.stdout.hasPrefix("<?xml version=\"1.0\"?>"))
        XCTAssertTrue(result.stdout.contains("<resource-agent name=\"fake\" version=\"2.0\">"))
        XCTAssertEqual(result.stderr, "")
        XCTAssertTrue(result.log.records.isEmpty)
    }

    func testMetaDataIgnoresBrokenParameters() {
        let result = invoke(["meta-data"], extra: ["OCF_RESKEY_bogus": "1", "OCF_RESKEY_mtu": "x"], euid: 1000)
        XCTAssertEqual(result.code, 0)
        XCTAssertTrue(result.log.records.isEmpty)
    }

    func testUsageAndHelpPrintUsageOnStdout() {
        for action in ["usage", "help", "--help"] {
            let result = invoke([action], environment: ["OCF_ROOT": "/usr/lib/ocf"], euid: 1000)
            XCTAssertEqual(result.code, 0, action)
            XCTAssertEqual(
                result.stdout.split(separator: "\n").first,
                "usage: fake {start|stop|monitor|block|validate-all|meta-data|usage|restart|force-reload|status}")
            XCTAssertEqual(result.stderr, "")
            XCTAssertTrue(result.log.records.isEmpty)
        }
    }
}

final class RunnerPrivilegeTests: XCTestCase {
    func testDefaultPrivilegedActionsNeedRoot() {
        for action in ["start", "stop", "restart", "force-reload"] {
            let result = invoke([action], euid: 1000)
            XCTAssertEqual(result.code, 4, action)
            XCTAssertEqual(result.exitReasons, ["action '\(action)' needs root privileges (running as uid 1000)"])
            XCTAssertTrue(result.calls.isEmpty, action)
        }
    }

    func testReadOnlyActionsRunUnprivileged() {
        for action in ["monitor", "status", "validate-all", "block"] {
            XCTAssertEqual(invoke([action], euid: 1000).code, 0, action)
        }
    }

    func testAgentDeclaredPrivilegedAction() {
        let environment = ["OCF_ROOT": "/usr/lib/ocf"]
        XCTAssertEqual(invoke(ReloadingAgent.self, ["reload"], environment: environment, euid: 1000).code, 4)
        XCTAssertEqual(invoke(ReloadingAgent.self, ["reload"], environment: environment, euid: 0).code, 0)
    }
}

final class RunnerStartTests: XCTestCase {
    func testStartSuccessValidatesFirst() {
        let result = invoke(["start"])
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.calls, ["init", "validate", "start"])
        XCTAssertEqual(result.stderr, "")
    }

    func testValidateFailureStopsStart() {
        let result = invoke(["start"], extra: ["FAKE_VALIDATE": "fail:5:no bridge support in kernel"])
        XCTAssertEqual(result.code, 5)
        XCTAssertEqual(result.calls, ["init", "validate"])
        XCTAssertEqual(result.exitReasons, ["no bridge support in kernel"])
    }

    func testThrownAgentFailureIsUsedAsIs() {
        let result = invoke(["start"], extra: ["FAKE_START": "fail:7:interface eth9 missing"])
        XCTAssertEqual(result.code, 7)
        XCTAssertEqual(result.exitReasons, ["interface eth9 missing"])
        XCTAssertEqual(result.stderr, "ocf-exit-reason:interface eth9 missing\n")
    }

    func testFailureIsLoggedOnceAsErrorWithoutStderrEcho() {
        let result = invoke(["start"], extra: ["FAKE_START": "fail:1:boom"])
        XCTAssertEqual(result.code, 1)
        let errors = result.log.records.filter { $0.level == .error }
        XCTAssertEqual(errors.map(\.message), ["boom"])
        XCTAssertEqual(errors.first?.alreadyOnStandardError, true)
        XCTAssertEqual(errors.first?.tag, "fake(p_fake)")
    }

    func testConvertibleErrorIsMappedAndFoldedIntoOneLine() {
        let result = invoke(["start"], extra: ["FAKE_START": "convertible"])
        XCTAssertEqual(result.code, 5)
        XCTAssertEqual(result.exitReasons, ["bridge module not loaded second line"])
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)
    }

    func testOtherErrorIsGenericWithDescription() {
        let result = invoke(["start"], extra: ["FAKE_START": "other"])
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.exitReasons, ["something odd happened"])
    }

    func testInitFailureIsReported() {
        let result = invoke(["start"], extra: ["FAKE_INIT": "fail:6:bad combination"])
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["bad combination"])
        XCTAssertEqual(result.calls, ["init"])
    }

    func testUnknownParameterIsConfigurationError() {
        let result = invoke(["start"], extra: ["OCF_RESKEY_brdige": "br0"])
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["unknown parameter 'brdige'"])
        XCTAssertTrue(result.calls.isEmpty)
    }

    func testSeveralUnknownParametersAreAllNamed() {
        let result = invoke(["validate-all"], extra: ["OCF_RESKEY_b": "1", "OCF_RESKEY_a": "2"])
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["unknown parameters 'a', 'b'"])
    }

    func testMetaAttributesAndTracingAreNotUnknown() {
        let result = invoke(["start"], extra: [
            "OCF_RESKEY_CRM_meta_clone_max": "2", "OCF_RESKEY_CRM_meta_on_node": "n1",
            "OCF_RESKEY_trace_ra": "0",
        ])
        XCTAssertEqual(result.code, 0, result.stderr)
    }

    func testMissingRequiredParameterIsNamed() {
        var environment = ocfEnvironment
        environment["OCF_RESKEY_name"] = nil
        let result = invoke(["start"], environment: environment)
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["parameter 'name': required but not set"])
        XCTAssertTrue(result.calls.isEmpty)
    }

    func testEmptyRequiredParameterCountsAsMissing() {
        let result = invoke(["validate-all"], extra: ["OCF_RESKEY_name": ""])
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["parameter 'name': required but not set"])
    }

    func testInvalidParameterValueFromAccessor() {
        let result = invoke(["start"], extra: ["OCF_RESKEY_mtu": "big"])
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["parameter 'mtu': 'big' is not an integer"])
    }
}

final class RunnerStopTests: XCTestCase {
    func testStopSuccessSkipsValidation() {
        let result = invoke(["stop"])
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.calls, ["init", "stop"])
    }

    func testStopWarnsAboutUnknownParametersAndContinues() {
        let result = invoke(["stop"], extra: ["OCF_RESKEY_bogus": "1"])
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.log.messages(.warning), ["ignoring unknown parameter 'bogus'"])
        XCTAssertEqual(result.calls, ["init", "stop"])
        XCTAssertEqual(result.stderr, "")
    }

    func testStopDoesNotPrecheckRequiredParameters() {
        var environment = ocfEnvironment
        environment["OCF_RESKEY_name"] = nil
        XCTAssertEqual(invoke(["stop"], environment: environment).code, 0)
    }

    func testStopWithUnusableParametersPassesFailureThroughByDefault() {
        let result = invoke(["stop"], extra: ["FAKE_INIT": "fail:6:mode and slaves disagree"])
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons, ["mode and slaves disagree"])
    }

    func testAgentMayDeclareUnconfiguredStopSuccessful() {
        let result = invoke(["stop"], extra: ["FAKE_INIT": "fail:6:bad", "FAKE_STOP_UNCONFIGURED": "success"])
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.stderr, "")
        XCTAssertEqual(result.log.messages(.warning), ["stop with unusable parameters treated as stopped: bad"])
    }

    func testStopFailure() {
        let result = invoke(["stop"], extra: ["FAKE_STOP": "other"])
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.exitReasons, ["something odd happened"])
    }
}

final class RunnerMonitorTests: XCTestCase {
    func testRunning() {
        let result = invoke(["monitor"])
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.stderr, "")
    }

    func testNotRunningHasNoExitReason() {
        let result = invoke(["monitor"], extra: ["FAKE_MONITOR": "return:7"])
        XCTAssertEqual(result.code, 7)
        XCTAssertEqual(result.stderr, "")
    }

    func testExplainedNotRunningKeepsReason() {
        let result = invoke(["monitor"], extra: ["FAKE_MONITOR": "fail:7:eth9 absent"])
        XCTAssertEqual(result.code, 7)
        XCTAssertEqual(result.exitReasons, ["eth9 absent"])
        XCTAssertTrue(result.log.messages(.error).isEmpty)
    }

    /// Before a start, "not running" is every node's expected answer to a
    /// probe: no exit reason (resource-agents' Dummy does the same), only a
    /// debug line. A recurring monitor keeps the reason.
    func testProbeNotRunningPrintsNoExitReason() {
        for script in ["fail:7:eth9 absent", "return:7"] {
            let probe = invoke(["monitor"], extra: ["FAKE_MONITOR": script, "FAKE_MONITOR_REASON": "eth9 absent",
                                                    "OCF_RESKEY_CRM_meta_interval": "0"])
            XCTAssertEqual(probe.code, 7)
            XCTAssertEqual(probe.stderr, "", script)
            XCTAssertTrue(probe.log.messages(.error).isEmpty)
        }
        let recurring = invoke(["monitor"], extra: ["FAKE_MONITOR": "return:7", "FAKE_MONITOR_REASON": "eth9 absent"])
        XCTAssertEqual(recurring.exitReasons, ["eth9 absent"])
    }

    /// A probe's failure (not "not running") keeps its reason.
    func testProbeFailureKeepsReason() {
        let probe = invoke(["monitor"], extra: ["FAKE_MONITOR": "fail:1:bridge xenbr1 is down", "OCF_RESKEY_CRM_meta_interval": "0"])
        XCTAssertEqual(probe.exitReasons, ["bridge xenbr1 is down"])
    }

    func testReturnedFailureGetsGeneratedReason() {
        let result = invoke(["monitor"], extra: ["FAKE_MONITOR": "return:1"])
        XCTAssertEqual(result.code, 1)
        XCTAssertEqual(result.exitReasons, ["monitor failed with OCF_ERR_GENERIC"])
    }

    func testDegradedAndPromotedPassThrough() {
        for code in [190, 191, 8] {
            let result = invoke(["monitor"], extra: ["FAKE_MONITOR": "return:\(code)"])
            XCTAssertEqual(result.code, Int32(code))
            XCTAssertEqual(result.stderr, "")
        }
        XCTAssertEqual(invoke(["monitor"], extra: ["FAKE_MONITOR": "return:9"]).code, 9)
    }

    func testThrownErrorsInMonitor() {
        XCTAssertEqual(invoke(["monitor"], extra: ["FAKE_MONITOR": "convertible"]).code, 5)
        XCTAssertEqual(invoke(["monitor"], extra: ["FAKE_MONITOR": "other"]).code, 1)
    }

    func testProbeDetection() {
        XCTAssertTrue(invoke(["monitor"]).log.messages.contains("probe:false level:0"))
        XCTAssertTrue(invoke(["monitor"], extra: ["OCF_RESKEY_CRM_meta_interval": "0"]).log.messages
            .contains("probe:true level:0"))
        var environment = ocfEnvironment
        environment["OCF_RESKEY_CRM_meta_interval"] = nil
        XCTAssertTrue(invoke(["monitor"], environment: environment).log.messages.contains("probe:true level:0"))
    }

    func testCheckLevel() {
        XCTAssertTrue(invoke(["monitor"], extra: ["OCF_CHECK_LEVEL": "20"]).log.messages.contains("probe:false level:20"))
        let invalid = invoke(["monitor"], extra: ["OCF_CHECK_LEVEL": "deep"])
        XCTAssertEqual(invalid.code, 0)
        XCTAssertTrue(invalid.log.messages.contains("probe:false level:0"))
        XCTAssertEqual(invalid.log.messages(.warning), ["ignoring invalid OCF_CHECK_LEVEL 'deep', using 0"])
    }

    func testMonitorWarnsAboutUnknownParameters() {
        let result = invoke(["monitor"], extra: ["OCF_RESKEY_zzz": "1"])
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.log.messages(.warning), ["ignoring unknown parameter 'zzz'"])
    }

    func testStatusInOCFModeAnswersLikeMonitor() {
        XCTAssertEqual(invoke(["status"], extra: ["FAKE_MONITOR": "return:7"]).code, 7)
    }

    func testMonitorParameterErrorIsReported() {
        let result = invoke(["monitor"], extra: ["OCF_RESKEY_enabled": "maybe"])
        XCTAssertEqual(result.code, 6)
        XCTAssertEqual(result.exitReasons,
                       ["parameter 'enabled': 'maybe' is not a boolean (use yes/no, true/false, on/off or 1/0)"])
    }
}

final class RunnerOtherActionTests: XCTestCase {
    func testValidateAll() {
        let result = invoke(["validate-all"])
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.calls, ["init", "validate"])
        XCTAssertEqual(invoke(["validate-all"], extra: ["FAKE_VALIDATE": "fail:6:nope"]).code, 6)
        XCTAssertEqual(invoke(["validate-all"], extra: ["FAKE_VALIDATE": "convertible"]).code, 5)
    }

    func testRestartValidatesStopsAndStarts() {
        XCTAssertEqual(invoke(["restart"]).calls, ["init", "validate", "stop", "start"])
        let failed = invoke(["restart"], extra: ["FAKE_STOP": "fail:1:busy"])
        XCTAssertEqual(failed.code, 1)
        XCTAssertEqual(failed.calls, ["init", "validate", "stop"])
    }

    func testForceReloadRestartsWithoutReload() {
        XCTAssertEqual(invoke(["force-reload"]).calls, ["init", "validate", "stop", "start"])
    }

    func testForceReloadUsesReloadWhenDeclared() {
        let result = invoke(ReloadingAgent.self, ["force-reload"], environment: ["OCF_ROOT": "/usr/lib/ocf"])
        XCTAssertEqual(result.code, 0)
        XCTAssertEqual(result.calls, ["reload"])
    }

    func testExtraAction() {
        let result = invoke(["block"])
        XCTAssertEqual(result.code, 0)
        XCTAssertTrue(result.log.messages.contains("action:block"))
        XCTAssertEqual(invoke(["block"], extra: ["FAKE_PERFORM": "return:7"]).code, 7)
        XCTAssertEqual(invoke(["block"], extra: ["FAKE_PERFORM": "fail:1:blocked"]).exitReasons, ["blocked"])
    }

    func testExtraActionIsStrictAboutParameters() {
        XCTAssertEqual(invoke(["block"], extra: ["OCF_RESKEY_bogus": "1"]).code, 6)
    }

    func testExtraActionReturningNilIsUnimplemented() {
        let result = invoke(["block"], extra: ["FAKE_PERFORM": "nil"])
        XCTAssertEqual(result.code, 3)
        XCTAssertEqual(result.exitReasons, ["action 'block' is not implemented"])
    }

    func testDebugLoggingOnlyWhenTracing() {
        XCTAssertTrue(invoke(["monitor"]).log.messages(.debug).isEmpty)
        XCTAssertEqual(invoke(["monitor"], extra: ["OCF_TRACE_RA": "1"]).log.messages(.debug),
                       ["monitor finished: OCF_SUCCESS"])
        XCTAssertEqual(invoke(["monitor"], extra: ["HA_debug": "1"]).log.messages(.debug).count, 1)
    }
}

final class MultiCallTests: XCTestCase {
    let agents: [any ResourceAgent.Type] = [FakeAgent.self, ReloadingAgent.self]

    func testSelectsByInvocationName() {
        func pick(_ name: String) -> String? { AgentRunner.agent(invokedAs: name, among: agents)?.metadata.name }
        XCTAssertEqual(pick("/usr/lib/ocf/resource.d/hanet/fake"), "fake")
        XCTAssertEqual(pick("fake"), "fake")
        XCTAssertEqual(pick("/etc/init.d/hanet-reloader"), "reloader")
        XCTAssertEqual(pick("/etc/rc2.d/S20hanet-fake"), "fake")
        XCTAssertEqual(pick("K01hanet-fake"), "fake")
        XCTAssertNil(pick("hanet-agent"))
        XCTAssertNil(pick("Sfake"))
        XCTAssertNil(pick(""))
    }

    func testRunsSelectedAgent() {
        let console = CapturingConsole()
        let host = AgentHost(effectiveUserID: 1000, console: console, logSink: CapturingLogSink())
        let code = AgentRunner.runMultiCall(
            agents, argv: ["/usr/lib/ocf/resource.d/hanet/reloader", "meta-data"], environment: [:], host: host)
        XCTAssertEqual(code, 0)
        XCTAssertTrue(console.stdout.contains("name=\"reloader\""))
    }

    func testAgentNameAsFirstArgument() {
        let console = CapturingConsole()
        let host = AgentHost(effectiveUserID: 1000, console: console, logSink: CapturingLogSink())
        let code = AgentRunner.runMultiCall(agents, argv: ["hanet-agent", "fake", "usage"], environment: [:], host: host)
        XCTAssertEqual(code, 0)
        XCTAssertTrue(console.stdout.hasPrefix("usage: hanet-fake {"), console.stdout)
    }

    func testUnknownNameListsAgents() {
        let console = CapturingConsole()
        let host = AgentHost(effectiveUserID: 0, console: console, logSink: CapturingLogSink())
        let code = AgentRunner.runMultiCall(agents, argv: ["/usr/bin/hanet-agent", "start"], environment: [:], host: host)
        XCTAssertEqual(code, 2)
        XCTAssertEqual(console.stderr,
                       "usage: hanet-agent <agent> <action>, or run it as one of: fake, reloader (or hanet-fake, hanet-reloader)\n")
    }
}
