/* SPDX-License-Identifier: BSD-3-Clause */
/* Event bases, events and the event loop. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_EVENT_H_INCLUDED_
#define EVENT2_EVENT_H_INCLUDED_

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

#include <event2/util.h>

struct event_base
#ifdef EVENT_IN_DOXYGEN_
{}
#endif
;

struct event
#ifdef EVENT_IN_DOXYGEN_
{}
#endif
;

struct event_config
#ifdef EVENT_IN_DOXYGEN_
{}
#endif
;

/** Turns on checks that catch misused events (never assigned, freed, re-assigned while added) and reports them as fatal errors; call before creating any base or event. */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_mode(void);

/** Tells debug mode that an assigned, not-added event's memory is about to be released or reused without event_free(). */
EVENT2_EXPORT_SYMBOL
void event_debug_unassign(struct event *);

/** Creates an event base with the default configuration. Returns NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new(void);

/** Gives a base fresh kernel state after fork(), re-adding its events; call in the child. Returns 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int event_reinit(struct event_base *base);

/** Runs the loop until no events are left or loopexit/loopbreak is called. Returns 0, 1 when no events were left, -1 on error. */
EVENT2_EXPORT_SYMBOL
int event_base_dispatch(struct event_base *base);

/** The name of the kernel mechanism the base uses ("epoll", "poll", "select", ...). */
EVENT2_EXPORT_SYMBOL
const char *event_base_get_method(const struct event_base *eb);

/** The name of the mechanism that delivers signals to the base ("signalfd_signal" or "signal"). */
EVENT2_EXPORT_SYMBOL
const char *event_base_get_signal_method(const struct event_base *eb);

/** A NULL-terminated static list of the compiled-in mechanisms, most preferred first. */
EVENT2_EXPORT_SYMBOL
const char **event_get_supported_methods(void);

/** Stores the base's current monotonic time in *tp. Returns 0, or -1 on bad arguments. */
EVENT2_EXPORT_SYMBOL
int event_gettime_monotonic(struct event_base *base, struct timeval *tp);

/** Kinds of events to count: active callbacks, virtual events that keep the loop alive, and added events. */
#define EVENT_BASE_COUNT_ACTIVE                1U

#define EVENT_BASE_COUNT_VIRTUAL       2U

#define EVENT_BASE_COUNT_ADDED         4U

/** How many events of the kinds in `flags` (EVENT_BASE_COUNT_*) the base holds now. */
EVENT2_EXPORT_SYMBOL
int event_base_get_num_events(struct event_base *eb, unsigned int flags);

/** The largest number of events of the kinds in `flags` seen so far; a non-zero `clear` resets those maxima. */
EVENT2_EXPORT_SYMBOL
int event_base_get_max_events(struct event_base *eb, unsigned int flags, int clear);

/** Allocates an empty base configuration; free it with event_config_free(). NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct event_config *event_config_new(void);

/** Releases a configuration. */
EVENT2_EXPORT_SYMBOL
void event_config_free(struct event_config *cfg);

/** Excludes a mechanism by name from bases built with this configuration. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_config_avoid_method(struct event_config *cfg, const char *method);

/** Abilities of kernel mechanisms (EV_FEATURE_*). */
enum event_method_feature {

    EV_FEATURE_ET = 0x01,

    EV_FEATURE_O1 = 0x02,

    EV_FEATURE_FDS = 0x04,

    EV_FEATURE_EARLY_CLOSE = 0x08
};

/** Base options for event_config_set_flag() (EVENT_BASE_FLAG_*). */
enum event_base_config_flag {

	EVENT_BASE_FLAG_NOLOCK = 0x01,

	EVENT_BASE_FLAG_IGNORE_ENV = 0x02,

	EVENT_BASE_FLAG_STARTUP_IOCP = 0x04,

	EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08,

	EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10,

	EVENT_BASE_FLAG_PRECISE_TIMER = 0x20,

	EVENT_BASE_FLAG_EPOLL_DISALLOW_TIMERFD = 0x40,

	EVENT_BASE_FLAG_DISALLOW_SIGNALFD = 0x80,
};

/** The EV_FEATURE_* bits of the base's mechanism. */
EVENT2_EXPORT_SYMBOL
int event_base_get_features(const struct event_base *base);

/** Accepts only mechanisms that have all the given EV_FEATURE_* bits. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_config_require_features(struct event_config *cfg, int feature);

/** Adds EVENT_BASE_FLAG_* bits to the configuration. Returns 0, or -1 for unknown bits. */
EVENT2_EXPORT_SYMBOL
int event_config_set_flag(struct event_config *cfg, int flag);

