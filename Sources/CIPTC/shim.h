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
#include <linux/netfilter/xt_bpf.h>
#include <linux/netfilter_arp/arp_tables.h>
#include <linux/netfilter_bridge.h>

/* libip4tc and libip6tc are loaded with dlopen on first use (only the
 * iptables-legacy backend needs them; loading both cost every agent call
 * ~0.2 ms). One set of function types serves both libraries, with entries
 * as const void *: the two differ only in the entry struct they point to.
 * The asserts below check these shapes against both headers. */
#include <dlfcn.h>
typedef struct xtc_handle *(*hanet_xtc_init_t)(const char *table);
typedef void (*hanet_xtc_free_t)(struct xtc_handle *handle);
typedef const char *(*hanet_xtc_chain_iterator_t)(struct xtc_handle *handle);
typedef const void *(*hanet_xtc_first_rule_t)(const char *chain, struct xtc_handle *handle);
typedef const void *(*hanet_xtc_next_rule_t)(const void *previous, struct xtc_handle *handle);
typedef const char *(*hanet_xtc_get_target_t)(const void *entry, struct xtc_handle *handle);
typedef int (*hanet_xtc_insert_entry_t)(const char *chain, const void *entry, unsigned int position, struct xtc_handle *handle);
typedef int (*hanet_xtc_append_entry_t)(const char *chain, const void *entry, struct xtc_handle *handle);
typedef int (*hanet_xtc_delete_num_entry_t)(const char *chain, unsigned int position, struct xtc_handle *handle);
/* is_chain, flush_entries, create_chain, delete_chain */
typedef int (*hanet_xtc_chain_call_t)(const char *chain, struct xtc_handle *handle);
typedef int (*hanet_xtc_get_references_t)(unsigned int *count, const char *chain, struct xtc_handle *handle);
typedef int (*hanet_xtc_commit_t)(struct xtc_handle *handle);
typedef const char *(*hanet_xtc_strerror_t)(int code);

#define HANET_XTC_IS(fn, type) \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&fn), type), #fn " differs from the type hanet calls it through")
#define HANET_XTC_FAMILY(p, E) \
    HANET_XTC_IS(p##_init, hanet_xtc_init_t); \
    HANET_XTC_IS(p##_free, hanet_xtc_free_t); \
    HANET_XTC_IS(p##_first_chain, hanet_xtc_chain_iterator_t); \
    HANET_XTC_IS(p##_next_chain, hanet_xtc_chain_iterator_t); \
    HANET_XTC_IS(p##_first_rule, const E *(*)(const char *, struct xtc_handle *)); \
    HANET_XTC_IS(p##_next_rule, const E *(*)(const E *, struct xtc_handle *)); \
    HANET_XTC_IS(p##_get_target, const char *(*)(const E *, struct xtc_handle *)); \
    HANET_XTC_IS(p##_insert_entry, int (*)(const char *, const E *, unsigned int, struct xtc_handle *)); \
    HANET_XTC_IS(p##_append_entry, int (*)(const char *, const E *, struct xtc_handle *)); \
    HANET_XTC_IS(p##_delete_num_entry, hanet_xtc_delete_num_entry_t); \
    HANET_XTC_IS(p##_is_chain, hanet_xtc_chain_call_t); \
    HANET_XTC_IS(p##_flush_entries, hanet_xtc_chain_call_t); \
    HANET_XTC_IS(p##_create_chain, hanet_xtc_chain_call_t); \
    HANET_XTC_IS(p##_delete_chain, hanet_xtc_chain_call_t); \
    HANET_XTC_IS(p##_get_references, hanet_xtc_get_references_t); \
    HANET_XTC_IS(p##_commit, hanet_xtc_commit_t); \
    HANET_XTC_IS(p##_strerror, hanet_xtc_strerror_t)
HANET_XTC_FAMILY(iptc, struct ipt_entry);
HANET_XTC_FAMILY(ip6tc, struct ip6t_entry);
#endif
