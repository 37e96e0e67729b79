import Glibc
import CLinuxNet

/// The network namespace a socket is opened in.
///
/// A netlink socket stays bound to the namespace it was created in, so we
/// enter the target namespace only for the `socket()` call and return at
/// once. `setns(2)` acts on the calling thread, which is why this is
/// synchronous and restores the original namespace before returning.
public enum NetworkNamespace: Sendable, Equatable, CustomStringConvertible {
    /// The caller's own namespace: no `setns` at all.
    case current
    /// A namespace created by `ip netns add NAME` (bind-mounted at /run/netns/NAME).
    case named(String)
    /// Any namespace file, e.g. `/proc/1234/ns/net`.
    case path(String)
    /// An already open namespace file descriptor (not closed by us).
    case fileDescriptor(Int32)

    /// How errors name it: `current namespace`, `netns NAME`, the path, or `netns fd N`.
    public var description: String {
        switch self {
        case .current: return "current namespace"
        case .named(let name): return "netns \(name)"
        case .path(let path): return path
        case .fileDescriptor(let fd): return "netns fd \(fd)"
        }
    }

    /// Runs `body` with the calling thread inside this namespace.
    public func perform<T>(_ body: () throws -> T) throws -> T {
        let target: Int32
        var closeTarget = true
        switch self {
        case .current:
            return try body()
        case .named(let name):
            guard !name.isEmpty, !name.contains("/") else {
                throw NetlinkError(operation: "setns", object: name, errno: EINVAL, kernelMessage: "invalid namespace name")
            }
            target = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        case .path(let path):
            target = open(path, O_RDONLY | O_CLOEXEC)
        case .fileDescriptor(let fd):
            target = fd
            closeTarget = false
        }
        guard target >= 0 else {
            throw NetlinkError(operation: "open namespace", object: description, errno: Glibc.errno)
        }
        defer { if closeTarget { close(target) } }

        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else {
            throw NetlinkError(operation: "open namespace", object: "/proc/thread-self/ns/net", errno: Glibc.errno)
        }
        defer { close(original) }

        guard setns(target, Int32(HANET_CLONE_NEWNET)) == 0 else {
            throw NetlinkError(operation: "setns", object: description, errno: Glibc.errno)
        }
        defer {
            // Failing to return would leave this thread in the wrong
            // namespace for every later call; there is no safe way on.
            if setns(original, Int32(HANET_CLONE_NEWNET)) != 0 { abort() }
        }
        return try body()
    }

    /// Moves the calling thread into a brand-new, empty network namespace
    /// that disappears with the process: a throwaway lab needing no cleanup.
    public static func enterNewAnonymous() throws(NetlinkError) {
        guard unshare(Int32(HANET_CLONE_NEWNET)) == 0 else {
            throw NetlinkError(operation: "unshare", object: "CLONE_NEWNET", errno: Glibc.errno)
        }
    }

    /// Moves the calling thread into this namespace for good (for
    /// long-running tools such as `hanet guard --netns`).
    public func enter() throws(NetlinkError) {
        let path: String
        switch self {
        case .current: return
        case .named(let name): path = "/run/netns/\(name)"
        case .path(let p): path = p
        case .fileDescriptor(let fd):
            guard setns(fd, Int32(HANET_CLONE_NEWNET)) == 0 else {
                throw NetlinkError(operation: "setns", object: description, errno: Glibc.errno)
            }
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetlinkError(operation: "open namespace", object: path, errno: Glibc.errno) }
        defer { close(fd) }
        guard setns(fd, Int32(HANET_CLONE_NEWNET)) == 0 else {
            throw NetlinkError(operation: "setns", object: description, errno: Glibc.errno)
        }
    }
}
