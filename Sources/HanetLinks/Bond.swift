/// Bonding driver configuration (`ip link add NAME type bond ...`).
///
/// Every option is optional: `nil` means "leave the kernel's value alone",
/// which is how an adopted bond keeps settings hanet was not asked about.
public struct Bond: Equatable, Sendable {
    /// `IFLA_BOND_MODE`. The kernel changes it only while the bond is down
    /// (`EBUSY` otherwise) and has no slaves (`ENOTEMPTY`).
    public var mode: BondMode?
    /// Kernel ifindex of the active slave (read), or set by name via `activeSlave`.
    public var activeSlaveIndex: Int32?
    /// `IFLA_BOND_MIIMON`: how often, in ms, the driver checks each slave's
    /// carrier; 0 turns MII monitoring off.
    public var miimon: UInt32?
    /// `IFLA_BOND_UPDELAY`: ms a slave must keep its carrier before the bond
    /// uses it; the kernel rounds it down to a multiple of `miimon`.
    public var updelay: UInt32?
    /// `IFLA_BOND_DOWNDELAY`: ms a slave may be without carrier before the bond
    /// drops it; rounded down to a multiple of `miimon` as well.
    public var downdelay: UInt32?
    /// `IFLA_BOND_ARP_INTERVAL`: ms between ARP probes to `arpIPTargets`; 0
    /// turns ARP monitoring off. Turning it on turns MII monitoring off, and
    /// the other way round.
    public var arpInterval: UInt32?
    /// `IFLA_BOND_ARP_IP_TARGET`: the addresses ARP monitoring probes (at most 16).
    public var arpIPTargets: [IPv4Address]?
    /// `IFLA_BOND_ARP_VALIDATE`: which slaves must see ARP traffic to count as up.
    public var arpValidate: ARPValidate?
    /// Primary slave by ifindex (the kernel's attribute takes an index).
    public var primaryIndex: Int32?
    /// `IFLA_BOND_PRIMARY_RESELECT`: when a recovered primary slave takes over again.
    public var primaryReselect: PrimaryReselect?
    /// `IFLA_BOND_FAIL_OVER_MAC` (active-backup): which MAC addresses the bond
    /// and its slaves use across a failover.
    public var failOverMAC: FailOverMAC?
    /// `IFLA_BOND_XMIT_HASH_POLICY`: how balance-xor and 802.3ad (and
    /// balance-tlb without dynamic load balancing) pick a slave per flow.
    public var xmitHashPolicy: XmitHashPolicy?
    /// `num_grat_arp` / `num_unsol_na`: both are IFLA_BOND_NUM_PEER_NOTIF.
    public var numPeerNotifications: UInt8?
    /// `IFLA_BOND_ALL_SLAVES_ACTIVE`: deliver frames that arrive on inactive
    /// slaves too, instead of dropping them as duplicates.
    public var allSlavesActive: Bool?
    /// `IFLA_BOND_MIN_LINKS` (802.3ad): the bond has carrier only while at
    /// least this many slaves are up.
    public var minLinks: UInt32?
    /// `IFLA_BOND_AD_LACP_RATE` (802.3ad): how often we ask the partner to send LACPDUs.
    public var lacpRate: LACPRate?
    /// `IFLA_BOND_AD_SELECT` (802.3ad): how the active aggregator is chosen.
    public var adSelect: ADSelect?
    /// 802.3ad aggregator state (read only).
    public var adInfo: BondADInfo?
    /// `IFLA_BOND_AD_ACTOR_SYS_PRIO` (802.3ad): our LACP system priority,
    /// 1-65535 (65535 by default); the partner with the lower one decides
    /// which ports aggregate.
    public var adActorSysPrio: UInt16?
    /// `IFLA_BOND_AD_USER_PORT_KEY` (802.3ad): the upper 10 bits of our LACP
    /// port key, 0-1023. The kernel changes it only while the bond is down.
    public var adUserPortKey: UInt16?
    /// `IFLA_BOND_AD_ACTOR_SYSTEM` (802.3ad): the system MAC our LACPDUs
    /// carry instead of the bond's own; the kernel refuses multicast ones.
    /// Two hosts presenting one system to a switch (MLAG-style) need it.
    public var adActorSystem: MACAddress?
    /// `IFLA_BOND_AD_LACP_ACTIVE` (802.3ad): false waits for the partner's
    /// LACPDUs before sending any ("passive"). Only while the bond is down.
    public var lacpActive: Bool?
    /// `IFLA_BOND_ARP_ALL_TARGETS`: whether one answering target keeps a
    /// slave up (`any`) or every target must answer (`all`).
    public var arpAllTargets: ARPAllTargets?
    /// `IFLA_BOND_MISSED_MAX`: how many `arpInterval` checks may fail before
    /// the ARP (or NS) monitor marks a slave down, 1-255 (2 by default).
    public var arpMissedMax: UInt8?
    /// `IFLA_BOND_NS_IP6_TARGET`: IPv6 addresses the ARP monitor probes with
    /// neighbour solicitations (at most 16), alongside or instead of
    /// `arpIPTargets`.
    public var nsIP6Targets: [IPv6Address]?
    /// `IFLA_BOND_PEER_NOTIF_DELAY`: ms between the peer notifications sent
    /// after a failover, 0-300000; needs MII monitoring (the kernel stores it
    /// as a multiple of `miimon`, rounding down).
    public var peerNotifyDelay: UInt32?
    /// `IFLA_BOND_TLB_DYNAMIC_LB` (balance-tlb, balance-alb): false places
    /// flows by `xmitHashPolicy` instead of by load. Only while the bond is down.
    public var tlbDynamicLB: Bool?
    /// `IFLA_BOND_RESEND_IGMP`: IGMP membership reports sent after a
    /// failover, 0-255 (1 by default), so multicast keeps flowing.
    public var resendIGMP: UInt32?
    /// `IFLA_BOND_USE_CARRIER`: true lets miimon trust the slave's carrier
    /// state; false asks the driver by MII/ethtool ioctls (old NICs only).
    public var useCarrier: Bool?
    /// `IFLA_BOND_PACKETS_PER_SLAVE` (balance-rr): frames sent on one slave
    /// before moving to the next, 0-65535; 0 picks a slave at random.
    public var packetsPerSlave: UInt32?
    /// `IFLA_BOND_LP_INTERVAL`: seconds between the learning packets
    /// balance-tlb and balance-alb send to each slave's switch, 1-2147483647.
    public var lpInterval: UInt32?

