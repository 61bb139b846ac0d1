/* SPDX-License-Identifier: BSD-3-Clause */
/* Event bases, events and the event loop. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_EVENT_H_INCLUDED_
#define EVENT2_EVENT_H_INCLUDED_

/**
  @mainpage

  @section intro Overview

  evrs implements the libevent 2.2.1 C interface.  A program registers
  interest in conditions (a descriptor becoming readable or writable, a
  signal arriving, a time passing) together with a callback, then hands
  control to an event loop, which waits for the conditions and runs the
  callbacks.  The loop waits with the most efficient mechanism the system
  offers (epoll, poll or select on Linux).

  @section usage Building against the library

  Include <event2/event.h> and link with -levent (or with -levent_core when
  only the event loop, buffers and bufferevents are needed).

  @section setup Before anything else

  Process-wide settings come first: thread support (see event2/thread.h),
  replacement allocation functions (event_set_mem_functions()) and debug
  mode (event_enable_debug_mode()) must all be chosen before the first
  event base is created.

  @section base Event bases

  An event base, made with event_base_new() or
  event_base_new_with_config(), owns a set of events and runs their loop.
  Each event belongs to exactly one base.

  @section event Events

  event_new() (or event_assign() on caller-provided storage) creates an
  event for a descriptor, a signal or a pure timeout; event_add() makes it
  pending, and event_del() withdraws it.

  @section loop Running the loop

  event_base_dispatch() runs until nothing is left to wait for;
  event_base_loop() takes flags for finer control.  Only one thread may run
  the loop of a base at a time: use several bases, or one base that feeds a
  work queue, to spread work over threads.

  @section bufferevent Buffered I/O

  Bufferevents (event2/bufferevent.h) pair a socket with input and output
  buffers (event2/buffer.h), doing the reads and writes and calling back
  when data arrives or the output drains.

  @section timers Timers

  The evtimer_* macros wrap event_new(), event_add() and event_del() for
  events that have only a timeout.

  @section more Other facilities

  - event2/dns.h: a non-blocking DNS resolver.
  - event2/http.h: an embeddable HTTP server and client.
  - event2/rpc.h: RPC servers and clients over HTTP.
  - event2/util.h: portability helpers.
  - event2/thread.h: support for multithreaded programs.
  - event2/watch.h: hooks that run around each poll of the loop.
 */

/** @file event2/event.h

  @brief Event bases, events and the loop that dispatches them.
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

#include <stdio.h>

/* ev_uint32_t, evutil_socket_t. */
#include <event2/util.h>

/**
 * An event base: a set of events and the loop that waits for and runs
 * them.
 *
 * Opaque.  Create one with event_base_new() or event_base_new_with_config()
 * and release it with event_base_free().
 *
 * @see event_base_loop(), event_base_dispatch()
 */
struct event_base
#ifdef EVENT_IN_DOXYGEN_
{/* Empty body, only so that documentation tools list the type. */}
#endif
;

/**
 * An event: something to wait for and the callback to run when it happens.
 *
 * The condition may be a descriptor becoming readable or writable, a
 * signal, or nothing at all (useful for timers and for waking a loop from
 * another thread).  A timeout can be attached to any event.
 *
 * An event is "pending" while it is added to its base and waited for, and
 * "active" once its condition (or timeout) has occurred and its callback is
 * due; it can be both, or neither, as after event_new() or event_assign().
 * event_add() makes it pending, event_del() makes it neither, and
 * event_active() makes it active by hand.
 *
 * A non-persistent event stops being pending when it becomes active, so
 * its callback runs at most once per event_add().  An EV_PERSIST event
 * stays pending until deleted; if it has a timeout, the timeout restarts
 * each time the callback runs, which gives periodic timers.
 *
 * The definition is in event2/event_struct.h for old code, but programs
 * should only use the functions declared here.
 *
 * @see event_new(), event_assign(), event_free(), event_add(), event_del(),
 *    event_active(), event_pending(), event_get_assignment()
 */
struct event
#ifdef EVENT_IN_DOXYGEN_
{/* Empty body, only so that documentation tools list the type. */}
#endif
;

/**
 * Settings for a new event base.
 *
 * Opaque.  Create one with event_config_new(), adjust it with the
 * event_config_*() functions, pass it to event_base_new_with_config(), and
 * release it with event_config_free().
 */
struct event_config
#ifdef EVENT_IN_DOXYGEN_
{/* Empty body, only so that documentation tools list the type. */}
#endif
;

/**
 * Turn on checks that catch common misuse of events early, at some cost in
 * speed and memory.
 *
 * With debug mode on, the library notices, among other things, an event
 * being re-assigned while it is pending and operations on an event that
 * was never assigned, and aborts with a message.  It remembers every
 * assigned event until it is freed or passed to event_debug_unassign().
 *
 * Must be called before any event or event base exists.
 *
 * @see event_debug_unassign()
 */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_mode(void);

/**
 * Tell debug mode to forget an event that is no longer in use, without
 * freeing it; useful for events in storage the program manages itself.
 * Does nothing when debug mode is off.
 *
 * The event must not be pending.
 *
 * @see event_enable_debug_mode()
 */
EVENT2_EXPORT_SYMBOL
void event_debug_unassign(struct event *);

