import CLinuxNet
import HanetNetlink

/// One request a `FakeLinkKernel` received, decoded, with its outcome.
///
/// Tests assert on *what was sent* ("the second start changed nothing",
/// "stop never deleted the adopted bridge"), not on bytes: each request is
/// kept as the `ip`/`bridge` command it amounts to (`link set eth0 master
/// br0`), which reads the same in an assertion and in a failure message.
public struct FakeKernelRequest: Sendable, CustomStringConvertible {
    /// The rtnetlink message types the fake kernel understands, by name.
    public struct MessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let newLink = MessageType(rawValue: UInt16(RTM_NEWLINK))
        public static let delLink = MessageType(rawValue: UInt16(RTM_DELLINK))
        public static let getLink = MessageType(rawValue: UInt16(RTM_GETLINK))
        public static let setLink = MessageType(rawValue: UInt16(RTM_SETLINK))
        public static let newNeigh = MessageType(rawValue: UInt16(RTM_NEWNEIGH))
        public static let delNeigh = MessageType(rawValue: UInt16(RTM_DELNEIGH))
        public static let getNeigh = MessageType(rawValue: UInt16(RTM_GETNEIGH))
        public static let getAddr = MessageType(rawValue: UInt16(RTM_GETADDR))
        public static let newAddr = MessageType(rawValue: UInt16(RTM_NEWADDR))
        public static let delAddr = MessageType(rawValue: UInt16(RTM_DELADDR))
        public static let getRoute = MessageType(rawValue: UInt16(RTM_GETROUTE))
        public static let newRoute = MessageType(rawValue: UInt16(RTM_NEWROUTE))
        public static let delRoute = MessageType(rawValue: UInt16(RTM_DELROUTE))

        /// Requests that change kernel state (as opposed to reads).
        public var isChange: Bool { [.newLink, .delLink, .setLink, .newNeigh, .delNeigh, .newAddr, .delAddr, .newRoute, .delRoute].contains(self) }

        public var description: String {
            switch self {
            case .newLink: return "RTM_NEWLINK"
            case .delLink: return "RTM_DELLINK"
            case .getLink: return "RTM_GETLINK"
            case .setLink: return "RTM_SETLINK"
            case .newNeigh: return "RTM_NEWNEIGH"
            case .delNeigh: return "RTM_DELNEIGH"
            case .getNeigh: return "RTM_GETNEIGH"
            case .getAddr: return "RTM_GETADDR"
            case .newAddr: return "RTM_NEWADDR"
            case .delAddr: return "RTM_DELADDR"
            case .getRoute: return "RTM_GETROUTE"
            case .newRoute: return "RTM_NEWROUTE"
            case .delRoute: return "RTM_DELROUTE"
            default: return "message type \(rawValue)"
            }
        }
    }

    public var type: MessageType
    /// nlmsg_flags as sent (NLM_F_CREATE, NLM_F_EXCL, NLM_F_DUMP, NLM_F_BULK...).
    public var flags: UInt16
    /// The interface the request is about (for a bulk FDB flush: the bridge),
    /// resolved from the name or ifindex when the request arrived.
    public var object: String?
    /// What was asked, as the equivalent command: `link add br0 address
    /// 52:54:00:00:00:01 type bridge stp_state 0`, `link set eth0 nomaster`,
    /// `link del br0`, `link show eth0`, `fdb flush dev br0` (NLM_F_BULK).
    /// Only what the request carried is shown (the options sent, not the
    /// kernel's defaults), in the kernel's order of applying them.
    public var summary: String
    /// Positive errno the request was answered with; 0 when it was accepted.
    public var errno: Int32 = 0
    /// The extended-ACK text sent with the error, if any.
    public var kernelMessage: String?
    /// True when the error came from `FakeLinkKernel.failNext`, not a kernel rule.
    public var injected = false

    public init(type: MessageType, flags: UInt16, object: String? = nil, summary: String) {
        self.type = type
        self.flags = flags
        self.object = object
        self.summary = summary
    }

    public var isChange: Bool { type.isChange }
    public var isDump: Bool { flags & NetlinkConstants.dump == NetlinkConstants.dump }
    public var succeeded: Bool { errno == 0 }

    /// The summary, plus the outcome when the kernel refused it:
    /// `link set eth0 master br0 -> EBUSY`. The shape tests compare lists of.
    public var line: String {
        errno == 0 ? summary : "\(summary) -> \(Errno.name(errno))"
    }

    public var description: String { "\(type): \(line)" + (kernelMessage.map { " (\($0))" } ?? "") }
}
