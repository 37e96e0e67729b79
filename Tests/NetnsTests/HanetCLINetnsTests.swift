import XCTest
import Foundation
import TestSupport

/// The administrator's CLI, run as built: `hanet watch` and `hanet links`.
final class HanetCLINetnsTests: XCTestCase {
    private var hanet: String { AgentProcess.buildDirectory + "/hanet" }

    func testWatchPrintsOneTimestampedLinePerChange() throws {
        let ns = try TestNamespace("watch")
        defer { ns.remove() }
        let watch = Process()
        watch.executableURL = URL(fileURLWithPath: hanet)
        watch.arguments = ["watch", "--netns", ns.name]
        let out = Pipe()
        watch.standardOutput = out
        try watch.run()
        defer { if watch.isRunning { watch.terminate() } }
        usleep(300_000)
        try ns.sh("""
            ip link add xenbr1 type bridge
            ip link add vif1.0 type veth peer name guest1
            ip link set vif1.0 master xenbr1
            ip link set vif1.0 up; ip link set guest1 up
            ip link set vif1.0 nomaster
            ip link del vif1.0
            """)
        usleep(500_000)
        watch.terminate()
        watch.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        for expected in ["xenbr1: created (bridge)", "vif1.0: enslaved to xenbr1", "vif1.0: admin up",
                         "vif1.0: released from xenbr1", "vif1.0: removed"] {
            XCTAssertTrue(lines.contains { $0.hasSuffix(expected) }, "missing '\(expected)' in:\n\(text)")
        }
        let stamp = try NSRegularExpression(pattern: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} "#)
        for line in lines {
            XCTAssertNotNil(stamp.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), "no timestamp: \(line)")
        }
    }

    func testLinksShowsRolesOfGuestPortsAndBridges() throws {
        let ns = try TestNamespace("links")
        defer { ns.remove() }
        try ns.sh("ip link add xenbr1 type bridge; ip link add vif3.1 type veth peer name g; ip link set vif3.1 master xenbr1; ip link add vnet7 type veth peer name h")
        let out = try ns.exec([hanet, "links"], must: true).stdout
        XCTAssertTrue(out.contains("xen guest dom3 nic1"), out)
        XCTAssertTrue(out.contains("kvm guest vnet7"), out)
        XCTAssertTrue(out.contains("bridge: vif3.1"), out)
    }
}