/**
 * Create an event base with default settings.
 *
 * @return the new base, or NULL on failure.
 *
 * @see event_base_free(), event_base_new_with_config()
 */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new(void);

/**
  Rebuild the backend state of a base in a child process after fork().

  Some backends (epoll among them) share kernel state between parent and
  child; call this in the child before using the base there.

  @param base the base to reinitialize.
  @return 0 on success, -1 if re-registering some of the events failed.
  @see event_base_new()
*/
EVENT2_EXPORT_SYMBOL
int event_reinit(struct event_base *base);

/**
  Run the loop of a base until no events are pending or active, or until
  event_base_loopbreak() or event_base_loopexit() ends it.

  The same as event_base_loop() with no flags.

  @param base the base to run.
  @return 0 on a normal exit, 1 if it returned because there was nothing
     left to wait for, -1 on error.
  @see event_base_loop()
 */
EVENT2_EXPORT_SYMBOL
int event_base_dispatch(struct event_base *base);

/**
 Name the backend a base uses to wait for events.

 @param eb the base.
 @return a string such as "epoll", "poll" or "select".
 */
EVENT2_EXPORT_SYMBOL
const char *event_base_get_method(const struct event_base *eb);

/**
 Name the mechanism a base uses to receive signals.

 @param eb the base.
 @return "signal" for ordinary signal handlers, "signalfd_signal" for
   Linux signalfd(2), or "kqueue_signal" on kqueue systems.
 */
EVENT2_EXPORT_SYMBOL
const char *event_base_get_signal_method(const struct event_base *eb);

/**
   List the backends compiled into the library, most preferred first.

   The list says nothing about whether each backend works on the running
   system.

   @return a NULL-terminated array of names owned by the library, or NULL
     on error.
*/
EVENT2_EXPORT_SYMBOL
const char **event_get_supported_methods(void);

/** Read the monotonic clock a base uses for its timeouts.
 *
 * @param base the base.
 * @param tp receives the current monotonic time.
 * @return 0 on success, -1 on failure (for example, if either argument is
 *   NULL).
 */
EVENT2_EXPORT_SYMBOL
int event_gettime_monotonic(struct event_base *base, struct timeval *tp);

/**
   @name Event count flags

   Kinds of events to count with event_base_get_num_events() and
   event_base_get_max_events(); OR them together to add the counts.
*/
/**@{*/
/** Events whose callbacks are due to run. */
#define EVENT_BASE_COUNT_ACTIVE                1U
/** Internal reasons, other than pending events, that keep the loop from
 * exiting. */
#define EVENT_BASE_COUNT_VIRTUAL       2U
/** Events added to the base, the library's own internal ones included. */
#define EVENT_BASE_COUNT_ADDED         4U
/**@}*/

/**
   Count the events of the given kinds in a base.

   The library adds internal events of its own, so the added count can be
   larger than the number of event_add() calls, and an event both added
   and active is counted twice when both flags are given.  Treat the result
   as a measure of load, not an exact figure.

   @param eb the base.
   @param flags EVENT_BASE_COUNT_* values OR-ed together.
   @return the sum of the selected counts.
*/
EVENT2_EXPORT_SYMBOL
int event_base_get_num_events(struct event_base *eb, unsigned int flags);

/**
  Report the highest value each selected count has reached in a base.

  @param eb the base.
  @param flags EVENT_BASE_COUNT_* values OR-ed together.
  @param clear if nonzero, reset the selected maxima to zero after reading
         them.
  @return the sum of the selected maxima.
 */
EVENT2_EXPORT_SYMBOL
int event_base_get_max_events(struct event_base *eb, unsigned int flags, int clear);

/**
   Create an empty configuration for event_base_new_with_config().

   @return the configuration, or NULL on failure.
   @see event_config_free(), event_base_new_with_config()
*/
EVENT2_EXPORT_SYMBOL
struct event_config *event_config_new(void);

/**
   Free a configuration and everything it holds.

   @param cfg the configuration.
*/
EVENT2_EXPORT_SYMBOL
void event_config_free(struct event_config *cfg);

/**
   Exclude a backend, by name, from bases made with this configuration.

   Useful to avoid a backend that cannot handle some kind of descriptor, or
   to test the others.

   @param cfg the configuration.
   @param method a backend name such as "epoll".
   @return 0 on success, -1 on failure.
*/
EVENT2_EXPORT_SYMBOL
int event_config_avoid_method(struct event_config *cfg, const char *method);

/**
   Capabilities a backend may have.

   Request them with event_config_require_features(); read those of an
   existing base with event_base_get_features().
*/
enum event_method_feature {
    /** Edge-triggered events (EV_ET) are supported. */
    EV_FEATURE_ET = 0x01,
    /** Finding the ready events costs roughly the same however many
     * events are added, unlike select and poll, whose cost grows with the
     * number of descriptors. */
    EV_FEATURE_O1 = 0x02,
    /** Any kind of file descriptor can be watched, not only sockets. */
    EV_FEATURE_FDS = 0x04,
    /** EV_CLOSED can report a closed connection without reading pending
     * data first; support can still depend on the kernel version. */
    EV_FEATURE_EARLY_CLOSE = 0x08
};

/**
   Options for event_config_set_flag().

    @see event_config_set_flag(), event_base_new_with_config()
 */
