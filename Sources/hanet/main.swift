import Glibc

// hanet: the administrator's command line. Agents live in hanet-agent; this
// tool shows state, watches events and runs the demonstration lab.

let arguments = Array(CommandLine.arguments.dropFirst())
let usage = """
usage: hanet <command> [options]

commands:
  demo                 build a throwaway lab (bridge, uplink, Xen guest ports) and show it
  links [--netns NS]   list links with kind, state, master and guest-port role
  watch [--netns NS]   print link, bond failover and slave state changes as they happen
  guard [--netns NS]   keep the vhostnet guest block in place (parameters from /etc/default/hanet-vhostnet)
  man [--write DIR]    print (or write) the agents' man pages, generated from their meta-data
  help                 this text
"""

func fail(_ message: String, code: Int32 = 1) -> Never {
    Output.error("hanet: \(message)")
    exit(code)
}

func option(_ name: String, in args: [String]) -> String? {
    guard let i = args.firstIndex(of: name) else { return nil }
    guard i + 1 < args.count else { fail("\(name) needs a value", code: 2) }
    return args[i + 1]
}

func namespace(from args: [String]) -> NetworkNamespaceOption {
    option("--netns", in: args).map { .named($0) } ?? .current
}

switch arguments.first {
case "demo"?:
    exit(DemoCommand.run())
case "links"?:
    exit(LinksCommand.run(namespace: namespace(from: arguments)))
case "watch"?:
    exit(WatchCommand.run(namespace: namespace(from: arguments)))
case "guard"?:
    exit(GuardCommand.run(arguments))
case "man"?:
    exit(ManCommand.run(arguments))
case "help"?, "--help"?, "-h"?, nil:
    print(usage)
    exit(arguments.isEmpty ? 2 : 0)
case let other?:
    Output.error("hanet: unknown command '\(other)'")
    print(usage)
    exit(2)
}
