/// Bridge configuration (`ip link add NAME type bridge ...`). `nil` = keep.
public struct Bridge: Equatable, Sendable {
    public var stp: Bool?
    /// Seconds; the kernel stores centiseconds (clock_t at USER_HZ=100).
    public var forwardDelayCentiseconds: UInt32?
    public var ageingTimeCentiseconds: UInt32?
    public var helloTimeCentiseconds: UInt32?
    public var maxAgeCentiseconds: UInt32?
    public var vlanFiltering: Bool?

    public init(stp: Bool? = nil, forwardDelaySeconds: UInt32? = nil) {
        self.stp = stp
        self.forwardDelayCentiseconds = forwardDelaySeconds.map { $0 * 100 }
    }

    public var forwardDelaySeconds: UInt32? { forwardDelayCentiseconds.map { ($0 + 50) / 100 } }
}

/// 802.1Q VLAN sub-interface (`ip link add link bond0 name bond0.10 type vlan id 10`).
public struct Vlan: Equatable, Sendable {
    public var id: UInt16
    /// 0x8100 (802.1Q) unless 802.1ad is asked for.
    public var protocolID: UInt16 = 0x8100
    public init(id: UInt16) { self.id = id }
    public static let validIDs: ClosedRange<UInt16> = 1...4094
}

/// A veth pair; `peer` is only known when creating (the kernel reports the
/// peer's index, not its name, because it may live in another namespace).
public struct Veth: Equatable, Sendable {
    public var peerName: InterfaceName?
    /// Where the peer end goes at creation (a netns fd); nil = same namespace.
    public var peerNamespaceFD: Int32?
    public init(peer: InterfaceName? = nil, peerNamespaceFD: Int32? = nil) {
        peerName = peer
        self.peerNamespaceFD = peerNamespaceFD
    }
}