enum event_base_config_flag {
	/** Give the base no lock even if locking is set up; the base must
	    then only ever be touched by one thread at once.
	*/
	EVENT_BASE_FLAG_NOLOCK = 0x01,
	/** Ignore the EVENT_* environment variables (such as EVENT_NOEPOLL)
	    when choosing and configuring the backend. */
	EVENT_BASE_FLAG_IGNORE_ENV = 0x02,
	/** Windows only: start the IOCP dispatcher with the base, so that
	    bufferevents and listeners use IOCP.  Experimental.
	 */
	EVENT_BASE_FLAG_STARTUP_IOCP = 0x04,
	/** Do not cache the time at the start of each loop iteration; read
	    the clock again after every timeout callback instead.
	 */
	EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08,

	/** With the epoll backend, batch additions and removals into one
	    epoll_ctl() call per descriptor per iteration.  Faster, but wrong
	    if the program has descriptors duplicated with dup() and friends.
	    The EVENT_EPOLL_USE_CHANGELIST environment variable has the same
	    effect.  Ignored by other backends.
	 */
	EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10,

	/** Use the most precise monotonic clock available even when it is
	    slower to read than a coarser one.
	 */
	EVENT_BASE_FLAG_PRECISE_TIMER = 0x20,

	/** Together with EVENT_BASE_FLAG_PRECISE_TIMER, keep the epoll
	    backend from using timerfd for its timeouts, giving a precise
	    clock with millisecond poll timeouts.  No effect otherwise.
	 */
	EVENT_BASE_FLAG_EPOLL_DISALLOW_TIMERFD = 0x40,

	/** Handle signals with ordinary signal handlers even where
	    signalfd(2) is available.
	 */
	EVENT_BASE_FLAG_DISALLOW_SIGNALFD = 0x80,
};

/**
   Report the capabilities of the backend a base uses.

   @param base the base.
   @return event_method_feature values OR-ed together.
   @see event_method_feature
 */
EVENT2_EXPORT_SYMBOL
int event_base_get_features(const struct event_base *base);

/**
   Require backend capabilities for bases made with this configuration.

   When no backend offers them all, event_base_new_with_config() returns
   NULL, so callers that can do without should be ready to retry with
   fewer requirements.

   @param cfg the configuration.
   @param feature event_method_feature values OR-ed together; replaces any
          earlier requirement.
   @return 0 on success, -1 on failure.
   @see event_method_feature, event_base_new_with_config()
*/
EVENT2_EXPORT_SYMBOL
int event_config_require_features(struct event_config *cfg, int feature);

/**
 * Add event_base_config_flag options to a configuration.
 *
 * @param cfg the configuration.
 * @param flag event_base_config_flag values OR-ed together; they are added
 *   to those already set.
 * @return 0 on success, -1 on failure.
 * @see event_base_config_flag, event_base_new_with_config()
 **/
EVENT2_EXPORT_SYMBOL
int event_config_set_flag(struct event_config *cfg, int flag);

/**
 * Tell the library how many CPUs to plan for.  Only the Windows IOCP
 * machinery uses the hint.
 *
 * @param cfg the configuration.
 * @param cpus how many CPUs to assume.
 * @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_config_set_num_cpus_hint(struct event_config *cfg, int cpus);

/**
 * Limit how long the loop runs callbacks before it polls for new events
 * again.
 *
 * Normally the loop runs every active callback of the most urgent priority
 * before it polls again.  With limits set, it polls again once
 * max_interval has passed or max_callbacks callbacks have run, which
 * shortens the delay for newly urgent events at some cost in throughput.
 *
 * @param cfg the configuration.
 * @param max_interval the longest time to spend on callbacks between
 *     polls, or NULL for no time limit.
 * @param max_callbacks the most callbacks to run between polls, or -1 for
 *     no limit.
 * @param min_priority the limits apply only to callbacks of this priority
 *     and numerically higher (less urgent) ones; 0 applies them to all.
 * @return 0 on success, -1 on failure.
 **/
EVENT2_EXPORT_SYMBOL
int event_config_set_max_dispatch_interval(struct event_config *cfg,
    const struct timeval *max_interval, int max_callbacks,
    int min_priority);

/**
  Create an event base with the given settings.

  @param cfg the configuration, or NULL for the defaults.
  @return the new base, or NULL if none could be made (for example, no
     backend satisfies the required features).
  @see event_base_new(), event_base_free(), event_config_new()
*/
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new_with_config(const struct event_config *cfg);

/**
  Free an event base.

  Pending finalizer callbacks are run first.  Events still attached to the
  base are not freed, and neither descriptors nor callback arguments are
  touched: those remain the program's to release.

  @param eb the base to free.
 */
EVENT2_EXPORT_SYMBOL
void event_base_free(struct event_base *eb);

/**
   Free an event base like event_base_free(), but without running pending
   finalizer callbacks.
 */
EVENT2_EXPORT_SYMBOL
void event_base_free_nofinalize(struct event_base *);

/** @name Log severities

    The severity argument of an event_log_cb.
 */
/**@{*/
/** Detailed tracing, only produced when debug logging is on. */
#define EVENT_LOG_DEBUG 0
/** An informational message. */
#define EVENT_LOG_MSG   1
/** A problem the library could work around. */
#define EVENT_LOG_WARN  2
/** A serious error. */
#define EVENT_LOG_ERR   3
/**@}*/

