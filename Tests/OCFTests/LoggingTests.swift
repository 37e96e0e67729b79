import Foundation
@testable import HanetOCF
import XCTest

final class LoggingTests: XCTestCase {
    func testTag() {
        XCTAssertEqual(OCFLog.tag(agent: "bridge", instance: "br0"), "bridge(br0)")
        XCTAssertEqual(OCFLog.tag(agent: "bridge", instance: nil), "bridge")
        XCTAssertEqual(OCFLog.tag(agent: "bridge", instance: ""), "bridge")
    }

    func testDebugSwitches() {
        XCTAssertFalse(OCFLog.debugEnabled(environment: [:]))
        XCTAssertFalse(OCFLog.debugEnabled(environment: ["HA_debug": "0", "OCF_TRACE_RA": "no"]))
        XCTAssertFalse(OCFLog.debugEnabled(environment: ["HA_debug": ""]))
        XCTAssertTrue(OCFLog.debugEnabled(environment: ["HA_debug": "1"]))
        XCTAssertTrue(OCFLog.debugEnabled(environment: ["OCF_TRACE_RA": "yes"]))
        XCTAssertTrue(OCFLog.debugEnabled(environment: ["OCF_RESKEY_trace_ra": "1"]))
    }

    func testLevelsAndDebugGating() {
        let sink = CapturingLogSink()
        var log = OCFLog(tag: "fake(r)", sink: sink)
        log.error("e")
        log.warning("w\nmore")
        log.info("i")
        log.debug("hidden")
        log.debugEnabled = true
        log.debug("shown")
        XCTAssertEqual(sink.records.map(\.level), [.error, .warning, .info, .debug])
        XCTAssertEqual(sink.messages, ["e", "w more", "i", "shown"])
        XCTAssertEqual(Set(sink.records.map(\.tag)), ["fake(r)"])
        XCTAssertEqual(LogLevel.allCases.map(\.syslogPriority), [3, 4, 6, 7])
        XCTAssertEqual(LogLevel.allCases.map(\.label), ["ERROR", "WARNING", "INFO", "DEBUG"])
        XCTAssertTrue(LogLevel.error < LogLevel.debug)
    }

    func testFacilityNames() {
        XCTAssertEqual(SystemLogSink.facility(named: nil), 3 << 3)
        XCTAssertEqual(SystemLogSink.facility(named: ""), 3 << 3)
        XCTAssertEqual(SystemLogSink.facility(named: "daemon"), 3 << 3)
        XCTAssertEqual(SystemLogSink.facility(named: "LOCAL7"), 23 << 3)
        XCTAssertEqual(SystemLogSink.facility(named: "user"), 1 << 3)
        XCTAssertEqual(SystemLogSink.facility(named: "typo"), 3 << 3)
        XCTAssertNil(SystemLogSink.facility(named: "none"))
    }

    func testSinkFromEnvironment() {
        let sink = SystemLogSink(environment: [
            "HA_LOGFACILITY": "local2", "HA_LOGFILE": "/tmp/a", "HA_DEBUGLOG": "", "HA_DATEFMT": "%s ",
        ])
        XCTAssertEqual(sink.facility, 18 << 3)
        XCTAssertEqual(sink.logFile, "/tmp/a")
        XCTAssertNil(sink.debugLog)
        XCTAssertEqual(sink.dateFormat, "%s ")
        XCTAssertEqual(SystemLogSink(environment: [:]).dateFormat, "%b %d %T ")
    }

    func testLineLayouts() {
        let record = LogRecord(level: .info, message: "hello", tag: "bridge(br0)")
        XCTAssertEqual(SystemLogSink.logFileLine(date: "Jan 01 10:00:00 ", tag: "bridge(br0)", pid: 42, record: record),
                       "Jan 01 10:00:00  bridge(br0)[42]:    INFO: hello\n")
        XCTAssertEqual(SystemLogSink.debugLogLine(date: "Jan 01 10:00:00 ", tag: "bridge(br0)", pid: 42, record: record),
                       "bridge(br0)[42]:\tJan 01 10:00:00 INFO: hello\n")
    }

    func testLogFileAppendsAndDebugLogGetsDebug() throws {
        let directory = try temporaryDirectory(self)
        let logFile = directory.appendingPathComponent("ha-log").path
        let debugLog = directory.appendingPathComponent("ha-debug").path
        try "existing line\n".write(toFile: logFile, atomically: true, encoding: .utf8)
        let sink = SystemLogSink(facility: nil, logFile: logFile, debugLog: debugLog, dateFormat: "DATE ")
        let log = OCFLog(tag: "fake(r)", debugEnabled: true, sink: sink)
        log.info("first")
        log.error("second")
        log.debug("details")
        let pid = getpid()
        XCTAssertEqual(try String(contentsOfFile: logFile, encoding: .utf8), """
            existing line
            DATE  fake(r)[\(pid)]:    INFO: first
            DATE  fake(r)[\(pid)]:    ERROR: second

            """)
        XCTAssertEqual(try String(contentsOfFile: debugLog, encoding: .utf8), """
            fake(r)[\(pid)]:\tDATE INFO: first
            fake(r)[\(pid)]:\tDATE ERROR: second
            fake(r)[\(pid)]:\tDATE DEBUG: details

            """)
    }

    func testSameFileForBothLogsGetsEachLineOnce() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("log").path
        let sink = SystemLogSink(facility: nil, logFile: path, debugLog: path, dateFormat: "D ")
        let log = OCFLog(tag: "t", debugEnabled: true, sink: sink)
        log.info("a")
        log.debug("b")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
    }

    func testRunnerLogsToInjectedSinkWithHALogFileUntouched() throws {
        let path = try temporaryDirectory(self).appendingPathComponent("untouched").path
        let result = invoke(["start"], extra: ["HA_LOGFILE": path, "FAKE_START": "fail:1:x"])
        XCTAssertEqual(result.code, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}

final class SourceHygieneTests: XCTestCase {
    /// Agents start every few seconds; Foundation would double that time.
    /// Every library module an agent links is checked, not only the runtime.
    func testNoLibraryModuleImportsFoundation() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for module in ["HanetSystem", "HanetNetlink", "HanetLinks", "HanetFirewall", "HanetHost", "HanetOCF", "HanetAgents", "hanet-agent"] {
            let sources = root.appendingPathComponent("Sources/" + module)
            let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
            XCTAssertFalse(files.isEmpty, module)
            for file in files {
                let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
                XCTAssertFalse(text.contains("import Foundation"), "\(module)/\(file)")
                XCTAssertFalse(text.contains("fatalError("), "\(module)/\(file)")
            }
        }
    }

    /// The host logic is a library of its own: it must not know about OCF.
    func testHostModuleDoesNotImportTheAgentRuntime() throws {
        let sources = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/HanetHost")
        for file in try FileManager.default.contentsOfDirectory(atPath: sources.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            XCTAssertFalse(text.contains("import HanetOCF"), file)
            XCTAssertFalse(text.contains("AgentFailure"), file)
            XCTAssertFalse(text.contains("OCFExitCode"), file)
        }
    }
}
