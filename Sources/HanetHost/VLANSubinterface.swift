import HanetLinks

/// A bridge uplink that is an 802.1Q VLAN on any NIC or bond (`eth1.100`),
/// made by the bridge resource itself when it is absent, as resource-agents'
/// iface-vlan does. Before this, only the bond agent's `vlans=` could make
/// one, so a tagged uplink on a plain NIC needed the distribution's network
/// configuration.
public struct VLANSubinterface: Equatable, Sendable {
    /// The device that carries the tagged frames (eth1, bond0).
    public var parent: InterfaceName
    /// 1-4094.
    public var id: UInt16

    public init(parent: InterfaceName, id: UInt16) {
        self.parent = parent
        self.id = id
    }

    /// `<parent>.<id>`, the name `ip link add link eth1 name eth1.100` and
    /// ifupdown use, so administrators find it where they expect it.
    public func name() throws(ConfigurationError) -> InterfaceName {
        guard Vlan.validIDs.contains(id) else { throw ConfigurationError("vlan_id", "must be 1-4094 (got \(id))") }
        do {
            return try InterfaceName(validating: "\(parent.value).\(id)")
        } catch {
            throw ConfigurationError("vlan_id", "\(parent.value).\(id) would be longer than 15 characters")
        }
    }
}
