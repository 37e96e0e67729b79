import Glibc

/// Reads a file whose contents root will act on, only if no other local
/// user could have written it (`FileTrust`: the file and every directory
/// above it), without following a link planted at its path.
public enum TrustedFile {
    /// What a read found.
    public enum Result: Equatable, Sendable {
        /// No such file (ENOENT on the file or a directory above it).
        case absent
        /// The whole file.
        case contents([UInt8])
        /// It exists, but another user could have written it: why, with the fix.
        case untrusted(String)
        /// A system call failed: its errno and what was being done.
        case failed(errno: Int32, doing: String)
    }

    /// The file at `path` (absolute), at most `limit` bytes; larger is a failure (EFBIG).
    public static func read(_ path: String, limit: Int) -> Result {
        guard path.hasPrefix("/") else { return .failed(errno: EINVAL, doing: "resolve the relative path of") }
        if let problem = directoryProblem(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])) {
            return problem
        }
        // O_NOFOLLOW: a link planted at the path is never followed.
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return .absent }
            return .failed(errno: errno, doing: errno == ELOOP ? "follow a link planted as" : "open")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failed(errno: errno, doing: "check") }
        guard info.st_mode & S_IFMT == S_IFREG else { return .untrusted("\(path) is not a regular file") }
        if let problem = FileTrust.problem(info, path: path) { return .untrusted(problem) }
        guard Int(info.st_size) <= limit else { return .failed(errno: EFBIG, doing: "read (over \(limit) bytes)") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return .failed(errno: errno, doing: "read") }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > limit { return .failed(errno: EFBIG, doing: "read (over \(limit) bytes)") }
        }
        return .contents(bytes)
    }

    /// The directory and its ancestors, resolved: nil when each is safe (the
    /// ancestors may be sticky and world-writable, like /tmp), `.absent` when
    /// it does not exist.
    private static func directoryProblem(_ directory: String) -> Result? {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard realpath(directory.isEmpty ? "/" : directory, &resolved) != nil else {
            return errno == ENOENT || errno == ENOTDIR ? .absent : .failed(errno: errno, doing: "resolve the directory of")
        }
        var current = resolved.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var isTarget = true
        while true {
            var info = stat()
            guard stat(current, &info) == 0 else { return .failed(errno: errno, doing: "check the directory of") }
            if let problem = FileTrust.problem(info, path: current, stickyAllowed: !isTarget) { return .untrusted(problem) }
            if current == "/" { return nil }
            let parent = current[..<(current.lastIndex(of: "/") ?? current.startIndex)]
            current = parent.isEmpty ? "/" : String(parent)
            isTarget = false
        }
    }
}
