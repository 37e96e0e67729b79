/// How long a `NetlinkConnection` waits for the kernel's answer.
///
/// Why a bound at all: a reply that never comes (dropped because the
/// socket's receive buffer overflowed, a request the kernel silently
/// ignores, a kernel or hanet bug) would otherwise block the caller forever.
/// For an agent that means Pacemaker kills it at the action's timeout and
/// the log says nothing; with a bound the agent reports
/// `RTM_GETLINK xenbr1: no reply within 5000 ms (ETIMEDOUT)` itself.
///
/// Two limits, the earlier wins for each wait:
/// - `perReply`: the longest wait for any one reply datagram. The library
///   default is 5 s: the kernel answers rtnetlink and nf_tables requests
///   within the `send` that carried them, so even a dump of thousands of
///   links has its next datagram ready in milliseconds; 5 s is a lost
///   reply, not a slow one.
/// - `deadline`: an instant no wait may run past, whatever `perReply`
///   says; agents set it to the end of the action less a margin, so a
///   late failure is still reported before Pacemaker's timeout.
///
/// What this cannot bound: the kernel processes a netlink request inside
/// the sender's `send` (rtnetlink under rtnl_lock). A request stuck there
/// waits in the kernel, not in a receive; only the wait for the answer is
/// bounded here.
public struct NetlinkTimeout: Sendable, Equatable, CustomStringConvertible {
    /// The longest wait for one reply datagram.
    public var perReply: Duration
    /// No wait ends later than this; nil: only `perReply` applies.
    public var deadline: ContinuousClock.Instant?

    public init(perReply: Duration = NetlinkTimeout.defaultPerReply, deadline: ContinuousClock.Instant? = nil) {
        self.perReply = perReply
        self.deadline = deadline
    }

    /// 5 s per reply wait: see the type's documentation for why.
    public static let defaultPerReply: Duration = .seconds(5)
    /// What library callers get unless they choose: 5 s per reply, no deadline.
    public static let `default` = NetlinkTimeout()

    /// A budget for a whole operation that starts now (an agent action):
    /// every wait ends by `now + budget`, and none is longer than `budget`.
    public static func within(_ budget: Duration, from now: ContinuousClock.Instant = .now) -> NetlinkTimeout {
        NetlinkTimeout(perReply: budget, deadline: now + budget)
    }

    /// The wait that starts at `start`: when it ends, and whether the
    /// deadline (rather than `perReply`) cut it short.
    func wait(from start: ContinuousClock.Instant) -> (end: ContinuousClock.Instant, cutByDeadline: Bool) {
        let end = start + perReply
        if let deadline, deadline < end { return (deadline, true) }
        return (end, false)
    }

    public var description: String {
        "\(Self.milliseconds(perReply)) ms per reply" + (deadline == nil ? "" : ", with a deadline")
    }

    /// Whole milliseconds, rounded up (a wait of 0.4 ms is not "0 ms"), never negative.
    public static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let (total, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return Int64.max }
        return total &+ (attoseconds + perMillisecond - 1) / perMillisecond
    }
}
