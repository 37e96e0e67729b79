import Foundation

/// The seed-004 topology in namespaces, built with `ip` (the test's own
/// tooling; the library under test never runs it):
///
///   client (10.80.0.100) -- [switch: bridge sw] -- uplink -- [host: xenbr1, dom0 10.80.0.1]
///                                                              |-- vif0.0 -> dom0side (10.80.0.2, exempt)
///                                                              |-- vif1.0 -> g1 (10.80.0.11)
///                                                              |-- vif2.0 -> g2 (10.80.0.12)
///                                                              |-- tap0   -> g3 (10.80.0.13)
///                                                              `-- vnet0  -> g4 (10.80.0.14)
/// Guests also have IPv6 fd80::N/64 (nodad). MACs are fixed: 02:00:00:00:00:NN.
public final class GuestLab: @unchecked Sendable {
    public let switchNS: TestNamespace
    public let host: TestNamespace
    public let client: TestNamespace
    public private(set) var guests: [String: TestNamespace] = [:]
    public static let guestPorts: [(port: String, name: String, id: Int)] = [
        ("vif0.0", "dom0side", 2), ("vif1.0", "g1", 11), ("vif2.0", "g2", 12), ("tap0", "g3", 13), ("vnet0", "g4", 14),
    ]

    public init(silent: Set<String> = []) throws {
        switchNS = try TestNamespace("sw")
        host = try TestNamespace("host")
        client = try TestNamespace("client")
        do {
            try switchNS.sh("ip link add sw type bridge; ip link set sw type bridge forward_delay 0; ip link set sw up")
            try host.sh("ip link add xenbr1 type bridge; ip link set xenbr1 type bridge forward_delay 0 stp_state 0")
            try host.exec(["ip", "link", "add", "uplink", "type", "veth", "peer", "name", "to-host", "netns", switchNS.name], must: true)
            try client.exec(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "to-client", "netns", switchNS.name], must: true)
            try switchNS.sh("for p in to-host to-client; do ip link set $p master sw up; done")
            try host.sh("""
                ip link set uplink master xenbr1 up
                ip link set xenbr1 address 02:00:00:00:00:01 up
                ip addr add 10.80.0.1/24 dev xenbr1
                ip addr add fd80::1/64 dev xenbr1 nodad
                """)
            try client.sh("""
                ip link set eth0 address 02:00:00:00:00:64 up
                ip addr add 10.80.0.100/24 dev eth0
                ip addr add fd80::100/64 dev eth0 nodad
                """)
            for (port, name, id) in Self.guestPorts {
                let ns = try TestNamespace(name)
                guests[name] = ns
                try addGuest(port: port, ns: ns, id: id, silent: silent.contains(name), waitForForwarding: false)
            }
            try host.waitUntilBridgePortsForward()
            try switchNS.waitUntilBridgePortsForward()
        } catch {
            remove()
            throw error
        }
    }

    public func addGuest(port: String, ns: TestNamespace, id: Int, silent: Bool = false, waitForForwarding: Bool = true) throws {
        let mac = Self.mac(id)
        try host.exec(["ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns.name], must: true)
        try host.sh("ip link set \(port) master xenbr1 up")
        if silent {
            // Sends nothing on its own: no IPv6 (no DAD/RS/MLD), and static
            // neighbours so it never ARPs; it only answers what it receives.
            try ns.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1; sysctl -qw net.ipv6.conf.default.disable_ipv6=1")
            try ns.sh("ip link set eth0 address \(mac) up; ip addr add 10.80.0.\(id)/24 dev eth0")
            try ns.sh("ip neigh replace 10.80.0.100 lladdr 02:00:00:00:00:64 dev eth0 nud permanent")
        } else {
            try ns.sh("ip link set eth0 address \(mac) up; ip addr add 10.80.0.\(id)/24 dev eth0; ip addr add fd80::\(id)/64 dev eth0 nodad")
        }
        if waitForForwarding { try host.waitUntilBridgePortsForward() }
    }

    public static func mac(_ id: Int) -> String { String(format: "02:00:00:00:00:%02x", id) }

    /// One ICMP echo from the client, 1 s timeout.
    public func clientPings(_ address: String) -> Bool {
        let v6 = address.contains(":")
        return Command.run(["ip", "netns", "exec", client.name, "ping", v6 ? "-6" : "-4", "-c1", "-W1", "-q", address]).succeeded
    }

    /// One ARP request from the client (arping exits 0 only on a reply).
    public func clientARPs(_ address: String) -> Bool {
        Command.run(["ip", "netns", "exec", client.name, "arping", "-c1", "-w1", "-I", "eth0", address]).succeeded
    }

    public func guestPings(_ guest: String, _ address: String) -> Bool {
        guard let ns = guests[guest] else { return false }
        return Command.run(["ip", "netns", "exec", ns.name, "ping", "-c1", "-W1", "-q", address]).succeeded
    }

    public func remove() {
        for ns in guests.values { ns.remove() }
        client.remove()
        host.remove()
        switchNS.remove()
    }
}
