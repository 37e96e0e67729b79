import Glibc
import HanetOCF
import HanetNetlink
import HanetLinks
import HanetFirewall
import HanetHost

/// The one place where library errors become OCF exit codes: every public
/// error type of every module below, each with its rule.
///
/// The rules: 6 (configured) only for a configuration no node could use;
/// 5 (not installed) when this node lacks an interface, a driver or a
/// kernel feature; 2 (args) when this node's interfaces contradict the
/// configuration; 4 (perm) when we lack a privilege or a file is not safe to
/// trust; 1 (generic, recoverable in place) for everything else. A kernel error is never 6:
/// it is this node's problem, and 6 would stop the resource on every node.
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

// MARK: HanetHost

extension HostError: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode {
        switch kind {
        case .missingInterface, .backendUnavailable: return .errInstalled
        case .permission: return .errPerm
        // This node's interfaces contradict the configuration (the uplink is
        // a port of another bridge): the node must not run the resource, the
        // others may. OCF_ERR_ARGS bans it here only; retrying cannot help.
        case .wrongKind, .alreadyEnslaved: return .errArgs
        // A change that needs a restart: a failed reload makes Pacemaker
        // recover the resource (stop, start), which applies it.
        case .vanished, .notConverged, .guardUnavailable, .guestRecord, .needsRestart: return .errGeneric
        case .notRunning: return .notRunning
        case .stateFile: return .forKernelError(errno)
        }
    }
}

extension ConfigurationError: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .errConfigured }
}

// MARK: HanetNetlink

extension NetlinkError: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .forKernelError(errno) }

    public var ocfReason: String {
        if errno == EOPNOTSUPP, kernelMessage == "Unknown device type", operation == "RTM_NEWLINK" {
            return "\(description): this kernel has no driver for it (module missing or not loadable)"
        }
        return description
    }
}

/// A reply the decoder could not read: the kernel and hanet disagree on a
/// format; retrying may not help, but it is not the configuration's fault.
extension NetlinkDecodeError: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .errGeneric }
}

// MARK: HanetLinks

extension LinkManager.KindMismatch: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .errGeneric }
}

/// Announcements go out on a raw packet socket: no AF_PACKET is 5, no
/// privilege 4, a link that went away meanwhile 1.
extension Announcer.Failure: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .forKernelError(errno) }
}

/// Names and addresses are validated when parameters are read; one that
/// still reaches here came from a configuration.
extension InterfaceName.Invalid: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .errConfigured }
}

extension MACAddress.Invalid: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .errConfigured }
}

// MARK: HanetFirewall

/// libiptc and legacy arp_tables: no ip_tables support (ENOPROTOOPT) is 5.
extension IPTablesError: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .forKernelError(errno) }
}

extension PortPattern.Invalid: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .errConfigured }
}

extension GuestBlockBackendChoice.Unavailable: OCFErrorConvertible {
    public var ocfExitCode: OCFExitCode { .errInstalled }
}
