/// Bonding driver configuration (`ip link add NAME type bond ...`).
///
/// Every option is optional: `nil` means "leave the kernel's value alone",
/// which is how an adopted bond keeps settings hanet was not asked about.
public struct Bond: Equatable, Sendable {
    public var mode: BondMode?
    /// Kernel ifindex of the active slave (read), or set by name via `activeSlave`.
    public var activeSlaveIndex: Int32?
    public var miimon: UInt32?
    public var updelay: UInt32?
    public var downdelay: UInt32?
    public var arpInterval: UInt32?
    public var arpIPTargets: [IPv4Address]?
    public var arpValidate: ARPValidate?
    /// Primary slave by ifindex (the kernel's attribute takes an index).
    public var primaryIndex: Int32?
    public var primaryReselect: PrimaryReselect?
    public var failOverMAC: FailOverMAC?
    public var xmitHashPolicy: XmitHashPolicy?
    /// `num_grat_arp` / `num_unsol_na`: both are IFLA_BOND_NUM_PEER_NOTIF.
    public var numPeerNotifications: UInt8?
    public var allSlavesActive: Bool?
    public var minLinks: UInt32?
    public var lacpRate: LACPRate?
    public var adSelect: ADSelect?
    /// 802.3ad aggregator state (read only).
    public var adInfo: BondADInfo?

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
    public init?(parsing text: String) {
        if let number = RawValue(text), let value = Self(rawValue: number) { self = value; return }
        guard let value = Self.allCases.first(where: { $0.description == text.lowercased() }) else { return nil }
        self = value
    }
}

/// The seven bonding modes, spelled as the kernel and `ip` spell them.
public enum BondMode: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case balanceRR = 0
    case activeBackup = 1
    case balanceXOR = 2
    case broadcast = 3
    case ieee8023ad = 4
    case balanceTLB = 5
    case balanceALB = 6

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

public enum XmitHashPolicy: UInt8, KernelOption {
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

public enum LACPRate: UInt8, KernelOption {
    case slow = 0, fast = 1
    public var description: String { self == .slow ? "slow" : "fast" }
}

public enum ADSelect: UInt8, KernelOption {
    case stable = 0, bandwidth = 1, count = 2
    public var description: String { ["stable", "bandwidth", "count"][Int(rawValue)] }
}

public enum FailOverMAC: UInt8, KernelOption {
    case none = 0, active = 1, follow = 2
    public var description: String { ["none", "active", "follow"][Int(rawValue)] }
}

public enum PrimaryReselect: UInt8, KernelOption {
    case always = 0, better = 1, failure = 2
    public var description: String { ["always", "better", "failure"][Int(rawValue)] }
}

public enum ARPValidate: UInt32, KernelOption {
    case none = 0, active = 1, backup = 2, all = 3, filter = 4, filterActive = 5, filterBackup = 6
    public var description: String {
        ["none", "active", "backup", "all", "filter", "filter_active", "filter_backup"][Int(rawValue)]
    }
}

/// 802.3ad aggregator as the bond reports it.
public struct BondADInfo: Equatable, Sendable {
    public var aggregatorID: UInt16?
    public var numberOfPorts: UInt16?
    public var actorKey: UInt16?
    public var partnerKey: UInt16?
    public var partnerMAC: MACAddress?
    /// A partner that never sent LACPDUs shows as 00:00:00:00:00:00.
    public var partnerAnswered: Bool { partnerMAC.map { !$0.isZero } ?? false }
}

/// A slave's state inside its bond (IFLA_INFO_SLAVE_DATA), read per slave
/// from the same link dump instead of parsing /proc/net/bonding.
public struct BondSlaveState: Equatable, Sendable {
    public enum Role: UInt8, Sendable { case active = 0, backup = 1 }
    public enum MIIStatus: UInt8, Sendable { case up = 0, fail = 1, down = 2, back = 3 }
    public var role: Role?
    public var miiStatus: MIIStatus?
    public var linkFailureCount: UInt32?
    public var permanentMAC: MACAddress?
    public var aggregatorID: UInt16?
    public var actorOperPortState: UInt8?
    public var partnerOperPortState: UInt8?
    public init() {}
}

/// An IPv4 address (for arp_ip_target).
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    public var octets: (UInt8, UInt8, UInt8, UInt8)
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) { octets = (a, b, c, d) }
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
    public var bytes: [UInt8] { [octets.0, octets.1, octets.2, octets.3] }
    public var description: String { bytes.map(String.init).joined(separator: ".") }
    public static func == (l: IPv4Address, r: IPv4Address) -> Bool { l.bytes == r.bytes }
    public func hash(into h: inout Hasher) { h.combine(bytes) }
}
