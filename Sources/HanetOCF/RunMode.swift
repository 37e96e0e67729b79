/// Who called the agent: Pacemaker (OCF) or an init system / Heartbeat v1
/// `haresources` line (LSB). The two differ in where parameters come from
/// and which exit code numbering the caller understands.
public enum RunMode: String, Hashable, Sendable {
    /// Called by Pacemaker (or ocf-tester): parameters from OCF_RESKEY_*, OCF exit codes.
    case ocf
    /// Called as an init script: parameters from the LSB config file, LSB exit
    /// codes and a status line.
    case lsb

    /// OCF when any OCF variable is present; Pacemaker always sets
    /// OCF_ROOT and OCF_RESOURCE_INSTANCE, ocf-tester at least OCF_ROOT.
    public static func detect(environment: [String: String]) -> RunMode {
        if environment["OCF_ROOT"] != nil || environment["OCF_RESOURCE_INSTANCE"] != nil {
            return .ocf
        }
        return environment.keys.contains { $0.hasPrefix("OCF_RESKEY_") } ? .ocf : .lsb
    }
}
