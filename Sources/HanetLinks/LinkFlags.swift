import CLinuxNet

/// `ifi_flags` (net_device_flags), as `ip link` shows them in angle brackets.
public struct LinkFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let up = LinkFlags(rawValue: UInt32(IFF_UP))
    public static let broadcast = LinkFlags(rawValue: UInt32(IFF_BROADCAST))
    public static let loopback = LinkFlags(rawValue: UInt32(IFF_LOOPBACK))
    public static let pointToPoint = LinkFlags(rawValue: UInt32(IFF_POINTOPOINT))
    public static let running = LinkFlags(rawValue: UInt32(IFF_RUNNING))
    /// ARP off (`ip link set X arp off`), as the seeds set on bridges and bonds.
    public static let noARP = LinkFlags(rawValue: UInt32(IFF_NOARP))
    public static let promiscuous = LinkFlags(rawValue: UInt32(IFF_PROMISC))
    public static let master = LinkFlags(rawValue: UInt32(IFF_MASTER))
    public static let slave = LinkFlags(rawValue: UInt32(IFF_SLAVE))
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
    case unknown = 0, notPresent = 1, down = 2, lowerLayerDown = 3, testing = 4, dormant = 5, up = 6
    public var description: String {
        ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"][Int(rawValue)]
    }
}
