import XCTest
import Glibc
import Foundation
import HanetLinks
import HanetFirewall
@testable import HanetHost

/// The records through which vhostnet resources on one host find overlaps.
final class GuestGroupRecordTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "hanet-groups-\(UUID().uuidString.prefix(8))"
        XCTAssertEqual(mkdir(directory, 0o755), 0)
        chmod(directory, 0o755)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    private func policy(_ macs: [String], domains: [String] = []) -> GuestBlockPolicy {
        GuestBlockPolicy(bridges: ["xenbr1"], guestPorts: [try! PortPattern(parsing: "vif*")], exemptPorts: [try! PortPattern(parsing: "vif0.0")],
                         guestMACs: macs.map { try! MACPrefix(parsing: $0) }, guestDomains: domains,
                         domainMACs: domains.isEmpty ? [] : [try! MACPrefix(parsing: "52:54:00:00:00:09")])
    }

    func testRecordsRoundTripAndOverlapsNameTheOtherResource() throws {
        let a = GuestGroupRecord(resource: "group-a:1", policy: policy(["00:16:3e:00:00:01"], domains: ["web"]))
        XCTAssertEqual(a.resource, "group-a", "a clone instance's :N is dropped")
        try a.write(stateDirectory: directory)
        XCTAssertEqual(GuestGroupRecord.parse(try StateFile(directory: directory, name: "vhostnet-group-group-a").read()), a)

        let b = GuestGroupRecord(resource: "group-b", policy: policy(["00:16:3e:00:00:02"]))
        XCTAssertNil(try b.firstConflict(stateDirectory: directory))
        let c = GuestGroupRecord(resource: "group-c", policy: policy(["52:54:00:00:00:09"]))
        let conflict = try XCTUnwrap(try c.firstConflict(stateDirectory: directory))
        XCTAssertEqual(conflict.resource, "group-a")
        XCTAssertEqual(conflict.reason, "both select MAC 52:54:00:00:00:09 on bridge xenbr1, ports vif*")
        // The same group renamed (same owner tag) is not a conflict, nor is the resource itself.
        XCTAssertNil(try GuestGroupRecord(resource: "group-a-renamed", policy: a.policy).firstConflict(stateDirectory: directory))
        XCTAssertNil(try GuestGroupRecord(resource: "group-a", policy: c.policy).firstConflict(stateDirectory: directory))
    }

    func testRecordsOthersCouldWriteAreRefused() throws {
        try GuestGroupRecord(resource: "group-a", policy: policy(["00:16:3e:00:00:01"])).write(stateDirectory: directory)
        chmod(directory + "/vhostnet-group-group-a.state", 0o666)
        XCTAssertThrowsError(try GuestGroupRecord(resource: "group-b", policy: policy(["00:16:3e:00:00:01"])).firstConflict(stateDirectory: directory)) {
            XCTAssertEqual(($0 as? HostError)?.kind, .permission, "\($0)")
        }
    }
}
