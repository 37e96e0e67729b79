import HanetOCF
import XCTest

final class ExitCodeTests: XCTestCase {
    func testOCFValues() {
        let codes: [(OCFExitCode, Int32, String)] = [
            (.success, 0, "OCF_SUCCESS"), (.errGeneric, 1, "OCF_ERR_GENERIC"), (.errArgs, 2, "OCF_ERR_ARGS"),
            (.errUnimplemented, 3, "OCF_ERR_UNIMPLEMENTED"), (.errPerm, 4, "OCF_ERR_PERM"),
            (.errInstalled, 5, "OCF_ERR_INSTALLED"), (.errConfigured, 6, "OCF_ERR_CONFIGURED"),
            (.notRunning, 7, "OCF_NOT_RUNNING"), (.runningPromoted, 8, "OCF_RUNNING_PROMOTED"),
            (.failedPromoted, 9, "OCF_FAILED_PROMOTED"), (.degraded, 190, "OCF_DEGRADED"),
            (.degradedPromoted, 191, "OCF_DEGRADED_PROMOTED"),
        ]
        for (code, value, name) in codes {
            XCTAssertEqual(code.rawValue, value)
            XCTAssertEqual(code.description, name)
            XCTAssertEqual(OCFExitCode(rawValue: value), code)
        }
        XCTAssertEqual(OCFExitCode(42).name, "OCF exit code 42")
    }

    func testClassification() {
        XCTAssertTrue(OCFExitCode.degraded.isRunning)
        XCTAssertFalse(OCFExitCode.degraded.isFailure)
        XCTAssertFalse(OCFExitCode.notRunning.isFailure)
        XCTAssertFalse(OCFExitCode.notRunning.isRunning)
        XCTAssertTrue(OCFExitCode.failedPromoted.isFailure)
        XCTAssertTrue(OCFExitCode.errConfigured.isFailure)
    }

    func testLSBStatusMapping() {
        let table: [(OCFExitCode, LSBExitCode)] = [
            (.success, .statusRunning), (.degraded, .statusRunning), (.runningPromoted, .statusRunning),
            (.degradedPromoted, .statusRunning), (.notRunning, .statusStopped),
            (.errGeneric, .statusDeadWithPidFile), (.failedPromoted, .statusDeadWithPidFile),
            (.errPerm, .statusUnknown), (.errConfigured, .statusUnknown), (.errInstalled, .statusUnknown),
            (.errArgs, .statusUnknown), (.errUnimplemented, .statusUnknown), (OCFExitCode(99), .statusUnknown),
        ]
        for (ocf, lsb) in table {
            XCTAssertEqual(LSBExitCode(status: ocf), lsb, ocf.name)
            XCTAssertEqual(LSBExitCode(ocf, action: "status"), lsb, ocf.name)
            XCTAssertEqual(LSBExitCode(ocf, action: "monitor"), lsb, ocf.name)
        }
        XCTAssertEqual(LSBExitCode.statusStopped.rawValue, 3)
        XCTAssertEqual(LSBExitCode.statusUnknown.rawValue, 4)
        XCTAssertEqual(LSBExitCode.statusDeadWithPidFile.rawValue, 1)
    }

    func testLSBActionMapping() {
        for value in Int32(0)...7 {
            XCTAssertEqual(LSBExitCode(OCFExitCode(value), action: "start").rawValue, value)
        }
        XCTAssertEqual(LSBExitCode(.notRunning, action: "stop"), .success)
        XCTAssertEqual(LSBExitCode(.notRunning, action: "restart"), .notRunning)
        XCTAssertEqual(LSBExitCode(.degraded, action: "start"), .success)
        XCTAssertEqual(LSBExitCode(.runningPromoted, action: "start"), .success)
        XCTAssertEqual(LSBExitCode(.failedPromoted, action: "start"), .errGeneric)
        XCTAssertEqual(LSBExitCode(OCFExitCode(42), action: "start"), .errGeneric)
        XCTAssertEqual(LSBExitCode(.errInstalled, action: "start"), .errInstalled)
        XCTAssertEqual(LSBExitCode(.errPerm, action: "force-reload"), .errPerm)
    }
}

final class AgentFailureTests: XCTestCase {
    func testMapping() {
        let failure = AgentFailure(.notRunning, "gone")
        XCTAssertEqual(AgentFailure(failure as any Error), failure)
        XCTAssertEqual(AgentFailure(FakeKernelError()), AgentFailure(.errInstalled, "bridge module not loaded\nsecond line"))
        XCTAssertEqual(AgentFailure(FakeOtherError()), AgentFailure(.errGeneric, "something odd happened"))
    }

    func testConvenience() {
        XCTAssertEqual(AgentFailure.parameter("mtu", "too big"), AgentFailure(.errConfigured, "parameter 'mtu': too big"))
        XCTAssertEqual(AgentFailure.installed("x").code, .errInstalled)
        XCTAssertEqual(AgentFailure.notRunning("x").code, .notRunning)
        XCTAssertEqual(AgentFailure.configured("x").code, .errConfigured)
        XCTAssertEqual(AgentFailure.generic("x").code, .errGeneric)
        XCTAssertEqual(AgentFailure.perm("x").code, .errPerm)
        XCTAssertEqual(AgentFailure.args("x").code, .errArgs)
        XCTAssertEqual(AgentFailure.unimplemented("x").code, .errUnimplemented)
        XCTAssertEqual(AgentFailure(code: .errPerm, reason: "r").description, "OCF_ERR_PERM: r")
    }

    func testExitReasonLine() {
        XCTAssertEqual(AgentRunner.exitReasonLine("simple"), "ocf-exit-reason:simple\n")
        XCTAssertEqual(AgentRunner.exitReasonLine("  two\nlines\r\n\tand  tabs \n"), "ocf-exit-reason:two lines and  tabs\n")
        XCTAssertEqual(AgentRunner.exitReasonLine(""), "ocf-exit-reason:\n")
    }
}
