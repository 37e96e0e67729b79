import XCTest
import Glibc
import CLinuxNet
import HanetHost
import HanetLinks
import HanetFirewall

/// The sentinel's judgement, event by event: a guest MAC learned on an
/// uplink is the twin; everything else is not.
final class DuplicateDetectorTests: XCTestCase {
    static let guest: MACAddress = "02:00:00:00:00:11"
    static let known: MACAddress = "02:00:00:00:00:12"
    static let stranger: MACAddress = "52:54:00:aa:bb:cc"
    let policy = GuestBlockPolicy(bridges: ["xenbr1"], guestPorts: [try! PortPattern(parsing: "vif*")],
                                  exemptPorts: [try! PortPattern(parsing: "vif0.0")])

    private func learned(_ mac: MACAddress, state: UInt16 = UInt16(NUD_REACHABLE), flags: UInt8 = 0) -> FDBEntry {
        FDBEntry(mac: mac, portIndex: 1, bridgeIndex: 10, state: state, flags: flags)
    }

    func testAGuestMACLearnedOnTheUplinkIsTheTwin() {
        var detector = DuplicateDetector(policy: policy, knownGuestMACs: [])
        XCTAssertNil(detector.observe(learned(Self.guest), port: "vif1.0"), "its own port: now a guest MAC")
        XCTAssertEqual(detector.observe(learned(Self.guest), port: "eth1"),
                       DuplicateDetector.Finding(macs: [Self.guest], uplink: "eth1"))
    }

    func testAKnownMACCountsBeforeItsGuestTalks() {
        var detector = DuplicateDetector(policy: policy, knownGuestMACs: [Self.known, "01:00:5e:00:00:01"])
        XCTAssertEqual(detector.guestMACs, [Self.known], "multicast addresses are no guest's")
        XCTAssertEqual(detector.observe(learned(Self.known), port: "eth1")?.macs, [Self.known])
    }

    func testOthersAreNotTheTwin() {
        var detector = DuplicateDetector(policy: policy, knownGuestMACs: [Self.guest])
        XCTAssertNil(detector.observe(learned(Self.stranger), port: "eth1"), "someone else's MAC on the uplink")
        XCTAssertNil(detector.observe(learned(Self.guest), port: "vif0.0"), "the exempt (dom0) port is no uplink")
        XCTAssertNil(detector.observe(learned(Self.guest), port: nil), "a port of another bridge")
        XCTAssertNil(detector.observe(learned(Self.guest, state: UInt16(NUD_NOARP)), port: "eth1"), "a static entry is no sighting")
        XCTAssertNil(detector.observe(learned(Self.guest, state: UInt16(NUD_PERMANENT)), port: "eth1"), "nor a local one")
        XCTAssertNil(detector.observe(learned(Self.guest, flags: UInt8(NTF_EXT_LEARNED)), port: "eth1"), "nor one a driver put there")
        XCTAssertNil(detector.observe(learned("01:00:5e:00:00:01"), port: "eth1"), "multicast")
    }

    /// A group selected by MAC shares its guest ports with other groups:
    /// only its own MACs are its guests, and its single addresses count
    /// from the start.
    func testAGroupSelectedByMACWatchesOnlyItsOwnGuests() throws {
        let group = GuestBlockPolicy(bridges: ["xenbr1"], guestPorts: [try PortPattern(parsing: "vif*")],
                                     guestMACs: [try MACPrefix(parsing: "02:00:00:00:00:11"), try MACPrefix(parsing: "00:16:3e:00:00:00/24")])
        var detector = DuplicateDetector(policy: group, knownGuestMACs: [Self.known])
        XCTAssertEqual(detector.guestMACs, [Self.guest], "a recorded MAC of another group is dropped; the named one is known")
        XCTAssertNil(detector.observe(learned(Self.known), port: "vif2.0"), "another group's guest on a shared port")
        XCTAssertNil(detector.observe(learned(Self.known), port: "eth1"), "...is not this group's twin")
        XCTAssertEqual(detector.observe(learned(Self.guest), port: "eth1")?.macs, [Self.guest], "before it talked here")
        XCTAssertNil(detector.observe(learned("00:16:3e:01:02:03"), port: "vif3.0"))
        XCTAssertEqual(detector.observe(learned("00:16:3e:01:02:03"), port: "eth1")?.macs, ["00:16:3e:01:02:03"], "a prefix's guest once seen")
    }
}
