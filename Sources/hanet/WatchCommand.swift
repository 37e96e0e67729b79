import HanetLinks
import HanetNetlink

/// `hanet watch`: the kernel's link events as one line each, like the
/// bonding driver's own messages in /var/log/messages, but available to
/// any tool: bond failovers, slave link changes, ports joining bridges.
enum WatchCommand {
    static func run(namespace: NetworkNamespace) -> Int32 {
        do {
            let monitor = try LinkMonitor(namespace: namespace)
            let manager = try LinkManager(namespace: namespace)
            var tracker = LinkChangeTracker(links: try manager.list())
            print("\(Output.timestamp()) watching links in \(namespace) (Ctrl-C to stop)")
            while let event = try monitor.next() {
                let lines: [String]
                if case .overrun = event {
                    // Events were lost; a fresh dump tells what changed meanwhile.
                    lines = ["events lost (ENOBUFS): resynchronised"] + tracker.resync(try manager.list())
                } else {
                    lines = tracker.apply(event)
                }
                for line in lines { print("\(Output.timestamp()) \(line)") }
                fflushStdout()
            }
            return 0
        } catch {
            Output.error("hanet watch: \(error)")
            return 1
        }
    }
}