/** Records how many CPUs the program wants used (meaningful only for IOCP). Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_config_set_num_cpus_hint(struct event_config *cfg, int cpus);

/** Limits how long, and how many callbacks of priority min_priority or above, the loop runs before it polls again. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_config_set_max_dispatch_interval(struct event_config *cfg,
    const struct timeval *max_interval, int max_callbacks,
    int min_priority);

/** Creates a base from a configuration (NULL: defaults). Returns NULL if no mechanism fits. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_base_new_with_config(const struct event_config *cfg);

/** Releases a base after running pending finalizers; events stay the caller's to free. */
EVENT2_EXPORT_SYMBOL
void event_base_free(struct event_base *eb);

/** Releases a base without running pending finalizers. */
EVENT2_EXPORT_SYMBOL
void event_base_free_nofinalize(struct event_base *);

/** Severities of log messages passed to the log callback. */
#define EVENT_LOG_DEBUG 0
#define EVENT_LOG_MSG   1
#define EVENT_LOG_WARN  2
#define EVENT_LOG_ERR   3

#define _EVENT_LOG_DEBUG EVENT_LOG_DEBUG
#define _EVENT_LOG_MSG EVENT_LOG_MSG
#define _EVENT_LOG_WARN EVENT_LOG_WARN
#define _EVENT_LOG_ERR EVENT_LOG_ERR

/** Receives one log message and its severity. */
typedef void (*event_log_cb)(int severity, const char *msg);

/** Sends the library's log messages to `cb` instead of stderr (NULL restores stderr). */
EVENT2_EXPORT_SYMBOL
void event_set_log_callback(event_log_cb cb);

/** Called with the error code before the process ends on a fatal error. */
typedef void (*event_fatal_cb)(int err);

/** Calls `cb` with an error code before the process ends on a fatal error. */
EVENT2_EXPORT_SYMBOL
void event_set_fatal_callback(event_fatal_cb cb);

/** Arguments of event_enable_debug_logging(): everything, or nothing. */
#define EVENT_DBG_ALL 0xffffffffu
#define EVENT_DBG_NONE 0

/** Turns debug log messages on (EVENT_DBG_ALL) or off (EVENT_DBG_NONE). */
EVENT2_EXPORT_SYMBOL
void event_enable_debug_logging(ev_uint32_t which);

/** Moves a not-added event to another base. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_set(struct event_base *eb, struct event *ev);

/** Loop flags: return after a round with callbacks (EVLOOP_ONCE), do not wait (EVLOOP_NONBLOCK), do not stop when no events are left (EVLOOP_NO_EXIT_ON_EMPTY). */
#define EVLOOP_ONCE	0x01

#define EVLOOP_NONBLOCK	0x02

#define EVLOOP_NO_EXIT_ON_EMPTY 0x04

/** Runs the loop with EVLOOP_* flags. Returns 0 when it ran, 1 when no events were left, -1 on error. */
EVENT2_EXPORT_SYMBOL
int event_base_loop(struct event_base *eb, int flags);

/** Makes the loop stop after the given delay (NULL: after the current round of callbacks). Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_loopexit(struct event_base *eb, const struct timeval *tv);

/** Makes the loop stop right after the running callback. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_loopbreak(struct event_base *eb);

/** Makes the loop poll for new events after the running callback before running more. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_loopcontinue(struct event_base *eb);

/** True when the last loop ended because of event_base_loopexit(). */
EVENT2_EXPORT_SYMBOL
int event_base_got_exit(struct event_base *eb);

/** True when the last loop ended because of event_base_loopbreak(). */
EVENT2_EXPORT_SYMBOL
int event_base_got_break(struct event_base *eb);

/** Event flags: the timeout passed (EV_TIMEOUT), readable, writable, a signal arrived, stay pending after the callback (EV_PERSIST), edge-triggered (EV_ET), may be finalized without waiting (EV_FINALIZE), peer closed (EV_CLOSED). */
#define EV_TIMEOUT	0x01

#define EV_READ		0x02

#define EV_WRITE	0x04

#define EV_SIGNAL	0x08

#define EV_PERSIST	0x10

#define EV_ET		0x20

#define EV_FINALIZE     0x40

#define EV_CLOSED	0x80

/** Assigns a timer event. */
#define evtimer_assign(ev, b, cb, arg) \
	event_assign((ev), (b), -1, 0, (cb), (arg))
