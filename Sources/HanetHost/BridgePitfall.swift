import HanetLinks

/// Uplink setups that work but hurt guests behind a bridge: the seeds'
/// lessons, reported as warnings by `validate-all` and `start`, never as
/// errors (the administrator may have reasons, and the bridge works).
///
/// Read from the kernel's own view of the uplink, so an uplink set up by
/// another tool (ifupdown, a hanet bond resource) is judged the same way.
public struct BridgePitfall: Equatable, Sendable, CustomStringConvertible {
    public var description: String

    /// The pitfalls of `uplink` under `bridge`, from one link dump and the
    /// uplink's addresses. A VLAN uplink is judged by the bond under it.
    public static func check(uplink: InterfaceName, bridge: InterfaceName, in links: [Link],
                             addresses: [InterfaceAddress]) -> [BridgePitfall] {
        guard var link = links.first(where: { $0.name == uplink }) else { return [] }
        var found: [BridgePitfall] = []
        let hostAddresses = addresses.filter(\.isGlobal)
        if !hostAddresses.isEmpty {
            found.append(BridgePitfall(description: "uplink \(uplink) carries the host's address(es) \(hostAddresses.map(\.description).joined(separator: " ")): as a port of \(bridge) it keeps them, but IPv6 neighbour discovery for them stops and routes through \(uplink) bypass the bridge (seed 001's network-bridge moved them); put them on \(bridge), or set move_addresses=true"))
        }
        var path = "uplink \(uplink)"
        if link.kind?.vlan != nil, let parentIndex = link.parentIndex, let parent = links.first(where: { $0.index == parentIndex }) {
            path += " (a VLAN on \(parent.name))"
            link = parent
        }
        guard let bond = link.kind?.bond, let mode = bond.mode else { return found }
        if mode == .activeBackup && bond.allSlavesActive == true {
            found.append(BridgePitfall(description: "\(path): bond \(link.name) is active-backup with all_slaves_active=1: its backup slave delivers frames too, so the bridge learns guest MACs on the wrong side and sees duplicate broadcasts (seed 001); set all_slaves_active=0"))
        }
        if mode == .balanceALB || mode == .balanceTLB {
            found.append(BridgePitfall(description: "\(path): bond \(link.name) runs \(mode): it balances by rewriting source MACs and ARP per slave, which guests behind a bridge do not survive well (peers keep a dead slave's MAC after a failover, seed 003); prefer active-backup or 802.3ad"))
        }
        return found
    }
}
