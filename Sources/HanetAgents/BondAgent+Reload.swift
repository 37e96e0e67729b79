import HanetOCF

extension BondAgent {
    /// What `BondSetup.reload()` changes on an up bond with slaves, as the
    /// 6.1 bonding driver allows (options without BOND_OPTFLAG_IFDOWN or
    /// BOND_OPTFLAG_NOSLAVES), plus the monitor-only `degraded` and the
    /// start-time `active_slave` (a reload leaves the active slave as it
    /// is). The rest (bond, slaves, mode, fail_over_mac, lacp_rate,
    /// ad_select, lacp_active, ad_user_port_key, tlb_dynamic_lb, vlans)
    /// takes a restart.
    static let reloadableParameters: Set<String> = [
        "miimon", "updelay", "downdelay", "primary", "primary_reselect", "arp_interval", "arp_ip_target",
        "arp_validate", "xmit_hash_policy", "min_links", "num_grat_arp", "all_slaves_active", "active_slave",
        "use_carrier", "peer_notif_delay", "ns_ip6_target", "arp_all_targets", "arp_missed_max",
        "ad_actor_sys_prio", "ad_actor_system", "packets_per_slave", "lp_interval", "resend_igmp",
        "mac", "mtu", "arp", "multicast", "degraded",
    ]
}
