import Foundation
import HanetOCF
import XCTest

/// Captures stdout and stderr of a run.
final class CapturingConsole: AgentConsole, @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    func standardOutput(_ text: String) { lock.withLock { out += text } }
    func standardError(_ text: String) { lock.withLock { err += text } }
    var stdout: String { lock.withLock { out } }
    var stderr: String { lock.withLock { err } }
}

/// Captures log records instead of sending them to syslog.
final class CapturingLogSink: LogSink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [LogRecord] = []

    func write(_ record: LogRecord) { lock.withLock { stored.append(record) } }
    var records: [LogRecord] { lock.withLock { stored } }
    var messages: [String] { records.map(\.message) }
    func messages(_ level: LogLevel) -> [String] { records.filter { $0.level == level }.map(\.message) }
}

/// A lower-layer error that knows its OCF code, like the netlink errors
/// the Agents layer will conform.
struct FakeKernelError: OCFErrorConvertible {
    var ocfExitCode: OCFExitCode { .errInstalled }
    var ocfReason: String { "bridge module not loaded\nsecond line" }
}

/// Any other error.
struct FakeOtherError: Error, CustomStringConvertible {
    var description: String { "something odd happened" }
}

/// A scripted agent: environment variables FAKE_<PHASE> choose each phase's
/// behaviour, and every call is logged ("call:start") so tests can check
/// the sequence.
///
/// Behaviours: `ok`, `return:<code>` (monitor/perform), `fail:<code>:<reason>`
/// (throws AgentFailure), `convertible`, `other`, `nil` (perform).
struct FakeAgent: ResourceAgent {
    static let metadata = AgentMetadata(
        name: "fake",
        version: "2.0",
        shortDescription: "Fake agent for tests",
        longDescription: "Manages nothing at all.\n\nIt exists to exercise the runtime.",
        parameters: [
            ParameterSpec(name: "name", required: true, unique: true,
                          shortDescription: "Interface name", longDescription: "The interface to manage."),
            ParameterSpec(name: "enabled", type: .boolean, defaultValue: "yes",
                          shortDescription: "Whether enabled"),
            ParameterSpec(name: "mtu", type: .integer, defaultValue: "1500", reloadable: true,
                          shortDescription: "MTU"),
            ParameterSpec(name: "mode", defaultValue: "active-backup",
                          shortDescription: "Bonding mode", choices: ["active-backup", "balance-rr", "802.3ad"]),
            ParameterSpec(name: "slaves", shortDescription: "Ports"),
            ParameterSpec(name: "note", shortDescription: "A <note> & \"quotes\" 'too'",
                          longDescription: "Text with <xml> & \"special\" 'chars'."),
        ],
        actions: ActionSpec.standard + [
            ActionSpec(name: "block", timeout: .seconds(10), summary: "Blocks traffic."),
        ]
    )

    let context: AgentContext
    let name: String?
    let mtu: Int
    let enabled: Bool
    let slaves: [String]

    init(context: AgentContext) throws {
        self.context = context
        try Self.behave("INIT", context: context)
        name = try context.parameters.optionalString("name")
        mtu = try context.parameters.integer("mtu", in: 68...9000)
        enabled = try context.parameters.bool("enabled")
        _ = try context.parameters.enumeration("mode")
        slaves = try context.parameters.list("slaves")
    }

    func validate() throws { try Self.behave("VALIDATE", context: context) }
    func start() throws { try Self.behave("START", context: context) }
    func stop() throws { try Self.behave("STOP", context: context) }

    func monitor() throws -> ActionResult {
        context.log.info("probe:\(context.isProbe) level:\(context.checkLevel)")
        if let reason = context.environment["FAKE_MONITOR_REASON"], let code = try Self.behave("MONITOR", context: context) {
            return ActionResult(code, reason)
        }
        return ActionResult(try Self.behave("MONITOR", context: context) ?? .success)
    }

    func perform(action: String) throws -> OCFExitCode? {
        context.log.info("action:\(action)")
        if context.environment["FAKE_PERFORM"] == "nil" { return nil }
        return try Self.behave("PERFORM", context: context) ?? .success
    }