/** Allocates a timer event. */
#define evtimer_new(b, cb, arg)		event_new((b), -1, 0, (cb), (arg))
/** Adds a timer event with a timeout. */
#define evtimer_add(ev, tv)		event_add((ev), (tv))
/** Deletes a timer event. */
#define evtimer_del(ev)			event_del(ev)
/** Whether a timer event is pending. */
#define evtimer_pending(ev, tv)		event_pending((ev), EV_TIMEOUT, (tv))
/** Whether a timer event was assigned. */
#define evtimer_initialized(ev)		event_initialized(ev)

/** Adds a signal event, with an optional timeout. */
#define evsignal_add(ev, tv)		event_add((ev), (tv))
/** Assigns a persistent event for signal `x`. */
#define evsignal_assign(ev, b, x, cb, arg)			\
	event_assign((ev), (b), (x), EV_SIGNAL|EV_PERSIST, cb, (arg))
/** Allocates a persistent event for signal `x`. */
#define evsignal_new(b, x, cb, arg)				\
	event_new((b), (x), EV_SIGNAL|EV_PERSIST, (cb), (arg))
/** Deletes a signal event. */
#define evsignal_del(ev)		event_del(ev)
/** Whether a signal event is pending. */
#define evsignal_pending(ev, tv)	event_pending((ev), EV_SIGNAL, (tv))
/** Whether a signal event was assigned. */
#define evsignal_initialized(ev)	event_initialized(ev)

/** Allocates an event with no fd, to be fired only with evuser_trigger(). */
#define evuser_new(b, cb, arg)		event_new((b), -1, 0, (cb), (arg))
/** Deletes a user event. */
#define evuser_del(ev)			event_del(ev)
/** Whether a user event is pending or active (event_pending() with no flags). */
#define evuser_pending(ev, tv)		event_pending((ev), 0, (tv))
/** Whether a user event was assigned. */
#define evuser_initialized(ev)		event_initialized(ev)
/** Fires a user event. */
#define evuser_trigger(ev)		event_active((ev), 0, 0)

/** An event's callback: the fd (or signal), what happened (EV_* flags) and the argument. */
typedef void (*event_callback_fn)(evutil_socket_t, short, void *);

/** A marker to pass as callback argument to event_new()/event_assign() so that the event itself becomes the argument. */
EVENT2_EXPORT_SYMBOL
void *event_self_cbarg(void);

/** Allocates and assigns an event; free it with event_free(). NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct event *event_new(struct event_base *base, evutil_socket_t fd, short events, event_callback_fn callback, void *callback_arg);

/** Prepares caller-provided event memory for use with a base. Returns 0, or -1 for invalid arguments. */
EVENT2_EXPORT_SYMBOL
int event_assign(struct event *ev, struct event_base *base, evutil_socket_t fd, short events, event_callback_fn callback, void *callback_arg);

/** Deletes (waiting for a running callback in another thread) and releases an event from event_new(). */
EVENT2_EXPORT_SYMBOL
void event_free(struct event *);

/** A finalizer: called with the event and its argument once nothing uses the event. */
typedef void (*event_finalize_callback_fn)(struct event *, void *);

/** Deletes an event without waiting and has `cb` called from the loop once nothing uses the event any more. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_finalize(unsigned, struct event *, event_finalize_callback_fn);
/** Like event_finalize(), then frees the event (which must come from event_new()). */
EVENT2_EXPORT_SYMBOL
int event_free_finalize(unsigned, struct event *, event_finalize_callback_fn);

/** Runs `callback` once when `fd` is ready or the timeout passes; the library owns and frees the event. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_once(struct event_base *base, evutil_socket_t fd, short events, event_callback_fn callback, void *arg, const struct timeval *timeout);

/** Makes an event pending, with an optional timeout (re-adding replaces the timeout). Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_add(struct event *ev, const struct timeval *timeout);

/** Cancels an event's timeout only; its I/O or signal part stays pending. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_remove_timer(struct event *ev);

/** Makes an event non-pending and non-active; waits for its callback running in another thread unless it has EV_FINALIZE. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_del(struct event *ev);

/** Like event_del(), never waiting for a running callback. */
EVENT2_EXPORT_SYMBOL
int event_del_noblock(struct event *ev);

/** Like event_del(), always waiting for a running callback. */
EVENT2_EXPORT_SYMBOL
int event_del_block(struct event *ev);

/** Makes an event active with result flags `res`, as if they had happened; `ncalls` is for signal events. */
EVENT2_EXPORT_SYMBOL
void event_active(struct event *ev, int res, short ncalls);

/** Which of `events` the event is pending or active for; stores the timeout's expiry in *tv when asked and set. */
EVENT2_EXPORT_SYMBOL
int event_pending(const struct event *ev, short events, struct timeval *tv);

