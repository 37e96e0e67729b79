import HanetLinks

/// What the vhostnet agent wants the firewall to do: the desired state.
///
/// A value type, so the same policy can be rendered by either backend,
/// compared with what the kernel holds, and hashed into the owner name.
public struct GuestBlockPolicy: Hashable, Sendable {
    /// Bridges whose guest ports are blocked; other bridges are untouched.
    public private(set) var bridges: [InterfaceName]
    /// Ports treated as guests (default `vif* tap* vnet*`).
    public private(set) var guestPorts: [PortPattern]
    /// Ports never blocked even if they match `guestPorts` (dom0's `vif0.0`).
    public private(set) var exemptPorts: [PortPattern]

    /// Kept in one canonical form, sorted by spelling and without
    /// duplicates, so every spelling of the same policy (`vif* tap*`,
    /// `tap* vif* vif*`) is the same value: equal, with the same owner tag,
    /// rendered into the same rules by either backend. Backends rely on it
    /// and do not sort again.
    public init(bridges: [InterfaceName], guestPorts: [PortPattern], exemptPorts: [PortPattern] = []) {
        self.bridges = Self.canonical(bridges)
        self.guestPorts = Self.canonical(guestPorts)
        self.exemptPorts = Self.canonical(exemptPorts)
    }

    /// Sorted, duplicates dropped. Insertion into a small array, not a Set:
    /// lists are a few entries long, and each Set of a new element type costs
    /// every agent call ~0.1 M instructions of runtime metadata work (callgrind).
    private static func canonical<T: Comparable>(_ items: [T]) -> [T] {
        var kept: [T] = []
        for item in items where !kept.contains(item) {
            kept.insert(item, at: kept.firstIndex { item < $0 } ?? kept.count)
        }
        return kept
    }

    /// A short name derived from the parameters (not the Pacemaker instance
    /// name), so two resources never share a table and a renamed resource
    /// still finds the block it made. FNV-1a over a canonical spelling.
    public var ownerTag: String {
        let canonical = bridges.map(\.value).joined(separator: ",") + "|"
            + guestPorts.map(\.description).joined(separator: ",") + "|"
            + exemptPorts.map(\.description).joined(separator: ",")
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
