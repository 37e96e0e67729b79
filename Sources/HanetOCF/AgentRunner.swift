import Glibc

/// Runs one agent invocation from argv and environment to exit code.
///
/// All protocol duties live here so the three agents cannot differ in
/// them: argument checking, meta-data and usage without touching the
/// system, the root check, parameter sources (OCF environment or LSB file),
/// unknown and missing parameters, error-to-exit-code mapping, exactly one
/// `ocf-exit-reason:` line per failure, and LSB code translation.
public enum AgentRunner {
    /// Runs `arguments` (without the program name) and returns the exit
    /// code; never exits, so tests and the multi-call binary can use it.
    public static func run<A: ResourceAgent>(
        _ agent: A.Type, arguments: [String], environment: [String: String], host: AgentHost = .system
    ) -> Int32 {
        let metadata = A.metadata
        let mode = RunMode.detect(environment: environment)
        let console = host.console
        // Only printed on a usage error: monitor must not pay for the text.
        var usage: String { metadata.usage(program: mode == .lsb ? metadata.lsbName : metadata.name) }

        guard arguments.count == 1, let action = arguments.first else {
            console.standardError(usage)
            let reason = arguments.isEmpty ? "no action given" : "expected one action, got \(arguments.count) arguments"
            console.standardError(exitReasonLine(reason))
            return OCFExitCode.errArgs.rawValue
        }
        switch action {
        case "meta-data":
            console.standardOutput(MetadataXML.render(metadata))
            return OCFExitCode.success.rawValue
        case "usage", "help", "--help", "-h":
            console.standardOutput(usage)
            return OCFExitCode.success.rawValue
        default:
            break
        }
        guard metadata.supportedActions.contains(action) else {
            console.standardError(usage)
            console.standardError(exitReasonLine("unknown action '\(action)'"))
            return OCFExitCode.errUnimplemented.rawValue
        }

        let instance = environment["OCF_RESOURCE_INSTANCE"].flatMap { $0.isEmpty ? nil : $0 }
        let log = OCFLog(
            tag: OCFLog.tag(agent: mode == .lsb ? metadata.lsbName : metadata.name, instance: instance),
            debugEnabled: OCFLog.debugEnabled(environment: environment),
            sink: host.logSink ?? SystemLogSink(environment: environment))

        var outcome: Outcome
        if metadata.privilegedActions.contains(action) && host.effectiveUserID != 0 {
            outcome = Outcome(.errPerm, "action '\(action)' needs root privileges (running as uid \(host.effectiveUserID))")
        } else {
            do {
                let context = try makeContext(
                    A.self, action: action, mode: mode, instance: instance, environment: environment, log: log)
                outcome = dispatch(A.self, context: context)
            } catch {
                outcome = Outcome(failure: error)
            }
        }
        log.debug("\(action) finished: \(outcome.code.name)")
        // A probe's "not running" is the expected answer before a start:
        // no exit reason, as resource-agents' Dummy does.
        if outcome.code == .notRunning, mode == .ocf, isProbe(action: action, environment: environment) {
            if let reason = outcome.reason { log.debug(reason) }
            outcome.reason = nil
        }

        if let reason = outcome.exitReason(action: action) {
            console.standardError(exitReasonLine(reason))
            if outcome.code.isFailure {
                log.exitReason(reason)
            } else if outcome.code == .degraded || outcome.code == .degradedPromoted {
                log.warning(reason.singleLine)
            } else {
                log.info(reason.singleLine)
            }
        }
        guard mode == .lsb else { return outcome.code.rawValue }
        if action == "status" || action == "monitor" {
            console.standardOutput("\(metadata.lsbName): \(statusWord(outcome.code))\n")
        }
        return LSBExitCode(outcome.code, action: action).rawValue
    }

    /// Reads the real argv and environment and exits with the result; the
    /// body of an agent executable.
    public static func main<A: ResourceAgent>(_ agent: A.Type) -> Never {
        exit(run(agent, arguments: Array(CommandLine.arguments.dropFirst()), environment: POSIX.environment()))
    }

