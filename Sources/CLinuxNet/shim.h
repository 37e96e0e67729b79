#ifndef HANET_CLINUXNET_SHIM_H
#define HANET_CLINUXNET_SHIM_H
/*
 * Every kernel uapi header hanet uses, behind one prelude.
 *
 * Clang builds each C module on its own; glibc's network headers must come
 * before the kernel's in every module, or Swift sees two different
 * definitions of in_addr / net_device_flags. CIPTC uses the same prelude.
 * linux/if_arp.h is deliberately absent: it clashes with glibc's net/if_arp.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/file.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_bridge.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/veth.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink_compat.h>
#include <linux/if_packet.h>

#include <libmnl/libmnl.h>

/* Macros that do not import into Swift, as constants. */
static inline long hanet_mnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }

/* setns(2) is only declared under _GNU_SOURCE, which the Glibc module is not
 * built with; declare it here instead of redefining feature macros. */
extern int setns(int fd, int nstype);
extern int unshare(int flags);
#define HANET_CLONE_NEWNET 0x40000000

#endif
