import HanetOCF
import HanetLinks
import HanetHost

/// `ocf:hanet:bridge`: create or adopt a bridge and attach its uplink.
///
/// Replaces `brctl addbr xenbr1; brctl addif xenbr1 bond0; ip link set
/// xenbr1 arp off multicast off up` and Xen's `network-bridge netdev=bond0`.
public struct BridgeAgent: HostAgent {
    public static let agentName = "bridge"
    public static let metadata = AgentMetadata(
        name: agentName,
        version: "1.0",
        shortDescription: "Bridge with an uplink (NIC, bond or VLAN) for virtual machines",
        longDescription: """
            Creates (or adopts) a Linux bridge such as xenbr1 and attaches its uplink, which may be a NIC, \
            a bond or a VLAN on a bond such as bond0.10, then brings both up with the configured ARP, multicast, \
            STP, forward delay, MAC and MTU. Guests attach their vif/tap/vnet ports to the bridge themselves.

            Stop detaches the uplink only if this resource attached it, and deletes the bridge only if this \
            resource created it and no other ports (guest vifD.N, tapN, vnetN) remain on it. It never takes \
            down a port it did not create. Ownership is recorded under HA_RSCTMP (cleared by a reboot) before \
            each change, so a stop after a killed start still knows what to undo.

            A bridge this resource creates gets a pinned MAC address (the uplink's address, or one derived from \
            the bridge name, unless mac is set) so it does not change as guest ports come and go. An adopted \
            bridge keeps what it has unless mac is set: set mac to pin its address too.

            Monitor: the bridge exists and is up, the uplink is attached and up, and the configured flags hold \
            (0); the bridge or attachment is missing (7); present but wrong (1, with the reason). \
            OCF_CHECK_LEVEL=10 also requires carrier on the uplink. Usually cloned on every host.

            All changes go through netlink; the agent runs no child processes.
            """,
        parameters: [
            ParameterSpec(name: "bridge", required: true, unique: true,
                          shortDescription: "Bridge name",
                          longDescription: "Name of the bridge (1-15 characters), e.g. xenbr1 or vmbr10."),
            ParameterSpec(name: "uplink",
                          shortDescription: "Interface to attach to the bridge",
                          longDescription: "The NIC, bond or VLAN (e.g. bond0, eth1, bond0.10) that connects the bridge to the network. It must not be a port of another bridge or a slave of a bond. Leave empty for a host-only bridge."),
            ParameterSpec(name: "vlan_id", type: .integer,
                          shortDescription: "Attach this 802.1Q VLAN of the uplink",
                          longDescription: "Attach VLAN vlan_id (1-4094) of the uplink instead of the uplink itself, as resource-agents' iface-vlan does, on any NIC or bond: start creates <uplink>.<vlan_id> (e.g. eth1.100) if it is absent and brings the uplink up; stop deletes it only if this resource created it. An existing <uplink>.<vlan_id> (the bond agent's vlans=, ifupdown) is used as it is. Where the kernel has no 802.1Q support, start fails with OCF_ERR_INSTALLED (5)."),
            ParameterSpec(name: "create", type: .boolean, defaultValue: "true",
                          shortDescription: "Create the bridge if it does not exist",
                          longDescription: "If false, the bridge must already exist (made by the distribution's network configuration); start then only attaches the uplink and sets flags, and stop never deletes it."),
            ParameterSpec(name: "arp", type: .boolean, defaultValue: "on",
                          shortDescription: "ARP on the bridge (on/off)",
                          longDescription: "Set to off for a bridge that carries only guest traffic and has no address of its own, as in the Xen recipes (ip link set xenbr1 arp off)."),
            ParameterSpec(name: "multicast", type: .boolean, defaultValue: "on",
                          shortDescription: "Multicast on the bridge (on/off)",
                          longDescription: "Set to off together with arp=off for a pure guest bridge."),
            ParameterSpec(name: "stp", type: .boolean, defaultValue: "off",
                          shortDescription: "Spanning tree (on/off)",
                          longDescription: "Kernel STP on the bridge. Needed only where the bridge closes a loop (e.g. two uplinks without a bond)."),
            ParameterSpec(name: "forward_delay", type: .integer,
                          shortDescription: "Forward delay in seconds",
                          longDescription: "Time a new port spends listening and learning before forwarding. 0 lets guests talk at once; with stp=on the kernel requires 2-30."),
            ParameterSpec(name: "mac",
                          shortDescription: "Bridge MAC address",
                          longDescription: "Fixed MAC address for the bridge, e.g. fe:ff:ff:ff:ff:ff. Default for a bridge this resource creates: the uplink's address (or one derived from the bridge name), pinned so it does not follow the lowest port address. An adopted bridge is pinned only when mac is set."),
            ParameterSpec(name: "mtu", type: .integer,
                          shortDescription: "Bridge MTU",
                          longDescription: "MTU of the bridge (68-65535). Default: leave as the kernel sets it."),
            ParameterSpec(name: "vlan_filtering", type: .boolean, defaultValue: "false",
                          shortDescription: "VLAN-aware bridge",
                          longDescription: "true: the bridge filters VLANs (Proxmox's \"VLAN aware\"; `bridge vlan`): each port forwards only its VLANs. Guest ports keep what the hypervisor gives them (the default PVID below until it sets one). false leaves an adopted bridge's setting alone."),
            ParameterSpec(name: "uplink_vlans",
                          shortDescription: "VLANs the uplink carries tagged",
                          longDescription: "With vlan_filtering=true: VLAN ids (1-4094) and ranges the uplink carries tagged to the switch, separated by spaces or commas, e.g. \"10 20 100-110\". Added at start if missing; monitor fails when one is gone."),
            ParameterSpec(name: "pvid", type: .integer,
                          shortDescription: "The bridge's default PVID",
                          longDescription: "With vlan_filtering=true: the VLAN (1-4094) that new ports, the uplink and the bridge itself get untagged. Default: the kernel's (1)."),
            ParameterSpec(name: "move_addresses", type: .boolean, defaultValue: "true",
                          shortDescription: "Move the uplink's addresses and routes to the bridge",
                          longDescription: MoveAddressesText.longDescription),
        ].markingReloadable(reloadableParameters),
        actions: [
            .start(timeout: .seconds(20)),
            .stop(timeout: .seconds(20)),
            .monitor(timeout: .seconds(20), interval: .seconds(10), depth: 0),
            .metaData(),
            .validateAll(),
            .reloadAgent(),
            .reload(),
        ],
        example: """
            pcs resource create xenbr1 ocf:hanet:bridge bridge=xenbr1 uplink=bond0 arp=off multicast=off \\
                op monitor interval=10s clone
            crm configure primitive xenbr1 ocf:hanet:bridge params bridge=xenbr1 uplink=bond0 arp=off multicast=off \\
                op monitor interval=10s
            crm configure clone cl-xenbr1 xenbr1
            """)

