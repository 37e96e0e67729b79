#ifndef HANET_CSYSLOG_SHIM_H
#define HANET_CSYSLOG_SHIM_H
#include <syslog.h>

/* Swift cannot call variadic C functions. Going through withVaList boxes
 * the argument and costs ~0.28 M instructions of runtime casts on every
 * agent call that logs (callgrind); this costs none. */
static inline void hanet_syslog(int priority, const char *message) {
    syslog(priority, "%s", message);
}

#endif
