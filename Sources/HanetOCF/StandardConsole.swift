/// File descriptors 1 and 2, written with write(2) so nothing sits in a
/// stdio buffer when the process exits.
public struct StandardConsole: AgentConsole {
    public init() {}
    public func standardOutput(_ text: String) { POSIX.writeAll(1, text) }
    public func standardError(_ text: String) { POSIX.writeAll(2, text) }
}