    public let configuration: BridgeConfiguration
    public let context: AgentContext

    public init(context: AgentContext) throws {
        self.context = context
        let p = context.parameters
        var c = BridgeConfiguration(bridge: try p.interfaceName("bridge"))
        c.uplink = try p.optionalInterfaceName("uplink")
        if let id = try p.optionalInteger("vlan_id", in: 1...4094) {
            guard let parent = c.uplink else { throw AgentFailure.parameter("vlan_id", "needs an uplink: the device that carries VLAN \(id)") }
            try c.attachVLAN(UInt16(id), on: parent)
        }
        c.create = try p.bool("create")
        c.arp = try p.bool("arp")
        c.multicast = try p.bool("multicast")
        c.stp = try p.bool("stp")
        c.forwardDelay = try p.optionalInteger("forward_delay", in: 0...30).map(UInt32.init)
        c.mac = try p.optionalMAC("mac")
        c.mtu = try p.optionalInteger("mtu", in: 68...65535).map(UInt32.init)
        c.vlanFiltering = try p.bool("vlan_filtering")
        c.uplinkVLANs = try Self.vlanIDs(p.list("uplink_vlans"))
        c.pvid = try p.optionalInteger("pvid", in: 1...4094).map(UInt16.init)
        c.moveAddresses = try p.bool("move_addresses")
        try c.validate()
        configuration = c
    }

    /// `10`, `100-110`: ids and inclusive ranges, each 1-4094.
    static func vlanIDs(_ words: [String]) throws -> [UInt16] {
        var ids: [UInt16] = []
        for word in words {
            let bounds = word.split(separator: "-", omittingEmptySubsequences: false).map { UInt16($0) }
            guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil,
                  low <= high, BridgeVLAN.ids.contains(low), BridgeVLAN.ids.contains(high) else {
                throw AgentFailure.parameter("uplink_vlans", "'\(word)' is not a VLAN id or range within 1-4094")
            }
            ids += Array(low...high)
        }
        return ids
    }

    /// validate-all and every start: the configuration's errors, and the
    /// uplink's pitfalls as warnings (the bridge still starts).
    public func validate() throws {
        for pitfall in try resource().validateReportingPitfalls() { context.log.warning(pitfall.description) }
    }

    public func resource() throws -> BridgeAttachment {
        let log = context.log
        return BridgeAttachment(configuration: configuration, links: try LinkManager(timeout: context.netlinkTimeout()), stateDirectory: context.stateDirectory,
                                log: { log.info($0) })
    }

    /// With unusable parameters nothing can have been started by them.
    public static func stopWhenUnconfigured(_ failure: AgentFailure, context: AgentContext) -> OCFExitCode {
        context.log.warning("stop with invalid parameters (\(failure.reason)): nothing to stop")
        return .success
    }
}
