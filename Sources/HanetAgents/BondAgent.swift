import HanetOCF
import HanetLinks
import HanetHost

/// `ocf:hanet:bond`: a bond with its slaves and optional VLANs on top.
///
/// Replaces modprobe.conf `options bonding ...` + ifcfg-bond0 + ifcfg-ethN
/// `MASTER=bond0` + `ifup bond0`: the agent resource-agents never shipped.
public struct BondAgent: HostAgent {
    public static let agentName = "bond"
    public static let metadata = AgentMetadata(
        name: agentName,
        version: "1.0",
        shortDescription: "Bonded NICs (all seven modes) with optional VLANs, for bridge uplinks",
        longDescription: """
            Creates (or adopts) a Linux bond, sets its driver options in the order the kernel accepts \
            (mode first, on a bond without slaves), enslaves the slaves (down first, as kernels up to 6.1 require), \
            sets MAC, MTU, ARP and multicast flags, brings it up, and creates 802.1Q VLAN sub-interfaces \
            <bond>.<id> ready to be bridge uplinks. The kernel loads the bonding driver on request; nothing is \
            loaded by hand. Failover is the kernel's job (miimon or ARP monitoring): the agent never slows it.

            Monitor reads the bond and every slave's state from one netlink dump (IFLA_BOND_SLAVE_*), not from \
            /proc/net/bonding: all configured slaves enslaved with link: 0; some down but at least one up (for \
            802.3ad: at least min_links in the active aggregator): 190 (OCF_DEGRADED) when degraded=true, else 0, \
            naming the down slaves in the log; none up: 1; bond absent: 7. OCF_CHECK_LEVEL=10 also checks the \
            VLANs and, for 802.3ad, that the LACP partner answered.

            Stop deletes what this resource created (VLANs, the bond), releases the slaves it enslaved and leaves \
            them up or down as they were found, without address changes. An adopted bond is left in place. \
            Ownership is recorded under HA_RSCTMP before each change, so a stop after a killed start undoes it.

            Where the kernel has no bonding driver, start fails with OCF_ERR_INSTALLED (5) and the kernel's reason.
            """,
        parameters: [
            ParameterSpec(name: "bond", required: true, unique: true, shortDescription: "Bond name",
                          longDescription: "Name of the bond interface, e.g. bond0."),
            ParameterSpec(name: "slaves", required: true, shortDescription: "Slave interfaces (two or more)",
                          longDescription: "The NICs to bond, separated by spaces or commas, e.g. \"eth1 eth2\". Each must exist on the node and not be a port of another bond or bridge."),
            ParameterSpec(name: "mode", defaultValue: "active-backup", shortDescription: "Bonding mode (name or number)",
                          longDescription: "balance-rr (0), active-backup (1), balance-xor (2), broadcast (3), 802.3ad (4), balance-tlb (5), balance-alb (6).",
                          choices: BondMode.allCases.map(\.description)),
            ParameterSpec(name: "miimon", type: .integer, shortDescription: "MII link check interval (ms)",
                          longDescription: "Default 100 unless arp_interval is set: a bond with neither never fails over. Mutually exclusive with arp_interval."),
            ParameterSpec(name: "updelay", type: .integer, shortDescription: "Delay before enabling a recovered slave (ms)",
                          longDescription: "A multiple of miimon."),
            ParameterSpec(name: "downdelay", type: .integer, shortDescription: "Delay before disabling a failed slave (ms)",
                          longDescription: "A multiple of miimon."),
            ParameterSpec(name: "primary", shortDescription: "Preferred slave",
                          longDescription: "One of slaves; the active slave whenever it has link (active-backup, balance-tlb, balance-alb)."),
            ParameterSpec(name: "primary_reselect", shortDescription: "When the primary takes over again",
                          longDescription: "always, better or failure.", choices: PrimaryReselect.allCases.map(\.description)),
            ParameterSpec(name: "arp_interval", type: .integer, shortDescription: "ARP monitoring interval (ms)",
                          longDescription: "Use ARP probes to arp_ip_target instead of MII to detect failures. Not with 802.3ad, balance-tlb or balance-alb; mutually exclusive with miimon."),
            ParameterSpec(name: "arp_ip_target", shortDescription: "ARP monitoring targets",
                          longDescription: "Up to 16 IPv4 addresses, space or comma separated; required with arp_interval unless ns_ip6_target is given."),
            ParameterSpec(name: "arp_validate", shortDescription: "ARP reply validation",
                          longDescription: "none, active, backup, all, filter, filter_active, filter_backup.", choices: ARPValidate.allCases.map(\.description)),
            ParameterSpec(name: "lacp_rate", shortDescription: "LACPDU rate (802.3ad)",
                          longDescription: "slow (every 30 s) or fast (every second).", choices: LACPRate.allCases.map(\.description)),
            ParameterSpec(name: "xmit_hash_policy", shortDescription: "Transmit hash policy",
                          longDescription: "layer2, layer2+3, layer3+4, encap2+3, encap3+4 (balance-xor, 802.3ad, balance-tlb).",
                          choices: XmitHashPolicy.allCases.map(\.description)),
            ParameterSpec(name: "ad_select", shortDescription: "Aggregator selection (802.3ad)",
                          longDescription: "stable, bandwidth or count.", choices: ADSelect.allCases.map(\.description)),
            ParameterSpec(name: "min_links", type: .integer, shortDescription: "Minimum links for the aggregator to be up (802.3ad)",
                          longDescription: "Also the threshold monitor uses before it reports failure."),
            ParameterSpec(name: "fail_over_mac", shortDescription: "MAC policy on failover",
                          longDescription: "none, active or follow.", choices: FailOverMAC.allCases.map(\.description)),
            ParameterSpec(name: "num_grat_arp", type: .integer, shortDescription: "Gratuitous ARPs after failover",
                          longDescription: "0-255 peer notifications (gratuitous ARP and unsolicited NA) sent after a failover."),
            ParameterSpec(name: "all_slaves_active", type: .boolean, shortDescription: "Deliver frames received on inactive slaves",
                          longDescription: "Normally off."),
            ParameterSpec(name: "active_slave", shortDescription: "Slave made active at start",
                          longDescription: "One of slaves, made the active slave once the bond is up and the driver saw its link (active-backup, balance-tlb, balance-alb). A later failover, or primary, may choose another slave; monitor does not report that."),
            ParameterSpec(name: "use_carrier", type: .boolean, shortDescription: "miimon trusts the slaves' carrier state",
                          longDescription: "on (the kernel's default): miimon reads each slave's carrier; off: it asks the NIC driver by MII/ethtool ioctls, for old drivers only."),
            ParameterSpec(name: "peer_notif_delay", type: .integer, shortDescription: "Delay between peer notifications after failover (ms)",
                          longDescription: "0-300000 ms between the gratuitous ARPs / unsolicited NAs of num_grat_arp; default 0. A multiple of miimon (the kernel counts it in miimon intervals); needs miimon."),
            ParameterSpec(name: "ns_ip6_target", shortDescription: "IPv6 NS monitoring targets",
                          longDescription: "Up to 16 IPv6 addresses, space or comma separated, probed with neighbour solicitations by the ARP monitor (needs arp_interval); with it, arp_ip_target may be left out. Not ::, ::1 or multicast."),
            ParameterSpec(name: "arp_all_targets", shortDescription: "Which ARP targets must answer",
                          longDescription: "any (the kernel's default): a slave is up while one target answers; all: every target must answer. Needs arp_interval.",
                          choices: ARPAllTargets.allCases.map(\.description)),
            ParameterSpec(name: "arp_missed_max", type: .integer, shortDescription: "Missed ARP checks before a slave is down",
                          longDescription: "1-255 arp_interval checks that may fail before the ARP (or NS) monitor marks a slave down; the kernel's default is 2. Needs arp_interval."),
            ParameterSpec(name: "lacp_active", type: .boolean, shortDescription: "Send LACPDUs unasked (802.3ad)",
                          longDescription: "on (the kernel's default): send LACPDUs at lacp_rate; off: passive, only after the partner sent one. The kernel sets it only while the bond is down, so an adopted bond that is up must already have it."),
            ParameterSpec(name: "ad_actor_sys_prio", type: .integer, shortDescription: "LACP system priority (802.3ad)",
                          longDescription: "1-65535, the kernel's default 65535; the side with the lower value decides which ports aggregate."),
            ParameterSpec(name: "ad_user_port_key", type: .integer, shortDescription: "Upper 10 bits of the LACP port key (802.3ad)",
                          longDescription: "0-1023, the kernel's default 0. Set only while the bond is down, like lacp_active."),
            ParameterSpec(name: "ad_actor_system", shortDescription: "LACP system MAC address (802.3ad)",
                          longDescription: "The MAC address our LACPDUs carry as the system id instead of the bond's, e.g. for two hosts that present one system to a switch. Not a multicast address."),
            ParameterSpec(name: "packets_per_slave", type: .integer, shortDescription: "Frames per slave before the next (balance-rr)",
                          longDescription: "0-65535, the kernel's default 1; 0 picks a slave at random for each frame."),
            ParameterSpec(name: "tlb_dynamic_lb", type: .boolean, shortDescription: "Balance flows by load (balance-tlb, balance-alb)",
                          longDescription: "on (the kernel's default): flows move between slaves by load; off: each flow stays on the slave xmit_hash_policy picks. Set only while the bond is down, like lacp_active."),
            ParameterSpec(name: "lp_interval", type: .integer, shortDescription: "Seconds between learning packets (balance-tlb, balance-alb)",
                          longDescription: "1-2147483647 seconds between the learning packets sent to each slave's switch; the kernel's default is 1. Other modes ignore it."),
            ParameterSpec(name: "resend_igmp", type: .integer, shortDescription: "IGMP reports after failover",
                          longDescription: "0-255 IGMP membership reports sent after a failover, 200 ms apart; the kernel's default is 1, 0 sends none."),
            ParameterSpec(name: "mac", shortDescription: "Bond MAC address",
                          longDescription: "Fixed MAC address, e.g. fe:ff:ff:ff:ff:ff as in the Xen recipe. Default: the first slave's."),
            ParameterSpec(name: "mtu", type: .integer, shortDescription: "Bond MTU", longDescription: "68-65535."),
            ParameterSpec(name: "arp", type: .boolean, defaultValue: "on", shortDescription: "ARP on the bond (on/off)",
                          longDescription: "off for a bond that only carries a bridge, as in the Xen recipe."),
            ParameterSpec(name: "multicast", type: .boolean, defaultValue: "on", shortDescription: "Multicast on the bond (on/off)",
                          longDescription: "off together with arp=off for a pure bridge uplink."),
            ParameterSpec(name: "vlans", shortDescription: "802.1Q VLAN ids",
                          longDescription: "Space or comma separated ids (1-4094); each creates <bond>.<id>, up, e.g. bond0.10, ready to be a bridge uplink."),
            ParameterSpec(name: "degraded", type: .boolean, defaultValue: "true", shortDescription: "Report partial slave loss as OCF_DEGRADED",
                          longDescription: "When true, monitor returns 190 while some slaves are down and at least one works; when false it returns 0 and only logs."),
        ].markingReloadable(reloadableParameters),
        actions: [
            .start(timeout: .seconds(30)),
            .stop(timeout: .seconds(30)),
            .monitor(timeout: .seconds(20), interval: .seconds(10), depth: 0),
            .metaData(),
            .validateAll(),
            .reloadAgent(),
            .reload(),
        ],
        example: """
            pcs resource create bond0 ocf:hanet:bond bond=bond0 slaves="eth1 eth2" mode=active-backup miimon=100 \\
                mac=fe:ff:ff:ff:ff:ff arp=off multicast=off op monitor interval=10s clone
            crm configure primitive bond0 ocf:hanet:bond params bond=bond0 slaves="eth1 eth2" mode=802.3ad \\
                lacp_rate=fast xmit_hash_policy=layer3+4 vlans="10 20" op monitor interval=10s
            """)

    public let configuration: BondConfiguration
    public let context: AgentContext

    public init(context: AgentContext) throws {
        self.context = context
        configuration = try Self.parse(context.parameters)
    }

    /// Parameter syntax here; the driver's rules are the configuration's
    /// (`BondConfiguration.validate`), so a bond built in Swift gets them too.
    static func parse(_ p: Parameters) throws -> BondConfiguration {
        let bondName = try p.interfaceName("bond")
        let slaves = try p.interfaceNames("slaves")
        guard let mode = BondMode(parsing: try p.string("mode")) else {
            throw AgentFailure.parameter("mode", "'\(try p.string("mode"))' is not a bonding mode (balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb or 0-6)")
        }
        var o = Bond(mode: mode)
        func ms(_ n: String) throws -> UInt32? { try p.optionalInteger(n, in: 0...1_000_000).map(UInt32.init) }
        let miimon = try ms("miimon")
        o.arpInterval = try ms("arp_interval")
        let targets = try p.list("arp_ip_target")
        if !targets.isEmpty {
            o.arpIPTargets = try targets.map { text in
                guard let a = IPv4Address(parsing: text) else { throw AgentFailure.parameter("arp_ip_target", "'\(text)' is not an IPv4 address") }
                return a
            }
        }
        // The agent's default: link monitoring by MII every 100 ms unless
        // ARP monitoring is asked for (a bond with neither never fails over).
        o.miimon = (o.arpInterval ?? 0) > 0 ? (miimon ?? 0) : (miimon ?? 100)
        o.updelay = try ms("updelay")
        o.downdelay = try ms("downdelay")
        func choice<T>(_ n: String, _ parse: (String) -> T?) throws -> T? {
            guard let text = try p.optionalString(n) else { return nil }
            guard let v = parse(text) else { throw AgentFailure.parameter(n, "'\(text)' is not one of: " + (BondAgent.metadata.parameter(named: n)?.choices ?? []).joined(separator: ", ")) }
            return v
        }
        o.primaryReselect = try choice("primary_reselect", PrimaryReselect.init(parsing:))
        o.arpValidate = try choice("arp_validate", ARPValidate.init(parsing:))
        o.lacpRate = try choice("lacp_rate", LACPRate.init(parsing:))
        o.xmitHashPolicy = try choice("xmit_hash_policy", XmitHashPolicy.init(parsing:))
        o.adSelect = try choice("ad_select", ADSelect.init(parsing:))
        o.failOverMAC = try choice("fail_over_mac", FailOverMAC.init(parsing:))
        o.minLinks = try p.optionalInteger("min_links", in: 0...1024).map(UInt32.init)
        o.numPeerNotifications = try p.optionalInteger("num_grat_arp", in: 0...255).map(UInt8.init)
        o.allSlavesActive = try p.optionalBool("all_slaves_active")
        o.useCarrier = try p.optionalBool("use_carrier")
        o.peerNotifyDelay = try p.optionalInteger("peer_notif_delay", in: 0...300_000).map(UInt32.init)
        let nsTargets = try p.list("ns_ip6_target")
        if !nsTargets.isEmpty {
            o.nsIP6Targets = try nsTargets.map { text in
                guard let a = IPv6Address(parsing: text) else { throw AgentFailure.parameter("ns_ip6_target", "'\(text)' is not an IPv6 address") }
                return a
            }
        }
        o.arpAllTargets = try choice("arp_all_targets", ARPAllTargets.init(parsing:))
        o.arpMissedMax = try p.optionalInteger("arp_missed_max", in: 1...255).map(UInt8.init)
        o.lacpActive = try p.optionalBool("lacp_active")
        o.adActorSysPrio = try p.optionalInteger("ad_actor_sys_prio", in: 1...65535).map(UInt16.init)
        o.adUserPortKey = try p.optionalInteger("ad_user_port_key", in: 0...1023).map(UInt16.init)
        o.adActorSystem = try p.optionalMAC("ad_actor_system")
        o.packetsPerSlave = try p.optionalInteger("packets_per_slave", in: 0...65535).map(UInt32.init)
        o.tlbDynamicLB = try p.optionalBool("tlb_dynamic_lb")
        o.lpInterval = try p.optionalInteger("lp_interval", in: 1...2_147_483_647).map(UInt32.init)
        o.resendIGMP = try p.optionalInteger("resend_igmp", in: 0...255).map(UInt32.init)
        var c = BondConfiguration(bond: bondName, slaves: slaves, options: o)
        c.primary = try p.optionalInterfaceName("primary")
        c.activeSlave = try p.optionalInterfaceName("active_slave")
        c.mac = try p.optionalMAC("mac")
        c.mtu = try p.optionalInteger("mtu", in: 68...65535).map(UInt32.init)
        c.arp = try p.bool("arp")
        c.multicast = try p.bool("multicast")
        c.reportDegraded = try p.bool("degraded")
        c.vlans = try p.list("vlans").map { text in
            guard let id = UInt16(text) else { throw AgentFailure.parameter("vlans", "'\(text)' is not a VLAN id (1-4094)") }
            return id
        }
        try c.validate()
        return c
    }

    public func resource() throws -> BondSetup {
        let log = context.log
        return BondSetup(configuration: configuration, links: try LinkManager(timeout: context.netlinkTimeout()), stateDirectory: context.stateDirectory,
                         log: { log.info($0) })
    }

    /// Partial slave loss is 190 unless `degraded=false`, then 0 and a warning.
    public func result(for health: Health) -> ActionResult {
        if health.state == .degraded && !configuration.reportDegraded {
            context.log.warning(health.reason)
            return .success
        }
        return standardResult(for: health)
    }

    /// With unusable parameters nothing can have been started by them.
    public static func stopWhenUnconfigured(_ failure: AgentFailure, context: AgentContext) -> OCFExitCode {
        context.log.warning("stop with invalid parameters (\(failure.reason)): nothing to stop")
        return .success
    }
}
