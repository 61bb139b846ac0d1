/* SPDX-License-Identifier: BSD-3-Clause */
/* The layout of struct event, exposed for compatibility with old code. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_EVENT_STRUCT_H_INCLUDED_
#define EVENT2_EVENT_STRUCT_H_INCLUDED_

/** @file event2/event_struct.h

  @brief The full definition of struct event.

  Old programs embed struct event in their own structures or declare it on
  the stack, so its definition stays public and its layout stays exactly
  that of libevent 2.2.1.  New code should treat it as opaque: allocate
  events with event_new(), or size them with event_get_struct_event_size(),
  and use the accessor functions of event2/event.h instead of reading
  fields, whose meaning belongs to the library.
 */

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

/* ev_uint8_t, evutil_socket_t. */
#include <event2/util.h>

/* struct evkeyvalq, which older code expects to get from here. */
#include <event2/keyvalq_struct.h>

/**
   @name Event list flags

   Bits kept in evcb_flags telling which internal lists an event is on.

   @{
*/
/** The event has a timeout scheduled. */
#define EVLIST_TIMEOUT	    0x01
/** The event has been added (is pending on its fd or signal). */
#define EVLIST_INSERTED	    0x02
/** The event is a signal event known to the signal machinery. */
#define EVLIST_SIGNAL	    0x04
/** The event is on the active queue, waiting for its callback to run. */
#define EVLIST_ACTIVE	    0x08
/** The event is used internally by the library. */
#define EVLIST_INTERNAL	    0x10
/** The event will become active on the next loop iteration. */
#define EVLIST_ACTIVE_LATER 0x20
/** The event is being finalized and may not be added or activated again. */
#define EVLIST_FINALIZING   0x40
/** The event has been initialized with event_assign() or event_new(). */
#define EVLIST_INIT	    0x80

/** Every EVLIST_* bit at once. */
#define EVLIST_ALL          0xff
/**@}*/

/* Minimal stand-ins for the <sys/queue.h> link macros, so that the
 * structures below can be declared without that header.  Whatever is
 * defined here is undefined again at the end of the file. */
#ifndef TAILQ_ENTRY
/** Set when this header supplied its own TAILQ_ENTRY. */
#define EVENT_DEFINED_TQENTRY_
/** The links of an element of a doubly linked tail queue. */
#define TAILQ_ENTRY(type)						\
struct {								\
	struct type *tqe_next;	/* following element */			\
	struct type **tqe_prev;	/* where the link to this element is */	\
}
#endif /* !TAILQ_ENTRY */

#ifndef TAILQ_HEAD
/** Set when this header supplied its own TAILQ_HEAD. */
#define EVENT_DEFINED_TQHEAD_
/** Declares the head structure of a tail queue. */
#define TAILQ_HEAD(name, type)			\
struct name {					\
	struct type *tqh_first;			\
	struct type **tqh_last;			\
}
#endif

#ifndef LIST_ENTRY
/** Set when this header supplied its own LIST_ENTRY. */
#define EVENT_DEFINED_LISTENTRY_
/** The links of an element of a doubly linked list. */
#define LIST_ENTRY(type)						\
struct {								\
	struct type *le_next;	/* following element */			\
	struct type **le_prev;	/* where the link to this element is */	\
}
#endif /* !LIST_ENTRY */

#ifndef LIST_HEAD
/** Set when this header supplied its own LIST_HEAD. */
#define EVENT_DEFINED_LISTHEAD_
/** Declares the head structure of a list. */
#define LIST_HEAD(name, type)						\
struct name {								\
	struct type *lh_first;  /* first element */			\
	}
#endif /* !LIST_HEAD */

struct event;

/** The part of every event that the loop schedules: its place in the
 * active queue, flags, priority and the callback to run.  Internal. */
struct event_callback {
	/** Links in the active queue of the base. */
	TAILQ_ENTRY(event_callback) evcb_active_next;
	/** EVLIST_* bits. */
	short evcb_flags;
	/** Priority; lower numbers run first. */
	ev_uint8_t evcb_pri;
	/** Which kind of callback evcb_cb_union holds and how to call it. */
	ev_uint8_t evcb_closure;
	/** The callback, in one of several signatures. */
        union {
		void (*evcb_callback)(evutil_socket_t, short, void *);
		void (*evcb_selfcb)(struct event_callback *, void *);
		void (*evcb_evfinalize)(struct event *, void *);
		void (*evcb_cbfinalize)(struct event_callback *, void *);
	} evcb_cb_union;
	/** The argument passed to the callback. */
	void *evcb_arg;
};

struct event_base;
/** An event: a condition to wait for (readiness of an fd, a signal, a
 * timeout, or nothing but manual activation) and the callback to run.
 * The fields are internal; see event2/event.h for the functions that
 * operate on events. */
struct event {
	/** Scheduling state shared with other kinds of callbacks. */
	struct event_callback ev_evcallback;

	/** Position in the timeout heap or in a common-timeout queue. */
	union {
		TAILQ_ENTRY(event) ev_next_with_common_timeout;
		size_t min_heap_idx;
	} ev_timeout_pos;
	/** The file descriptor or signal number, or -1. */
	evutil_socket_t ev_fd;

	/** The EV_* flags the event was set up with. */
	short ev_events;
	/** The EV_* flags that will be handed to the callback. */
	short ev_res;

	/** The base the event belongs to. */
	struct event_base *ev_base;

	/** Data that depends on whether this is an I/O or a signal event. */
	union {
		/* I/O events. */
		struct {
			LIST_ENTRY (event) ev_io_next;
			struct timeval ev_timeout;
		} ev_io;

		/* Signal events. */
		struct {
			LIST_ENTRY (event) ev_signal_next;
			short ev_ncalls;
			/* Lets a callback stop further calls. */
			short *ev_pncalls;
		} ev_signal;
	} ev_;

	/** Expiry of the scheduled timeout, if any. */
	struct timeval ev_timeout;
};

/** A tail queue of events. */
TAILQ_HEAD (event_list, event);

#ifdef EVENT_DEFINED_TQENTRY_
#undef TAILQ_ENTRY
#endif

#ifdef EVENT_DEFINED_TQHEAD_
#undef TAILQ_HEAD
#endif

/** A list of events. */
LIST_HEAD (event_dlist, event);

#ifdef EVENT_DEFINED_LISTENTRY_
#undef LIST_ENTRY
#endif

#ifdef EVENT_DEFINED_LISTHEAD_
#undef LIST_HEAD
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_STRUCT_H_INCLUDED_ */
