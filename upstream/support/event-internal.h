/* Stand-in for libevent's private event-internal.h.
 *
 * struct event's public layout (event2/event_struct.h) is this library's too, so the
 * ev_flags shorthand names a real field.  struct event_base is private: the members
 * here exist only so that the suite compiles.  This library's event_base has no such
 * layout; every case that reads them is listed in excluded.txt, and the build lists
 * each read. */
#ifndef UPSTREAM_EVENT_INTERNAL_H
#define UPSTREAM_EVENT_INTERNAL_H
#include <event2/event-config.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>
#include "util-internal.h"
#include "defer-internal.h"

#define ev_flags ev_evcallback.evcb_flags

struct upstream_private_signal_info {
	evutil_socket_t ev_signal_pair[2] UPSTREAM_PRIVATE;
};

struct event_base {
	struct upstream_private_signal_info sig UPSTREAM_PRIVATE;
	evutil_socket_t th_notify_fd[2] UPSTREAM_PRIVATE;
};

/* libevent keeps the base made by event_init() in this variable; the suite's legacy
 * setup keeps the same base in global_base. */
#define event_global_current_base_ global_base

/* Checks what the public API can see of a base's consistency; aborts on failure. */
void event_base_assert_ok_(struct event_base *base);

/* libevent-internal entry points with no public equivalent: only excluded cases call
 * them, and the build gives them stand-ins that abort. */
void event_base_add_virtual_(struct event_base *base);
void event_active_later_(struct event *ev, int res);
int event_callback_activate_(struct event_base *base, struct event_callback *evcb);
void event_callback_finalize_(struct event_base *base, unsigned flags,
    struct event_callback *evcb, void (*cb)(struct event_callback *, void *));

#endif
