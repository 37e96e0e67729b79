import Glibc

/// A failure reported by the kernel (or the socket) for one netlink operation.
///
/// It carries everything an administrator needs in one line: the operation
/// (`RTM_NEWLINK`), the object it was about (`bond0`), the kernel's own
/// extended-ACK explanation when it gave one, and the errno, so callers can
/// still branch on `ENODEV` vs `EOPNOTSUPP` without parsing text.
public struct NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Message type or step that failed, e.g. `RTM_NEWLINK`, `NFT batch`, `socket`.
    public var operation: String
    /// The interface, table or rule the operation was about, if any.
    public var object: String?
    /// Positive errno value.
    public var errno: Int32
    /// The kernel's `NLMSGERR_ATTR_MSG`, when extended ACKs carried one.
    public var kernelMessage: String?

    /// A failure of `operation` on `object` with a positive `errno`, plus the
    /// kernel's own words when it gave any.
    public init(operation: String, object: String? = nil, errno: Int32, kernelMessage: String? = nil) {
        self.operation = operation
        self.object = object
        self.errno = errno
        self.kernelMessage = kernelMessage
    }

    /// `RTM_NEWLINK bond0: Device can not be enslaved while up (EBUSY)`
    public var description: String {
        Errno.failureLine([operation, object], errno: errno, message: kernelMessage)
    }
}

/// A message from the kernel that does not have the shape its header promises.
///
/// Decoders throw this instead of trapping: a truncated or oversized attribute
/// must never crash an agent that Pacemaker relies on to report state.
public struct NetlinkDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which message or attribute path was being decoded (`RTM_NEWLINK.18.2`, `nlmsghdr`).
    public var context: String
    /// What was wrong with it, e.g. `attribute 4 has 2 bytes, expected 4`.
    public var reason: String
    /// `context` first, then `reason`, in the order the description prints them.
    public init(_ context: String, _ reason: String) {
        self.context = context
        self.reason = reason
    }
    public var description: String { "malformed netlink data in \(context): \(reason)" }
}

/// errno spelling helpers; symbolic names are what administrators grep for.
public enum Errno {
    /// The one-line shape of every kernel-facing error in hanet:
    /// `<what> <object>: <the kernel's or library's words> (ENAME)`,
    /// falling back to strerror when no words were given.
    public static func failureLine(_ subject: [String?], errno code: Int32, message: String?) -> String {
        let why = message.flatMap { $0.isEmpty ? nil : $0 } ?? describe(code)
        let head = subject.compactMap { $0 }.joined(separator: " ")
        return code == 0 ? "\(head): \(why)" : "\(head): \(why) (\(name(code)))"
    }

    /// The C library's text for `code` (`strerror(3)`: "No such device").
    public static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// The symbolic name (`ENODEV`) of the errnos netlink, libiptc and the
    /// agents meet; `errno N` for any other.
    public static func name(_ code: Int32) -> String {
        switch code {
        case EPERM: return "EPERM"
        case ENOENT: return "ENOENT"
        case ESRCH: return "ESRCH"
        case EINTR: return "EINTR"
        case EIO: return "EIO"
        case ENXIO: return "ENXIO"
        case E2BIG: return "E2BIG"
        case EBADF: return "EBADF"
        case EAGAIN: return "EAGAIN"
        case ENOMEM: return "ENOMEM"
        case EACCES: return "EACCES"
        case EFAULT: return "EFAULT"
        case EBUSY: return "EBUSY"
        case EEXIST: return "EEXIST"
        case EXDEV: return "EXDEV"
        case ENODEV: return "ENODEV"
        case ENOTDIR: return "ENOTDIR"
        case EINVAL: return "EINVAL"
        case ENFILE: return "ENFILE"
        case EMFILE: return "EMFILE"
        case ENOSPC: return "ENOSPC"
        case ERANGE: return "ERANGE"
        case ENOSYS: return "ENOSYS"
        case ENOTEMPTY: return "ENOTEMPTY"
        case ELOOP: return "ELOOP"
        case ENOMSG: return "ENOMSG"
        case ENODATA: return "ENODATA"
        case EPROTO: return "EPROTO"
        case EBADMSG: return "EBADMSG"
        case EOVERFLOW: return "EOVERFLOW"
        case EMSGSIZE: return "EMSGSIZE"
        case EPROTONOSUPPORT: return "EPROTONOSUPPORT"
        case EOPNOTSUPP: return "EOPNOTSUPP"
        case EAFNOSUPPORT: return "EAFNOSUPPORT"
        case EADDRINUSE: return "EADDRINUSE"
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL"
        case ENETDOWN: return "ENETDOWN"
        case ENOBUFS: return "ENOBUFS"
        case ETIMEDOUT: return "ETIMEDOUT"
        case ECONNREFUSED: return "ECONNREFUSED"
        case EALREADY: return "EALREADY"
        case ERESTART: return "ERESTART"
        case EINPROGRESS: return "EINPROGRESS"
        default: return "errno \(code)"
        }
    }
}
