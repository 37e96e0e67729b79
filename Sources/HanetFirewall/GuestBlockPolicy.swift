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
    /// Guests named by identity (`guest_macs`): when this or `guestDomains`
    /// is set, only frames from and to these MACs on guest ports are
    /// dropped, so several groups can share the bridges and their ports.
    /// `guestPorts` still says where guests are: never the uplink, where
    /// the same MACs arrive from the twin that is open on another host.
    public private(set) var guestMACs: [MACPrefix]
    /// libvirt domains whose MACs are selected (`guest_domains`). Their
    /// names, not their MACs, go into the owner tag: a redefined domain
    /// changes the rules, not the table that holds them.
    public private(set) var guestDomains: [String]
    /// The MACs read from the domains' definitions: rendered, not tagged.
    public private(set) var domainMACs: [MACPrefix]

    /// Kept in one canonical form, sorted by spelling and without
    /// duplicates, so every spelling of the same policy (`vif* tap*`,
    /// `tap* vif* vif*`) is the same value: equal, with the same owner tag,
    /// rendered into the same rules by either backend. Backends rely on it
    /// and do not sort again.
    public init(bridges: [InterfaceName], guestPorts: [PortPattern], exemptPorts: [PortPattern] = [],
                guestMACs: [MACPrefix] = [], guestDomains: [String] = [], domainMACs: [MACPrefix] = []) {
        self.bridges = Self.canonical(bridges)
        self.guestPorts = Self.canonical(guestPorts)
        self.exemptPorts = Self.canonical(exemptPorts)
        self.guestMACs = Self.canonical(guestMACs)
        self.guestDomains = Self.canonical(guestDomains)
        self.domainMACs = Self.canonical(domainMACs)
    }

    /// Whether guests are selected by MAC (`guest_macs`, `guest_domains`)
    /// within the guest ports, rather than every frame of those ports.
    public var selectsByIdentity: Bool { !guestMACs.isEmpty || !guestDomains.isEmpty }

    /// Every MAC block the rules drop, explicit and from domains, canonical.
    public var selectedMACs: [MACPrefix] { Self.canonical(guestMACs + domainMACs) }

    /// Whether `mac` belongs to this group: any MAC when the group is
    /// selected by port alone.
    public func selects(mac: MACAddress) -> Bool {
        !selectsByIdentity || guestMACs.contains { $0.contains(mac) } || domainMACs.contains { $0.contains(mac) }
    }

    /// Whether a frame from or to `mac` on `port` is this group's guest traffic.
    public func isGuest(port name: String, mac: MACAddress) -> Bool {
        isGuest(port: name) && selects(mac: mac)
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
            // Appended only when set: port-selected groups keep the tag (and
            // the table, guard and records) they had before identities existed.
            + (selectsByIdentity ? "|macs=" + guestMACs.map(\.description).joined(separator: ",")
                + "|domains=" + guestDomains.joined(separator: ",") : "")
        var hash: UInt32 = 2_166_136_261
        for byte in canonical.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Whether this port is a guest port (for identity-selected groups: a
    /// port where this group's guests may be, among others' guests).
    public func isGuest(port name: String) -> Bool {
        guestPorts.contains { $0.matches(name) } && !exemptPorts.contains { $0.matches(name) }
    }
}
