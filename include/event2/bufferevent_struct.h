/* SPDX-License-Identifier: BSD-3-Clause */
/* The exposed layout of struct bufferevent, kept for older programs. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_

/** @file event2/bufferevent_struct.h

  The field layout of struct bufferevent.

  @deprecated Only programs written for the pre-2.0 API, which accessed
    these fields directly, should include this header.  The layout is
    reproduced for binary compatibility; use the functions of
    event2/bufferevent.h instead.
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

/* Integer and socket types. */
#include <event2/util.h>
/* The definition of struct event. */
#include <event2/event_struct.h>
/* Not included by the original header; added so that this header can be
 * compiled on its own.  It provides bufferevent_data_cb and
 * bufferevent_event_cb. */
#include <event2/bufferevent.h>

/** A pair of watermarks (byte counts) for one direction of a bufferevent. */
struct event_watermark {
	/** The low watermark. */
	size_t low;
	/** The high watermark; 0 means none. */
	size_t high;
};

/**
  The common part of every bufferevent.

  Exposed only because pre-2.0 programs accessed these fields.  Do not rely
  on it in new code: use the accessor functions of event2/bufferevent.h.
**/
struct bufferevent {
	/** The event base the bufferevent runs on. */
	struct event_base *ev_base;
	/** Private table of operations for this kind of bufferevent. */
	const struct bufferevent_ops *be_ops;

	/** Event used for reading and for read timeouts, by the kinds of
	    bufferevent that need one. */
	struct event ev_read;
	/** Event used for writing and for write timeouts, by the kinds of
	    bufferevent that need one. */
	struct event ev_write;

	/** Received data.  Only the bufferevent adds to it; the user removes
	    from it. */
	struct evbuffer *input;

	/** Data waiting to be sent.  The user adds to it; only the
	    bufferevent removes from it. */
	struct evbuffer *output;

	/** Watermarks for reading. */
	struct event_watermark wm_read;
	/** Watermarks for writing. */
	struct event_watermark wm_write;

	/** The read callback. */
	bufferevent_data_cb readcb;
	/** The write callback. */
	bufferevent_data_cb writecb;
	/** The event callback (named errorcb for historical reasons). */
	bufferevent_event_cb errorcb;
	/** The argument passed to all three callbacks. */
	void *cbarg;

	/** The read timeout. */
	struct timeval timeout_read;
	/** The write timeout. */
	struct timeval timeout_write;

	/** The directions currently enabled: EV_READ and/or EV_WRITE. */
	short enabled;
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_ */
