import XCTest
import Glibc
import CLinuxNet
import HanetHost
import HanetLinks
import HanetNetlink
import HanetTesting

/// move_addresses against the fake kernel: what moves (and what the kernel
/// makes itself), the order of the requests, idempotence, a refusal halfway
/// (rolled back), and an agent killed after any request (replayed from the
/// record by the next stop or start).
final class AddressMoveTests: FakeHostTestCase {
    let recordName = "hanet-bridge-br0"

    override func setUp() {
        super.setUp()
        kernel.addLink("eth0", mac: "52:54:00:12:34:56", up: true)
        kernel.addAddress("10.99.8.2", prefixLength: 24, device: "eth0")
        kernel.addAddress("fd99:8::2", prefixLength: 64, device: "eth0")
        kernel.addAddress("fe80::5054:ff:fe12:3456", prefixLength: 64, device: "eth0", scope: 253)
        kernel.addRoute(route("0.0.0.0", 0, via: "10.99.8.1", metric: 100), device: "eth0")
        kernel.addRoute(route("::", 0, via: "fd99:8::1", metric: 1024), device: "eth0")
        kernel.addRoute(route("10.200.0.0", 16, via: "10.99.8.1", table: 100), device: "eth0")
    }

    // MARK: helpers

    private func bytes(_ text: String) -> [UInt8] {
        let family = text.contains(":") ? AF_INET6 : AF_INET
        var bytes = [UInt8](repeating: 0, count: family == AF_INET ? 4 : 16)
        precondition(inet_pton(family, text, &bytes) == 1)
        return bytes
    }

    private func route(_ destination: String, _ length: UInt8, via gateway: String? = nil, metric: UInt32? = nil,
                       table: UInt32 = 254) -> Route {
        var r = Route(family: destination.contains(":") ? AF_INET6 : AF_INET, destination: bytes(destination), destinationLength: length)
        r.gateway = gateway.map(bytes)
        r.priority = metric
        r.table = table
        return r
    }

    private func attachment(_ configure: (inout BridgeConfiguration) -> Void = { _ in }) -> BridgeAttachment {
        var configuration = BridgeConfiguration(bridge: "br0", uplink: "eth0")
        configure(&configuration)
        return BridgeAttachment(configuration: configuration, links: links, stateDirectory: stateDirectory.path, log: log)
    }

    private func addresses(_ device: InterfaceName) -> [String] {
        kernel.addresses(of: device).filter(\.isGlobal).map(\.description).sorted()
    }

    /// Not the kernel's own: what the move is about.
    private func routes(_ device: InterfaceName) -> [String] {
        kernel.routes(of: device).filter { !$0.isKernelMade }.map { var r = $0; r.outputIndex = nil; return r.description }.sorted()
    }

    private let hostAddresses = ["10.99.8.2/24", "fd99:8::2/64"]
    private let hostRoutes = ["10.200.0.0/16 via 10.99.8.1 table 100 proto 3", "default via 10.99.8.1 proto 3 metric 100",
                              "default via fd99:8::1 proto 3 metric 1024"]

    // MARK: tests

    func testStartMovesAddressesThenRoutesAndStopMovesThemBack() throws {
        let bridge = attachment()
        let mark = kernel.requests.count
        try bridge.start()
        XCTAssertEqual(addresses("br0"), hostAddresses)
        XCTAssertEqual(addresses("eth0"), [])
        XCTAssertEqual(routes("br0"), hostRoutes)
        XCTAssertEqual(routes("eth0"), [])
        XCTAssertEqual(kernel.addresses(of: "eth0").map(\.description), ["fe80::5054:ff:fe12:3456/64"], "link-local stays: the kernel's own")
        XCTAssertEqual(kernel.routes(of: "br0").filter(\.isKernelMade).map(\.description).sorted(),
                       ["10.99.8.0/24 ifindex 3 proto 2 scope 253 src 10.99.8.2", "fd99:8::/64 ifindex 3 proto 2 metric 256"],
                       "connected routes made by the kernel for the bridge, not copied")
        // Added on the bridge before anything is deleted from the uplink;
        // routes deleted before addresses.
        let moves = changes(since: mark).filter { $0.hasPrefix("addr") || $0.hasPrefix("route") }
        XCTAssertEqual(moves, [
            "addr add 10.99.8.2/24 dev br0",
            "addr add fd99:8::2/64 dev br0 nodad",
            "route add default via 10.99.8.1 proto 3 metric 100 dev br0",
            "route add 10.200.0.0/16 via 10.99.8.1 table 100 proto 3 dev br0",
            "route add default via fd99:8::1 proto 3 metric 1024 dev br0",
            "route del default via 10.99.8.1 proto 3 metric 100 dev eth0",
            "route del 10.200.0.0/16 via 10.99.8.1 table 100 proto 3 dev eth0",
            "route del default via fd99:8::1 proto 3 metric 1024 dev eth0",
            "addr del fd99:8::2/64 dev eth0",
            "addr del 10.99.8.2/24 dev eth0",
            "addr replace fd99:8::2/64 dev br0",
        ])
        let firstDelete = try XCTUnwrap(moves.firstIndex { $0.contains(" del ") })
        XCTAssertFalse(moves[firstDelete...].contains { $0.contains(" add ") }, "nothing added after the first delete: \(moves)")
        let lastRouteDelete = try XCTUnwrap(moves.lastIndex { $0.hasPrefix("route del") })
        let firstAddressDelete = try XCTUnwrap(moves.firstIndex { $0.hasPrefix("addr del") })
        XCTAssertLessThan(lastRouteDelete, firstAddressDelete, "routes leave before the last IPv4 address takes them along")
        XCTAssertNotNil(record(recordName)["moved_addresses"])
        XCTAssertEqual(try bridge.health().state, .running)

        try bridge.stop()
        XCTAssertEqual(addresses("eth0"), hostAddresses)
        XCTAssertEqual(routes("eth0"), hostRoutes)
        XCTAssertNil(kernel.link(named: "br0"))
        XCTAssertEqual(record(recordName), [:])
    }

