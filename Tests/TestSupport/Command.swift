import Foundation

/// Runs an external command for tests: the independent witness (`ip`, `nft`,
/// `ping`) that checks what the library did. Never used by the library.
public struct CommandResult: CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var succeeded: Bool { status == 0 }
    public var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

public enum Command {
    /// Runs `arguments[0]` (looked up in PATH) and waits for it.
    @discardableResult
    public static func run(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = Pipe()
        process.standardInput = inPipe
        do { try process.run() } catch {
            return CommandResult(status: 127, stdout: "", stderr: "cannot run \(arguments): \(error)")
        }
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        // Read both pipes before waiting so a chatty command cannot block.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box()
        let group = DispatchGroup()
        group.enter()
        let reader = out.fileHandleForReading
        DispatchQueue.global().async { outBox.data = reader.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = outBox.data
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs and fails loudly: for setup steps whose failure makes the test meaningless.
    @discardableResult
    public static func must(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = run(arguments)
        guard result.succeeded else {
            throw SetupError("\(arguments.joined(separator: " ")) failed: \(result)")
        }
        return result.stdout
    }

    public static func exists(_ tool: String) -> Bool {
        run(["sh", "-c", "command -v \(tool)"]).succeeded
    }
}

public struct SetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ text: String) { description = text }
}
