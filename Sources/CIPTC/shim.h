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
#endif
