import Foundation
import Glibc
import XCTest
import HanetLinks
import TestSupport

/// move_addresses (seed 001's `network-bridge netdev=bond0`): the host's
/// addresses and routes follow bond0 into xenbr0 and back, against the real
/// kernel's route tables, with `ip -j addr` / `ip -j route` as witnesses
/// and a peer namespace (the gateway) pinging the host's addresses.
final class AddressMoveNetnsTests: XCTestCase {
    private var host: TestNamespace!
    private var peer: TestNamespace!
    private var agent: AgentProcess!
    // As in the README recipe for seed 001.
    private let params = ["bridge": "xenbr0", "uplink": "bond0", "move_addresses": "true"]

    override func setUpWithError() throws {
        host = try TestNamespace("amhost")
        peer = try TestNamespace("ampeer")
        agent = try AgentProcess(agent: "bridge", namespace: host)
        // bond0 is a veth whose other end (the switch and the gateway) is
        // in the peer namespace.
        try host.sh("""
            ip link add bond0 type veth peer name wire0
            ip link set wire0 netns \(peer.name)
            ip link set bond0 up
            ip addr add 10.99.8.2/24 dev bond0
            ip addr add 10.99.8.3/24 dev bond0 label bond0:1
            ip addr add fd99:8::2/64 dev bond0
            """)
        try peer.sh("""
            ip link set wire0 up
            ip addr add 10.99.8.1/24 dev wire0
            ip addr add fd99:8::1/64 dev wire0 nodad
            ip addr add 10.200.0.1/32 dev lo
            """)
        try host.sh("""
            ip route add default via 10.99.8.1 dev bond0 metric 100
            ip -6 route add default via fd99:8::1 dev bond0 metric 100
            ip route add 10.200.0.0/16 via 10.99.8.1 dev bond0 table 100
            ip rule add to 10.200.0.0/16 table 100
            ip route add 192.0.2.0/24 dev bond0 proto static metric 5
            """)
        try waitUntilPingable("10.99.8.2")
        try waitUntilPingable("fd99:8::2")
    }

    override func tearDown() {
        host?.remove()
        peer?.remove()
    }

    // MARK: witnesses

    /// `ip -j addr show dev DEV scope global`: "local/prefixlen" words.
    private func addresses(_ device: String) throws -> [String] {
        let json = try host.exec(["ip", "-j", "addr", "show", "dev", device], must: true).stdout
        let links = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
        return links.flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
            .filter { ($0["scope"] as? String) == "global" }
            .map { "\($0["local"] ?? "?")/\($0["prefixlen"] ?? "?")" + (($0["label"] as? String).flatMap { $0 == device ? nil : " label \($0)" } ?? "") }
            .sorted()
    }

    /// Not the kernel's own routes (proto kernel), in every table, both
    /// families: "dst via gw table T metric M proto P".
    private func routes(_ device: String) throws -> [String] {
        var found: [String] = []
        for family in ["-4", "-6"] {
            let json = try host.exec(["ip", family, "-j", "route", "show", "table", "all", "dev", device], must: true).stdout
            let routes = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
            for r in routes where (r["protocol"] as? String) != "kernel" && (r["type"] as? String ?? "unicast") == "unicast" {
                found.append("\(r["dst"] ?? "?") via \(r["gateway"] ?? "-") table \(r["table"] ?? "main") metric \(r["metric"] ?? 0) proto \(r["protocol"] ?? "boot")")
            }
        }
        return found.sorted()
    }

    private func waitUntilPingable(_ address: String, seconds: Int = 5) throws {
        for _ in 0..<(seconds * 10) {
            if try peer.exec(["ping", "-c", "1", "-W", "1", address]).succeeded { return }
            usleep(100_000)
        }
        throw SetupError("\(address) does not answer from the peer")
    }

    private let hostAddresses = ["10.99.8.2/24", "10.99.8.3/24 label bond0:1", "fd99:8::2/64"]
    private let hostRoutes = ["192.0.2.0/24 via - table main metric 5 proto static",
                              "10.200.0.0/16 via 10.99.8.1 table 100 metric 0 proto boot",
                              "default via 10.99.8.1 table main metric 100 proto boot",
                              "default via fd99:8::1 table main metric 100 proto boot"].sorted()

    // MARK: tests

