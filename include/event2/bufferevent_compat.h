/* SPDX-License-Identifier: BSD-3-Clause */
/* Older bufferevent functions and macros kept for source compatibility. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_

/** @file event2/bufferevent_compat.h
 *
 * @brief Superseded bufferevent interfaces.  New code should use the
 * functions in event2/bufferevent.h instead.
 */

#include <event2/visibility.h>
/* Not included by the original header; added so that this header can be
 * compiled on its own.  It provides evutil_socket_t, the callback types
 * and the BEV_EVENT_* codes used below. */
#include <event2/bufferevent.h>

/* C linkage for C++ programs (libevent 2.2.1 leaves these compat headers without it). */
#ifdef __cplusplus
extern "C" {
#endif

/** Old name of the bufferevent_data_cb type. */
#define evbuffercb bufferevent_data_cb
/** Old name of the bufferevent_event_cb type. */
#define everrorcb bufferevent_event_cb

/**
  Create a socket bufferevent on the current global event base and install
  its callbacks.

  Reading starts out disabled; turn it on with bufferevent_enable().  When
  more than one event base exists, move the bufferevent to the right one
  with bufferevent_base_set() before enabling it.

  @deprecated Relying on a global event base is unsafe with threads; use
    bufferevent_socket_new() followed by bufferevent_setcb().

  @param fd the socket to use (not a pipe)
  @param readcb called when input is available, or NULL
  @param writecb called when output has drained, or NULL
  @param errorcb called on EOF, errors and timeouts, or NULL
  @param cbarg last argument passed to all three callbacks
  @return the new bufferevent, or NULL on failure
  @see bufferevent_base_set(), bufferevent_free()
  */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_new(evutil_socket_t fd,
    evbuffercb readcb, evbuffercb writecb, everrorcb errorcb, void *cbarg);


/**
  Set read and write timeouts given in whole seconds.

  @deprecated Use bufferevent_set_timeouts().

  @param bufev the bufferevent
  @param timeout_read the read timeout in seconds, or 0 for none
  @param timeout_write the write timeout in seconds, or 0 for none
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_settimeout(struct bufferevent *bufev,
    int timeout_read, int timeout_write);

/** Old name of BEV_EVENT_READING. */
#define EVBUFFER_READ		BEV_EVENT_READING
/** Old name of BEV_EVENT_WRITING. */
#define EVBUFFER_WRITE		BEV_EVENT_WRITING
/** Old name of BEV_EVENT_EOF. */
#define EVBUFFER_EOF		BEV_EVENT_EOF
/** Old name of BEV_EVENT_ERROR. */
#define EVBUFFER_ERROR		BEV_EVENT_ERROR
/** Old name of BEV_EVENT_TIMEOUT. */
#define EVBUFFER_TIMEOUT	BEV_EVENT_TIMEOUT

/** Old spelling of bufferevent_get_input(x). */
#define EVBUFFER_INPUT(x)	bufferevent_get_input(x)
/** Old spelling of bufferevent_get_output(x). */
#define EVBUFFER_OUTPUT(x)	bufferevent_get_output(x)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_ */
