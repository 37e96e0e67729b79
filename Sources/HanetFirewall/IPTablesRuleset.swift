import Glibc
import HanetLinks

/// What the iptables backend installs for one `GuestBlockPolicy`: the
/// rendering `block` writes and `inspect` compares with, byte for byte.
///
/// ```
/// # ip4 and ip6 filter (same rules):
/// -N HANET-1a2b3c4d
/// -A HANET-1a2b3c4d -i br0 -m physdev --physdev-in vif0.0 --physdev-is-bridged -j RETURN
/// -A HANET-1a2b3c4d -o br0 -m physdev --physdev-out vif0.0 --physdev-is-bridged -j RETURN
/// -A HANET-1a2b3c4d -i br0 -m physdev --physdev-in vif+ --physdev-is-bridged -j DROP
/// -A HANET-1a2b3c4d -o br0 -m physdev --physdev-out vif+ --physdev-is-bridged -j DROP
/// -I FORWARD 1 -j HANET-1a2b3c4d
/// # arp filter:
/// -N HANET-1a2b3c4d
/// -A HANET-1a2b3c4d -i vif0.0 -j RETURN
/// -A HANET-1a2b3c4d -o vif0.0 -j RETURN
/// -A HANET-1a2b3c4d -i vif+ -j DROP
/// -A HANET-1a2b3c4d -o vif+ -j DROP
/// -I FORWARD 1 -j HANET-1a2b3c4d
/// ```
///
/// With br_netfilter, a bridged packet meets iptables' FORWARD with the
/// bridge as both `-i` and `-o` and the ports as physdev in/out, so `-i br0`
/// / `-o br0` keep other bridges untouched. xt_physdev has no bridge match of
/// its own. arp_tables sees the ports as in/out devices and has no way to
/// name the bridge: the ARP rules apply to matching ports of every bridge.
///
/// A group selected by identity (`guest_macs`, `guest_domains`) drops, on
/// the same guest ports, only its own guests' frames: one rule per MAC or
/// prefix and direction, the Ethernet source of what the port sends and
/// the destination of what it is sent, matched by a cBPF program
/// (`MACFilterProgram`; ip_tables has no destination MAC match), and in
/// arp_tables the ARP sender (from the guest) or target (to it) hardware
/// address under the prefix's mask:
///
/// ```
/// -A HANET-1a2b3c4d -i br0 -m physdev --physdev-in vif+ --physdev-is-bridged -m bpf --bytecode "<ether saddr in 52:54:00:00:00:00/24>" -j DROP
/// -A HANET-1a2b3c4d -o br0 -m physdev --physdev-out vif+ --physdev-is-bridged -m bpf --bytecode "<ether daddr in ...>" -j DROP
/// # arp filter:
/// -A HANET-1a2b3c4d -i vif+ --source-mac 52:54:00:00:00:00/ff:ff:ff:00:00:00 -j DROP
/// -A HANET-1a2b3c4d -o vif+ --destination-mac 52:54:00:00:00:00/ff:ff:ff:00:00:00 -j DROP
/// ```
///
/// Never on the uplinks, where the same MACs arrive from the twins open on
/// another host. Broadcast and multicast still reach a blocked guest (an
/// ARP request's target address is not yet the guest's); its answers are
/// dropped. A guest that starts later is covered: the rules name MACs.
///
/// Exempt ports RETURN first (so `vif0.0` is never dropped even though it
/// matches `vif*`), then the guest patterns DROP, both directions, so a
/// guest can neither send nor receive. The policy is canonical, so two
/// spellings of the same policy render (and hash) the same.
public struct IPTablesRuleset: Hashable, Sendable {
    /// Our chain, in every table: `HANET-<ownerTag>`.
    public var chain: String
    /// The rules of our chain in ip4 and ip6 filter.
    public var rules: [IPTablesRule]
    /// Our one rule in ip4/ip6 FORWARD: `-j <chain>`.
    public var jump: IPTablesRule
    /// The rules of our chain in arp filter.
    public var arpRules: [ARPTablesRule]
    /// Our one rule in arp FORWARD.
    public var arpJump: ARPTablesRule

