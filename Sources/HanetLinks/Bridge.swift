/// Bridge configuration (`ip link add NAME type bridge ...`). `nil` = keep.
public struct Bridge: Equatable, Sendable {
    /// `IFLA_BR_STP_STATE`: spanning tree on or off (`stp_state 1|0`).
    public var stp: Bool?
    /// `IFLA_BR_FORWARD_DELAY` in centiseconds, the unit the kernel takes
    /// (clock_t at USER_HZ=100); `forwardDelaySeconds` converts.
    public var forwardDelayCentiseconds: UInt32?
    /// `IFLA_BR_AGEING_TIME`, centiseconds: how long a learned forwarding
    /// entry lives without traffic from its address (kernel default 300 s).
    public var ageingTimeCentiseconds: UInt32?
    /// `IFLA_BR_HELLO_TIME`, centiseconds: the interval between STP hellos.
    public var helloTimeCentiseconds: UInt32?
    /// `IFLA_BR_MAX_AGE`, centiseconds: how long STP trusts a received BPDU.
    public var maxAgeCentiseconds: UInt32?
    /// `IFLA_BR_VLAN_FILTERING`: ports forward only the VLANs configured on them.
    public var vlanFiltering: Bool?
    /// `IFLA_BR_VLAN_DEFAULT_PVID`: the VLAN a new port gets as its PVID
    /// (untagged); the bridge's own too. Kernel default 1.
    public var defaultPVID: UInt16?

    /// Options with `stp` and the forward delay (given in seconds, stored in
    /// centiseconds) set when given; the rest stays nil.
    public init(stp: Bool? = nil, forwardDelaySeconds: UInt32? = nil) {
        self.stp = stp
        self.forwardDelayCentiseconds = forwardDelaySeconds.map { $0 * 100 }
    }

    /// The forward delay rounded to whole seconds.
    public var forwardDelaySeconds: UInt32? { forwardDelayCentiseconds.map { ($0 + 50) / 100 } }
}

/// 802.1Q VLAN sub-interface (`ip link add link bond0 name bond0.10 type vlan id 10`).
public struct Vlan: Equatable, Sendable {
    /// `IFLA_VLAN_ID`, 1-4094. Fixed at creation: the kernel does not change
    /// an existing VLAN's id.
    public var id: UInt16
    /// 0x8100 (802.1Q) unless 802.1ad is asked for.
    public var protocolID: UInt16 = 0x8100
    /// An 802.1Q VLAN; `id` is not range-checked here (see `validIDs`).
    public init(id: UInt16) { self.id = id }
    /// The ids a VLAN may use: 802.1Q reserves 0 and 4095.
    public static let validIDs: ClosedRange<UInt16> = 1...4094
}

/// A veth pair; `peer` is only known when creating (the kernel reports the
/// peer's index, not its name, because it may live in another namespace).
public struct Veth: Equatable, Sendable {
    /// The other end's name at creation (`peer name NAME`); nil lets the
    /// kernel pick one. Always nil when read back.
    public var peerName: InterfaceName?
    /// Where the peer end goes at creation (a netns fd); nil = same namespace.
    public var peerNamespaceFD: Int32?
    /// A pair to create. Equivalent to: `ip link add NAME type veth peer name PEER [netns NS]`.
    public init(peer: InterfaceName? = nil, peerNamespaceFD: Int32? = nil) {
        peerName = peer
        self.peerNamespaceFD = peerNamespaceFD
    }
}
