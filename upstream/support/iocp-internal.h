/* Stand-in for libevent's private iocp-internal.h. */
#ifndef UPSTREAM_IOCP_INTERNAL_H
#define UPSTREAM_IOCP_INTERNAL_H
struct event_base;
/* Always -1: this platform has no I/O completion ports. */
static inline int
event_base_start_iocp_(struct event_base *base, int n_cpus)
{
	(void)base;
	(void)n_cpus;
	return -1;
}
#endif
