import XCTest
import Glibc
@testable import HanetHost
import HanetFirewall

/// The rule an open host follows on quorum (the sentinel acts on it), and
/// how its verdict is recorded for the monitor.
final class QuorumWatchTests: XCTestCase {
    func testOnlyAQuorateConnectedNodeStaysOpen() {
        let watch = QuorumWatch()
        XCTAssertEqual(watch.judge(quorate: true, connected: true), .stayOpen)
        guard case .block(let lost) = watch.judge(quorate: false, connected: true) else { return XCTFail("no quorum must block") }
        XCTAssertTrue(lost.contains("lost quorum"), lost)
        // A stale "quorate" from before the connection ended is not trusted.
        guard case .block(let gone) = watch.judge(quorate: true, connected: false) else { return XCTFail("a lost connection must block") }
        XCTAssertTrue(gone.contains("connection to corosync"), gone)
    }

    func testTheRecordTellsTheMonitorWhyTheGuestsAreBlocked() throws {
        var template = Array("/tmp/hanet-quorum-record-XXXXXX".utf8CString)
        let directory = try XCTUnwrap(mkdtemp(&template).map { String(cString: $0) })
        let record = DuplicateRecord(stateDirectory: directory, policyTag: "t")
        defer { record.clear(); rmdir(directory) }
        let now = Int(time(nil))
        try record.write(DuplicateRecord.Entry(decision: .quorumLost, macs: [], uplink: "", seen: now, holdUntil: 0))
        let entry = try XCTUnwrap(record.read())
        XCTAssertEqual(entry.decision, .quorumLost)
        XCTAssertTrue(entry.description.contains("lost quorum"), entry.description)
        XCTAssertNil(record.holdsBack(), "a quorum loss holds no promote back: Pacemaker decides once quorum returns")
    }

    func testTheSentinelRunsWhenEitherWatchIsOn() {
        var c = VhostNetConfiguration(policy: GuestBlockPolicy(bridges: ["xenbr1"], guestPorts: [], exemptPorts: []))
        XCTAssertTrue(c.watchesOpenHost, "defaults: duplicate_policy=yield, quorum_block=true")
        c.duplicatePolicy = .off
        XCTAssertTrue(c.watchesOpenHost)
        c.quorumBlock = false
        XCTAssertFalse(c.watchesOpenHost)
        c.duplicatePolicy = .report
        XCTAssertTrue(c.watchesOpenHost)
    }
}
