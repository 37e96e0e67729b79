import Glibc
import HanetLinks
import HanetNetlink

/// `hanet demo`: a lab in a throwaway namespace, built with the library only
/// (no `ip`, no `brctl`): the bridge of seed 000 with an uplink and two Xen
/// guest ports, shown the way `hanet links` shows a real host.
enum DemoCommand {
    static func run() -> Int32 {
        guard geteuid() == 0 else {
            Output.error("hanet demo: needs root (it creates a network namespace)")
            return 4
        }
        do {
            // The namespace lives as long as this process: nothing to clean up.
            try NetworkNamespace.enterNewAnonymous()
            let links = try LinkManager()
            step("create bridge xenbr1 (stable MAC, STP off, forward delay 0)")
            try links.ensure(.init(name: "xenbr1", kind: .bridge(Bridge(stp: false, forwardDelaySeconds: 0)),
                                   mac: "fe:ff:ff:ff:ff:ff"))
            step("create uplink veth uplink0 <-> switch0 and attach uplink0")
            try links.add("uplink0", kind: .veth(Veth(peer: "switch0")))
            try links.ensureMaster("uplink0", master: "xenbr1")
            for (port, guestSide) in [("vif1.0", "guest1"), ("vif2.0", "guest2")] as [(InterfaceName, InterfaceName)] {
                step("create Xen guest port \(port) and attach it")
                try links.add(port, kind: .veth(Veth(peer: guestSide)))
                try links.ensureMaster(port, master: "xenbr1")
            }
            step("bring everything up; ARP and multicast off on the bridge (as seed 000 does)")
            for name in ["uplink0", "switch0", "vif1.0", "guest1", "vif2.0", "guest2", "xenbr1"] as [InterfaceName] {
                try links.setUp(name, true)
            }
            try links.setARP("xenbr1", false)
            try links.setMulticast("xenbr1", false)
            print("")
            print(LinksCommand.render(try links.list()))
            print("")
            print("The lab namespace disappears when this process exits.")
            print("Next: `make test` runs the unit, network-namespace and VM tiers.")
            return 0
        } catch {
            Output.error("hanet demo: \(error)")
            return 1
        }
    }

    private static func step(_ text: String) { print("==> \(text)") }
}
