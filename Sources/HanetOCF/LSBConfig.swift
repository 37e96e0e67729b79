import Glibc

/// Parameters for LSB mode, from `/etc/default/hanet-<agent>` (or the file
/// in `HANET_CONFIG`): one `name=value` per line, with the OCF parameter
/// names.
///
/// Init scripts and Heartbeat v1 have no way to pass resource parameters,
/// so the file plays the role of the OCF_RESKEY_* variables. The syntax is
/// a forgiving subset of shell assignments so the file can also be sourced
/// by scripts: comments, blank lines, optional `export`, quotes around
/// values, spaces around `=`. Quotes are taken literally inside the value
/// (no escapes, no expansion).
public struct LSBConfig: Hashable, Sendable {
    /// One `name=value` assignment.
    public struct Entry: Hashable, Sendable {
        /// The parameter name, spelled as in OCF (`bridge`, not `OCF_RESKEY_bridge`).
        public var name: String
        /// The value, without its quotes.
        public var value: String
        /// 1-based line number, for error messages.
        public var line: Int
    }

    /// The file it was read from, for error messages.
    public var path: String
    /// In file order; a later assignment wins, as in shell.
    public var entries: [Entry]

    /// A configuration from already parsed entries.
    public init(path: String, entries: [Entry]) {
        self.path = path
        self.entries = entries
    }

    /// Name to value; of repeated names, the last assignment wins.
    public var values: [String: String] {
        var result: [String: String] = [:]
        for entry in entries { result[entry.name] = entry.value }
        return result
    }

    /// `HANET_CONFIG` if set, else `/etc/default/hanet-<agent>`.
    public static func path(agent: String, environment: [String: String]) -> String {
        if let override = environment["HANET_CONFIG"], !override.isEmpty { return override }
        return "/etc/default/hanet-" + agent
    }

    /// Parses the file's `text`; `path` only names it in errors. Throws for
    /// the first line that is neither blank, a comment, nor a valid assignment.
    public static func parse(_ text: String, path: String) throws(LSBConfigError) -> LSBConfig {
        var entries: [Entry] = []
        var number = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            if let entry = try parseLine(Substring(rawLine), number: number, path: path) {
                entries.append(entry)
            }
        }
        return LSBConfig(path: path, entries: entries)
    }

    /// Entries whose names the agent does not know; each is an error
    /// because a misspelt name would otherwise silently fall back to the
    /// default.
    public func unknownEntries(specs: [ParameterSpec]) -> [Entry] {
        entries.filter { entry in
            !specs.contains { $0.name == entry.name } && !Parameters.runtimeParameterNames.contains(entry.name)
        }
    }

    /// Reads and parses the agent's file. A missing file yields nil (the
    /// caller decides whether parameters were required); a file another
    /// user could have written is refused (the agent runs as root and acts
    /// on it); other problems throw with file and line.
    public static func load(agent: String, environment: [String: String]) throws(AgentFailure) -> LSBConfig? {
        let path = path(agent: agent, environment: environment)
        switch POSIX.readFile(path, trusted: true) {
        case .missing:
            return nil
        case .untrusted(let problem):
            throw AgentFailure(.errPerm, "refusing \(path): \(problem)")
        case .failed(let code):
            let reason = "cannot read \(path): \(POSIX.errorString(code))"
            throw AgentFailure(code == EACCES ? .errPerm : .errConfigured, reason)
        case .contents(let text):
            do {
                return try parse(text, path: path)
            } catch {
                throw .configured(error.description)
            }
        }
    }

    private static func parseLine(_ line: Substring, number: Int, path: String) throws(LSBConfigError) -> Entry? {
        func failure(_ message: String) -> LSBConfigError {
            LSBConfigError(path: path, line: number, message: message)
        }
        var rest = Substring(line.trimmingOCFWhitespace())
        if rest.isEmpty || rest.hasPrefix("#") { return nil }
        if rest.hasPrefix("export"), let next = rest.dropFirst(6).first, next == " " || next == "\t" {
            rest = Substring(rest.dropFirst(6).trimmingOCFWhitespace())
        }
        guard let equals = rest.firstIndex(of: "=") else {
            throw failure("expected name=value")
        }
        let name = rest[..<equals].trimmingOCFWhitespace()
        guard isValidName(name) else {
            throw failure(name.isEmpty ? "missing parameter name before '='" : "invalid parameter name '\(name.singleLine)'")
        }
        var value = Substring(rest[rest.index(after: equals)...].trimmingOCFWhitespace())
        if let quote = value.first, quote == "\"" || quote == "'" {
            value = value.dropFirst()
            guard let close = value.firstIndex(of: quote) else {
                throw failure("missing closing \(quote) in value of '\(name)'")
            }
            let trailing = value[value.index(after: close)...].trimmingOCFWhitespace()
            if !trailing.isEmpty && !trailing.hasPrefix("#") {
                throw failure("unexpected text after closing \(quote) in value of '\(name)'")
            }
            return Entry(name: name, value: String(value[..<close]), line: number)
        }
        // An unquoted `#` starts a comment only after whitespace, as in shell.
        var end = value.endIndex
        var index = value.startIndex
        while index < value.endIndex {
            if value[index] == "#", index > value.startIndex, value[value.index(before: index)].isOCFWhitespace {
                end = index
                break
            }
            index = value.index(after: index)
        }
        return Entry(name: name, value: value[..<end].trimmingOCFWhitespace(), line: number)
    }

    private static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func isLetter(_ scalar: Unicode.Scalar) -> Bool {
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
        }
        return isLetter(first) && name.unicodeScalars.allSatisfy { isLetter($0) || ($0 >= "0" && $0 <= "9") }
    }
}