    func testSecondStartAndSecondStopChangeNothing() throws {
        let bridge = attachment()
        try bridge.start()
        var mark = kernel.requests.count
        XCTAssertEqual(try bridge.start(), [])
        XCTAssertEqual(changes(since: mark), [])
        try bridge.stop()
        mark = kernel.requests.count
        XCTAssertEqual(try bridge.stop(), [])
        XCTAssertEqual(changes(since: mark), [])
        XCTAssertEqual(addresses("eth0"), hostAddresses)
        XCTAssertEqual(routes("eth0"), hostRoutes)
    }

    func testMoveAddressesFalseMovesNothing() throws {
        let bridge = attachment { $0.moveAddresses = false }
        try bridge.start()
        XCTAssertFalse(changes().contains { $0.hasPrefix("addr") || $0.hasPrefix("route") })
        XCTAssertEqual(addresses("eth0"), hostAddresses)
        XCTAssertEqual(routes("eth0"), hostRoutes)
    }

    /// A refusal on the bridge side (ENOMEM on the table-100 route): start
    /// fails and everything goes back; nothing stays recorded.
    func testARefusedRouteRollsEverythingBack() throws {
        kernel.failNext(.newRoute, object: "br0", errno: ENOMEM, where: { $0.summary.contains("table 100") })
        XCTAssertThrowsError(try attachment().start()) { XCTAssertEqual(($0 as? NetlinkError)?.errno, ENOMEM, "\($0)") }
        XCTAssertEqual(kernel.armedFaults, 0, "the path meant to break was taken")
        XCTAssertEqual(addresses("eth0"), hostAddresses)
        XCTAssertEqual(routes("eth0"), hostRoutes)
        XCTAssertNil(kernel.link(named: "br0"))
        XCTAssertEqual(record(recordName), [:])
        XCTAssertTrue(changes().contains("addr del 10.99.8.2/24 dev br0"), "taken off the bridge before it goes: \(changes())")
    }

    /// Killed after each request of the move in turn: the kernel freezes
    /// there (every later request refused, so even the rollback cannot
    /// act, as with SIGKILL). At every point each host address and route
    /// is on one side or the other; then stop puts everything back, or a
    /// new start finishes the move.
    func testKilledAfterAnyRequestTheRecordIsReplayedByStopOrStart() throws {
        // How many change requests a whole start sends.
        try attachment().start()
        let total = kernel.changes.count
        tearDown()
        for replay in ["stop", "start"] {
            for killedAfter in 0..<total {
                setUp()
                kernel.failNext(nil, errno: EINTR, times: .max, where: { _ in
                    self.kernel.changes.count > killedAfter
                })
                _ = try? attachment().start()
                let here = "killed after \(killedAfter) of \(total), replayed by \(replay)"
                for address in hostAddresses {
                    XCTAssertTrue(addresses("eth0").contains(address) || addresses("br0").contains(address), "\(address) \(here)")
                }
                for route in hostRoutes {
                    XCTAssertTrue(routes("eth0").contains(route) || routes("br0").contains(route), "\(route) \(here)")
                }
                kernel.clearFaults()
                if replay == "stop" {
                    try attachment().stop()
                    XCTAssertEqual(addresses("eth0"), hostAddresses, here)
                    XCTAssertEqual(routes("eth0"), hostRoutes, here)
                    XCTAssertNil(kernel.link(named: "br0"), here)
                    XCTAssertEqual(record(recordName), [:], here)
                } else {
                    try attachment().start()
                    XCTAssertEqual(addresses("br0"), hostAddresses, here)
                    XCTAssertEqual(routes("br0"), hostRoutes, here)
                    XCTAssertEqual(addresses("eth0"), [], here)
                    XCTAssertEqual(routes("eth0"), [], here)
                }
                tearDown()
            }
        }
        setUp()
    }

