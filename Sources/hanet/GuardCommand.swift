import Glibc
import HanetOCF
import HanetAgents
import HanetHost
import HanetNetlink
import HanetLinks

/// `hanet guard [--netns NS]`: the vhostnet guard in the foreground, with
/// the parameters of /etc/default/hanet-vhostnet (or $HANET_CONFIG), for
/// debugging or a supervisor. Normally the agent forks it when it blocks.
enum GuardCommand {
    static func run(_ args: [String]) -> Int32 {
        let environment = processEnvironment()
        do {
            guard let config = try LSBConfig.load(agent: "vhostnet", environment: environment) else {
                Output.error("hanet guard: \(LSBConfig.path(agent: "vhostnet", environment: environment)) does not exist")
                return 6
            }
            let parameters = Parameters(values: config.values, specs: VhostNetAgent.metadata.parameters)
            let configuration = try VhostNetAgent.parse(parameters)
            if let ns = option("--netns", in: args) { try NetworkNamespace.named(ns).enter() }
            let selection = try configuration.backend.select()
            // The port lock too, as the agent's guard keeps it (port_lock=true).
            let events = configuration.portLock ? try LinkMonitor() : nil
            let lock = configuration.portLock ? GuestPortLock(policy: configuration.policy, links: try LinkManager()) : nil
            BlockGuard(policy: configuration.policy, backend: selection.backend, portLock: lock, linkEvents: events) { line in
                print("\(Output.timestamp()) \(line)")
                fflushStdout()
            }.run()
        } catch {
            Output.error("hanet guard: \(AgentFailure(error).reason)")
            return AgentFailure(error).code.rawValue
        }
    }

    static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { result[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            pointer += 1
        }
        return result
    }
}