    func testStartMovesAddressesAndRoutesToTheBridgeAndStopMovesThemBack() throws {
        XCTAssertEqual(try addresses("bond0"), hostAddresses)
        XCTAssertEqual(try routes("bond0"), hostRoutes)

        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 0, "\(start)")
        XCTAssertEqual(try addresses("xenbr0"), ["10.99.8.2/24", "10.99.8.3/24 label xenbr0:1", "fd99:8::2/64"])
        XCTAssertEqual(try addresses("bond0"), [], "nothing left on the port")
        XCTAssertEqual(try routes("xenbr0"), hostRoutes)
        XCTAssertEqual(try routes("bond0"), [])
        let v6 = try host.exec(["ip", "-6", "-j", "addr", "show", "dev", "xenbr0", "scope", "global"], must: true).stdout
        XCTAssertFalse(v6.contains("tentative") || v6.contains("nodad"), "usable at once, flags as they were: \(v6)")
        XCTAssertEqual(agent.run("monitor", params).status, 0)
        // The host answers through the bridge, both families, also to a
        // peer that has to ask again (IPv6 ND is per interface: without the
        // move this fails, see the contrast below), and reaches the other
        // table's prefix via the moved gateway.
        try peer.sh("ip neigh flush dev wire0")
        try waitUntilPingable("10.99.8.2")
        try waitUntilPingable("fd99:8::2")
        XCTAssertTrue(try host.exec(["ip", "route", "get", "10.200.0.1"], must: true).stdout.contains("dev xenbr0"))
        XCTAssertTrue(try host.exec(["ping", "-c", "1", "-W", "2", "10.200.0.1"]).succeeded, "table 100's route works from the bridge")

        XCTAssertEqual(agent.run("start", params).status, 0, "second start")
        XCTAssertEqual(try addresses("xenbr0").count, 3)
        XCTAssertEqual(try routes("xenbr0"), hostRoutes)

