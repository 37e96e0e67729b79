import Foundation

/// A ping that runs while a test changes something (a reload, an address
/// move) and is counted afterwards: "frames lost across an action" is a
/// property, not a timing, so tests may assert it.
public final class BackgroundPing {
    private let process = Process()
    private let output = Pipe()

    /// Starts `ping -i interval -c count address` inside `namespace`.
    public init(in namespace: TestNamespace, _ address: String, count: Int, interval: String = "0.01", wait: Int = 2) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, "ping", "-i", interval, "-c", "\(count)", "-W", "\(wait)", "-q", address]
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// Waits for the last echo; `lost` is -1 when ping printed no summary.
    public func finish() -> (sent: Int, lost: Int, summary: String) {
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let summary = text.split(separator: "\n").first { $0.contains("packets transmitted") }.map(String.init) ?? text
        let numbers = summary.split(separator: " ").compactMap { Int($0) }
        guard numbers.count >= 2 else { return (0, -1, summary) }
        return (numbers[0], numbers[0] - numbers[1], summary)
    }
}
