import Foundation

/// Runs the built `hanet-agent` the way Pacemaker does: a fresh process
/// with OCF_* variables, invoked through a link named after the agent,
/// inside a test namespace. Black-box: what an administrator gets.
public struct AgentProcess {
    public let agent: String
    public let namespace: TestNamespace?
    public let stateDirectory: String
    private let linkPath: String

    /// The directory holding the test bundle also holds the built executables.
    public static var buildDirectory: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = bundle.deletingLastPathComponent()
        if dir.lastPathComponent == "MacOS" || dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        if bundle.pathExtension == "xctest" { return bundle.deletingLastPathComponent().path }
        return dir.path
    }

    public init(agent: String, namespace: TestNamespace?) throws {
        self.agent = agent
        self.namespace = namespace
        let base = NSTemporaryDirectory() + "hanet-agent-\(agent)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base + "/rsctmp", withIntermediateDirectories: true)
        stateDirectory = base + "/rsctmp"
        linkPath = base + "/" + agent
        let binary = Self.buildDirectory + "/hanet-agent"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw SetupError("\(binary) not built: run swift build first")
        }
        try FileManager.default.createSymbolicLink(atPath: linkPath, withDestinationPath: binary)
    }

    public struct Result: CustomStringConvertible {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var exitReason: String? {
            stderr.split(separator: "\n").last { $0.hasPrefix("ocf-exit-reason:") }.map { String($0.dropFirst("ocf-exit-reason:".count)) }
        }
        public var description: String { "rc=\(status) stderr=\(stderr) stdout=\(stdout.prefix(300))" }
    }

    /// `params` become OCF_RESKEY_*; `environment` adds or overrides variables.
    @discardableResult
    public func run(_ action: String, _ params: [String: String], environment extra: [String: String] = [:]) -> Result {
        var env = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT": "/usr/lib/ocf",
                   "OCF_RESOURCE_INSTANCE": "test-\(agent)", "HA_RSCTMP": stateDirectory,
                   "OCF_RESKEY_CRM_meta_timeout": "20000"]
        for (k, v) in params { env["OCF_RESKEY_\(k)"] = v }
        for (k, v) in extra { env[k] = v }
        var argv = [linkPath, action]
        if let namespace { argv = ["ip", "netns", "exec", namespace.name] + argv }
        let result = Command.run(argv, environment: env)
        return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// The agent link itself, for tools such as ocf-tester that take a path.
    public var linkPathForTools: String { linkPath }

    public func stateFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory)) ?? []
    }

    /// The pid a vhostnet guard (role "guard") or sentinel recorded in its
    /// pid file under HA_RSCTMP; nil without one.
    public func processPID(role: String = "guard") -> Int32? {
        guard let name = stateFiles().first(where: { $0.hasSuffix("." + role) }),
              let text = try? String(contentsOfFile: stateDirectory + "/" + name, encoding: .utf8) else { return nil }
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.flatMap { Int32($0) }
    }

    /// Whether `pid` runs (a zombie does not count).
    public static func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")
    }
}
