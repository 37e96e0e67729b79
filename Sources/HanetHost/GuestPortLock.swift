import Glibc
import HanetLinks
import HanetNetlink
import HanetFirewall

/// The second lock on blocked guests: their bridge ports held `disabled`.
///
/// The firewall block is one lock, and a firewall reload or `nft flush
/// ruleset` removes it. A bridge port in the `disabled` state forwards no
/// frame in either direction whatever the firewall says, so while the
/// guard puts the rules back, not one frame passes. The firewall stays
/// the first lock: it matches ports by name, so a guest that attaches
/// later is blocked from its first frame, before this lock reaches it.
///
/// The kernel puts a disabled port back to forwarding when the port's own
/// link goes down and up or changes (NETDEV_CHANGE), when the bridge goes
/// down and up, or when the port is re-enslaved; the guard re-applies the
/// lock on those link events. Bridges running STP (kernel or user space)
/// own their ports' states, so they are left alone: there, the firewall
/// block is the only lock. So is it for groups selected by MAC.
public struct GuestPortLock {
    /// What one pass did.
    public struct Pass: Equatable, Sendable {
        /// Guest ports this pass set to disabled (or, unlocking, to forwarding).
        public var changed: [InterfaceName] = []
        /// Bridges left alone because STP owns their port states.
        public var stpBridges: [InterfaceName] = []
    }

    public let policy: GuestBlockPolicy
    private let links: LinkManager

    public init(policy: GuestBlockPolicy, links: LinkManager) {
        self.policy = policy
        self.links = links
    }

    /// Disables every guest port that is up and not disabled yet: one
    /// link lookup and one port dump per bridge, then the changes in
    /// datagrams of 128 requests.
    ///
    /// A port that goes down meanwhile (ENETDOWN) is disabled by the
    /// kernel anyway; a bridge that turns on STP meanwhile (EBUSY) is
    /// left to STP. Other refusals are thrown.
    public func lock() throws -> Pass {
        try apply(.disabled) { $0.isUp && $0.bridgePortState != .disabled }
    }

    /// Puts guest ports this lock disabled back to forwarding (what the
    /// kernel chooses for a working port without STP).
    public func unlock() throws -> Pass {
        try apply(.forwarding) { $0.isUp && $0.hasCarrier && $0.bridgePortState == .disabled }
    }

    /// Guest ports of the policy's bridges that are up and not disabled:
    /// the ones a flushed firewall would let through.
    public func unlockedPorts() throws -> [InterfaceName] {
        var open: [InterfaceName] = []
        try forEachGuestPort { port in
            if port.isUp && port.bridgePortState != .disabled { open.append(port.name) }
        }
        return open
    }

    private func apply(_ state: BridgePortState, where needed: (Link) -> Bool) throws -> Pass {
        var pass = Pass()
        var ports: [Link] = []
        pass.stpBridges = try forEachGuestPort { if needed($0) { ports.append($0) } }
        let outcomes = try links.setBridgePortStates(state, ports: ports.map { (index: $0.index, name: $0.name) })
        for (port, outcome) in zip(ports, outcomes) {
            guard let error = outcome else {
                pass.changed.append(port.name)
                continue
            }
            // Went down, STP took over, or gone: nothing to hold there.
            guard error.errno == ENETDOWN || error.errno == EBUSY || error.errno == ENODEV else { throw error }
        }
        return pass
    }

    /// Calls `body` for each guest port of each existing, STP-free bridge
    /// of the policy; returns the bridges skipped for STP.
    @discardableResult
    private func forEachGuestPort(_ body: (Link) -> Void) throws -> [InterfaceName] {
        var stp: [InterfaceName] = []
        // A group selected by MAC shares its ports' names with other groups:
        // a port name does not say whose guest is behind it, and disabling
        // it could cut another group's open guest. Its firewall rules,
        // which match the MACs, are its only lock.
        guard !policy.selectsByIdentity else { return stp }
        for bridgeName in policy.bridges {
            guard let bridge = try links.link(named: bridgeName), let options = bridge.kind?.bridge else { continue }
            if options.stp == true {
                stp.append(bridgeName)
                continue
            }
            for port in try links.ports(ofMasterIndex: bridge.index) where policy.isGuest(port: port.name.value) {
                body(port)
            }
        }
        return stp
    }
}
