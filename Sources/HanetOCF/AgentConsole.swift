/// The agent's stdout and stderr. Injectable because meta-data, usage, the
/// LSB status line and the `ocf-exit-reason` line are the runtime's
/// contract with Pacemaker and init systems, and tests must see them.
public protocol AgentConsole: Sendable {
    func standardOutput(_ text: String)
    func standardError(_ text: String)
}