/* Deprecated spellings kept for old programs; identifiers starting with an
 * underscore and a capital letter are reserved for the implementation. */
/** Deprecated name of EVENT_LOG_DEBUG. */
#define _EVENT_LOG_DEBUG EVENT_LOG_DEBUG
/** Deprecated name of EVENT_LOG_MSG. */
#define _EVENT_LOG_MSG EVENT_LOG_MSG
/** Deprecated name of EVENT_LOG_WARN. */
#define _EVENT_LOG_WARN EVENT_LOG_WARN
/** Deprecated name of EVENT_LOG_ERR. */
#define _EVENT_LOG_ERR EVENT_LOG_ERR

/**
  Signature of a function that receives the library's log messages.

  @param severity one of the EVENT_LOG_* values.
  @param msg the message text, without a trailing newline.
  @see event_set_log_callback()
 */
typedef void (*event_log_cb)(int severity, const char *msg);
/**
  Send the library's log messages to a function of the program's choosing
  instead of standard error.

  The function must not call back into the library.

  @param cb the new log function, or NULL to restore the default.
  */
EVENT2_EXPORT_SYMBOL
void event_set_log_callback(event_log_cb cb);

/**
   Signature of a function called when the library hits an unrecoverable
   error.

   @param err an error code.
   @see event_set_fatal_callback()
 */
typedef void (*event_fatal_cb)(int err);

/**
 Replace what the library does after a fatal error.

 By default it calls exit(1).  A replacement should not return into the
 library: the error means the program or the library is in an inconsistent
 state, and further calls have undefined results.  An EVENT_LOG_ERR
 message explaining the problem is normally logged just before.

 @param cb the function to call, or NULL to restore the default.
 */
EVENT2_EXPORT_SYMBOL
void event_set_fatal_callback(event_fatal_cb cb);

/** Argument for event_enable_debug_logging(): every debug message. */
#define EVENT_DBG_ALL 0xffffffffu
/** Argument for event_enable_debug_logging(): no debug messages. */
#define EVENT_DBG_NONE 0

/**
 Turn debug-level log messages on or off.

 The setting is global.  Change it before creating any event base and
 before using the library from several threads.  Debug output is
 voluminous.

 @param which EVENT_DBG_ALL to enable debug messages, EVENT_DBG_NONE to
   disable them; other values are reserved.
 */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_logging(ev_uint32_t which);

/**
  Move an event to another base.

  The event must be neither pending nor active.

  @param eb the new base.
  @param ev the event.
  @return 0 on success, -1 if the event is pending or active.
 */
EVENT2_EXPORT_SYMBOL
int event_base_set(struct event_base *eb, struct event *ev);

/** @name Loop flags

    Flags for event_base_loop().
 */
/**@{*/
/** Wait until at least one event is active, run the active callbacks, then
 * return. */
#define EVLOOP_ONCE	0x01
/** Do not wait: poll once, run whatever callbacks are due, then return. */
#define EVLOOP_NONBLOCK	0x02
/** Keep running when no events are pending, until event_base_loopexit()
 * or event_base_loopbreak() is called.
 */
#define EVLOOP_NO_EXIT_ON_EMPTY 0x04
/**@}*/

/**
  Run the loop of a base, waiting for events and running their callbacks.

  Without flags, the loop runs until no events are pending or active, or
  until event_base_loopbreak() or event_base_loopexit() stops it.

  @param eb the base to run.
  @param flags EVLOOP_ONCE, EVLOOP_NONBLOCK and EVLOOP_NO_EXIT_ON_EMPTY,
     OR-ed together, or 0.
  @return 0 on a normal exit, 1 if it returned because there was nothing
     left to wait for, -1 on error.
  @see event_base_dispatch(), event_base_loopexit(), event_base_loopbreak()
  */
EVENT2_EXPORT_SYMBOL
int event_base_loop(struct event_base *eb, int flags);

/**
  Make the loop of a base stop after a delay.

  When the time has passed, the loop finishes running the callbacks that
  are due and then returns instead of waiting again.  Later calls to
  event_base_loop() are not affected.

  @param eb the base.
  @param tv how long to wait before stopping, or NULL to stop once the
    current round of active callbacks has run.
  @return 0 on success, -1 on failure.
  @see event_base_loopbreak()
 */
EVENT2_EXPORT_SYMBOL
int event_base_loopexit(struct event_base *eb, const struct timeval *tv);

/**
  Make the loop of a base stop as soon as the running callback returns,
  leaving any other active callbacks unrun, much like "break" in a C loop.

  Later calls to event_base_loop() are not affected.

  @param eb the base.
  @return 0 on success, -1 on failure.
  @see event_base_loopexit()
 */
EVENT2_EXPORT_SYMBOL
int event_base_loopbreak(struct event_base *eb);

/**
  Make the loop of a base poll for new events as soon as the running
  callback returns, before running the other active callbacks, much like
  "continue" in a C loop.

  Has no effect if the loop is not running.

  @param eb the base.
  @return 0 on success, -1 on failure.
  @see event_base_loopbreak()
 */
EVENT2_EXPORT_SYMBOL
int event_base_loopcontinue(struct event_base *eb);

