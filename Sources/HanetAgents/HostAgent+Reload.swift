import HanetOCF
import HanetHost

/// `reload-agent` (OCF 1.1) and `reload` (LSB, and OCF 1.0 managers) for
/// agents whose host logic can change a running resource in place. Both
/// names run the same code: the parameters passed are the new ones, and
/// the host logic applies what differs from the kernel's state.
extension HostAgent where Resource: ReloadableResource {
    public func perform(action: String) throws -> OCFExitCode? {
        guard action == "reload-agent" || action == "reload" else { return nil }
        let done = try resource().reload()
        if done.isEmpty { context.log.info("reload: nothing to change") }
        return .success
    }
}