        let stop = agent.run("stop", params)
        XCTAssertEqual(stop.status, 0, "\(stop)")
        XCTAssertEqual(try addresses("bond0"), hostAddresses)
        XCTAssertEqual(try routes("bond0"), hostRoutes)
        XCTAssertEqual(agent.run("stop", params).status, 0, "second stop")
        XCTAssertEqual(try addresses("bond0"), hostAddresses)
        XCTAssertEqual(try routes("bond0"), hostRoutes)
        XCTAssertEqual(agent.stateFiles(), [])
        try waitUntilPingable("10.99.8.2")
        try waitUntilPingable("fd99:8::2")
    }

    /// The kernel rule the move relies on: `ip route add` (NLM_F_EXCL) of
    /// a route whose key (table, destination, TOS, metric) another device
    /// holds is EEXIST; without NLM_F_EXCL (`ip route prepend`, what
    /// LinkManager.addRoute sends) it is accepted and goes first, so it
    /// takes over at once. The very same route again is EEXIST (false),
    /// and a delete naming the device removes only that one.
    func testARouteWithTheSameKeyOnAnotherDeviceIsPrependedNotRefused() throws {
        try host.sh("ip link add xenbr0 type bridge; ip link set xenbr0 up; ip addr add 10.99.8.5/24 dev xenbr0")
        XCTAssertFalse(try host.exec(["ip", "route", "add", "default", "via", "10.99.8.1", "dev", "xenbr0", "metric", "100"]).succeeded,
                       "ip route add: EEXIST")
        let links = try LinkManager(namespace: .named(host.name))
        let bridge = try XCTUnwrap(try links.link(named: "xenbr0"))
        let uplink = try XCTUnwrap(try links.link(named: "bond0"))
        var route = try XCTUnwrap(try links.routes(family: AF_INET).first { $0.outputIndex == uplink.index && $0.destinationLength == 0 })
        route.outputIndex = bridge.index
        XCTAssertTrue(try links.addRoute(route))
        XCTAssertFalse(try links.addRoute(route), "the very same route: EEXIST, reported as already there")
        let chosen = try host.exec(["ip", "route", "get", "198.18.0.1"], must: true).stdout
        let table = try host.exec(["ip", "route"]).stdout
        XCTAssertTrue(chosen.contains("dev xenbr0"), "the new one goes first: \(chosen) \(table)")
        route.outputIndex = uplink.index
        XCTAssertTrue(try links.deleteRoute(route))
        XCTAssertFalse(try links.deleteRoute(route), "ESRCH: already gone")
        let defaults = try host.exec(["ip", "-j", "route", "show", "default"], must: true).stdout
        XCTAssertTrue(defaults.contains("\"dev\":\"xenbr0\"") && !defaults.contains("\"dev\":\"bond0\""), defaults)
    }

    /// The reported problem, so the test above is known to be able to
    /// fail: with move_addresses=false, a peer that must resolve the
    /// host's IPv6 address again gets no answer; IPv4 still works.
    func testWithoutTheMoveIPv6StopsAnsweringOnceThePeerAsksAgain() throws {
        var unmoved = params
        unmoved["move_addresses"] = "false"
        XCTAssertEqual(agent.run("start", unmoved).status, 0)
        XCTAssertEqual(try addresses("bond0"), hostAddresses, "left on the port")
        try peer.sh("ip neigh flush dev wire0")
        XCTAssertTrue(try peer.exec(["ping", "-c", "1", "-W", "1", "10.99.8.2"]).succeeded)
        XCTAssertFalse(try peer.exec(["ping", "-c", "2", "-W", "1", "fd99:8::2"]).succeeded)
        XCTAssertEqual(agent.run("stop", unmoved).status, 0)
        try waitUntilPingable("fd99:8::2")
    }

    /// An adopted bridge (create=false) with an address and a route of its
    /// own: stop moves back bond0's and leaves the bridge's where they are.
    func testAnAddressTheAgentDidNotMoveIsNeverRemoved() throws {
        try host.sh("""
            ip link add xenbr0 type bridge forward_delay 0
            ip link set xenbr0 up
            ip addr add 10.77.0.1/24 dev xenbr0
            ip route add 198.51.100.0/24 via 10.77.0.254 dev xenbr0
            """)
        var adopt = params
        adopt["create"] = "false"
        XCTAssertEqual(agent.run("start", adopt).status, 0)
        XCTAssertEqual(try addresses("xenbr0"), ["10.77.0.1/24", "10.99.8.2/24", "10.99.8.3/24 label xenbr0:1", "fd99:8::2/64"])
        // While running, someone adds another address to the bridge.
        try host.sh("ip addr add 10.88.0.1/24 dev xenbr0")
        XCTAssertEqual(agent.run("stop", adopt).status, 0)
        XCTAssertEqual(try addresses("xenbr0"), ["10.77.0.1/24", "10.88.0.1/24"])
        XCTAssertEqual(try routes("xenbr0"), ["198.51.100.0/24 via 10.77.0.254 table main metric 0 proto boot"])
        XCTAssertEqual(try addresses("bond0"), hostAddresses)
        XCTAssertEqual(try routes("bond0"), hostRoutes)
    }

    /// A route that cannot exist on the bridge (its source is bond0's own
    /// link-local address, which does not move): start fails and puts
    /// every address and route back where it was.
    func testAFailureHalfwayRollsBack() throws {
        try host.sh("""
            ip addr add fe80::99/64 dev bond0 nodad
            ip -6 route add 2001:db8:77::/64 dev bond0 src fe80::99 metric 7
            """)
        let before = (try addresses("bond0"), try routes("bond0"))
        let start = agent.run("start", params)
        XCTAssertEqual(start.status, 1, "\(start)")
        XCTAssertTrue(start.stderr.contains("RTM_NEWROUTE"), start.stderr)
        XCTAssertEqual(try addresses("bond0"), before.0)
        XCTAssertEqual(try routes("bond0"), before.1)
        XCTAssertNil(try LinkManager(namespace: .named(host.name)).link(named: "xenbr0"), "the bridge it made is gone")
        XCTAssertEqual(agent.stateFiles(), [], "nothing left to undo")
        try waitUntilPingable("fd99:8::2")
    }

    /// dhclient or ifup puts the address back on bond0: monitor says so (1).
    func testMonitorFailsWhenAMovedAddressIsOnTheUplinkAgain() throws {
        XCTAssertEqual(agent.run("start", params).status, 0)
        try host.sh("ip addr add 10.99.8.2/24 dev bond0")
        let monitor = agent.run("monitor", params)
        XCTAssertEqual(monitor.status, 1, "\(monitor)")
        XCTAssertTrue(monitor.stderr.contains("10.99.8.2/24") && monitor.stderr.contains("on uplink bond0 again"), monitor.stderr)
        XCTAssertEqual(agent.run("stop", params).status, 0)
        XCTAssertEqual(try addresses("bond0"), hostAddresses, "not doubled, not lost")
    }

    /// The host's reachability across the move, from the peer: ping every
    /// 10 ms during start and during stop, count the unanswered. Printed
    /// for BENCHMARKS.md; only "keeps answering" (under half lost) is asserted:
    /// a loaded machine loses more, but not the ~9 in 10 of the unmoved IPv6.
    /// With move_addresses=false (the reported problem) as the contrast:
    /// the same pings show what staying on the port costs.
    func testReachabilityAcrossTheMoveIsMeasured() throws {
        var unmoved = params
        unmoved["move_addresses"] = "false"
        for (action, params, label) in [("start", params, "start"), ("stop", params, "stop"),
                                        ("start", unmoved, "start with move_addresses=false"), ("stop", unmoved, "stop with move_addresses=false")] {
            let pings = try ["10.99.8.2", "fd99:8::2"].map { address in
                (address, try BackgroundPing(in: peer, address, count: 200, wait: 1))
            }
            usleep(300_000)
            let result = agent.run(action, params)
            XCTAssertEqual(result.status, 0, "\(action): \(result)")
            // As if the peer's neighbour entries expired right after.
            try peer.sh("ip neigh flush dev wire0")
            for (address, ping) in pings {
                let (sent, lost, summary) = ping.finish()
                print("move_addresses reachability: \(label) \(address): \(lost) of \(sent) pings at 10 ms unanswered (\(summary))")
                XCTAssertGreaterThan(sent, 0, "ping ran: \(summary)")
                if params["move_addresses"] != "false" {
                    // Not a timing: without the move IPv6 loses ~9 in 10 for good.
                    XCTAssertLessThan(lost, 100, "\(address) must keep answering across \(label): \(summary)")
                }
            }
        }
    }
}
