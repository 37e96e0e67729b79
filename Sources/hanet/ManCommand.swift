import Glibc
import HanetOCF
import HanetAgents

/// `hanet man [--write DIR]`: the agents' man pages, rendered from the same
/// meta-data Pacemaker reads, so the two can never disagree.
enum ManCommand {
    static func run(_ args: [String]) -> Int32 {
        guard let directory = option("--write", in: args) else {
            for agent in AgentCatalog.all { print(ManPage.render(agent.metadata)) }
            return 0
        }
        for agent in AgentCatalog.all {
            let path = directory + "/" + ManPage.fileName(for: agent.metadata)
            let text = ManPage.render(agent.metadata)
            guard let file = fopen(path, "w") else {
                Output.error("hanet man: cannot write \(path): \(String(cString: strerror(errno)))")
                return 1
            }
            fputs(text, file)
            fclose(file)
            print("wrote \(path)")
        }
        return 0
    }
}
