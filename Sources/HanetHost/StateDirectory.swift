import Glibc
import HanetSystem

/// The directory that holds ownership records, checked before it is trusted.
///
/// A record says what stop may delete. Whoever can write the directory can
/// plant or swap records (and so make stop delete a link that is not ours),
/// or a link that redirects our writes. So, as sshd's StrictModes does, the
/// directory and every directory above it must pass `FileTrust` (an
/// ancestor with the sticky bit, such as `/tmp`, is allowed).
public enum StateDirectory {
    /// Creates `path` (and missing parents, mode 0755) if needed, then checks it.
    public static func prepare(_ path: String) throws(HostError) {
        try create(path)
        try verify(path)
    }

    /// Checks `path` and its ancestors; an absent `path` is fine (nothing
    /// recorded there yet), an unsafe one is a permission error naming the
    /// directory, its owner and mode, and the fix.
    public static func verify(_ path: String) throws(HostError) {
        guard !path.isEmpty else { return }
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard realpath(path, &resolved) != nil else {
            if errno == ENOENT { return }
            throw HostError.stateFile(path, errno: errno, doing: "resolve the directory of a")
        }
        let full = resolved.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var current = full
        var isTarget = true
        while true {
            var info = stat()
            guard stat(current, &info) == 0 else { throw HostError.stateFile(current, errno: errno, doing: "check the directory of a") }
            if let problem = FileTrust.problem(info, path: current, stickyAllowed: !isTarget) {
                throw HostError(.permission, object: current, errno: EPERM,
                                "state directory \(full) is not safe: \(problem); refusing to trust records there")
            }
            if current == "/" { return }
            let parent = current[..<(current.lastIndex(of: "/") ?? current.startIndex)]
            current = parent.isEmpty ? "/" : String(parent)
            isTarget = false
        }
    }

    private static func create(_ path: String) throws(HostError) {
        guard !path.isEmpty else { return }
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        if errno == ENOENT {
            try create(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]))
            if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        }
        throw HostError.stateFile(path, errno: errno, doing: "create the directory of a")
    }
}