    /// Options with only `mode` and `miimon` set (when given); set the rest
    /// as needed. Unset options get the kernel's defaults when the bond is
    /// created and stay as they are when it is modified.
    public init(mode: BondMode? = nil, miimon: UInt32? = nil) {
        self.mode = mode
        self.miimon = miimon
    }
}

/// A bonding option the kernel takes by number and `ip`/sysfs spell by
/// name: parsed from either, printed as the name.
public protocol KernelOption: CaseIterable, Sendable, CustomStringConvertible, RawRepresentable
where RawValue: FixedWidthInteger {}

extension KernelOption {
    /// Parses the kernel's number (`1`) or the name as `ip` and sysfs print it
    /// (`layer3+4`), in any case; nil for anything else.
    public init?(parsing text: String) {
        if let number = RawValue(text), let value = Self(rawValue: number) { self = value; return }
        guard let value = Self.allCases.first(where: { $0.description == text.lowercased() }) else { return nil }
        self = value
    }
}

/// The seven bonding modes, spelled as the kernel and `ip` spell them.
public enum BondMode: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    /// `balance-rr` (0): frames go round-robin over all slaves, so one flow
    /// can arrive out of order. The switch must treat the ports as a static
    /// aggregate.
    case balanceRR = 0
    /// `active-backup` (1): one slave carries everything, another takes over
    /// when it fails. Needs nothing from the switch.
    case activeBackup = 1
    /// `balance-xor` (2): each flow stays on one slave, picked by
    /// `xmitHashPolicy`. The switch must treat the ports as a static aggregate.
    case balanceXOR = 2
    /// `broadcast` (3): every frame goes out on every slave.
    case broadcast = 3
    /// `802.3ad` (4): LACP dynamic link aggregation; the switch must speak LACP.
    case ieee8023ad = 4
    /// `balance-tlb` (5): transmit load balancing; receiving is on the active
    /// slave only. Needs nothing from the switch.
    case balanceTLB = 5
    /// `balance-alb` (6): balance-tlb plus receive load balancing for IPv4, by
    /// answering ARP with different slaves' MACs.
    case balanceALB = 6

    /// The name the kernel and `ip -d link` print (`active-backup`, `802.3ad`).
    public var description: String {
        switch self {
        case .balanceRR: return "balance-rr"
        case .activeBackup: return "active-backup"
        case .balanceXOR: return "balance-xor"
        case .broadcast: return "broadcast"
        case .ieee8023ad: return "802.3ad"
        case .balanceTLB: return "balance-tlb"
        case .balanceALB: return "balance-alb"
        }
    }

    /// Accepts kernel names (`active-backup`), numbers (`1`), and the
    /// `mode=4` style of old modprobe.conf lines (`4`).
    public init?(parsing text: String) {
        let lowered = text.lowercased()
        if let number = UInt8(lowered), let mode = BondMode(rawValue: number) { self = mode; return }
        guard let mode = Self.allCases.first(where: { $0.description == lowered }) else { return nil }
        self = mode
    }

    /// Modes whose slaves all transmit: per-slave link loss degrades capacity.
    public var usesAllSlaves: Bool { self != .activeBackup && self != .broadcast }
}