/**
  Tell whether the last run of the loop was ended by
  event_base_loopexit().

  The answer stays true until the loop is entered again.

  @param eb the base.
  @return nonzero if event_base_loopexit() ended the loop, otherwise 0.
  @see event_base_loopexit(), event_base_got_break()
 */
EVENT2_EXPORT_SYMBOL
int event_base_got_exit(struct event_base *eb);

/**
  Tell whether the last run of the loop was ended by
  event_base_loopbreak().

  The answer stays true until the loop is entered again.

  @param eb the base.
  @return nonzero if event_base_loopbreak() ended the loop, otherwise 0.
  @see event_base_loopbreak(), event_base_got_exit()
 */
EVENT2_EXPORT_SYMBOL
int event_base_got_break(struct event_base *eb);

/**
 * @name Event flags
 *
 * Bits of the "short events" arguments of event_new(), event_assign(),
 * event_pending() and similar functions, and of the "what" argument a
 * callback receives.
 */
/**@{*/
/** The timeout expired.  Never needed when creating an event: any event
 * may be given a timeout by event_add(). */
#define EV_TIMEOUT	0x01
/** Wait for the descriptor to become readable. */
#define EV_READ		0x02
/** Wait for the descriptor to become writable. */
#define EV_WRITE	0x04
/** Wait for a POSIX signal; the fd argument is the signal number. */
#define EV_SIGNAL	0x08
/**
 * Keep the event pending after it becomes active, until event_del().
 * Any timeout restarts each time the event is activated.
 */
#define EV_PERSIST	0x10
/** Use edge-triggered notification, where the backend supports it. */
#define EV_ET		0x20
/**
 * Let event_del() return at once instead of waiting for a callback of this
 * event that is running in another thread.  Tear such events down with
 * event_finalize() or event_free_finalize().
 **/
#define EV_FINALIZE     0x40
/**
 * Report that the peer closed the connection, without reading the pending
 * data first.  Only some backends can; check for EV_FEATURE_EARLY_CLOSE.
 **/
#define EV_CLOSED	0x80
/**@}*/

/**
   @name evtimer_* macros

   Shorthands for events that only have a timeout and fire once per
   evtimer_add().  For repeating timers, use event_new() with EV_PERSIST.
 */
/**@{*/
/** Set up a timer event in existing storage. */
#define evtimer_assign(ev, b, cb, arg) \
	event_assign((ev), (b), -1, 0, (cb), (arg))
/** Allocate a timer event. */
#define evtimer_new(b, cb, arg)		event_new((b), -1, 0, (cb), (arg))
/** Start a timer. */
#define evtimer_add(ev, tv)		event_add((ev), (tv))
/** Cancel a timer. */
#define evtimer_del(ev)			event_del(ev)
/** Test whether a timer is scheduled. */
#define evtimer_pending(ev, tv)		event_pending((ev), EV_TIMEOUT, (tv))
/** Test whether a timer event has been set up. */
#define evtimer_initialized(ev)		event_initialized(ev)
/**@}*/

/**
   @name evsignal_* macros

   Shorthands for persistent signal events.
 */
/**@{*/
/** Start watching for the signal. */
#define evsignal_add(ev, tv)		event_add((ev), (tv))
/** Set up a signal event in existing storage. */
#define evsignal_assign(ev, b, x, cb, arg)			\
	event_assign((ev), (b), (x), EV_SIGNAL|EV_PERSIST, cb, (arg))
