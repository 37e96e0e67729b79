/// The bridge agent's `move_addresses` longdesc, kept apart from
/// BridgeAgent.swift because it carries a measured figure (BENCHMARKS.md).
enum MoveAddressesText {
    static let longDescription = """
        true: at start, after the uplink is attached, the addresses it carries (IPv4 and IPv6, with prefix, flags, \
        label, broadcast and lifetimes) and the routes through it (every table, default routes included, with \
        gateway, metric, protocol and scope) move to the bridge; stop moves exactly those back, and never removes \
        an address or route it did not move. This is what Xen's network-bridge netdev=bond0 did (seed 001): on a \
        bridge port an address half works (IPv4 still answers, IPv6 neighbour discovery stops) and routes through \
        the port bypass the bridge. Addresses and routes the kernel makes itself (IPv6 link-local and SLAAC, \
        connected prefixes) are left to the kernel, which makes them for the bridge. Each step is recorded first \
        and everything is added on the new side before it is deleted on the old one, so a killed start or stop \
        leaves the host reachable and the next stop or start finishes the move. Monitor fails (1) when a moved \
        address is found on the uplink again. Measured (BENCHMARKS.md, section 5): pinging the host every 10 ms \
        during start and during stop, no answer was lost, IPv4 or IPv6; with false, 177 of 200 IPv6 pings went \
        unanswered once the peer had to resolve the address again. false: nothing moves, and an uplink with \
        global addresses is reported as a warning.
        """
}
