/* Stand-in for libevent's private ipv6-internal.h: the platform has IPv6. */
#ifndef UPSTREAM_IPV6_INTERNAL_H
#define UPSTREAM_IPV6_INTERNAL_H
#include <netinet/in.h>
#endif
