/* SPDX-License-Identifier: BSD-3-Clause */
/* WebSocket connections on top of the HTTP server. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_WS_H_INCLUDED_
#define EVENT2_WS_H_INCLUDED_

/* Not in libevent's copy of this header, which only compiles once size_t,
 * uint16_t, EVENT2_EXPORT_SYMBOL and struct evhttp_request are declared,
 * normally by <event2/http.h>: including that here lets this header stand
 * alone, and is a no-op for programs that include <event2/http.h> first. */
#include <event2/http.h>

/* C linkage for C++ programs (libevent 2.2.1 leaves this header without it). */
#ifdef __cplusplus
extern "C" {
#endif

/** A WebSocket connection (RFC 6455) taken over from an HTTP request. */
struct evws_connection;

/** Close reason: none given. */
#define WS_CR_NONE 0
/** Close reason 1000: normal closure. */
#define WS_CR_NORMAL 1000
/** Close reason 1002: the peer broke the protocol. */
#define WS_CR_PROTO_ERR 1002
/** Close reason 1009: a message was too big to handle. */
#define WS_CR_DATA_TOO_BIG 1009

/** Message type: UTF-8 text. */
#define WS_TEXT_FRAME 0x1
/** Message type: binary data. */
#define WS_BINARY_FRAME 0x2

/** Receives each complete message of a WebSocket connection: the connection,
 * the message type (WS_TEXT_FRAME or WS_BINARY_FRAME), the payload, its
 * length in bytes, and the argument given to evws_new_session().  The
 * payload is not NUL-terminated, even for text, and is only valid during
 * the call. */
typedef void (*ws_on_msg_cb)(
	struct evws_connection *, int type, const unsigned char *, size_t, void *);
/** Receives notice that a WebSocket connection is being closed, with the
 * argument given to evws_connection_set_closecb(). */
typedef void (*ws_on_close_cb)(struct evws_connection *, void *);

/** Turns an HTTP request into a WebSocket connection.

  Checks the request's upgrade headers and, if they are right, answers the
  handshake and takes the connection over; the request must not be used
  for a normal reply afterwards.  If the request is not a valid upgrade,
  it is answered with 400 and NULL is returned.

  @param req the request, as received by a server handler
  @param cb called for each message received
  @param arg passed to @p cb
  @param options 0, or BEV_OPT_THREADSAFE to make the connection safe to use
    from several threads
  @return the connection, or NULL on failure
  @see evws_close(), evws_connection_free()
 */
EVENT2_EXPORT_SYMBOL
struct evws_connection *evws_new_session(
	struct evhttp_request *req, ws_on_msg_cb, void *arg, int options);

/** Sends a text message on a WebSocket connection.

  @param evws the connection
  @param packet_str the message
  @param str_len its length in bytes
 */
EVENT2_EXPORT_SYMBOL
void evws_send(
	struct evws_connection *evws, const char *packet_str, size_t str_len);

/** Sends a close frame with a reason code, then frees the connection once the
  frame has been written (or the connection fails).  Further calls are
  ignored.

  @param evws the connection
  @param reason a WS_CR_* code or another RFC 6455 status code
 */
EVENT2_EXPORT_SYMBOL
void evws_close(struct evws_connection *evws, uint16_t reason);

/** Sets the function called when a WebSocket connection goes away.

  @param evws the connection
  @param cb the function, or NULL
  @param cbarg passed to the function
 */
EVENT2_EXPORT_SYMBOL
void evws_connection_set_closecb(
	struct evws_connection *evws, ws_on_close_cb, void *);

/** Frees a WebSocket connection and its bufferevent at once, after running
  its close callback; no close frame is sent.

  @param evws the connection
 */
EVENT2_EXPORT_SYMBOL
void evws_connection_free(struct evws_connection *evws);

/**
 * Gives the bufferevent a WebSocket connection communicates through.
 *
 * @param evws the connection
 * @return its bufferevent
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent *evws_connection_get_bufferevent(
	struct evws_connection *evws);

#ifdef __cplusplus
}
#endif

#endif
