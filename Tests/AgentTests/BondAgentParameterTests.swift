import XCTest
import HanetOCF
import HanetLinks
@testable import HanetAgents
import HanetHost

/// Every validate-all rule of ocf:hanet:bond, each with a one-line reason
/// naming the parameter, without root or a bonding driver.
final class BondAgentParameterTests: XCTestCase {
    private func parse(_ values: [String: String]) throws -> BondConfiguration {
        var v = values
        if v["bond"] == nil { v["bond"] = "bond0" }
        if v["slaves"] == nil { v["slaves"] = "eth1 eth2" }
        return try BondAgent.parse(Parameters(values: v, specs: BondAgent.metadata.parameters))
    }

    private func reason(_ values: [String: String]) -> String? {
        do { _ = try parse(values); return nil } catch {
            let f = AgentFailure(error)
            XCTAssertEqual(f.code, .errConfigured, "\(values): \(f)")
            return f.reason
        }
    }

    func testDefaultsAreActiveBackupWithMiimon100() throws {
        let c = try parse([:])
        XCTAssertEqual(c.mode, .activeBackup)
        XCTAssertEqual(c.options.miimon, 100, "a bond with neither miimon nor arp_interval never fails over")
        XCTAssertEqual(c.slaves, ["eth1", "eth2"])
        XCTAssertTrue(c.reportDegraded)
        XCTAssertTrue(c.arp)
        XCTAssertEqual(c.vlans, [])
    }

    func testSeedRecipes() throws {
        // Seed 000: active-backup, miimon=100, MAC fe:ff:ff:ff:ff:ff, arp/multicast off.
        let dell = try parse(["slaves": "eth1,eth2", "mode": "1", "miimon": "100", "mac": "fe:ff:ff:ff:ff:ff", "arp": "off", "multicast": "off"])
        XCTAssertEqual(dell.mode, .activeBackup)
        XCTAssertEqual(dell.mac, "fe:ff:ff:ff:ff:ff")
        XCTAssertFalse(dell.arp)
        // Seed 003: mode=4 miimon=100; seed 002: LACP layer3+4 with VLAN trunks.
        let lacp = try parse(["mode": "4", "lacp_rate": "fast", "xmit_hash_policy": "layer3+4", "vlans": "10 20", "min_links": "1"])
        XCTAssertEqual(lacp.mode, .ieee8023ad)
        XCTAssertEqual(lacp.options.xmitHashPolicy, .layer34)
        XCTAssertEqual(lacp.vlans, [10, 20])
        XCTAssertEqual(try lacp.vlanName(10), "bond0.10")
        let arp = try parse(["arp_interval": "200", "arp_ip_target": "192.168.1.1, 192.168.1.2", "arp_validate": "all"])
        XCTAssertEqual(arp.options.miimon, 0)
        XCTAssertEqual(arp.options.arpIPTargets?.map(\.description), ["192.168.1.1", "192.168.1.2"])
    }

    /// Every option of the 6.1 driver, each in a mode where the kernel takes it.
    func testEveryKernelOptionParses() throws {
        let lacp = try parse(["mode": "802.3ad", "lacp_active": "off", "ad_actor_sys_prio": "100", "ad_user_port_key": "1023",
                              "ad_actor_system": "02:00:00:00:00:01", "resend_igmp": "0", "use_carrier": "off", "peer_notif_delay": "300"])
        XCTAssertEqual(lacp.options.lacpActive, false)
        XCTAssertEqual(lacp.options.adActorSysPrio, 100)
        XCTAssertEqual(lacp.options.adUserPortKey, 1023)
        XCTAssertEqual(lacp.options.adActorSystem, "02:00:00:00:00:01")
        XCTAssertEqual(lacp.options.resendIGMP, 0)
        XCTAssertEqual(lacp.options.useCarrier, false)
        XCTAssertEqual(lacp.options.peerNotifyDelay, 300)
        let arp = try parse(["arp_interval": "100", "ns_ip6_target": "2001:db8::1, fe80::1", "arp_all_targets": "all",
                             "arp_missed_max": "255", "active_slave": "eth2"])
        XCTAssertEqual(arp.options.nsIP6Targets?.map(\.description), ["2001:db8::1", "fe80::1"], "NS targets alone are enough")
        XCTAssertNil(arp.options.arpIPTargets)
        XCTAssertEqual(arp.options.arpAllTargets, .all)
        XCTAssertEqual(arp.options.arpMissedMax, 255)
        XCTAssertEqual(arp.activeSlave, "eth2")
        XCTAssertNil(arp.options.activeSlaveIndex, "resolved at start, when the slave is enslaved")
        let rr = try parse(["mode": "balance-rr", "packets_per_slave": "0", "lp_interval": "2147483647"])
        XCTAssertEqual(rr.options.packetsPerSlave, 0)
        XCTAssertEqual(rr.options.lpInterval, 2_147_483_647)
        let tlb = try parse(["mode": "balance-alb", "tlb_dynamic_lb": "0", "active_slave": "eth1"])
        XCTAssertEqual(tlb.options.tlbDynamicLB, false)
    }

