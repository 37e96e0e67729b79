import Glibc
import OCF
import Netlink
import Links
import Firewall

/// The one place where library errors become OCF exit codes.
///
/// The rule behind each case: 5 (not installed) when this kernel lacks the
/// feature, 4 when we lack the privilege, 1 (generic, recoverable) for
/// everything else. Never 6 here: a kernel error is this node's problem,
/// and 6 would stop the resource on every node.
extension OCFExitCode {
    /// The errno rule shared by every kernel-facing error type.
    static func forKernelError(_ errno: Int32) -> OCFExitCode {
        switch errno {
        // ELIBACC: a shared library (libip4tc) is not installed.
        case EOPNOTSUPP, EPROTONOSUPPORT, EAFNOSUPPORT, ENOSYS, ENOPROTOOPT, ELIBACC:
            return .errInstalled
        case EPERM, EACCES:
            return .errPerm
        default:
            return .errGeneric
        }
    }
}

extension NetlinkError: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .forKernelError(errno) }

    public var ocfReason: String {
        if errno == EOPNOTSUPP, kernelMessage == "Unknown device type", operation == "RTM_NEWLINK" {
            return "\(description): this kernel has no driver for it (module missing or not loadable)"
        }
        return description
    }
}

/// libiptc and legacy arp_tables: no ip_tables support (ENOPROTOOPT) is 5.
extension IPTablesError: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .forKernelError(errno) }
    public var ocfReason: String { description }
}

extension NetlinkDecodeError: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .errGeneric }
    public var ocfReason: String { description }
}

extension LinkManager.KindMismatch: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .errGeneric }
    public var ocfReason: String { description }
}
