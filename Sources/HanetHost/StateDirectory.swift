import Glibc

/// The directory that holds ownership records, checked before it is trusted.
///
/// A record says what stop may delete. Whoever can write the directory can
/// plant or swap records (and so make stop delete a link that is not ours),
/// or a link that redirects our writes. So, as sshd's StrictModes does, the
/// directory and every directory above it must belong to root (or to the
/// user running the library) and must not be writable by group or others;
/// an ancestor with the sticky bit (`/tmp`) is allowed, since others cannot
/// rename or remove what is not theirs there.
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
        let full = String(cString: resolved)
        var current = full
        var isTarget = true
        while true {
            var info = stat()
            guard stat(current, &info) == 0 else { throw HostError.stateFile(current, errno: errno, doing: "check the directory of a") }
            if let problem = problem(info, path: current, sticky: !isTarget) {
                throw HostError(.permission, object: current, errno: EPERM,
                                "state directory \(full) is not safe: \(problem); refusing to trust records there")
            }
            if current == "/" { return }
            let parent = current[..<(current.lastIndex(of: "/") ?? current.startIndex)]
            current = parent.isEmpty ? "/" : String(parent)
            isTarget = false
        }
    }

    /// Why a file or directory with `info` cannot be trusted, or nil.
    /// `sticky`: a world-writable directory with the sticky bit is allowed.
    static func problem(_ info: stat, path: String, sticky: Bool) -> String? {
        let me = geteuid()
        if info.st_uid != 0 && info.st_uid != me {
            return "\(path) belongs to uid \(info.st_uid), not root; chown root \(path)"
        }
        let mode = info.st_mode & 0o7777
        if mode & 0o022 != 0 && !(sticky && mode & 0o1000 != 0) {
            let octal = String(mode, radix: 8)
            return "\(path) is writable by group or others (mode \(String(repeating: "0", count: max(0, 4 - octal.count)) + octal)); chmod go-w \(path)"
        }
        return nil
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