/** The event whose callback is running in this loop thread, or NULL. */
EVENT2_EXPORT_SYMBOL
struct event *event_base_get_running_event(struct event_base *base);

/** True when the event memory was assigned. */
EVENT2_EXPORT_SYMBOL
int event_initialized(const struct event *ev);

/** The signal number of a signal event. */
#define event_get_signal(ev) ((int)event_get_fd(ev))

/** The event's file descriptor or signal number. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t event_get_fd(const struct event *ev);

/** The base the event is assigned to. */
EVENT2_EXPORT_SYMBOL
struct event_base *event_get_base(const struct event *ev);

/** The EV_* flags the event was assigned with. */
EVENT2_EXPORT_SYMBOL
short event_get_events(const struct event *ev);

/** The event's callback. */
EVENT2_EXPORT_SYMBOL
event_callback_fn event_get_callback(const struct event *ev);

/** The event's callback argument. */
EVENT2_EXPORT_SYMBOL
void *event_get_callback_arg(const struct event *ev);

/** The event's priority. */
EVENT2_EXPORT_SYMBOL
int event_get_priority(const struct event *ev);

/** Stores each assigned property of the event through the non-NULL out-pointers. */
EVENT2_EXPORT_SYMBOL
void event_get_assignment(const struct event *event,
    struct event_base **base_out, evutil_socket_t *fd_out, short *events_out,
    event_callback_fn *callback_out, void **arg_out);

/** sizeof(struct event) of this library, for programs built against other headers. */
EVENT2_EXPORT_SYMBOL
size_t event_get_struct_event_size(void);

/** The library's version string. */
EVENT2_EXPORT_SYMBOL
const char *event_get_version(void);

/** The library's version as a number (see LIBEVENT_VERSION_NUMBER). */
EVENT2_EXPORT_SYMBOL
ev_uint32_t event_get_version_number(void);

/** The version of these headers, as a string and as a number. */
#define LIBEVENT_VERSION EVENT__VERSION

#define LIBEVENT_VERSION_NUMBER EVENT__NUMERIC_VERSION

/** One more than the largest number of priorities a base can have. */
#define EVENT_MAX_PRIORITIES 256

/** Sets how many priorities the base has (1 to EVENT_MAX_PRIORITIES - 1); not while callbacks are pending. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int	event_base_priority_init(struct event_base *eb, int npriorities);

/** How many priorities the base has. */
EVENT2_EXPORT_SYMBOL
int	event_base_get_npriorities(struct event_base *eb);

/** Sets an event's priority (0 is the most urgent); not while it is active. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int	event_priority_set(struct event *ev, int priority);

/** A tagged duration to pass to event_add() for many events with the same timeout, handled in O(1). NULL on failure. */
EVENT2_EXPORT_SYMBOL
const struct timeval *event_base_init_common_timeout(struct event_base *base,
    const struct timeval *duration);

#if !defined(EVENT__DISABLE_MM_REPLACEMENT) || defined(EVENT_IN_DOXYGEN_)

/** Replaces the allocation functions the library uses; call before anything else. */
EVENT2_EXPORT_SYMBOL
void event_set_mem_functions(
	void *(*malloc_fn)(size_t sz),
	void *(*realloc_fn)(void *ptr, size_t sz),
	void (*free_fn)(void *ptr));

#define EVENT_SET_MEM_FUNCTIONS_IMPLEMENTED
#endif

/** Writes a description of the base's added and active events to `output`. */
EVENT2_EXPORT_SYMBOL
void event_base_dump_events(struct event_base *base, FILE *output);

/** Activates the events of `fd` waiting for any of `events` (EV_TIMEOUT: those with a timeout). */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_fd(struct event_base *base, evutil_socket_t fd, short events);

/** Activates the events of signal `sig`. */
EVENT2_EXPORT_SYMBOL
void event_base_active_by_signal(struct event_base *base, int sig);

/** Called by event_base_foreach_event() with the base, an event and the argument. */
typedef int (*event_base_foreach_event_cb)(const struct event_base *, const struct event *, void *);

/** Calls `fn` on each added or active event until it returns non-zero; returns that value (or 0). `fn` must not add or delete events. */
EVENT2_EXPORT_SYMBOL
int event_base_foreach_event(struct event_base *base, event_base_foreach_event_cb fn, void *arg);

/** The wall-clock time as of the loop's last poll (the current time outside the loop). Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_gettimeofday_cached(struct event_base *base,
    struct timeval *tv);

/** Refreshes the cached time of a running loop. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int event_base_update_cache_time(struct event_base *base);

/** Releases the library's global state; nothing may be used afterwards. */
EVENT2_EXPORT_SYMBOL
void libevent_global_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif
