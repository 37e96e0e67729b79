import Glibc
import HanetOCF
import HanetHost
import HanetLinks
import HanetFirewall

/// `ocf:hanet:vhostnet`: guest traffic is unblocked on the active host only.
///
/// Seed 004's "unblock-vhosts-network", done properly: no rule positions,
/// IPv6 and every other ethertype included, atomic, and verifiable.
public struct VhostNetAgent: HostAgent {
    public static let agentName = "vhostnet"
    public static let metadata = AgentMetadata(
        name: agentName,
        version: "1.0",
        shortDescription: "Guest network isolation on the standby host of a virtualization pair",
        longDescription: """
            Two hosts run the same guests (same MACs and IPs); only one may let them reach the network. While \
            blocked, everything a guest port (guest_ports, default vif* tap* vnet*, minus exempt_ports) sends or \
            receives through the named bridges is dropped: IPv4, IPv6, ARP and every other ethertype, both \
            directions. dom0 and other bridges are untouched. Rules match port-name patterns, so a guest that \
            attaches while the host is blocked is blocked from its first frame, and blocking works even when the \
            bridge or the ports do not exist yet. With guest_macs, only the frames of those guests (by MAC, both \
            directions) on guest ports are dropped, so several vhostnet resources, one per guest group, can share \
            the same bridges: each owns its own table, and a guest stays selected whatever its port is named at \
            its next boot. Groups that overlap on a shared bridge (a common MAC or libvirt domain, or a group \
            selected by port alone on ports another group uses) are refused by start and promote with \
            OCF_ERR_CONFIGURED naming both resources; each records what it selects in the state directory \
            (vhostnet-group-RESOURCE.state, root's only) for the others to compare. A deleted resource's record \
            stays until reboot (HA_RSCTMP is a tmpfs) or until it is removed; the message names it. Two \
            resources with exactly the same selection are not told apart from one renamed resource: they share \
            one table (and Pacemaker runs the same thing twice); give each group its own guests.

            Promotable clone (recommended). Every host runs an instance; the Unpromoted ones keep their guests \
            blocked and watched, the Promoted one opens its guests. start installs and verifies the block \
            (Unpromoted); promote opens the guests; demote blocks them again; stop leaves the block in place, so \
            a stopped instance fails closed. monitor returns 8 (OCF_RUNNING_PROMOTED) where the guests are open \
            on the promoted instance; 0 where the block is verified on an unpromoted one; 1 on an unpromoted \
            instance whose block vanished (a ruleset flush, a reload of /etc/nftables.conf): Pacemaker then \
            recovers that instance, which blocks again, and never touches the promoted one; 9 \
            (OCF_FAILED_PROMOTED) on a promoted instance whose guests were blocked behind the cluster's back; 7 \
            where the instance is stopped. The agent sets no promotion score (that would cost a child process on \
            every call): location constraints for the Promoted role say which hosts may open their guests, one \
            for every host (e.g. score 100 where #uname is defined) and, if one host is preferred, a higher \
            score there (it then takes the guests back when it returns).

            Primitive (earlier versions' recipe, still supported). start unblocks, stop blocks. monitor answers \
            "could a guest on this host reach the network?": 0 when yes, including when no block exists at all; \
            7 only when the complete block is verified. Pacemaker runs recurring monitors only where a resource \
            is active, so this mode needs a second monitor for the Stopped role (another interval), and \
            migration-threshold=1 with a failure-timeout, resource-stickiness and multiple-active=stop_unexpected \
            so that Pacemaker re-blocks the host whose block vanished, not the active one (see the README).

            Backends: nftables (default where nf_tables exists: one bridge-family table owned by this resource, \
            replaced in one atomic batch, no br_netfilter needed) or iptables (legacy, through libiptc: a \
            dedicated chain jumped from FORWARD, physdev matches for IPv4 and IPv6, legacy arp_tables for ARP; \
            needs br_netfilter and bridge-nf-call-*=1). The nftables block also cuts a guest off dom0's own \
            addresses on the bridge; the iptables block, like the FORWARD rules it replaces, stops bridged \
            traffic only, so a blocked guest could still reach dom0 itself but never the network; with \
            port_lock=true (the default) the guest's bridge port is disabled too, which cuts that as well. \
            Neither touches a rule, chain or table it does not own, and neither relies on rule positions.

            Opening the guests makes them reachable at once. While blocked, the bridge learned the guest MACs on \
            the uplink (from the twin's frames) and would not deliver to a silent guest, so opening flushes \
            what each bridge learned, in one request (Linux 5.19+; entry by entry before), as a switch does on a \
            topology change: static, permanent, sticky, externally learned and hand-added entries stay. With \
            announce > 0, each guest MAC seen on a guest port (recorded when blocking, and learned since) is then \
            announced out of the uplinks (RARP, as QEMU does after migration) announce times, announce_interval \
            ms apart, so switches move the MACs to this host. promote and start return as soon as the guests are \
            open; the rounds go on in a detached process and stop if the host is blocked again meanwhile. That \
            part reads the ports and forwarding table, so its cost grows with the number of guests. The port lock \
            (port_lock=true) also grows with them: one port dump per bridge and one request per guest port \
            whose state changes. With announce=0 and port_lock=false every action is constant.

            Fencing is required in production: without it a crashed host's guests stay open. Boot: install the \
            boot-time block (hanet-vhostnet-block.service, or /etc/init.d/hanet-vhostnet block early in boot) so \
            a host that boots, or whose cluster stack is down, keeps its guests blocked.
            """,
        parameters: [
            // Not unique: several resources, one per guest group (guest_ports),
            // share a bridge (active/active); each owns the table of its policy.
            ParameterSpec(name: "bridge", required: true,
                          shortDescription: "Bridges whose guest ports are blocked",
                          longDescription: "One or more bridges, separated by spaces or commas, e.g. \"xenbr1\" or \"xenbr1 vmbr10\". Several vhostnet resources may share a bridge, one per guest group (guest_ports), each a promotable clone preferring its own host (active/active; README, \"Active/active\" and \"Three hosts, three groups\"), with one boot-time block per group."),
            ParameterSpec(name: "guest_ports", defaultValue: VhostNetConfiguration.defaultGuestPorts,
                          shortDescription: "Guest port name patterns",
                          longDescription: "Port names or prefixes with a trailing *, separated by spaces or commas. Xen names guest ports vifD.N, libvirt vnetN, QEMU tapN."),
            ParameterSpec(name: "guest_macs",
                          shortDescription: "Guests of this group by MAC address",
                          longDescription: "MAC addresses and prefixes (address/length, 8-48 bits, bits after the prefix zero), separated by spaces or commas, e.g. \"52:54:00:12:34:56 00:16:3e:00:00:00/24\". When set, only frames from these MACs (ether saddr) and unicast to them (ether daddr) on guest ports are dropped, so several vhostnet resources (guest groups) can share the same bridges and port names, and a guest whose port is renamed at every boot (Xen vifD.N, libvirt vnetN) stays selected. guest_ports then says where guests may be (never the uplinks, where the same MACs arrive from the twins open on another host) and keeps its default. Broadcast and multicast still reach a blocked guest; its answers are dropped. port_lock does not apply to such a group (a port name does not say whose guest it is); the firewall rules are its lock. With backend=iptables the same frames are matched by an xt_bpf program on the Ethernet header (iptables -m bpf, IPv4 and IPv6, bridged traffic only, as its port rules) and, for ARP, by arptables' sender and target hardware address. Multicast and all-zero addresses are refused."),
            ParameterSpec(name: "guest_domains",
                          shortDescription: "Guests of this group by libvirt domain name",
                          longDescription: "libvirt domain names, separated by spaces or commas. Their MACs are read from libvirt's own records on this node, without running virsh: the persistent definition /etc/libvirt/qemu/NAME.xml (there before the guest starts, so a guest started while blocked is covered) and the run-time state /run/libvirt/qemu/NAME.xml (running and transient domains). The MACs are then selected as with guest_macs (which may be given too: the union is blocked). A record must belong to root and not be writable by group or others, in directories likewise; an unsafe record fails every action before anything changes (OCF_ERR_PERM), one that cannot be parsed likewise (OCF_ERR_GENERIC): a failed stop gets the node fenced, which is the safe end for a host whose guests cannot be told apart. A domain with no record on this node is not an error (it may be defined here later): each action logs a warning, and once it is defined the next monitor finds its rules missing, so Pacemaker recovers the instance, which then reads the definition. The environment variables HANET_LIBVIRT_CONFIG_DIR and HANET_LIBVIRT_RUN_DIR move the two directories, for tests only; the same ownership rules apply there."),
            ParameterSpec(name: "exempt_ports",
                          shortDescription: "Ports never blocked",
                          longDescription: "Names or prefixes that are never blocked even if they match guest_ports, e.g. \"vif0.0 vif0.1\" for old Xen's dom0 ports."),
            ParameterSpec(name: "backend", defaultValue: "auto",
                          shortDescription: "Firewall backend",
                          longDescription: "auto (nftables where nf_tables exists, else legacy iptables), nftables, or iptables.",
                          choices: GuestBlockBackendChoice.allCases.map(\.rawValue)),
            ParameterSpec(name: "announce", type: .integer, defaultValue: "3",
                          shortDescription: "Announcements per guest MAC after unblock",
                          longDescription: "Rounds of RARP frames per known guest MAC sent out of the uplinks after unblock (0 disables)."),
            ParameterSpec(name: "guard", type: .boolean, defaultValue: "true",
                          shortDescription: "Restore a removed block at once (event-driven guard)",
                          longDescription: "When true, blocking (stop, block) leaves a small guard process that listens to nf_tables change events and re-installs the block within milliseconds if anything removes it (nft flush ruleset, a reload of /etc/nftables.conf), logging who changed what. start ends the guard before it unblocks, so the guard never fights Pacemaker. With the iptables backend, which has no change events, the guard re-checks every 250 ms. Only root can end the guard: its socket checks the caller's credentials and ignores any other user. If another local user holds the guard's socket name, stop still blocks and logs why no guard runs, and every monitor of the blocked instance logs a warning naming the holder (not an exit code: Pacemaker 2.1.5 takes OCF_DEGRADED of a clone instance for a failure)."),
            ParameterSpec(name: "port_lock", type: .boolean, defaultValue: "true",
                          shortDescription: "Also hold blocked guest ports disabled (a second lock)",
                          longDescription: "When true, blocking also sets every guest bridge port that is up to the bridge port state disabled, which forwards no frame whatever the firewall says: a flushed or reloaded ruleset lets nothing through while the guard restores it. The guard re-applies the state when the kernel lifts it (a port that comes up or changes, a new guest port; the firewall rules cover such a port from its first frame meanwhile). Unblock sets guest ports back to forwarding before it removes the firewall block. Bridges running STP own their port states and are left alone; set false where another tool manages bridge port states. A group selected by guest_macs or guest_domains is not port-locked: its ports' names are shared with other groups' guests, so its MAC rules are its only lock."),
            ParameterSpec(name: "duplicate_policy", defaultValue: "yield",
                          shortDescription: "What an open host does when its guests are open elsewhere too",
                          longDescription: "While the guests are open, a sentinel process watches the bridges' forwarding tables: a MAC seen on a guest port that arrives on an uplink means another host has the same guests open (a partition without working fencing, a mistaken command). yield: the host that opened later (it sees the duplicate within 300 ms of its own opening: the host open longer announces its guests as soon as it sees the later one's, so the later one sees them at once; 23 ms in the lab) blocks its guests again, its Promoted monitor returns OCF_FAILED_PROMOTED naming the MACs and the uplink, and it refuses to open again for 5-10 s (random, so two hosts that opened at once do not collide again; while the split brain lasts, Pacemaker's recovery tries again after that and the later host yields again, a short duplicate window every 5-10 s, each logged); the host open longer stays open and announces its guests so the switches return to it and the later host sees the duplicate. report: log and record only. off: no sentinel. Keep the boot-time block, guard and port_lock on: a standby whose guests leak within 300 ms after a switchover would make the new host yield.",
                          choices: DuplicateSentinel.Policy.allCases.map(\.rawValue)),
            ParameterSpec(name: "quorum_block", type: .boolean, defaultValue: "true",
                          shortDescription: "Block the guests at once when this node loses quorum",
                          longDescription: "While the guests are open, the sentinel process follows corosync's quorum service (libquorum, loaded by the sentinel only): when this node is no longer in the quorate partition (a partition in a cluster of three or more nodes, or of two with a quorum device), or its connection to corosync ends, it blocks the guests (both locks) within milliseconds of corosync's verdict, without waiting for Pacemaker (whose no-quorum-policy=stop acts seconds later, or not at all when its own stack is wedged), and the Promoted monitor returns OCF_FAILED_PROMOTED saying so. An open host that has no quorum when the sentinel starts blocks too. Two-node clusters with two_node keep quorum on the survivor, so nothing changes there. Where corosync does not run (an init script, a host without a cluster) nothing is followed. Set false on clusters that run resources without quorum on purpose (no-quorum-policy=ignore or freeze)."),
            ParameterSpec(name: "announce_interval", type: .integer, defaultValue: "100",
                          shortDescription: "Milliseconds between announcement rounds",
                          longDescription: "Delay between announcement rounds (10-5000 ms)."),
        ],
        actions: [
            .start(timeout: .seconds(20)),
            .stop(timeout: .seconds(20)),
            ActionSpec(name: "promote", timeout: .seconds(20), summary: "open the guests (promotable clone)"),
            ActionSpec(name: "demote", timeout: .seconds(20), summary: "block the guests (promotable clone)"),
            .monitor(timeout: .seconds(20), interval: .seconds(5), depth: 0),
            ActionSpec(name: "monitor", timeout: .seconds(20), interval: .seconds(5), depth: 0, role: .promoted),
            ActionSpec(name: "monitor", timeout: .seconds(20), interval: .seconds(7), depth: 0, role: .unpromoted),
            .metaData(),
            .validateAll(),
            ActionSpec(name: "block", timeout: .seconds(20), summary: "block the guests (boot time, without a cluster)"),
        ],
        privilegedActions: AgentMetadata.defaultPrivilegedActions.union(["promote", "demote", "block"]),
        example: """
            pcs resource create vhostnet ocf:hanet:vhostnet bridge=xenbr1 exempt_ports="vif0.0 vif0.1" \\
                op monitor interval=5s role=Promoted op monitor interval=7s role=Unpromoted promotable priority=10 interleave=true
            pcs constraint location vhostnet-clone rule role=Promoted score=100 defined '#uname'
            pcs property set priority-fencing-delay=3s
            pcs constraint order start xenbr1-clone then start vhostnet-clone
            pcs constraint colocation add vhostnet-clone with xenbr1-clone

            crm configure primitive vhostnet ocf:hanet:vhostnet params bridge=xenbr1 exempt_ports="vif0.0 vif0.1" \\
                op monitor interval=5s role=Promoted op monitor interval=7s role=Unpromoted
            crm configure clone vhostnet-clone vhostnet meta promotable=true promoted-max=1 priority=10 interleave=true
            crm configure property priority-fencing-delay=3s
            crm configure location l-vhostnet-promoted vhostnet-clone rule '$role=Promoted' 100: defined '#uname'
            crm configure order o-net-vhostnet Mandatory: cl-xenbr1 vhostnet-clone
            crm configure colocation c-vhostnet-net inf: vhostnet-clone cl-xenbr1

            # Active/active: one promotable clone per guest group on the same bridge, each
            # at home on its own host (ports named by group: Xen vifname=ga-web, libvirt
            # <target dev='ga-web'/>; or select by guest_macs / guest_domains instead).
            pcs resource create vhostnet-a ocf:hanet:vhostnet bridge=xenbr1 guest_ports="ga-*" \\
                op monitor interval=5s role=Promoted op monitor interval=7s role=Unpromoted promotable priority=10 interleave=true
            pcs resource create vhostnet-b ocf:hanet:vhostnet bridge=xenbr1 guest_ports="gb-*" \\
                op monitor interval=5s role=Promoted op monitor interval=7s role=Unpromoted promotable priority=10 interleave=true
            pcs constraint location vhostnet-a-clone rule role=Promoted score=100 defined '#uname'
            pcs constraint location vhostnet-a-clone rule role=Promoted score=200 '#uname' eq hostA
            pcs constraint location vhostnet-b-clone rule role=Promoted score=100 defined '#uname'
            pcs constraint location vhostnet-b-clone rule role=Promoted score=200 '#uname' eq hostB
            pcs constraint order start xenbr1-clone then start vhostnet-a-clone
            pcs constraint order start xenbr1-clone then start vhostnet-b-clone
            pcs constraint colocation add vhostnet-a-clone with xenbr1-clone
            pcs constraint colocation add vhostnet-b-clone with xenbr1-clone
            # Three hosts: a third group vhostnet-c (gc-*, at home on hostC) made the same way,
            # and a second choice per group (the next host), so a host's standby or crash
            # moves only its own group, to a known host:
            pcs constraint location vhostnet-a-clone rule role=Promoted score=50 '#uname' eq hostB
            pcs constraint location vhostnet-b-clone rule role=Promoted score=50 '#uname' eq hostC
            pcs constraint location vhostnet-c-clone rule role=Promoted score=50 '#uname' eq hostA

            crm configure primitive vhostnet-a ocf:hanet:vhostnet params bridge=xenbr1 guest_ports="ga-*" \\
                op monitor interval=5s role=Promoted op monitor interval=7s role=Unpromoted
            crm configure clone vhostnet-a-clone vhostnet-a meta promotable=true promoted-max=1 priority=10 interleave=true
            crm configure primitive vhostnet-b ocf:hanet:vhostnet params bridge=xenbr1 guest_ports="gb-*" \\
                op monitor interval=5s role=Promoted op monitor interval=7s role=Unpromoted
            crm configure clone vhostnet-b-clone vhostnet-b meta promotable=true promoted-max=1 priority=10 interleave=true
            crm configure location l-vhostnet-a-promoted vhostnet-a-clone rule '$role=Promoted' 100: defined '#uname'
            crm configure location l-vhostnet-a-home vhostnet-a-clone rule '$role=Promoted' 200: '#uname' eq hostA
            crm configure location l-vhostnet-b-promoted vhostnet-b-clone rule '$role=Promoted' 100: defined '#uname'
            crm configure location l-vhostnet-b-home vhostnet-b-clone rule '$role=Promoted' 200: '#uname' eq hostB
            crm configure order o-net-vhostnet-a Mandatory: cl-xenbr1 vhostnet-a-clone
            crm configure order o-net-vhostnet-b Mandatory: cl-xenbr1 vhostnet-b-clone
            crm configure colocation c-vhostnet-a-net inf: vhostnet-a-clone cl-xenbr1
            crm configure colocation c-vhostnet-b-net inf: vhostnet-b-clone cl-xenbr1
            # Three hosts (vhostnet-c made the same way): the second choices.
            crm configure location l-vhostnet-a-second vhostnet-a-clone rule '$role=Promoted' 50: '#uname' eq hostB
            crm configure location l-vhostnet-b-second vhostnet-b-clone rule '$role=Promoted' 50: '#uname' eq hostC
            crm configure location l-vhostnet-c-second vhostnet-c-clone rule '$role=Promoted' 50: '#uname' eq hostA
            """)

    public let configuration: VhostNetConfiguration
    /// Leave a guard process behind when blocking (see `BlockGuard`).
    public let guardsBlock: Bool
    public let context: AgentContext

    public init(context: AgentContext) throws {
        self.context = context
        configuration = try Self.parse(context.parameters)
        guardsBlock = try context.parameters.bool("guard")
        if !configuration.domainsWithoutRecord.isEmpty {
            let records = Self.libvirtDomains
            context.log.warning("guest_domains: no libvirt record of \(configuration.domainsWithoutRecord.joined(separator: " ")) on this node "
                + "(in \(records.configDirectory) or \(records.runDirectory)): nothing of it to block here until it is defined")
        }
    }

    /// libvirt's record directories; the environment moves them for tests
    /// only (`LibvirtDomains` applies the same trust checks there).
    static var libvirtDomains: LibvirtDomains {
        func directory(_ variable: String, _ fallback: String) -> String {
            guard let value = getenv(variable), value.pointee != 0 else { return fallback }
            return String(cString: value)
        }
        return LibvirtDomains(configDirectory: directory("HANET_LIBVIRT_CONFIG_DIR", LibvirtDomains.defaultConfigDirectory),
                              runDirectory: directory("HANET_LIBVIRT_RUN_DIR", LibvirtDomains.defaultRunDirectory))
    }

    public static func parse(_ p: Parameters) throws -> VhostNetConfiguration {
        func patterns(_ name: String) throws -> [PortPattern] {
            try p.list(name).map { text in
                do { return try PortPattern(parsing: text) } catch { throw AgentFailure.parameter(name, "\(error)") }
            }
        }
        let macs = try p.list("guest_macs").map { text in
            do { return try MACPrefix(parsing: text) } catch { throw AgentFailure.parameter("guest_macs", "\(error)") }
        }
        let domains = try p.list("guest_domains")
        for name in domains {
            if let problem = LibvirtDomains.problem(withName: name) { throw AgentFailure.parameter("guest_domains", problem) }
        }
        let resolution = domains.isEmpty ? LibvirtDomains.Resolution() : try libvirtDomains.resolve(domains)
        let domainMACs = try resolution.macs.map { mac throws -> MACPrefix in
            do { return try MACPrefix(address: mac) } catch {
                throw HostError(.guestRecord, object: "guest_domains", "a libvirt record of \(domains.joined(separator: " ")) names \(error)")
            }
        }
        var c = VhostNetConfiguration(policy: GuestBlockPolicy(
            bridges: try p.interfaceNames("bridge"), guestPorts: try patterns("guest_ports"), exemptPorts: try patterns("exempt_ports"),
            guestMACs: macs, guestDomains: domains, domainMACs: domainMACs))
        c.domainsWithoutRecord = resolution.missing
        let backendText = try p.string("backend")
        guard let backend = GuestBlockBackendChoice(rawValue: backendText) else {
            throw AgentFailure.parameter("backend", "'\(backendText)' is not one of: auto, nftables, iptables")
        }
        c.backend = backend
        c.announce = try p.integer("announce")
        c.announceIntervalMilliseconds = try p.integer("announce_interval")
        c.portLock = try p.bool("port_lock")
        let duplicateText = try p.string("duplicate_policy")
        guard let duplicatePolicy = DuplicateSentinel.Policy(rawValue: duplicateText) else {
            throw AgentFailure.parameter("duplicate_policy", "'\(duplicateText)' is not one of: yield, report, off")
        }
        c.duplicatePolicy = duplicatePolicy
        c.quorumBlock = try p.bool("quorum_block")
        try c.validate()
        return c
    }

    public func resource() throws -> GuestIsolation {
        let log = context.log
        return try GuestIsolation.open(configuration, stateDirectory: context.stateDirectory, timeout: context.netlinkTimeout(),
                                       log: { log.info($0) })
    }
}
