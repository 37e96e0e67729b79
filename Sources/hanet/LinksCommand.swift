import HanetLinks
import HanetNetlink

/// `hanet links`: one dump, printed as a table an administrator can read.
enum LinksCommand {
    static func run(namespace: NetworkNamespace) -> Int32 {
        do {
            let manager = try LinkManager(namespace: namespace)
            print(render(try manager.list()))
            return 0
        } catch {
            Output.error("hanet links: \(error)")
            return 1
        }
    }

    static func render(_ links: [Link]) -> String {
        let byIndex = Dictionary(links.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        var rows = [["NAME", "KIND", "STATE", "MASTER", "MAC", "ROLE"]]
        for link in links.sorted(by: { $0.index < $1.index }) {
            let state = (link.isUp ? "up" : "down") + (link.isUp && !link.hasCarrier ? ",no-carrier" : "")
            let master = link.masterIndex.flatMap { byIndex[$0]?.name.value } ?? "-"
            var role = "-"
            if let guest = link.guestPort {
                switch guest {
                case .xen(let domain, let device):
                    role = domain == 0 ? "xen dom0 port (vif0.\(device))" : "xen guest dom\(domain) nic\(device)"
                case .tap(let n): role = "kvm guest tap\(n)"
                case .vnet(let n): role = "kvm guest vnet\(n)"
                }
            } else if case .bridge? = link.kind {
                let ports = links.filter { $0.masterIndex == link.index }.map(\.name.value).sorted()
                role = ports.isEmpty ? "bridge (no ports)" : "bridge: " + ports.joined(separator: " ")
            } else if let bond = link.kind?.bond {
                role = "bond " + (bond.mode?.description ?? "?")
            } else if let slave = link.bondSlave {
                role = "bond slave " + (slave.role == .active ? "active" : "backup") + ", mii " + "\(slave.miiStatus.map { "\($0)" } ?? "?")"
            }
            rows.append([link.name.value, link.kind?.kernelName ?? "-", state, master, link.mac?.description ?? "-", role])
        }
        return Output.table(rows)
    }
}
