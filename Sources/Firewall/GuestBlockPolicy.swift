import Links

/// What the vhostnet agent wants the firewall to do: the desired state.
///
/// A value type, so the same policy can be rendered by either backend,
/// compared with what the kernel holds, and hashed into the owner name.
public struct GuestBlockPolicy: Hashable, Sendable {
    /// Bridges whose guest ports are blocked; other bridges are untouched.
    public var bridges: [InterfaceName]
    /// Ports treated as guests (default `vif* tap* vnet*`).
    public var guestPorts: [PortPattern]
    /// Ports never blocked even if they match `guestPorts` (dom0's `vif0.0`).
    public var exemptPorts: [PortPattern]

    /// Duplicates are dropped (first one wins), so `vif* vif*` and `vif*`
    /// are the same policy, with the same owner tag and the same rules.
    public init(bridges: [InterfaceName], guestPorts: [PortPattern], exemptPorts: [PortPattern] = []) {
        // A linear scan, not a Set: lists are a few entries long, and each
        // Set of a new element type costs every agent call ~0.1 M
        // instructions of runtime metadata work (callgrind).
        func unique<T: Equatable>(_ items: [T]) -> [T] {
            var kept: [T] = []
            for item in items where !kept.contains(item) { kept.append(item) }
            return kept
        }
        self.bridges = unique(bridges)
        self.guestPorts = unique(guestPorts)
        self.exemptPorts = unique(exemptPorts)
    }

    /// A short name derived from the parameters (not the Pacemaker instance
    /// name), so two resources never share a table and a renamed resource
    /// still finds the block it made. FNV-1a over a canonical spelling.
    public var ownerTag: String {
        let canonical = bridges.map(\.value).sorted().joined(separator: ",") + "|"
            + guestPorts.map(\.description).sorted().joined(separator: ",") + "|"
            + exemptPorts.map(\.description).sorted().joined(separator: ",")
        var hash: UInt32 = 2_166_136_261
        for byte in canonical.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Whether traffic on this port is subject to the block.
    public func isGuest(port name: String) -> Bool {
        guestPorts.contains { $0.matches(name) } && !exemptPorts.contains { $0.matches(name) }
    }
}
