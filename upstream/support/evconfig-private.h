/* Stand-in for libevent's generated evconfig-private.h: the feature macros its build
 * defines before any system header. */
#ifndef UPSTREAM_EVCONFIG_PRIVATE_H
#define UPSTREAM_EVCONFIG_PRIVATE_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#endif
