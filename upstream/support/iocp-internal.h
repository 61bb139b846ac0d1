/* Stand-in for libevent's private iocp-internal.h: there is no IOCP here. */
#ifndef UPSTREAM_IOCP_INTERNAL_H
#define UPSTREAM_IOCP_INTERNAL_H
struct event_base;
/* Always -1: this platform has no I/O completion ports. */
int event_base_start_iocp_(struct event_base *base, int n_cpus);
#endif
