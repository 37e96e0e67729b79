import Glibc
import HanetSystem
import CSyslog

/// The handful of system calls the runtime needs, wrapped once: Foundation
/// would do this for us but costs agents their start-up time.
enum POSIX {
    /// Writes every byte, retrying on EINTR and short writes; failures are
    /// swallowed because there is nowhere left to report them.
    static func writeAll(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Appends to a log file the way `>>` does, creating it if needed.
    static func append(_ text: String, toFile path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        writeAll(fd, text)
        close(fd)
    }

    enum ReadResult: Equatable {
        case contents(String)
        case missing
        case failed(errno: Int32)
        /// Another user could have written it: why, and the fix.
        case untrusted(String)
    }

    /// Reads a small text file whole; a missing file is not an error for the
    /// callers (an absent LSB config is legitimate). With `trusted`, a file
    /// that another user could have written (owned by someone else, writable
    /// by group or others, or in a directory they can write) is refused, as
    /// sshd's StrictModes refuses such files: root acts on what it says.
    static func readFile(_ path: String, trusted: Bool = false) -> ReadResult {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        if fd < 0 { return errno == ENOENT ? .missing : .failed(errno: errno) }
        defer { close(fd) }
        if trusted {
            var info = stat()
            guard fstat(fd, &info) == 0 else { return .failed(errno: errno) }
            if let problem = FileTrust.problem(info, path: path) { return .untrusted(problem) }
            let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            var parent = stat()
            if stat(directory.isEmpty ? "/" : directory, &parent) == 0,
               let problem = FileTrust.problem(parent, path: directory.isEmpty ? "/" : directory, stickyAllowed: true) {
                return .untrusted(problem)
            }
        }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failed(errno: errno)
            }
            if count == 0 { break }
            data.append(contentsOf: chunk[0..<count])
        }
        return .contents(String(decoding: data, as: UTF8.self))
    }

    static func errorString(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    static var processID: Int32 { getpid() }

    static var effectiveUserID: UInt32 { geteuid() }

    /// Local time in strftime syntax, as `hadate` formats log lines.
    static func formatNow(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return "" }
        var buffer = [CChar](repeating: 0, count: 256)
        let length = strftime(&buffer, buffer.count, format, &parts)
        guard length > 0 else { return "" }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The real process environment, read from `environ`.
    /// Split on the first `=` by bytes: walking Characters (grapheme
    /// breaking) over every variable was a visible share of an agent's
    /// start-up, which Pacemaker pays on every monitor.
    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            if let equals = strchr(entry, 0x3d) {
                let nameLength = entry.distance(to: equals)
                let name = String(decoding: UnsafeRawBufferPointer(start: entry, count: nameLength), as: UTF8.self)
                if result[name] == nil {
                    result[name] = String(cString: equals + 1)
                }
            }
            pointer += 1
        }
        return result
    }

    static func syslog(facility: Int32, level: LogLevel, tag: String, message: String) {
        // openlog keeps the ident pointer, so it must outlive the call; a
        // private copy freed after closelog avoids any global state.
        guard let ident = strdup(tag) else { return }
        openlog(ident, LOG_PID, facility)
        message.withCString { hanet_syslog(facility | level.syslogPriority, $0) }
        closelog()
        free(ident)
    }
}
