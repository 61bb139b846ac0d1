/* Stand-in for libevent's private defer-internal.h: its deferred-callback API has no
 * public equivalent, so the cases that use it are listed in excluded.txt. */
#ifndef UPSTREAM_DEFER_INTERNAL_H
#define UPSTREAM_DEFER_INTERNAL_H
#include <event2/event_struct.h>
struct event_base;
typedef void (*deferred_cb_fn)(struct event_callback *, void *);
void event_deferred_cb_init_(struct event_callback *cb, ev_uint8_t priority,
    deferred_cb_fn fn, void *arg);
int event_deferred_cb_schedule_(struct event_base *base, struct event_callback *cb);
#endif
