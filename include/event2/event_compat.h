/* SPDX-License-Identifier: BSD-3-Clause */
/* Deprecated event functions that act on an implicit global event base. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_EVENT_COMPAT_H_INCLUDED_
#define EVENT2_EVENT_COMPAT_H_INCLUDED_

/** @file event2/event_compat.h

  @brief The libevent 1.x interface, kept for old programs.

  Before event bases were explicit, every call worked on one process-wide
  base.  The functions here keep that style alive: event_init() creates a
  base and remembers it as the "current" one, and the other functions act
  on whatever base is current.  Because that hidden global is shared by
  every thread and replaced by each event_init(), these functions are not
  thread-safe and are easy to misuse.

  @deprecated Everything in this header is deprecated; each entry names the
  event2/event.h function to use instead.
 */
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

/* evutil_socket_t. */
#include <event2/util.h>

/* Declared here so that event_set() names the file-scope type even when
 * event2/event.h has not been included. */
struct event;

/**
  Create an event base and make it the current base.

  Events that are set up with event_set() and never given a base of their
  own are attached to the current base.

  @return the new base, which is also now the current one.  The library
     treats failure to create it as fatal.

  @deprecated Replaces a hidden global and is unsafe with threads; use
    event_base_new().
  @see event_base_new(), event_base_set()
 */
EVENT2_EXPORT_SYMBOL
struct event_base *event_init(void);

/**
  Run the loop of the current base; event_base_dispatch() applied to it.

  @return 0 on normal exit, 1 if nothing was left to wait for, -1 on error.

  @deprecated Use event_base_dispatch().
  @see event_init()
 */
EVENT2_EXPORT_SYMBOL
int event_dispatch(void);

/**
  Run the loop of the current base with EVLOOP_* flags; event_base_loop()
  applied to it.

  @return 0 on normal exit, 1 if nothing was left to wait for, -1 on error.

  @deprecated Use event_base_loop().
  @see event_init()
*/
EVENT2_EXPORT_SYMBOL
int event_loop(int);


/**
  Ask the loop of the current base to stop after a delay; see
  event_base_loopexit().

  @return 0 on success, -1 on failure.

  @deprecated Use event_base_loopexit().
  @see event_init()
  */
EVENT2_EXPORT_SYMBOL
int event_loopexit(const struct timeval *);


/**
  Stop the loop of the current base as soon as the running callback
  returns; see event_base_loopbreak().

  @return 0 on success, -1 on failure.

  @deprecated Use event_base_loopbreak().
  @see event_init()
 */
EVENT2_EXPORT_SYMBOL
int event_loopbreak(void);

/**
  Run a callback once on the current base when an fd becomes ready or a
  timeout passes; see event_base_once().

  @return 0 on success, -1 on failure.

  @deprecated Use event_base_once().
 */
EVENT2_EXPORT_SYMBOL
int event_once(evutil_socket_t , short,
    void (*)(evutil_socket_t, short, void *), void *, const struct timeval *);


/**
  Name the backend (such as "epoll") used by the current base.

  @return the backend name.

  @deprecated Use event_base_get_method().
 */
EVENT2_EXPORT_SYMBOL
const char *event_get_method(void);


/**
  Set the number of priority levels of the current base; see
  event_base_priority_init().

  @return 0 on success, -1 on failure.

  @deprecated Use event_base_priority_init().
 */
EVENT2_EXPORT_SYMBOL
int	event_priority_init(int);

/**
  Fill in an event structure without choosing a base.

  The event gets the current base, if there is one; call event_base_set()
  afterwards to attach it to a particular base.  The arguments mean what
  they mean for event_assign().

  @deprecated Use event_assign() or event_new(), which take the base
     explicitly.
 */
EVENT2_EXPORT_SYMBOL
void event_set(struct event *, evutil_socket_t, short, void (*)(evutil_socket_t, short, void *), void *);

/** Set up a timer event with event_set(): no fd, no event flags.
 * @deprecated Use evtimer_assign(). */
#define evtimer_set(ev, cb, arg)	event_set((ev), -1, 0, (cb), (arg))
/** Set up a persistent signal event for signal x with event_set().
 * @deprecated Use evsignal_assign(). */
#define evsignal_set(ev, x, cb, arg)	\
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))


/**
   @name timeout_* macros

   Older names for the timer helpers.

   @deprecated Use the evtimer_* macros, whose names match the rest of the
     API.
   @{
 */
/** Schedule a timer event; same as evtimer_add(). */
#define timeout_add(ev, tv)		event_add((ev), (tv))
/** Set up a timer event; same as evtimer_set(). */
#define timeout_set(ev, cb, arg)	event_set((ev), -1, 0, (cb), (arg))
/** Cancel a timer event; same as evtimer_del(). */
#define timeout_del(ev)			event_del(ev)
/** Test whether a timer is scheduled; same as evtimer_pending(). */
#define timeout_pending(ev, tv)		event_pending((ev), EV_TIMEOUT, (tv))
/** Test whether a timer event was set up; same as evtimer_initialized(). */
#define timeout_initialized(ev)		event_initialized(ev)
/**@}*/

/**
   @name signal_* macros

   Older names for the signal helpers.

   @deprecated Use the evsignal_* macros, whose names match the rest of the
     API.
   @{
 */
/** Start watching for a signal; same as evsignal_add(). */
#define signal_add(ev, tv)		event_add((ev), (tv))
/** Set up a signal event; same as evsignal_set(). */
#define signal_set(ev, x, cb, arg)				\
	event_set((ev), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
/** Stop watching for a signal; same as evsignal_del(). */
#define signal_del(ev)			event_del(ev)
/** Test whether a signal event is pending; same as evsignal_pending(). */
#define signal_pending(ev, tv)		event_pending((ev), EV_SIGNAL, (tv))
/** Test whether a signal event was set up; same as
 * evsignal_initialized(). */
#define signal_initialized(ev)		event_initialized(ev)
/**@}*/

#ifndef EVENT_FD
/** The fd of an event as an int.  @deprecated Use event_get_fd(). */
#define EVENT_FD(ev)		((int)event_get_fd(ev))
/** The signal number of an event.  @deprecated Use event_get_signal(). */
#define EVENT_SIGNAL(ev)	event_get_signal(ev)
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_COMPAT_H_INCLUDED_ */
