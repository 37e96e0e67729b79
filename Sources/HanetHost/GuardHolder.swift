/// Who answers on a guard's socket name, by the kernel's word.
///
/// An abstract Unix socket name can be bound by any local user, so a name
/// that answers proves nothing: the listener's credentials (SO_PEERCRED,
/// fixed by the kernel when it called listen) tell a guard from an
/// impostor. Only a process of the agent's own user (root) counts.
public enum GuardHolder: Equatable, Sendable, CustomStringConvertible {
    /// Nothing listens on the name.
    case none
    /// A guard of this user listens.
    case guardProcess(pid: Int32)
    /// A process of another user holds the name: no guard can start, and
    /// anything it answers is ignored.
    case foreign(pid: Int32, uid: UInt32)

    public var description: String {
        switch self {
        case .none: return "no guard"
        case .guardProcess(let pid): return "guard pid \(pid)"
        case .foreign(let pid, let uid): return "held by uid \(uid) (pid \(pid)), not a guard"
        }
    }
}