    /// The chain prefix; the rest is the policy's 8-hex owner tag.
    public static let chainPrefix = "HANET-"
    /// iptables accepts chain names up to 28 bytes (XT_EXTENSION_MAXNAMELEN - 1).
    public static let maxChainNameLength = 28

    /// `HANET-<ownerTag>`: the chain `policy` owns in every table.
    public static func chainName(for policy: GuestBlockPolicy) -> String {
        chainPrefix + policy.ownerTag
    }

    /// Renders `policy`. Throws (`EINVAL`) when it names no bridge or no
    /// guest pattern, and (`ENAMETOOLONG`) if the chain name would not fit.
    public init(_ policy: GuestBlockPolicy) throws(IPTablesError) {
        chain = Self.chainName(for: policy)
        guard chain.utf8.count <= Self.maxChainNameLength else {
            throw IPTablesError(operation: "render", object: chain, errno: ENAMETOOLONG,
                                message: "chain name longer than \(Self.maxChainNameLength) bytes")
        }
        let bridges = policy.bridges // canonical: sorted, no duplicates
        guard !bridges.isEmpty else {
            throw IPTablesError(operation: "render", object: chain, errno: EINVAL,
                                message: "the policy names no bridge, so there is nothing to block")
        }
        guard !policy.guestPorts.isEmpty else {
            throw IPTablesError(operation: "render", object: chain, errno: EINVAL,
                                message: "the policy names no guest port pattern")
        }
        let exempt = policy.exemptPorts
        let guests = policy.guestPorts
        // nil: every frame of the guest ports; else one DROP per selected MAC.
        let macs: [MACPrefix?] = policy.selectsByIdentity ? policy.selectedMACs.map { $0 } : [nil]

        var rules: [IPTablesRule] = []
        for bridge in bridges {
            for pattern in exempt {
                rules.append(IPTablesRule(inInterface: .init(bridge), physdevIn: .init(pattern),
                                          physdevIsBridged: true, target: .return))
                rules.append(IPTablesRule(outInterface: .init(bridge), physdevOut: .init(pattern),
                                          physdevIsBridged: true, target: .return))
            }
        }
        for bridge in bridges {
            for pattern in guests {
                for mac in macs {
                    rules.append(IPTablesRule(inInterface: .init(bridge), physdevIn: .init(pattern), physdevIsBridged: true,
                                              macFilter: mac.map { MACFilterProgram(.source, in: $0) }, target: .drop))
                    rules.append(IPTablesRule(outInterface: .init(bridge), physdevOut: .init(pattern), physdevIsBridged: true,
                                              macFilter: mac.map { MACFilterProgram(.destination, in: $0) }, target: .drop))
                }
            }
        }
        self.rules = rules
        jump = IPTablesRule(target: .jump(chain))

        var arpRules: [ARPTablesRule] = []
        for pattern in exempt {
            arpRules.append(ARPTablesRule(inInterface: .init(pattern), target: .return))
            arpRules.append(ARPTablesRule(outInterface: .init(pattern), target: .return))
        }
        for pattern in guests {
            for mac in macs {
                arpRules.append(ARPTablesRule(inInterface: .init(pattern), senderMAC: mac, target: .drop))
                arpRules.append(ARPTablesRule(outInterface: .init(pattern), targetMAC: mac, target: .drop))
            }
        }
        self.arpRules = arpRules
        arpJump = ARPTablesRule(target: .jump(chain))
    }

    /// The whole rendering in `iptables -S` / `arptables -S` spelling, for logs.
    public var script: [String] {
        var lines = ["# ip4 filter, ip6 filter", "-N \(chain)"]
        lines += rules.map { "-A \(chain) \($0)" }
        lines.append("-I FORWARD 1 \(jump)")
        lines += ["# arp filter", "-N \(chain)"]
        lines += arpRules.map { "-A \(chain) \($0)" }
        lines.append("-I FORWARD 1 \(arpJump)")
        return lines
    }
}
