import XCTest
import Links
import Netlink
import TestSupport

/// Learned FDB entries are read and deleted natively; static ones survive.
final class BridgeFDBNetnsTests: XCTestCase {
    func testLearnedEntriesAreListedAndDeleted() throws {
        let host = try TestNamespace("fdb")
        defer { host.remove() }
        let guest = try TestNamespace("fdbg")
        defer { guest.remove() }
        try host.sh("""
            ip link add br0 type bridge
            ip link set br0 address 02:00:00:00:00:b0 up
            ip addr add 10.77.0.1/24 dev br0
            ip link add vif1.0 type veth peer name eth0 netns \(guest.name)
            ip link set vif1.0 master br0 up
            bridge fdb add 02:00:00:00:00:5a dev vif1.0 master static
            """)
        try guest.sh("ip link set eth0 address 02:00:00:00:00:11 up; ip addr add 10.77.0.2/24 dev eth0")
        try guest.exec(["ping", "-c1", "-W2", "10.77.0.1"], must: true)

        let links = try LinkManager(namespace: .named(host.name))
        let fdb = try BridgeFDB(namespace: .named(host.name))
        let bridge = try XCTUnwrap(try links.link(named: "br0"))
        let port = try XCTUnwrap(try links.link(named: "vif1.0"))
        let entries = try fdb.entries(bridgeIndex: bridge.index)
        let learned = try XCTUnwrap(entries.first { $0.mac == "02:00:00:00:00:11" }, "\(entries)")
        XCTAssertEqual(learned.portIndex, port.index)
        XCTAssertTrue(learned.isDynamic)
        let manual = try XCTUnwrap(entries.first { $0.mac == "02:00:00:00:00:5a" }, "\(entries)")
        XCTAssertFalse(manual.isDynamic)

        try fdb.delete(learned)
        try fdb.delete(learned) // already gone: not an error
        let witness = try host.exec(["bridge", "fdb", "show", "br", "br0"], must: true).stdout
        XCTAssertFalse(witness.contains("02:00:00:00:00:11"), witness)
        XCTAssertTrue(witness.contains("02:00:00:00:00:5a"), witness)
    }
}
