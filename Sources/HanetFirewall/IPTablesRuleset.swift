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
    /// Why guests selected by MAC need nftables (the agent's one-line reason).
    public static let identityUnsupported = "guest_macs and guest_domains need backend=nftables: iptables cannot match a destination MAC (xt_mac matches the source only)"

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
        // Refused, not rendered by port: that would block every group's
        // guests on these ports, not this group's.
        guard !policy.selectsByIdentity else {
            throw IPTablesError(operation: "render", object: chain, errno: EOPNOTSUPP,
                                message: Self.identityUnsupported)
        }
        let exempt = policy.exemptPorts
        let guests = policy.guestPorts

        var rules: [IPTablesRule] = []
        for (patterns, target) in [(exempt, IPTablesRule.Target.return), (guests, .drop)] {
            for bridge in bridges {
                for pattern in patterns {
                    rules.append(IPTablesRule(inInterface: .init(bridge), physdevIn: .init(pattern),
                                              physdevIsBridged: true, target: target))
                    rules.append(IPTablesRule(outInterface: .init(bridge), physdevOut: .init(pattern),
                                              physdevIsBridged: true, target: target))
                }
            }
        }
        self.rules = rules
        jump = IPTablesRule(target: .jump(chain))

        var arpRules: [ARPTablesRule] = []
        for (patterns, target) in [(exempt, IPTablesRule.Target.return), (guests, .drop)] {
            for pattern in patterns {
                arpRules.append(ARPTablesRule(inInterface: .init(pattern), target: target))
                arpRules.append(ARPTablesRule(outInterface: .init(pattern), target: target))
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