    /// The same for stop: killed after any of its requests, each host
    /// address and route is somewhere, and the next stop finishes.
    func testKilledStopIsFinishedByTheNextStop() throws {
        try attachment().start()
        let mark = kernel.changes.count
        try attachment().stop()
        let total = kernel.changes.count - mark
        tearDown()
        for killedAfter in 0..<total {
            setUp()
            try attachment().start()
            let started = kernel.changes.count
            kernel.failNext(nil, errno: EINTR, times: .max, where: { _ in self.kernel.changes.count > started + killedAfter })
            _ = try? attachment().stop()
            let here = "stop killed after \(killedAfter) of \(total)"
            for address in hostAddresses {
                XCTAssertTrue(addresses("eth0").contains(address) || addresses("br0").contains(address), "\(address) \(here)")
            }
            for route in hostRoutes {
                XCTAssertTrue(routes("eth0").contains(route) || routes("br0").contains(route), "\(route) \(here)")
            }
            kernel.clearFaults()
            try attachment().stop()
            XCTAssertEqual(addresses("eth0"), hostAddresses, here)
            XCTAssertEqual(routes("eth0"), hostRoutes, here)
            XCTAssertNil(kernel.link(named: "br0"), here)
            XCTAssertEqual(record(recordName), [:], here)
            tearDown()
        }
        setUp()
    }

    /// Stop must not fail over a route (a failed stop fences the node):
    /// one the uplink refuses is logged, the rest goes back.
    func testARouteTheUplinkRefusesAtStopIsLoggedNotFatal() throws {
        let bridge = attachment()
        try bridge.start()
        kernel.failNext(.newRoute, object: "eth0", errno: ENETDOWN, where: { $0.summary.contains("table 100") })
        try bridge.stop()
        XCTAssertEqual(kernel.armedFaults, 0)
        XCTAssertEqual(addresses("eth0"), hostAddresses)
        XCTAssertEqual(routes("eth0"), hostRoutes.filter { !$0.contains("table 100") })
        XCTAssertTrue(logged.contains { $0.hasPrefix("could not move route 10.200.0.0/16 via 10.99.8.1 table 100 proto 3 back to eth0") }, "\(logged)")
        XCTAssertEqual(record(recordName), [:])
    }

    func testMovedAddressRecordRoundTrips() {
        var record = MovedAddressRecord()
        var address = InterfaceAddress(interfaceIndex: 0, family: AF_INET, bytes: bytes("10.99.8.3"), prefixLength: 24, flags: 0x81)
        address.broadcast = bytes("10.99.8.255")
        address.validLifetime = 100
        address.preferredLifetime = 50
        var six = InterfaceAddress(interfaceIndex: 0, family: AF_INET6, bytes: bytes("fd99:8::2"), prefixLength: 64, flags: 0x80)
        six.routePriority = 7
        var r = route("10.200.0.0", 16, via: "10.99.8.1", metric: 5, table: 1000)
        r.preferredSource = bytes("10.99.8.2")
        r.metrics = [8, 0, 2, 0, 0xdc, 5, 0, 0]
        r.preference = 1
        r.flags = UInt32(RTNH_F_ONLINK)
        XCTAssertTrue(record.merge(addresses: [address, six], labelSuffixes: [":1", nil], routes: [r]))
        XCTAssertFalse(record.merge(addresses: [address], labelSuffixes: [":1"], routes: [r]), "already listed")
        var stored: [String: String] = [:]
        record.store(into: &stored)
        XCTAssertEqual(MovedAddressRecord(record: stored), record)
        XCTAssertFalse(stored.values.contains { $0.contains("\n") || $0.contains("=") }, "one key=value line each: \(stored)")
        MovedAddressRecord().store(into: &stored)
        XCTAssertEqual(stored, [:])
    }

    func testHealthFailsWhenAMovedAddressIsOnTheUplinkAgain() throws {
        let bridge = attachment()
        try bridge.start()
        kernel.addAddress("10.99.8.2", prefixLength: 24, device: "eth0")
        let health = try bridge.health()
        XCTAssertEqual(health.state, .failed)
        XCTAssertTrue(health.reason.contains("10.99.8.2/24 moved to br0 are on uplink eth0 again"), health.reason)
        try bridge.stop()
        XCTAssertEqual(addresses("eth0"), hostAddresses)
        XCTAssertEqual(addresses("eth0").count, 2, "not doubled")
    }

    func testAnAddressAddedToTheBridgeByHandStays() throws {
        kernel.addLink("br0", kind: .bridge(Bridge()), up: true)
        kernel.addAddress("10.77.0.1", prefixLength: 24, device: "br0")
        let bridge = attachment { $0.create = false }
        try bridge.start()
        XCTAssertEqual(addresses("br0"), ["10.77.0.1/24"] + hostAddresses)
        try bridge.stop()
        XCTAssertEqual(addresses("br0"), ["10.77.0.1/24"])
        XCTAssertEqual(addresses("eth0"), hostAddresses)
    }
}