    /// Picks the agent for a multi-call binary from the name it was started
    /// as: `bridge` (OCF path), `hanet-bridge` (init script), or an rc
    /// link such as `S20hanet-bridge`. Any directory part is ignored.
    public static func agent(invokedAs invocation: String, among agents: [any ResourceAgent.Type]) -> (any ResourceAgent.Type)? {
        // Bytes, not Characters: this runs on every call of every agent.
        var name = invocation.utf8[...]
        if let slash = name.lastIndex(of: UInt8(ascii: "/")) { name = name[name.index(after: slash)...] }
        if let first = name.first, first == UInt8(ascii: "S") || first == UInt8(ascii: "K") {
            let digits = name.dropFirst().prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            if !digits.isEmpty { name = name.dropFirst(1 + digits.count) }
        }
        if name.starts(with: "hanet-".utf8) { name = name.dropFirst(6) }
        return agents.first { $0.agentName.utf8.elementsEqual(name) }
    }

    /// The multi-call entry point: `argv` includes the program name. Falls
    /// back to `hanet-agent <agent> <action>`; otherwise prints the agents
    /// it knows and returns 2.
    public static func runMultiCall(
        _ agents: [any ResourceAgent.Type], argv: [String], environment: [String: String], host: AgentHost = .system
    ) -> Int32 {
        let program = argv.first ?? "hanet-agent"
        if let agent = agent(invokedAs: program, among: agents) {
            return run(agent, arguments: Array(argv.dropFirst()), environment: environment, host: host)
        }
        if argv.count >= 2, let agent = agent(invokedAs: argv[1], among: agents) {
            return run(agent, arguments: Array(argv.dropFirst(2)), environment: environment, host: host)
        }
        let base = program.split(separator: "/").last.map(String.init) ?? program
        let names = agents.map { $0.metadata.name }
        host.console.standardError(
            "usage: \(base) <agent> <action>, or run it as one of: "
            + names.joined(separator: ", ") + " (or " + names.map { "hanet-" + $0 }.joined(separator: ", ") + ")\n")
        return OCFExitCode.errArgs.rawValue
    }

    /// `runMultiCall` on the real argv and environment, then exits with its
    /// result: the body of `hanet-agent`.
    public static func multiCallMain(_ agents: [any ResourceAgent.Type]) -> Never {
        exit(runMultiCall(agents, argv: CommandLine.arguments, environment: POSIX.environment()))
    }

    /// The line Pacemaker stores as the operation's exit reason: the prefix
    /// immediately followed by the reason, folded into one line.
    public static func exitReasonLine(_ reason: String) -> String {
        "ocf-exit-reason:\(reason.singleLine)\n"
    }

    // MARK: - Steps

    struct Outcome {
        var code: OCFExitCode
        var reason: String?

        init(_ code: OCFExitCode, _ reason: String? = nil) {
            self.code = code
            self.reason = reason
        }

        init(failure: AgentFailure) {
            self.init(failure.code, failure.reason)
        }

        /// Every failure gets a reason, invented if the agent gave none; a
        /// clean "not running" only when the agent explained it.
        func exitReason(action: String) -> String? {
            if code.isFailure { return reason ?? "\(action) failed with \(code.name)" }
            // Degraded is running but not well: say why, as for a failure.
            if code == .notRunning || code == .degraded || code == .degradedPromoted { return reason }
            return nil
        }
    }

    /// Actions that change or verify the configuration refuse unknown
    /// parameters; stop and monitor only warn, because failing them over a
    /// typo would get the node fenced or the resource banned.
    static func isStrict(_ action: String) -> Bool {
        action != "stop" && action != "monitor" && action != "status"
    }

