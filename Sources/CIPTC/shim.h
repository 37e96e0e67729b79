#ifndef HANET_CIPTC_SHIM_H
#define HANET_CIPTC_SHIM_H
/* Same glibc-first prelude as CLinuxNet (see there for why). */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/file.h>

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_physdev.h>
#include <linux/netfilter_arp/arp_tables.h>
#include <linux/netfilter_bridge.h>

/* libip4tc and libip6tc are loaded with dlopen on first use (only the
 * iptables-legacy backend needs them; loading both cost every agent call
 * ~0.2 ms). These are the calls' own types, from the library prototypes,
 * for Swift to call them through dlsym'd pointers. */
#include <dlfcn.h>
typedef __typeof__(&iptc_init) hanet_iptc_init_t;
typedef __typeof__(&iptc_free) hanet_iptc_free_t;
typedef __typeof__(&iptc_is_chain) hanet_iptc_is_chain_t;
typedef __typeof__(&iptc_first_chain) hanet_iptc_first_chain_t;
typedef __typeof__(&iptc_next_chain) hanet_iptc_next_chain_t;
typedef __typeof__(&iptc_first_rule) hanet_iptc_first_rule_t;
typedef __typeof__(&iptc_next_rule) hanet_iptc_next_rule_t;
typedef __typeof__(&iptc_get_target) hanet_iptc_get_target_t;
typedef __typeof__(&iptc_insert_entry) hanet_iptc_insert_entry_t;
typedef __typeof__(&iptc_append_entry) hanet_iptc_append_entry_t;
typedef __typeof__(&iptc_delete_num_entry) hanet_iptc_delete_num_entry_t;
typedef __typeof__(&iptc_flush_entries) hanet_iptc_flush_entries_t;
typedef __typeof__(&iptc_create_chain) hanet_iptc_create_chain_t;
typedef __typeof__(&iptc_delete_chain) hanet_iptc_delete_chain_t;
typedef __typeof__(&iptc_get_references) hanet_iptc_get_references_t;
typedef __typeof__(&iptc_commit) hanet_iptc_commit_t;
typedef __typeof__(&iptc_strerror) hanet_iptc_strerror_t;
typedef __typeof__(&ip6tc_init) hanet_ip6tc_init_t;
typedef __typeof__(&ip6tc_free) hanet_ip6tc_free_t;
typedef __typeof__(&ip6tc_is_chain) hanet_ip6tc_is_chain_t;
typedef __typeof__(&ip6tc_first_chain) hanet_ip6tc_first_chain_t;
typedef __typeof__(&ip6tc_next_chain) hanet_ip6tc_next_chain_t;
typedef __typeof__(&ip6tc_first_rule) hanet_ip6tc_first_rule_t;
typedef __typeof__(&ip6tc_next_rule) hanet_ip6tc_next_rule_t;
typedef __typeof__(&ip6tc_get_target) hanet_ip6tc_get_target_t;
typedef __typeof__(&ip6tc_insert_entry) hanet_ip6tc_insert_entry_t;
typedef __typeof__(&ip6tc_append_entry) hanet_ip6tc_append_entry_t;
typedef __typeof__(&ip6tc_delete_num_entry) hanet_ip6tc_delete_num_entry_t;
typedef __typeof__(&ip6tc_flush_entries) hanet_ip6tc_flush_entries_t;
typedef __typeof__(&ip6tc_create_chain) hanet_ip6tc_create_chain_t;
typedef __typeof__(&ip6tc_delete_chain) hanet_ip6tc_delete_chain_t;
typedef __typeof__(&ip6tc_get_references) hanet_ip6tc_get_references_t;
typedef __typeof__(&ip6tc_commit) hanet_ip6tc_commit_t;
typedef __typeof__(&ip6tc_strerror) hanet_ip6tc_strerror_t;
#endif
