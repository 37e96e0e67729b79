import HanetLinks
import HanetFirewall

/// Tells, from an open host's forwarding-table events, that another host
/// has the same guests open.
///
/// A bridge learns a MAC on the port its frames arrive on. This host's
/// guests send from its guest ports; if one of their MACs is learned on an
/// uplink, frames with it came from the network: the twin's copy of the
/// guest is online too (split brain, a fence that did nothing, a mistaken
/// command). No polling and no probe traffic: the bridge does the seeing.
public struct DuplicateDetector: Sendable {
    /// What was seen, for the log, the state record and the monitor.
    public struct Finding: Equatable, Sendable, CustomStringConvertible {
        public var macs: [MACAddress]
        public var uplink: InterfaceName

        public init(macs: [MACAddress], uplink: InterfaceName) {
            self.macs = macs
            self.uplink = uplink
        }

        public var description: String {
            "guest MAC(s) \(macs.map(\.description).joined(separator: " ")) arrived on uplink \(uplink): another host has these guests open"
        }
    }

    public let policy: GuestBlockPolicy
    /// This host's guest MACs: the ones it knew when it opened (recorded
    /// from its guest ports before) and every MAC learned on a guest port since.
    public private(set) var guestMACs: Set<MACAddress>

    public init(policy: GuestBlockPolicy, knownGuestMACs: Set<MACAddress>) {
        self.policy = policy
        // A group selected by MAC knows its single addresses from the start.
        let named = policy.selectedMACs.filter { $0.length == 48 }.map(\.address)
        guestMACs = knownGuestMACs.filter { !$0.isMulticast && policy.selects(mac: $0) }.union(named)
    }

    /// One event. `port` is the entry's port when it belongs to one of the
    /// policy's bridges, nil otherwise.
    public mutating func observe(_ entry: FDBEntry, port: InterfaceName?) -> Finding? {
        guard let uplink = port, entry.isLearned, !entry.mac.isMulticast else { return nil }
        let port = uplink.value
        if policy.isGuest(port: port) {
            // Another group's guest on a shared guest port is not ours to watch.
            if policy.selects(mac: entry.mac) { guestMACs.insert(entry.mac) }
            return nil
        }
        if policy.exemptPorts.contains(where: { $0.matches(port) }) { return nil }
        guard guestMACs.contains(entry.mac) else { return nil }
        return Finding(macs: [entry.mac], uplink: uplink)
    }
}
