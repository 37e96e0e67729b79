/// File descriptors 1 and 2, written with write(2) so nothing sits in a
/// stdio buffer when the process exits.
public struct StandardConsole: AgentConsole {
    /// The process's descriptors 1 and 2.
    public init() {}
    /// Writes all of `text` to descriptor 1.
    public func standardOutput(_ text: String) { POSIX.writeAll(1, text) }
    /// Writes all of `text` to descriptor 2.
    public func standardError(_ text: String) { POSIX.writeAll(2, text) }
}
