import Glibc

/// Why the host logic could not do what was asked, in terms a caller can
/// act on without knowing who calls it (Pacemaker, an init script, a tool).
///
/// The kernel's own errors (`NetlinkError`, `IPTablesError`) pass through
/// unchanged: they already carry the operation, the object and the errno.
/// This type covers what the host logic itself concludes from the kernel's
/// state. It knows nothing of exit codes: `HanetAgents` maps it in one place.
public struct HostError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, by what a caller can do about it.
    public enum Kind: Equatable, Sendable {
        /// An interface the configuration names does not exist on this host.
        case missingInterface
        /// The interface exists but is of another kind (a bond where a bridge is wanted).
        case wrongKind
        /// The interface is already a port of another master.
        case alreadyEnslaved
        /// An interface disappeared while an action ran.
        case vanished
        /// The action ended, but the kernel holds a state other than the one asked for.
        case notConverged
        /// No firewall backend or kernel feature for what was asked.
        case backendUnavailable
        /// Not allowed: no privilege, or a path another user controls.
        case permission
        /// A state record could not be written.
        case stateFile
        /// The guard that keeps a block in place could not start (its
        /// socket name is held by another user, or the fork failed); the
        /// block itself is in place.
        case guardUnavailable
        /// A record another program keeps about the guests (libvirt's
        /// domain XML) could not be read or understood.
        case guestRecord
        /// A reload found the resource not set up (there is nothing to change in place).
        case notRunning
        /// A reload was asked for a change the kernel makes only on a link
        /// that is down or has no ports/slaves: it takes a restart.
        case needsRestart
    }

    /// What went wrong.
    public var kind: Kind
    /// The interface, bridge or path concerned.
    public var object: String
    /// The errno behind it when a system call failed; 0 otherwise.
    public var errno: Int32
    /// One line for an administrator, naming the object.
    public var reason: String

    /// - Parameters:
    ///   - object: the interface or path concerned, also named in `reason`.
    ///   - errno: the system's errno when a system call failed, else 0.
    public init(_ kind: Kind, object: String, errno: Int32 = 0, _ reason: String) {
        self.kind = kind
        self.object = object
        self.errno = errno
        self.reason = reason
    }

    public var description: String { reason }

    /// A state file operation that failed with `errno`; EACCES/EPERM are a
    /// permission problem, anything else (ENOSPC, EROFS) a state-file one.
    static func stateFile(_ path: String, errno code: Int32, doing what: String) -> HostError {
        HostError(code == EACCES || code == EPERM || code == ELOOP ? .permission : .stateFile, object: path, errno: code,
                  "cannot \(what) state file \(path): \(String(cString: strerror(code)))")
    }
}
