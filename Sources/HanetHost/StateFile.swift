import Glibc
import HanetSystem

/// A small `key=value` record under HA_RSCTMP (default /run/resource-agents).
///
/// Agents record what they created (a bridge, an attachment) so that stop
/// undoes exactly that and nothing else. HA_RSCTMP is a tmpfs: a reboot
/// clears the record together with the links it describes. The file is
/// named from the agent's parameters, not the Pacemaker instance name, so
/// a renamed or re-created resource still finds it. Writes are atomic
/// (temp file + fsync + rename): an agent killed halfway leaves the old
/// record or the new one, never half of one.
public struct StateFile: Sendable {
    /// `<directory>/<name>.state`.
    public let path: String

    /// Characters other than letters, digits, `-`, `_` and `.` in `name`
    /// become `_`, so a name can never climb out of `directory`.
    public init(directory: String, name: String) {
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        path = directory + "/" + safe + ".state"
    }

    /// The record; an empty one when there is none. Throws when the
    /// directory or the file could have been written by another user (see
    /// `StateDirectory`), or when the path is a symbolic link.
    public func read() throws(HostError) -> [String: String] {
        try StateDirectory.verify(directory)
        // O_NOFOLLOW: a link planted at our path is never followed.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return [:] }
            throw HostError.stateFile(path, errno: errno, doing: errno == ELOOP ? "follow a link planted as" : "read")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw HostError.stateFile(path, errno: errno, doing: "check") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw HostError(.permission, object: path, errno: EPERM, "state file \(path) is not a regular file; refusing it")
        }
        if let problem = FileTrust.problem(info, path: path) {
            throw HostError(.permission, object: path, errno: EPERM, "state file \(path) is not safe: \(problem)")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return Self.parse(bytes)
    }

    /// `key=value` lines as bytes, not Characters (the guest MAC registry
    /// has a line per guest); lines without `=` are skipped, a later key wins.
    public static func parse(_ bytes: [UInt8]) -> [String: String] {
        var values: [String: String] = [:]
        var lineStart = 0
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            if let eq = bytes[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: "=")) {
                values[String(decoding: bytes[lineStart..<eq], as: UTF8.self)] =
                    String(decoding: bytes[(eq + 1)..<lineEnd], as: UTF8.self)
            }
            lineStart = lineEnd + 1
        }
        return values
    }

    /// The directory the record lives in.
    public var directory: String { String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }

    /// Replaces the record atomically (temporary file, fsync, rename).
    public func write(_ values: [String: String]) throws(HostError) {
        try StateDirectory.prepare(directory)
        let text = values.keys.sorted().map { "\($0)=\(values[$0]!)\n" }.joined()
        let temp = path + ".tmp\(getpid())"
        // Created exclusively and never through a link: a leftover of a
        // killed agent with the same pid is removed first, anything else
        // at that name is refused.
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = open(temp, flags, 0o600)
        if fd < 0 && errno == EEXIST && unlink(temp) == 0 { fd = open(temp, flags, 0o600) }
        guard fd >= 0 else { throw HostError.stateFile(temp, errno: errno, doing: "create") }
        var ok = true
        text.utf8CString.withUnsafeBytes { buffer in
            let count = buffer.count - 1 // without the NUL
            ok = Glibc.write(fd, buffer.baseAddress, count) == count
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temp, path) == 0 else {
            let code = errno
            unlink(temp)
            throw HostError.stateFile(path, errno: code, doing: "write")
        }
    }

    /// Read, change, write; an empty record removes the file.
    public func update(_ change: (inout [String: String]) -> Void) throws(HostError) {
        var values = try read()
        change(&values)
        if values.isEmpty { remove() } else { try write(values) }
    }

    /// Removes the record; none is fine.
    public func remove() { unlink(path) }
}
