/// The agent's stdout and stderr. Injectable because meta-data, usage, the
/// LSB status line and the `ocf-exit-reason` line are the runtime's
/// contract with Pacemaker and init systems, and tests must see them.
public protocol AgentConsole: Sendable {
    /// Writes `text` unchanged to standard output: meta-data, usage, the LSB status line.
    func standardOutput(_ text: String)
    /// Writes `text` unchanged to standard error: usage after a wrong call,
    /// the `ocf-exit-reason:` line.
    func standardError(_ text: String)
}
