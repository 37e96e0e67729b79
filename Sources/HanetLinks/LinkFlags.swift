import CLinuxNet

/// `ifi_flags` (net_device_flags), as `ip link` shows them in angle brackets.
public struct LinkFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `IFF_UP`: administratively up (`ip link set NAME up`).
    public static let up = LinkFlags(rawValue: UInt32(IFF_UP))
    /// `IFF_BROADCAST`: the link can broadcast.
    public static let broadcast = LinkFlags(rawValue: UInt32(IFF_BROADCAST))
    /// `IFF_LOOPBACK`: the loopback device.
    public static let loopback = LinkFlags(rawValue: UInt32(IFF_LOOPBACK))
    /// `IFF_POINTOPOINT`: a link with exactly one peer (tun, ppp).
    public static let pointToPoint = LinkFlags(rawValue: UInt32(IFF_POINTOPOINT))
    /// `IFF_RUNNING`: operationally up. `ip link` does not print it, nor does `description`.
    public static let running = LinkFlags(rawValue: UInt32(IFF_RUNNING))
    /// ARP off (`ip link set X arp off`), as the seeds set on bridges and bonds.
    public static let noARP = LinkFlags(rawValue: UInt32(IFF_NOARP))
    /// `IFF_PROMISC` as the administrator set it (`ip link set NAME promisc on`);
    /// promiscuity the kernel turns on itself, as for bridge ports, is not shown.
    public static let promiscuous = LinkFlags(rawValue: UInt32(IFF_PROMISC))
    /// `IFF_MASTER`: a bond (bridges do not set it).
    public static let master = LinkFlags(rawValue: UInt32(IFF_MASTER))
    /// `IFF_SLAVE`: a bond's slave (bridge ports do not set it).
    public static let slave = LinkFlags(rawValue: UInt32(IFF_SLAVE))
    /// `IFF_MULTICAST`: multicast on (`ip link set NAME multicast on`).
    public static let multicast = LinkFlags(rawValue: UInt32(IFF_MULTICAST))
    /// Carrier as seen by the driver (IFF_LOWER_UP = 1 << 16).
    public static let lowerUp = LinkFlags(rawValue: 1 << 16)

    public var description: String {
        let names: [(LinkFlags, String)] = [(.broadcast, "BROADCAST"), (.pointToPoint, "POINTOPOINT"), (.loopback, "LOOPBACK"),
                                            (.multicast, "MULTICAST"), (.noARP, "NOARP"), (.master, "MASTER"), (.slave, "SLAVE"),
                                            (.promiscuous, "PROMISC"), (.up, "UP"), (.lowerUp, "LOWER_UP")]
        return names.filter { contains($0.0) }.map(\.1).joined(separator: ",")
    }
}

/// RFC 2863 operational state (IFLA_OPERSTATE).
public enum OperState: UInt8, Sendable, CustomStringConvertible {
    /// `unknown` (0): the driver does not track it (many virtual devices);
    /// `notPresent` (1); `down` (2); `lowerLayerDown` (3): a stacked device
    /// whose lower device is down; `testing` (4); `dormant` (5): waiting for an
    /// external event (802.1X); `up` (6): can pass traffic.
    case unknown = 0, notPresent = 1, down = 2, lowerLayerDown = 3, testing = 4, dormant = 5, up = 6
    /// The name `ip link` prints after `state` (`LOWERLAYERDOWN`).
    public var description: String {
        ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"][Int(rawValue)]
    }
}