/// `xmit_hash_policy`: which headers pick the slave a frame leaves by.
public enum XmitHashPolicy: UInt8, KernelOption {
    /// `layer2` (0): MAC addresses; `layer34` (1, `layer3+4`): IP addresses and
    /// ports; `layer23` (2, `layer2+3`): MAC and IP addresses; `encap23` and
    /// `encap34` (3, 4): like 2+3 and 3+4, on the inner headers of tunnelled
    /// traffic; `vlanSrcMAC` (5, `vlan+srcmac`): VLAN id and source MAC.
    case layer2 = 0, layer34 = 1, layer23 = 2, encap23 = 3, encap34 = 4, vlanSrcMAC = 5
    public var description: String {
        switch self {
        case .layer2: return "layer2"
        case .layer34: return "layer3+4"
        case .layer23: return "layer2+3"
        case .encap23: return "encap2+3"
        case .encap34: return "encap3+4"
        case .vlanSrcMAC: return "vlan+srcmac"
        }
    }
}

/// `lacp_rate` (802.3ad): how often the partner should send us LACPDUs.
public enum LACPRate: UInt8, KernelOption {
    /// `slow` (0): every 30 seconds; `fast` (1): every second.
    case slow = 0, fast = 1
    public var description: String { self == .slow ? "slow" : "fast" }
}

/// `ad_select` (802.3ad): which aggregator becomes the active one.
public enum ADSelect: UInt8, KernelOption {
    /// `stable` (0): the one with the most bandwidth, reselected only when it
    /// has no slave left up; `bandwidth` (1): the most bandwidth, reselected
    /// on every slave or LACP change; `count` (2): the most ports, reselected
    /// like `bandwidth`.
    case stable = 0, bandwidth = 1, count = 2
    public var description: String { ["stable", "bandwidth", "count"][Int(rawValue)] }
}

/// `fail_over_mac` (active-backup): how MAC addresses move on a failover.
public enum FailOverMAC: UInt8, KernelOption {
    /// `none` (0): every slave takes the bond's MAC; `active` (1): the bond
    /// takes the active slave's MAC and slaves keep their own; `follow` (2):
    /// the new active slave gets the bond's MAC and the old one the new one's.
    case none = 0, active = 1, follow = 2
    public var description: String { ["none", "active", "follow"][Int(rawValue)] }
}

/// `primary_reselect`: whether a recovered primary slave becomes active again.
public enum PrimaryReselect: UInt8, KernelOption {
    /// `always` (0): as soon as it is back; `better` (1): if its speed and
    /// duplex beat the active slave's; `failure` (2): only when the active
    /// slave fails.
    case always = 0, better = 1, failure = 2
    public var description: String { ["always", "better", "failure"][Int(rawValue)] }
}

/// `arp_validate`: which ARP traffic proves a slave works under ARP monitoring.
public enum ARPValidate: UInt32, KernelOption {
    /// `none` (0): any traffic counts; `active`, `backup`, `all` (1-3): ARP
    /// to or from the targets must be seen on the active slave, the backup
    /// slaves, or all of them; `filter` (4): only ARP counts, not validated;
    /// `filterActive`, `filterBackup` (5, 6): only ARP counts, validated on the
    /// active or the backup slaves.
    case none = 0, active = 1, backup = 2, all = 3, filter = 4, filterActive = 5, filterBackup = 6
    public var description: String {
        ["none", "active", "backup", "all", "filter", "filter_active", "filter_backup"][Int(rawValue)]
    }
}

