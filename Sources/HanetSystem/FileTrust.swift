import Glibc

/// Whether a file or directory is safe for root to act on.
///
/// hanet runs as root and acts on what its files say: an LSB config names
/// the interfaces to change, a state record says what stop may delete. A
/// file another local user could have written, directly or by replacing it
/// in a directory they can write, must not be trusted. The rule is sshd's
/// StrictModes: owned by root (or by the user running the code), not
/// writable by group or others, except a directory with the sticky bit
/// (`/tmp`), where others cannot rename or remove what is not theirs.
public enum FileTrust {
    /// Why `info` (of `path`) could have been written by another user, with
    /// the fix; nil when it is safe. `stickyAllowed` accepts a world-writable
    /// sticky directory (for ancestors, never for the file itself).
    public static func problem(_ info: stat, path: String, stickyAllowed: Bool = false) -> String? {
        let me = geteuid()
        if info.st_uid != 0 && info.st_uid != me {
            return "\(path) belongs to uid \(info.st_uid), not root (chown root \(path))"
        }
        let mode = info.st_mode & 0o7777
        if mode & 0o022 != 0 && !(stickyAllowed && mode & 0o1000 != 0) {
            let octal = String(mode, radix: 8)
            return "\(path) is writable by group or others (mode \(String(repeating: "0", count: max(0, 4 - octal.count)) + octal); chmod go-w \(path))"
        }
        return nil
    }
}