    static func stopWhenUnconfigured(_ failure: AgentFailure, context: AgentContext) -> OCFExitCode {
        context.environment["FAKE_STOP_UNCONFIGURED"] == "success" ? .success : failure.code
    }

    @discardableResult
    static func behave(_ phase: String, context: AgentContext) throws -> OCFExitCode? {
        context.log.info("call:\(phase.lowercased())")
        let script = context.environment["FAKE_\(phase)"] ?? "ok"
        let parts = script.split(separator: ":", maxSplits: 2).map(String.init)
        switch parts[0] {
        case "return": return OCFExitCode(Int32(parts[1])!)
        case "fail": throw AgentFailure(OCFExitCode(Int32(parts[1])!), parts.count > 2 ? parts[2] : "")
        case "convertible": throw FakeKernelError()
        case "other": throw FakeOtherError()
        default: return nil
        }
    }
}

/// An agent without required parameters that can reload.
struct ReloadingAgent: ResourceAgent {
    static let metadata = AgentMetadata(
        name: "reloader",
        shortDescription: "Reloading agent",
        longDescription: "Reloads.",
        parameters: [ParameterSpec(name: "level", type: .integer, defaultValue: "1", shortDescription: "Level"),
                     ParameterSpec(name: "name", shortDescription: "Name")].markingReloadable(["level"]),
        actions: ActionSpec.standard + [ActionSpec(name: "reload", timeout: .seconds(5)), .reloadAgent()],
        privilegedActions: ["start", "stop", "restart", "force-reload", "reload", "reload-agent"]
    )

    let context: AgentContext
    init(context: AgentContext) throws { self.context = context }
    func start() throws { context.log.info("call:start") }
    func stop() throws { context.log.info("call:stop") }
    func monitor() throws -> ActionResult {
        context.log.info("level:\(try context.parameters.integer("level"))")
        return ActionResult(.notRunning)
    }
    func perform(action: String) throws -> OCFExitCode? {
        context.log.info("call:\(action)")
        return action == "reload" || action == "reload-agent" ? .success : nil
    }
}

/// The result of one runner invocation.
struct RunResult {
    var code: Int32
    var stdout: String
    var stderr: String
    var log: CapturingLogSink

    var calls: [String] { log.messages.filter { $0.hasPrefix("call:") }.map { String($0.dropFirst(5)) } }

    /// The `ocf-exit-reason:` lines on stderr, prefix removed.
    var exitReasons: [String] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("ocf-exit-reason:") }
            .map { String($0.dropFirst("ocf-exit-reason:".count)) }
    }
}

/// A Pacemaker-like environment for the fake agent.
let ocfEnvironment: [String: String] = [
    "OCF_ROOT": "/usr/lib/ocf",
    "OCF_RESOURCE_INSTANCE": "p_fake",
    "OCF_RESKEY_name": "br0",
    "OCF_RESKEY_CRM_meta_interval": "10000",
    "OCF_RESKEY_CRM_meta_timeout": "20000",
]

func invoke(
    _ arguments: [String], environment: [String: String] = ocfEnvironment,
    extra: [String: String] = [:], euid: UInt32 = 0
) -> RunResult {
    invoke(FakeAgent.self, arguments, environment: environment, extra: extra, euid: euid)
}

func invoke<A: ResourceAgent>(
    _ agent: A.Type, _ arguments: [String], environment: [String: String] = ocfEnvironment,
    extra: [String: String] = [:], euid: UInt32 = 0
) -> RunResult {
    let console = CapturingConsole()
    let sink = CapturingLogSink()
    let host = AgentHost(effectiveUserID: euid, console: console, logSink: sink)
    let code = AgentRunner.run(
        agent, arguments: arguments, environment: environment.merging(extra) { $1 }, host: host)
    return RunResult(code: code, stdout: console.stdout, stderr: console.stderr, log: sink)
}

/// A temporary directory removed after the test.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ocftests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}
