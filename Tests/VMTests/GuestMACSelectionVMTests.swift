import XCTest
import Foundation
import TestSupport

/// guest_macs under Debian's stock kernel, which has nft_meta_bridge: the
/// MAC rules scoped to the bridge (`meta ibrname "xenbr1" iifname "vif*"
/// ether saddr ...`), the variant this machine's kernel cannot run (its
/// netns tests fall back to port names; `GuestMACSelectionNetnsTests`).
final class GuestMACSelectionVMTests: XCTestCase {
    private var lab: GuestLab!
    private var agent: AgentProcess!

    override func setUpWithError() throws {
        try VMTier.require()
        lab = try GuestLab()
        agent = try AgentProcess(agent: "vhostnet", namespace: lab.host)
    }

    override func tearDown() { lab?.remove() }

    func testBridgeScopedMACRulesBlockOnlyTheSelectedGuestBothWays() throws {
        let params = ["bridge": "xenbr1", "exempt_ports": "vif0.0", "guest_macs": GuestLab.mac(11), "backend": "nftables",
                      "announce": "0", "guard": "false"]
        XCTAssertEqual(agent.run("stop", params).status, 0)
        let listing = try lab.host.sh("nft list ruleset")
        XCTAssertTrue(listing.contains(#"meta ibrname "xenbr1" iifname "vif*" ether saddr 02:00:00:00:00:0b drop"#), listing)
        XCTAssertTrue(listing.contains(#"meta obrname "xenbr1" oifname "vif*" ether daddr 02:00:00:00:00:0b drop"#), listing)
        XCTAssertTrue(listing.contains("match=bridge+port; select=mac"), listing)
        XCTAssertFalse(lab.clientPings("10.80.0.11"), "IPv4")
        XCTAssertFalse(lab.clientPings("fd80::11"), "IPv6")
        XCTAssertFalse(lab.clientARPs("10.80.0.11"), "ARP")
        XCTAssertFalse(lab.guestPings("g1", "10.80.0.100"), "from the guest")
        XCTAssertTrue(lab.clientPings("10.80.0.12"), "g2 is not selected")
        XCTAssertTrue(lab.clientPings("fd80::12"))
        XCTAssertEqual(agent.run("start", params).status, 0)
        XCTAssertTrue(lab.clientPings("10.80.0.11"), "opened")
        XCTAssertTrue(lab.clientPings("fd80::11"))
    }
}
