import XCTest
import HanetLinks
import HanetNetlink
import TestSupport

/// Learned FDB entries are read and deleted natively; static ones survive.
final class BridgeFDBNetnsTests: XCTestCase {
    func testLearnedEntriesAreListedAndDeleted() throws {
        let host = try TestNamespace("fdb")
        defer { host.remove() }
        let guest = try TestNamespace("fdbg")
        defer { guest.remove() }
        // A guest that sends nothing of its own (no IPv6 DAD, router or MLD
        // frames, no ARP: static neighbour), so nothing relearns its MAC
        // between the delete and the witness (seen on a loaded machine).
        try guest.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1; sysctl -qw net.ipv6.conf.default.disable_ipv6=1")
        try host.sh("""
            ip link add br0 type bridge
            ip link set br0 address 02:00:00:00:00:b0 up
            ip addr add 10.77.0.1/24 dev br0
            ip link add vif1.0 type veth peer name eth0 netns \(guest.name)
            ip link set vif1.0 master br0 up
            bridge fdb add 02:00:00:00:00:5a dev vif1.0 master static
            """)
        try guest.sh("""
            ip link set eth0 address 02:00:00:00:00:11 up; ip addr add 10.77.0.2/24 dev eth0
            ip neigh replace 10.77.0.1 lladdr 02:00:00:00:00:b0 dev eth0 nud permanent
            """)
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

    /// The kernel ignores the bridge filter of a (non-strict) dump and
    /// returns every device's entries: only the named bridge's may come back,
    /// or a one-by-one flush would delete another device's entries.
    func testEntriesAreThoseOfTheNamedBridgeOnly() throws {
        let host = try TestNamespace("fdbonly")
        defer { host.remove() }
        try host.sh("""
            ip link add br0 type bridge; ip link add br1 type bridge
            ip link add p0 type veth peer name q0; ip link add p1 type veth peer name q1
            ip link set p0 master br0; ip link set p1 master br1
            bridge fdb add 02:00:00:00:0b:00 dev p0 master static
            bridge fdb add 02:00:00:00:0b:01 dev p1 master static
            bridge fdb add 02:00:00:00:0b:02 dev q1 self permanent
            """)
        let links = try LinkManager(namespace: .named(host.name))
        let fdb = try BridgeFDB(namespace: .named(host.name))
        let br0 = try XCTUnwrap(try links.link(named: "br0"))
        let macs = try fdb.entries(bridgeIndex: br0.index).map(\.mac.description)
        XCTAssertTrue(macs.contains("02:00:00:00:0b:00"), "\(macs)")
        XCTAssertFalse(macs.contains("02:00:00:00:0b:01"), "br1's entry: \(macs)")
        XCTAssertFalse(macs.contains("02:00:00:00:0b:02"), "a device's own (self) entry: \(macs)")
    }

    /// One bulk request forgets what the bridge learned and nothing else:
    /// not hand-added entries (static or dynamic), not the ports' own
    /// addresses, not another bridge's entries.
    func testFlushLearnedRemovesOnlyLearnedEntriesOfThatBridge() throws {
        let host = try TestNamespace("fdbflush")
        defer { host.remove() }
        let guest = try TestNamespace("fdbflushg")
        defer { guest.remove() }
        let other = try TestNamespace("fdbflusho")
        defer { other.remove() }
        try host.sh("""
            ip link add br0 type bridge; ip link set br0 address 02:00:00:00:00:b0 up
            ip addr add 10.78.0.1/24 dev br0
            ip link add vif1.0 type veth peer name eth0 netns \(guest.name)
            ip link set vif1.0 master br0 up
            bridge fdb add 02:00:00:00:00:5a dev vif1.0 master static
            ip link add br1 type bridge; ip link set br1 up
            ip addr add 10.79.0.1/24 dev br1
            ip link add vif2.0 type veth peer name eth0 netns \(other.name)
            ip link set vif2.0 master br1 up
            """)
        try guest.sh("ip link set eth0 address 02:00:00:00:00:11 up; ip addr add 10.78.0.2/24 dev eth0")
        try other.sh("ip link set eth0 address 02:00:00:00:00:22 up; ip addr add 10.79.0.2/24 dev eth0")
        try guest.exec(["ping", "-c1", "-W2", "10.78.0.1"], must: true)
        try other.exec(["ping", "-c1", "-W2", "10.79.0.1"], must: true)
        // A dynamic entry by hand needs a forwarding port (EPERM before).
        _ = try host.sh("bridge fdb add 02:00:00:00:00:5b dev vif1.0 master dynamic")
        func fdb(_ bridge: String) throws -> String { try host.exec(["bridge", "fdb", "show", "br", bridge], must: true).stdout }
        XCTAssertTrue(try fdb("br0").contains("02:00:00:00:00:11 dev vif1.0"), "precondition: learned")
        XCTAssertTrue(try fdb("br1").contains("02:00:00:00:00:22 dev vif2.0"), "precondition: learned")
        let portMAC = try host.sh("cat /sys/class/net/vif1.0/address").trimmingCharacters(in: .whitespacesAndNewlines)

        let links = try LinkManager(namespace: .named(host.name))
        let bridge = try XCTUnwrap(try links.link(named: "br0"))
        let result = try BridgeFDB(namespace: .named(host.name)).flushLearned(bridgeIndex: bridge.index)
        XCTAssertEqual(result, .bulk, "Linux 5.19+ deletes in bulk")

        let after = try fdb("br0")
        XCTAssertFalse(after.contains("02:00:00:00:00:11"), "learned entry flushed\n\(after)")
        XCTAssertTrue(after.contains("02:00:00:00:00:5a dev vif1.0 master br0 static"), after)
        XCTAssertTrue(after.contains("02:00:00:00:00:5b dev vif1.0"), "hand-added dynamic entry stays\n\(after)")
        XCTAssertTrue(after.contains("\(portMAC) dev vif1.0"), "the port's own address stays\n\(after)")
        XCTAssertTrue(try fdb("br1").contains("02:00:00:00:00:22 dev vif2.0"), "the other bridge is untouched")
        // Relearned from the next frame.
        try guest.exec(["ping", "-c1", "-W2", "10.78.0.1"], must: true)
        XCTAssertTrue(try fdb("br0").contains("02:00:00:00:00:11 dev vif1.0"))
    }
}