/// `arp_all_targets`: how many ARP targets must answer for a slave to count as up.
public enum ARPAllTargets: UInt32, KernelOption {
    /// `any` (0): one answering target is enough; `all` (1): every one must answer.
    case any = 0, all = 1
    public var description: String { self == .any ? "any" : "all" }
}

/// 802.3ad aggregator as the bond reports it.
public struct BondADInfo: Equatable, Sendable {
    /// `IFLA_BOND_AD_INFO_AGGREGATOR`: id of the active aggregator.
    public var aggregatorID: UInt16?
    /// `IFLA_BOND_AD_INFO_NUM_PORTS`: how many slaves it holds.
    public var numberOfPorts: UInt16?
    /// `IFLA_BOND_AD_INFO_ACTOR_KEY`: our LACP key for it.
    public var actorKey: UInt16?
    /// `IFLA_BOND_AD_INFO_PARTNER_KEY`: the switch's LACP key for it.
    public var partnerKey: UInt16?
    /// `IFLA_BOND_AD_INFO_PARTNER_MAC`: the switch's LACP system address; all
    /// zero until it sent an LACPDU.
    public var partnerMAC: MACAddress?
    /// A partner that never sent LACPDUs shows as 00:00:00:00:00:00.
    public var partnerAnswered: Bool { partnerMAC.map { !$0.isZero } ?? false }
}

/// A slave's state inside its bond (IFLA_INFO_SLAVE_DATA), read per slave
/// from the same link dump instead of parsing /proc/net/bonding.
public struct BondSlaveState: Equatable, Sendable {
    /// `IFLA_BOND_SLAVE_STATE`: `active` (0) carries the bond's traffic,
    /// `backup` (1) stands by (or, in 802.3ad, is outside the active aggregator).
    public enum Role: UInt8, Sendable { case active = 0, backup = 1 }
    /// `IFLA_BOND_SLAVE_MII_STATUS`: `up` (0); `fail` (1): carrier lost,
    /// waiting out `downdelay`; `down` (2); `back` (3): carrier back, waiting
    /// out `updelay`.
    public enum MIIStatus: UInt8, Sendable { case up = 0, fail = 1, down = 2, back = 3 }
    /// nil when the kernel did not report it, as for every field here.
    public var role: Role?
    /// Carrier as the bond's MII monitor last saw it.
    public var miiStatus: MIIStatus?
    /// `IFLA_BOND_SLAVE_LINK_FAILURE_COUNT`: how often the bond saw this
    /// slave's link fail since it was enslaved.
    public var linkFailureCount: UInt32?
    /// `IFLA_BOND_SLAVE_PERM_HWADDR`: the slave's own MAC, which the bond may
    /// have replaced with its own.
    public var permanentMAC: MACAddress?
    /// `IFLA_BOND_SLAVE_AD_AGGREGATOR_ID` (802.3ad): the slave is in the active
    /// aggregator when this equals the bond's `adInfo.aggregatorID`.
    public var aggregatorID: UInt16?
    /// `IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE`: our LACP port state bits
    /// (activity, timeout, aggregation, synchronization, collecting,
    /// distributing, defaulted, expired).
    public var actorOperPortState: UInt8?
    /// `IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE`: the same bits as the
    /// switch reports them (the kernel sends a u16; the bits are its low byte).
    public var partnerOperPortState: UInt8?
    /// Nothing known; the decoder fills in what the kernel reports.
    public init() {}
}

/// An IPv4 address (for arp_ip_target).
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    /// Most significant first: 192.0.2.1 is (192, 0, 2, 1).
    public var octets: (UInt8, UInt8, UInt8, UInt8)
    /// From four octets, most significant first.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) { octets = (a, b, c, d) }
    /// Dotted-quad text only (`192.0.2.1`): four decimal parts of 1-3 digits,
    /// each at most 255; nil for anything else, including `10.1` shorthand.
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var values: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let v = UInt8(part) else { return nil }
            values.append(v)
        }
        octets = (values[0], values[1], values[2], values[3])
    }
    /// The four octets in network order, as `IFLA_BOND_ARP_IP_TARGET` carries them.
    public var bytes: [UInt8] { [octets.0, octets.1, octets.2, octets.3] }
    public var description: String { bytes.map(String.init).joined(separator: ".") }
    public static func == (l: IPv4Address, r: IPv4Address) -> Bool { l.bytes == r.bytes }
    public func hash(into h: inout Hasher) { h.combine(bytes) }
}
