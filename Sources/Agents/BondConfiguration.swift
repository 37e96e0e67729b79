import Links

/// Desired state of one bond (the `ocf:hanet:bond` parameters).
public struct BondConfiguration: Equatable, Sendable {
    public var bond: InterfaceName
    public var slaves: [InterfaceName]
    /// Driver options. `primaryIndex` is resolved from `primary` at start.
    public var options: Bond
    public var primary: InterfaceName?
    public var mac: MACAddress?
    public var mtu: UInt32?
    public var arp: Bool = true
    public var multicast: Bool = true
    /// 802.1Q ids; each becomes `<bond>.<id>`, up, ready for a bridge.
    public var vlans: [UInt16] = []
    /// Report partial slave loss as OCF_DEGRADED (190) instead of 0.
    public var reportDegraded: Bool = true

    public init(bond: InterfaceName, slaves: [InterfaceName], options: Bond) {
        self.bond = bond
        self.slaves = slaves
        self.options = options
    }

    public var mode: BondMode { options.mode ?? .activeBackup }

    public func vlanName(_ id: UInt16) -> InterfaceName {
        // Lengths were checked when the configuration was parsed.
        (try? InterfaceName(validating: "\(bond.value).\(id)")) ?? bond
    }
}