/** Allocate a signal event for signal x. */
#define evsignal_new(b, x, cb, arg)				\
	event_new((b), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
/** Stop watching for the signal. */
#define evsignal_del(ev)		event_del(ev)
/** Test whether the signal event is pending. */
#define evsignal_pending(ev, tv)	event_pending((ev), EV_SIGNAL, (tv))
/** Test whether a signal event has been set up. */
#define evsignal_initialized(ev)	event_initialized(ev)
/**@}*/

/**
   @name evuser_* macros

   Shorthands for events that only fire when the program triggers them.
   These fire once per trigger; use event_new() with EV_PERSIST for events
   that stay pending.
 */
/**@{*/
/** Allocate a user-triggered event. */
#define evuser_new(b, cb, arg)		event_new((b), -1, 0, (cb), (arg))
/** Remove a user-triggered event from its base. */
#define evuser_del(ev)			event_del(ev)
/** Test whether a user-triggered event is pending. */
#define evuser_pending(ev, tv)		event_pending((ev), 0, (tv))
/** Test whether a user-triggered event has been set up. */
#define evuser_initialized(ev)		event_initialized(ev)
/** Make a user-triggered event active, so its callback runs. */
#define evuser_trigger(ev)		event_active((ev), 0, 0)
/**@}*/

/**
   Signature of an event callback.

   @param fd the descriptor or signal number of the event (-1 if none).
   @param events the EV_* bits saying what happened (EV_TIMEOUT, EV_READ,
      EV_WRITE, EV_SIGNAL, EV_CLOSED, EV_ET).
   @param arg the callback argument given when the event was set up.

   @see event_new(), event_assign()
 */
typedef void (*event_callback_fn)(evutil_socket_t, short, void *);

/**
  A placeholder callback argument meaning "the event itself".

  event_new() cannot take the address of the event it is about to return,
  so passing this value as its callback argument makes the callback
  receive the new event instead.  event_assign() accepts it too.

  @return the placeholder value.
  @see event_new(), event_assign()
 */
EVENT2_EXPORT_SYMBOL
void *event_self_cbarg(void);

/**
  Allocate and set up an event.

  With EV_READ and/or EV_WRITE in events, fd is a descriptor (or socket)
  to watch for readability and/or writability.  With EV_SIGNAL, fd is a
  signal number.  With none of these, fd must be -1 and the event can only
  fire through a timeout or event_active().  EV_PERSIST keeps the event
  pending after it fires; EV_ET asks for edge-triggered notification (all
  events on one descriptor must agree on it); EV_CLOSED and EV_FINALIZE
  are also accepted; EV_TIMEOUT is ignored.

  The new event is neither pending nor active; event_add() makes it
  pending.  When it fires, callback is called with fd, the EV_* bits that
  describe what happened, and callback_arg.

  @param base the base the event belongs to.
  @param fd the descriptor or signal number, or -1.
  @param events EV_* flags.
  @param callback the function to call.
  @param callback_arg passed to the callback; event_self_cbarg() stands for
      the new event itself.
  @return the event, to be released with event_free(), or NULL on error.
  @see event_free(), event_add(), event_del(), event_assign()
 */
EVENT2_EXPORT_SYMBOL
struct event *event_new(struct event_base *base, evutil_socket_t fd, short events, event_callback_fn callback, void *callback_arg);


/**
  Set up an event in storage the program provides.

  Arguments and behaviour are those of event_new(), except that nothing is
  allocated.  Embedding struct event ties the program to its size in this
  version; event_get_struct_event_size() gives the size at run time, and
  event_new() avoids the issue entirely.

  The event must be neither pending nor active: re-assigning a live event
  corrupts the base.

  @param ev the storage to initialize.
  @param base the base the event belongs to.
  @param fd the descriptor or signal number, or -1.
  @param events EV_* flags.
  @param callback the function to call.
  @param callback_arg passed to the callback.
  @return 0 on success, -1 if the arguments are invalid.

  @see event_new(), event_add(), event_del(), event_get_struct_event_size()
  */
EVENT2_EXPORT_SYMBOL
int event_assign(struct event *ev, struct event_base *base, evutil_socket_t fd, short events, event_callback_fn callback, void *callback_arg);

/**
   Free an event made by event_new(), deleting it from its base first if
   it is pending or active.
 */
EVENT2_EXPORT_SYMBOL
void event_free(struct event *);

/**
 * Signature of a finalizer passed to event_finalize() or
 * event_free_finalize(): receives the event and its callback argument.
 **/
typedef void (*event_finalize_callback_fn)(struct event *, void *);
/**
   @name Finalizing events

   Safe teardown for events that may be running in another thread, as is
   typical with EV_FINALIZE.  The event is withdrawn, and the finalizer is
   called from the loop of its base, at the priority of the event, once
   the event's callback can no longer be running.  The finalizer may then
   release the callback argument; event_free_finalize() also frees the
   event afterwards, event_finalize() does not.

   The first argument is reserved and must be 0.  After either call,
   event_add() and event_active() fail for the event, event_del() is a
   no-op, and the event must not be re-assigned until
   the finalizer has run; afterwards its contents are undefined.  The
   finalizer must not add or activate any event, this one included.

   @return 0 on success, -1 on failure.
 */
/**@{*/
/** Finalize an event without freeing it. */
EVENT2_EXPORT_SYMBOL
int event_finalize(unsigned, struct event *, event_finalize_callback_fn);
/** Finalize an event and then free it. */
EVENT2_EXPORT_SYMBOL
int event_free_finalize(unsigned, struct event *, event_finalize_callback_fn);
/**@}*/

/**
  Run a callback once, when a descriptor is ready or a timeout passes,
  without managing an event.

  The library allocates the event and frees it after the callback has run,
  or when the base is freed if it never runs.  The argument is never freed
  by the library.

  @param base the base.
  @param fd the descriptor to watch, or -1.
  @param events EV_READ, EV_WRITE and/or EV_CLOSED, or EV_TIMEOUT alone;
         EV_SIGNAL and EV_PERSIST are refused.
  @param callback the function to call.
  @param arg passed to the callback.
  @param timeout the longest time to wait, or NULL: for a pure timeout,
         NULL (or zero) means run as soon as possible; for I/O, NULL means
         wait without limit.
  @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_base_once(struct event_base *base, evutil_socket_t fd, short events, event_callback_fn callback, void *arg, const struct timeval *timeout);

/**
  Make an event pending, so that it fires when its condition occurs or its
  timeout passes.

  The event must have been set up with event_new() or event_assign().
  Adding an event that is already pending is allowed: a non-NULL timeout
  replaces the one that was scheduled, and NULL leaves it in place.

  @param ev the event.
  @param timeout the longest time to wait, relative to now, or NULL for no
         timeout.
  @return 0 on success, -1 on failure.
  @see event_del(), event_assign(), event_new()
  */
EVENT2_EXPORT_SYMBOL
int event_add(struct event *ev, const struct timeval *timeout);

/**
   Cancel the timeout of a pending event, leaving it pending on its
   descriptor or signal.

   @param ev the event.
   @return 0 on success, -1 on failure.
*/
EVENT2_EXPORT_SYMBOL
int event_remove_timer(struct event *ev);

/**
  Make an event neither pending nor active.

  Deleting an event that was never added, or has already fired, does
  nothing.  If the callback of the event is running in another thread, the
  call waits for it to finish unless the event has EV_FINALIZE.

  @param ev the event.
  @return 0 on success, -1 on failure.
  @see event_add()
 */
EVENT2_EXPORT_SYMBOL
int event_del(struct event *ev);

/**
   Like event_del(), but never waits for a callback running in another
   thread, whether or not the event has EV_FINALIZE.
 */
EVENT2_EXPORT_SYMBOL
int event_del_noblock(struct event *ev);
/**
   Like event_del(), but always waits for a callback running in another
   thread to finish, even when the event has EV_FINALIZE.
 */
EVENT2_EXPORT_SYMBOL
int event_del_block(struct event *ev);

/**
  Make an event active by hand, whether or not it is pending, so that its
  callback runs in the next round of the loop.

  Often used to wake a loop from another thread.

  @param ev the event.
  @param res the EV_* bits to pass to the callback.
  @param ncalls ignored; kept for compatibility.
 **/
EVENT2_EXPORT_SYMBOL
void event_active(struct event *ev, int res, short ncalls);

/**
  Tell whether an event is pending or active for any of the given kinds of
  condition.

  @param ev the event.
  @param events EV_TIMEOUT, EV_READ, EV_WRITE and/or EV_SIGNAL.
  @param tv if not NULL and the event has a timeout scheduled (and
         EV_TIMEOUT is asked about), receives its expiry time.

  @return the subset of events for which the event is pending or active,
  or 0.
 */
EVENT2_EXPORT_SYMBOL
int event_pending(const struct event *ev, short events, struct timeval *tv);

/**
   Return the event whose callback is running, when called from that
   callback.  The result is undefined when called from anywhere else.
 */
EVENT2_EXPORT_SYMBOL
struct event *event_base_get_running_event(struct event_base *base);

/**
  Tell an initialized event from zero-filled memory.

  Uninitialized memory can give any answer, so this only distinguishes
  events that were set up from storage that was zeroed.

  @param ev the event.
  @return 1 if the event seems initialized, 0 otherwise.
 */
EVENT2_EXPORT_SYMBOL
int event_initialized(const struct event *ev);

/**
   The signal number of a signal event.
*/
#define event_get_signal(ev) ((int)event_get_fd(ev))

/**
   Get the descriptor or signal number of an event; -1 when it has
   neither.
*/
EVENT2_EXPORT_SYMBOL
evutil_socket_t event_get_fd(const struct event *ev);

/**
   Get the base an event belongs to.
*/
EVENT2_EXPORT_SYMBOL
struct event_base *event_get_base(const struct event *ev);

/**
   Get the EV_* flags an event was set up with.
*/
EVENT2_EXPORT_SYMBOL
short event_get_events(const struct event *ev);

/**
   Get the callback function of an event.
*/
EVENT2_EXPORT_SYMBOL
event_callback_fn event_get_callback(const struct event *ev);

/**
   Get the pointer that is passed to the callback of an event.
*/
EVENT2_EXPORT_SYMBOL
void *event_get_callback_arg(const struct event *ev);

/**
   Get the priority an event currently has.
   @see event_priority_set()
*/
EVENT2_EXPORT_SYMBOL
int event_get_priority(const struct event *ev);

/**
   Read back every setting of an event at once: its base, descriptor,
   flags, callback and argument.

   Each output pointer may be NULL, in which case that value is skipped.
 */
EVENT2_EXPORT_SYMBOL
void event_get_assignment(const struct event *event,
    struct event_base **base_out, evutil_socket_t *fd_out, short *events_out,
    event_callback_fn *callback_out, void **arg_out);

/**
   Get sizeof(struct event) as compiled into the library the program runs
   with.

   Programs that allocate events themselves can use this instead of
   sizeof(struct event), which is fixed when the program is compiled.  A
   library may report a size smaller than the structure in its headers if
   padding was added for future growth.
 */
EVENT2_EXPORT_SYMBOL
size_t event_get_struct_event_size(void);

/**
   Return the version of the library the program runs with, such as
   "2.2.1-alpha".  LIBEVENT_VERSION gives the version of the headers
   instead.

   @return the version string.
*/
EVENT2_EXPORT_SYMBOL
const char *event_get_version(void);

/**
   Return the version of the library the program runs with, as a number:
   one byte each for major, minor and patch level, then a zero byte (so
   2.2.1 is 0x02020100).  LIBEVENT_VERSION_NUMBER gives the version of the
   headers instead.
*/
EVENT2_EXPORT_SYMBOL
ev_uint32_t event_get_version_number(void);

/** The version string of these headers. */
#define LIBEVENT_VERSION EVENT__VERSION
/** The numeric version of these headers, in the format of
 * event_get_version_number(). */
#define LIBEVENT_VERSION_NUMBER EVENT__NUMERIC_VERSION

/** The largest number of priorities a base can have. */
#define EVENT_MAX_PRIORITIES 256
/**
  Set the number of priority levels of a base.

  Priorities run from 0, the most urgent, to npriorities - 1.  Each round
  of the loop runs only the active events of the most urgent priority that
  has any, so a stream of urgent events can starve less urgent ones.  New
  events get the middle priority, npriorities / 2.  A base starts with one
  level.

  Call this while no event is active, normally right after creating the
  base.

  @param eb the base.
  @param npriorities the number of levels: at least 1 and less than
     EVENT_MAX_PRIORITIES.
  @return 0 on success, -1 if the number is out of range, events are
     active, or memory runs out.
  @see event_priority_set()
 */
EVENT2_EXPORT_SYMBOL
int	event_base_priority_init(struct event_base *eb, int npriorities);

/**
  Return the number of priority levels of a base.

  @param eb the base.
  @return the number of levels.
  @see event_base_priority_init()
*/
EVENT2_EXPORT_SYMBOL
int	event_base_get_npriorities(struct event_base *eb);

/**
  Change the priority of an event.

  @param ev the event.
  @param priority the new priority, from 0 to the number of levels minus 1.
  @return 0 on success, -1 if the event is active or the priority is out
     of range.
  @see event_base_priority_init(), event_get_priority()
  */
EVENT2_EXPORT_SYMBOL
int	event_priority_set(struct event *ev, int priority);

/**
   Optimize a base for many timeouts that share one duration.

   Timeouts are normally kept in a heap, which suits durations that vary.
   When thousands of events use the same duration, passing the returned
   value to event_add() instead of an ordinary timeval puts them in a queue
   that is cheaper to maintain.  The returned value is an opaque token:
   its contents have no meaning to the program.

   @param base the base.
   @param duration the shared duration.
   @return the token to pass to event_add(), or NULL on failure.
 */
EVENT2_EXPORT_SYMBOL
const struct timeval *event_base_init_common_timeout(struct event_base *base,
    const struct timeval *duration);

#if !defined(EVENT__DISABLE_MM_REPLACEMENT) || defined(EVENT_IN_DOXYGEN_)
/**
 Replace the functions the library uses to allocate and free memory.

 Every block the library hands to the program then comes from these
 functions and must be released with free_fn, not free().  Call this
 before anything else that might allocate, or memory from malloc() may
 later be passed to free_fn.

 @param malloc_fn used instead of malloc().
 @param realloc_fn used instead of realloc().
 @param free_fn used instead of free().
 **/
EVENT2_EXPORT_SYMBOL
void event_set_mem_functions(
	void *(*malloc_fn)(size_t sz),
	void *(*realloc_fn)(void *ptr, size_t sz),
	void (*free_fn)(void *ptr));
/** Defined when event_set_mem_functions() is available. */
#define EVENT_SET_MEM_FUNCTIONS_IMPLEMENTED
#endif

/**
   Print the added and active events of a base, for debugging.

   The format is not stable between versions.

   @param base the base.
   @param output the stream to write to.
 */
EVENT2_EXPORT_SYMBOL
void event_base_dump_events(struct event_base *base, FILE *output);


/**
   Activate the pending events on a descriptor, as if the backend had
   reported it ready.  Events that are not added are left alone.

   @param base the base.
   @param fd the descriptor.
   @param events EV_READ, EV_WRITE and/or EV_CLOSED to activate I/O
      events; or EV_TIMEOUT to activate instead the events on fd that have
      a timeout scheduled.
 */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_fd(struct event_base *base, evutil_socket_t fd, short events);

/**
   Activate the pending events for a signal, as if it had been delivered.
   Events that are not added are left alone.

   @param base the base.
   @param sig the signal number.
 */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_signal(struct event_base *base, int sig);

/**
 * Signature of the function event_base_foreach_event() calls for each
 * event: receives the base, the event and the user argument, and returns
 * 0 to continue or any other value to stop.
 */
typedef int (*event_base_foreach_event_cb)(const struct event_base *, const struct event *, void *);

/**
   Call a function for every added or active event of a base.

   The base stays locked throughout, so the function should be quick, and
   it must not change the base or any of its events in any way.  The
   library's own internal events are included.

   @param base the base.
   @param fn the function to call.
   @param arg passed to fn.
   @return 0 if every event was visited, otherwise the nonzero value fn
      returned to stop early.
*/
EVENT2_EXPORT_SYMBOL
int event_base_foreach_event(struct event_base *base, event_base_foreach_event_cb fn, void *arg);


/** Get the current wall-clock time cheaply.

    While callbacks run, the base keeps the time it read at the start of
    the round, and this returns that cached value; otherwise it reads the
    clock.  The cached value grows stale if callbacks are slow.

    @param base the base, or NULL for the current base.
    @param tv receives the time.
    @return 0 on success, a negative value on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_base_gettimeofday_cached(struct event_base *base,
    struct timeval *tv);

/** Refresh the cached time of a base from the clock, for callbacks that
 * run long enough to make it stale.
 *
 * Does nothing if the loop is not running or the base was made with
 * EVENT_BASE_FLAG_NO_CACHE_TIME.
 *
 * @param base the base.
 * @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int event_base_update_cache_time(struct event_base *base);

/** Release the library's global resources, such as global locks and
    debug-mode tables.

    Objects the program created (bases, events, bufferevents and so on)
    are not touched.  Calling this at exit is optional; it mainly keeps
    leak checkers quiet.  No other library function may be called
    afterwards.
 */
EVENT2_EXPORT_SYMBOL
void libevent_global_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_H_INCLUDED_ */