    func testAllSevenModesByNameAndNumber() throws {
        for mode in BondMode.allCases {
            XCTAssertEqual(try parse(["mode": mode.description]).mode, mode)
            XCTAssertEqual(try parse(["mode": String(mode.rawValue)]).mode, mode)
        }
    }

    func testEveryRuleHasAReasonNamingTheParameter() {
        let cases: [([String: String], String)] = [
            (["slaves": "eth1"], "parameter 'slaves': a bond needs two or more slaves (got 1)"),
            (["slaves": "eth1 eth1"], "parameter 'slaves': lists eth1 twice"),
            (["slaves": "eth1 bond0"], "parameter 'slaves': cannot contain the bond itself (bond0)"),
            (["slaves": "eth1 e/2"], "parameter 'slaves': interface name 'e/2' contains '/'"),
            (["mode": "active_backup"], "parameter 'mode': 'active_backup' is not a bonding mode"),
            (["mode": "7"], "parameter 'mode': '7' is not a bonding mode"),
            (["arp_interval": "100", "arp_ip_target": "10.0.0.1", "miimon": "100"], "parameter 'arp_interval': ARP monitoring and miimon are mutually exclusive"),
            (["mode": "802.3ad", "arp_interval": "100", "arp_ip_target": "10.0.0.1"], "parameter 'arp_interval': ARP monitoring does not work with mode 802.3ad"),
            (["mode": "balance-alb", "arp_interval": "100", "arp_ip_target": "10.0.0.1"], "parameter 'arp_interval': ARP monitoring does not work with mode balance-alb"),
            (["arp_interval": "100"], "parameter 'arp_ip_target': required with arp_interval"),
            (["arp_interval": "100", "arp_ip_target": "10.0.0.300"], "parameter 'arp_ip_target': '10.0.0.300' is not an IPv4 address"),
            (["arp_ip_target": "10.0.0.1"], "parameter 'arp_ip_target': needs arp_interval"),
            (["miimon": "0"], "parameter 'miimon': 0 without arp_interval"),
            (["miimon": "100", "updelay": "150"], "parameter 'updelay': must be a multiple of miimon (100)"),
            (["lacp_rate": "fast"], "parameter 'lacp_rate': only applies to mode 802.3ad (mode is active-backup)"),
            (["ad_select": "count"], "parameter 'ad_select': only applies to mode 802.3ad"),
            (["mode": "802.3ad", "lacp_rate": "medium"], "parameter 'lacp_rate': 'medium' is not one of: slow, fast"),
            (["xmit_hash_policy": "layer3+4"], "parameter 'xmit_hash_policy': only applies to balance-xor, 802.3ad and balance-tlb"),
            (["mode": "balance-xor", "xmit_hash_policy": "layer4"], "parameter 'xmit_hash_policy': 'layer4' is not one of"),
            (["primary": "eth3"], "parameter 'primary': eth3 is not one of slaves (eth1 eth2)"),
            (["mode": "802.3ad", "primary": "eth1"], "parameter 'primary': only applies to active-backup, balance-tlb and balance-alb"),
            (["arp_validate": "all"], "parameter 'arp_validate': needs arp_interval"),
            (["num_grat_arp": "256"], "parameter 'num_grat_arp'"),
            (["mac": "ff:ff:ff:ff:ff:ff"], "parameter 'mac': ff:ff:ff:ff:ff:ff is not a unicast address"),
            (["mtu": "70000"], "parameter 'mtu'"),
            (["vlans": "10 4095"], "parameter 'vlans': '4095' is not a VLAN id (1-4094)"),
            (["vlans": "10 10"], "parameter 'vlans': VLAN 10 is listed twice"),
            (["bond": "bondinterface", "vlans": "1000"], "parameter 'vlans': bondinterface.1000 would be longer than 15 characters"),
            (["degraded": "sometimes"], "parameter 'degraded'"),
            (["active_slave": "eth3"], "parameter 'active_slave': eth3 is not one of slaves (eth1 eth2)"),
            (["mode": "balance-xor", "active_slave": "eth1"], "parameter 'active_slave': only applies to active-backup, balance-tlb and balance-alb"),
            (["active_slave": "e/1"], "parameter 'active_slave': interface name 'e/1' contains '/'"),
            (["lacp_active": "off"], "parameter 'lacp_active': only applies to mode 802.3ad (mode is active-backup)"),
            (["mode": "802.3ad", "lacp_active": "maybe"], "parameter 'lacp_active'"),
            (["ad_actor_sys_prio": "100"], "parameter 'ad_actor_sys_prio': only applies to mode 802.3ad"),
            (["mode": "802.3ad", "ad_actor_sys_prio": "0"], "parameter 'ad_actor_sys_prio'"),
            (["mode": "802.3ad", "ad_actor_sys_prio": "65536"], "parameter 'ad_actor_sys_prio'"),
            (["ad_user_port_key": "5"], "parameter 'ad_user_port_key': only applies to mode 802.3ad"),
            (["mode": "802.3ad", "ad_user_port_key": "1024"], "parameter 'ad_user_port_key'"),
            (["ad_actor_system": "02:00:00:00:00:01"], "parameter 'ad_actor_system': only applies to mode 802.3ad"),
            (["mode": "802.3ad", "ad_actor_system": "01:00:5e:00:00:01"], "parameter 'ad_actor_system': 01:00:5e:00:00:01 is a multicast address"),
            (["mode": "802.3ad", "ad_actor_system": "02:00:00:00:00"], "parameter 'ad_actor_system': '02:00:00:00:00' is not a MAC address"),
            (["arp_all_targets": "all"], "parameter 'arp_all_targets': needs arp_interval"),
            (["arp_interval": "100", "arp_ip_target": "10.0.0.1", "arp_all_targets": "most"], "parameter 'arp_all_targets': 'most' is not one of: any, all"),
            (["arp_missed_max": "3"], "parameter 'arp_missed_max': needs arp_interval"),
            (["arp_interval": "100", "arp_ip_target": "10.0.0.1", "arp_missed_max": "0"], "parameter 'arp_missed_max'"),
            (["arp_interval": "100", "arp_ip_target": "10.0.0.1", "arp_missed_max": "256"], "parameter 'arp_missed_max'"),
            (["ns_ip6_target": "2001:db8::1"], "parameter 'ns_ip6_target': needs arp_interval"),
            (["arp_interval": "100", "ns_ip6_target": "2001:db8::g"], "parameter 'ns_ip6_target': '2001:db8::g' is not an IPv6 address"),
            (["arp_interval": "100", "ns_ip6_target": "ff02::1"], "parameter 'ns_ip6_target': ff02::1 cannot be a target"),
            (["arp_interval": "100", "ns_ip6_target": "::1"], "parameter 'ns_ip6_target': ::1 cannot be a target"),
            (["arp_interval": "100", "ns_ip6_target": "2001:db8::1 2001:DB8::1"], "parameter 'ns_ip6_target': lists 2001:db8::1 twice"),
            (["arp_interval": "100", "ns_ip6_target": (1...17).map { "2001:db8::\($0)" }.joined(separator: " ")], "parameter 'ns_ip6_target': at most 16 targets (got 17)"),
            (["peer_notif_delay": "150"], "parameter 'peer_notif_delay': must be a multiple of miimon (100)"),
            (["peer_notif_delay": "300100"], "parameter 'peer_notif_delay'"),
            (["arp_interval": "100", "arp_ip_target": "10.0.0.1", "peer_notif_delay": "200"], "parameter 'peer_notif_delay': needs miimon"),
            (["tlb_dynamic_lb": "off"], "parameter 'tlb_dynamic_lb': only applies to balance-tlb and balance-alb (mode is active-backup)"),
            (["resend_igmp": "256"], "parameter 'resend_igmp'"),
            (["use_carrier": "perhaps"], "parameter 'use_carrier'"),
            (["packets_per_slave": "4"], "parameter 'packets_per_slave': only applies to mode balance-rr (mode is active-backup)"),
            (["mode": "balance-rr", "packets_per_slave": "65536"], "parameter 'packets_per_slave'"),
            (["lp_interval": "0"], "parameter 'lp_interval'"),
            (["lp_interval": "2147483648"], "parameter 'lp_interval'"),
        ]
        for (values, expected) in cases {
            let got = reason(values)
            XCTAssertNotNil(got, "\(values) must be rejected")
            XCTAssertTrue(got?.hasPrefix(expected) == true, "\(values):\n  got      \(got ?? "nil")\n  expected \(expected)")
            XCTAssertFalse(got?.contains("\n") ?? false)
        }
    }
}
