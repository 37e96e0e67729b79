import Foundation
import XCTest
import Glibc

/// A network namespace owned by one test: created on init, deleted by
/// `remove()` (call it in a `defer` or `addTeardownBlock`). Deleting the
/// namespace also deletes every link inside it, and a veth whose peer is
/// inside goes with it, so tests leave nothing behind.
public final class TestNamespace {
    public let name: String
    private var removed = false
    nonisolated(unsafe) private static var counter = 0

    /// Skips (with a clear message) when not root: namespaces need CAP_SYS_ADMIN.
    public static func requireRoot() throws {
        if geteuid() != 0 {
            throw XCTSkip("network-namespace tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN); run `make test` as root")
        }
    }

    public init(_ label: String) throws {
        try Self.requireRoot()
        Self.counter += 1
        // Short: the name shows up in /run/netns and in failure messages.
        name = "hnt-\(label.prefix(12))-\(getpid() % 100000)-\(Self.counter)"
        try Command.must(["ip", "netns", "add", name])
        try exec(["ip", "link", "set", "lo", "up"], must: true)
    }

    /// Runs a command inside the namespace.
    @discardableResult
    public func exec(_ arguments: [String], must: Bool = false) throws -> CommandResult {
        let result = Command.run(["ip", "netns", "exec", name] + arguments)
        if must && !result.succeeded {
            throw SetupError("in \(name): \(arguments.joined(separator: " ")) failed: \(result)")
        }
        return result
    }

    /// Convenience: run a shell snippet inside the namespace, failing on error.
    @discardableResult
    public func sh(_ script: String) throws -> String {
        try exec(["sh", "-ec", script], must: true).stdout
    }

    /// A bridge port forwards only once the kernel's link watch has seen its
    /// carrier, up to a second after `ip link set up`: a test that sends at
    /// once races it, and an "unreachable" result would not prove a block.
    public func waitUntilBridgePortsForward(timeoutSeconds: Double = 5) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while true {
            let ports = Command.run(["bridge", "-n", name, "link", "show"]).stdout
                .split(separator: "\n").filter { $0.contains(" master ") }
            if !ports.isEmpty && ports.allSatisfy({ $0.contains("state forwarding") }) { return }
            guard Date() < deadline else {
                throw SetupError("bridge ports in \(name) not forwarding after \(timeoutSeconds) s:\n\(ports.joined(separator: "\n"))")
            }
            usleep(20_000)
        }
    }

    /// Ends every process still inside (a vhostnet guard, a capture) and
    /// deletes the namespace: a process left behind would keep the
    /// namespace, and its links, alive after its name is gone.
    public func remove() {
        guard !removed else { return }
        removed = true
        let pids = Command.run(["ip", "netns", "pids", name]).stdout.split(separator: "\n").compactMap { Int32($0) }
        for pid in pids where pid != getpid() { kill(pid, SIGKILL) }
        Command.run(["ip", "netns", "del", name])
    }

    deinit { remove() }
}
