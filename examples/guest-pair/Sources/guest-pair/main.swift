// guest-pair: a standby host's guests, kept off the network until it takes over.
//
// What seed 000 and seed 004 do with brctl, ip and iptables rules at fixed
// positions, done with hanet's host library: bring up the bridge the guests
// attach to, block every guest port, print health, take over (unblock),
// print health again, then undo it all. Run it as root inside a network
// namespace that has the uplink (default eth1) and some guest ports (vif*):
//
//   ip netns exec lab guest-pair xenbr1 eth1
import Glibc
import HanetHost
import HanetLinks
import HanetFirewall

let arguments = CommandLine.arguments
let bridgeName = arguments.count > 1 ? arguments[1] : "xenbr1"
let uplinkName = arguments.count > 2 ? arguments[2] : "eth1"

/// The state directory records what this tool created, so the last step
/// removes exactly that and nothing an administrator made by hand.
let stateDirectory = "/run/guest-pair"

func say(_ text: String) { print(text); fflush(nil) }

func show(_ what: String, _ health: Health) { say("\(what): \(health.state) (\(health.reason))") }

do {
    // 1. The bridge of seed 000: uplink attached, ARP and multicast off,
    //    a stable MAC. Rules the kernel would refuse are caught here.
    var bridge = BridgeConfiguration(bridge: try InterfaceName(validating: bridgeName),
                                     uplink: try InterfaceName(validating: uplinkName))
    bridge.arp = false
    bridge.multicast = false
    try bridge.validate()
    let attachment = BridgeAttachment(configuration: bridge, links: try LinkManager(), stateDirectory: stateDirectory,
                                      log: { say("  bridge: \($0)") })
    try attachment.start()
    show("bridge \(bridgeName)", try attachment.health())

    // 2. Seed 004's standby host: every vif*/tap*/vnet* port of the bridge
    //    blocked, IPv4, IPv6, ARP and everything else, both directions.
    let policy = GuestBlockPolicy(bridges: [bridge.bridge],
                                  guestPorts: try ["vif*", "tap*", "vnet*"].map { try PortPattern(parsing: $0) })
    var guests = VhostNetConfiguration(policy: policy)
    guests.announce = 0 // nobody to announce to in a lab
    let isolation = try GuestIsolation.open(guests, stateDirectory: stateDirectory, log: { say("  guests: \($0)") })
    try isolation.validate()
    try isolation.block()
    show("guests (standby)", try isolation.health())

    // 3. Take over: open the guests; the bridge forgets what it learned
    //    while standby, so the guests answer at once.
    try isolation.unblock()
    show("guests (active)", try isolation.health())

    // 4. Back to standby, then undo everything this tool did.
    try isolation.block()
    show("guests (standby again)", try isolation.health())
    try isolation.unblock()
    try attachment.stop()
    show("bridge \(bridgeName) after stop", try attachment.health())
    exit(0)
} catch let error as ConfigurationError {
    say("guest-pair: invalid configuration: \(error)")
    exit(2)
} catch let error as HostError {
    say("guest-pair: \(error.object): \(error.reason) [\(error.kind)\(error.errno != 0 ? ", errno \(error.errno)" : "")]")
    exit(1)
} catch {
    say("guest-pair: \(error)")
    exit(1)
}
