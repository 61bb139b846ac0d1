/* SPDX-License-Identifier: BSD-3-Clause */
/* The libevent 1.x event API on the current base. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_EVENT_COMPAT_H_INCLUDED_
#define EVENT2_EVENT_COMPAT_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif

#include <event2/util.h>

/** Creates a new event base and makes it the process-wide "current" base that the
    other 1.x calls here act on. Returns the base, or NULL when it cannot be built. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_init(void);

/** Runs the current base's loop as event_base_dispatch() does.
    Returns 0 on a normal end, 1 when no events were left, -1 on error. */
EVENT2_EXPORT_SYMBOL
int event_dispatch(void);

/** Runs the current base's loop with EVLOOP_* flags, as event_base_loop() does.
    Returns 0, 1 when no events were left, or -1 on error. */
EVENT2_EXPORT_SYMBOL
int event_loop(int);

/** Asks the current base's loop to stop once the given delay is over (NULL: at once).
    Returns 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int event_loopexit(const struct timeval *);

/** Asks the current base's loop to stop right after the running callback.
    Returns 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int event_loopbreak(void);

/** Schedules a one-shot callback on the current base, as event_base_once() does.
    Returns 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int event_once(evutil_socket_t , short,
    void (*)(evutil_socket_t, short, void *), void *, const struct timeval *);

/** Returns the name of the kernel mechanism of the current base (for example "epoll"). */
EVENT2_EXPORT_SYMBOL
const char *event_get_method(void);

/** Sets how many priority levels the current base has, as event_base_priority_init() does.
    Returns 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int	event_priority_init(int);

/* Declared here so that this header can be used on its own. */
struct event;

/** Prepares caller-owned event memory and ties it to the current base, as event_assign()
    does; reports nothing, so check event_initialized() if in doubt. */
EVENT2_EXPORT_SYMBOL
void event_set(struct event *, evutil_socket_t, short, void (*)(evutil_socket_t, short, void *), void *);

/** Assigns a timer event to the current base. */
#define evtimer_set(ev, cb, arg)	event_set((ev), -1, 0, (cb), (arg))
/** Assigns a persistent signal event to the current base. */
#define evsignal_set(ev, x, cb, arg)	\
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))

/** 1.x names of the timer macros: add, set, delete, pending, initialized. */
#define timeout_add(ev, tv)		event_add((ev), (tv))
#define timeout_set(ev, cb, arg)	event_set((ev), -1, 0, (cb), (arg))
#define timeout_del(ev)			event_del(ev)
#define timeout_pending(ev, tv)		event_pending((ev), EV_TIMEOUT, (tv))
#define timeout_initialized(ev)		event_initialized(ev)

/** 1.x names of the signal macros: add, set, delete, pending, initialized. */
#define signal_add(ev, tv)		event_add((ev), (tv))
#define signal_set(ev, x, cb, arg)				\
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
#define signal_del(ev)			event_del(ev)
#define signal_pending(ev, tv)		event_pending((ev), EV_SIGNAL, (tv))
#define signal_initialized(ev)		event_initialized(ev)

#ifndef EVENT_FD

/** The fd of an event (1.x name). */
#define EVENT_FD(ev)		((int)event_get_fd(ev))
/** The signal number of a signal event (1.x name). */
#define EVENT_SIGNAL(ev)	event_get_signal(ev)
#endif

#ifdef __cplusplus
}
#endif

#endif