    static func makeContext<A: ResourceAgent>(
        _ agent: A.Type, action: String, mode: RunMode, instance: String?,
        environment: [String: String], log: OCFLog
    ) throws(AgentFailure) -> AgentContext {
        let metadata = A.metadata
        let values: [String: String]
        switch mode {
        case .ocf:
            values = AgentContext.parameterValues(environment: environment)
            let unknown = Parameters(values: values, specs: metadata.parameters).unknownNames
            if !unknown.isEmpty {
                let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
                let reason = (unknown.count == 1 ? "unknown parameter " : "unknown parameters ") + names
                if isStrict(action) { throw .configured(reason) }
                log.warning("ignoring " + reason)
            }
        case .lsb:
            let path = LSBConfig.path(agent: metadata.name, environment: environment)
            guard let config = try LSBConfig.load(agent: metadata.name, environment: environment) else {
                let required = metadata.parameters.filter(\.required).map(\.name)
                if !required.isEmpty {
                    throw .configured("configuration file \(path) not found (required: " + required.joined(separator: ", ") + ")")
                }
                values = [:]
                break
            }
            let unknown = config.unknownEntries(specs: metadata.parameters)
            if let first = unknown.first {
                var reason = "\(path):\(first.line): unknown parameter '\(first.name)'"
                if unknown.count > 1 {
                    reason += "; also " + unknown.dropFirst().map { "'\($0.name)' (line \($0.line))" }.joined(separator: ", ")
                }
                throw .configured(reason)
            }
            values = config.values
        }
        let parameters = Parameters(values: values, specs: metadata.parameters)
        if isStrict(action) {
            let missing = parameters.missingRequiredNames
            if missing.count == 1 {
                throw .parameter(missing[0], "required but not set")
            } else if !missing.isEmpty {
                throw .configured("parameters " + missing.map { "'\($0)'" }.joined(separator: ", ") + ": required but not set")
            }
        }

        var interval = Duration.zero
        if let text = environment["OCF_RESKEY_CRM_meta_interval"], !text.isEmpty {
            if let value = Duration.ocfMilliseconds(text) {
                interval = value
            } else {
                log.warning("ignoring invalid OCF_RESKEY_CRM_meta_interval '\(text)'")
            }
        }
        let timeout = Duration.ocfMilliseconds(environment["OCF_RESKEY_CRM_meta_timeout"])
        var checkLevel = 0
        if let level = AgentContext.parseCheckLevel(environment["OCF_CHECK_LEVEL"]) {
            checkLevel = level
        } else {
            log.warning("ignoring invalid OCF_CHECK_LEVEL '\(environment["OCF_CHECK_LEVEL"] ?? "")', using 0")
        }
        let stateDirectory = environment["HA_RSCTMP"].flatMap { $0.isEmpty ? nil : $0 } ?? AgentContext.defaultStateDirectory

        return AgentContext(
            action: action, mode: mode, parameters: parameters, instance: instance,
            interval: interval, timeout: timeout, checkLevel: checkLevel, stateDirectory: stateDirectory,
            meta: AgentContext.metaAttributes(environment: environment), environment: environment, log: log)
    }

    static func dispatch<A: ResourceAgent>(_ agent: A.Type, context: AgentContext) -> Outcome {
        let action = context.action
        let instance: A
        do {
            instance = try A(context: context)
        } catch {
            let failure = AgentFailure(error)
            guard action == "stop" else { return Outcome(failure: failure) }
            let code = A.stopWhenUnconfigured(failure, context: context)
            if code == .success {
                context.log.warning("stop with unusable parameters treated as stopped: \(failure.reason)")
                return Outcome(.success)
            }
            return Outcome(code, failure.reason)
        }
        do {
            switch action {
            case "validate-all":
                try instance.validate()
                return Outcome(.success)
            case "start":
                try instance.validate()
                try instance.start()
                return Outcome(.success)
            case "stop":
                try instance.stop()
                return Outcome(.success)
            case "monitor", "status":
                let result = try instance.monitor()
                return Outcome(result.code, result.reason)
            case "restart":
                return try restart(instance)
            case "force-reload":
                if A.metadata.declares(action: "reload"), let code = try instance.perform(action: "reload") {
                    return Outcome(code)
                }
                return try restart(instance)
            default:
                guard let code = try instance.perform(action: action) else {
                    return Outcome(.errUnimplemented, "action '\(action)' is not implemented")
                }
                return Outcome(code)
            }
        } catch {
            return Outcome(failure: AgentFailure(error))
        }
    }

    /// Validates before stopping, so a broken configuration does not take
    /// down a running resource it then cannot bring back.
    private static func restart<A: ResourceAgent>(_ instance: A) throws -> Outcome {
        try instance.validate()
        try instance.stop()
        try instance.start()
        return Outcome(.success)
    }

    /// `AgentContext.isProbe` before a context exists (it may fail to build);
    /// an interval that does not parse counts as none, as in the context.
    private static func isProbe(action: String, environment: [String: String]) -> Bool {
        let interval = environment["OCF_RESKEY_CRM_meta_interval"].flatMap(Duration.ocfMilliseconds) ?? .zero
        return AgentContext.isProbe(action: action, interval: interval)
    }

    private static func statusWord(_ code: OCFExitCode) -> String {
        switch code {
        case .success, .runningPromoted: return "running"
        case .degraded, .degradedPromoted: return "running (degraded)"
        case .notRunning: return "stopped"
        case .errGeneric, .failedPromoted: return "failed"
        default: return "status unknown"
        }
    }
}
