/* SPDX-License-Identifier: BSD-3-Clause */
/* WebSocket connections over HTTP. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_WS_H_INCLUDED_
#define EVENT2_WS_H_INCLUDED_

/* Included so that this header compiles on its own. */
#include <stddef.h>
#include <stdint.h>
struct evhttp_request;
#include <event2/visibility.h>

struct evws_connection;

/** WebSocket close codes and message types. */
#define WS_CR_NONE 0
#define WS_CR_NORMAL 1000
#define WS_CR_PROTO_ERR 1002
#define WS_CR_DATA_TOO_BIG 1009

#define WS_TEXT_FRAME 0x1
#define WS_BINARY_FRAME 0x2

/** Receives a WebSocket message: its type, bytes, length and the argument. */
typedef void (*ws_on_msg_cb)(
	struct evws_connection *, int type, const unsigned char *, size_t, void *);
typedef void (*ws_on_close_cb)(struct evws_connection *, void *);

/** Answers a WebSocket upgrade request and starts a session; `cb` gets each message. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evws_connection *evws_new_session(
	struct evhttp_request *req, ws_on_msg_cb, void *arg, int options);

/** Sends a text message. */
EVENT2_EXPORT_SYMBOL
void evws_send(
	struct evws_connection *evws, const char *packet_str, size_t str_len);

/** Closes the session with a close code. */
EVENT2_EXPORT_SYMBOL
void evws_close(struct evws_connection *evws, uint16_t reason);

/** Calls `cb` when the session closes. */
EVENT2_EXPORT_SYMBOL
void evws_connection_set_closecb(
	struct evws_connection *evws, ws_on_close_cb, void *);

/** Releases a session. */
EVENT2_EXPORT_SYMBOL
void evws_connection_free(struct evws_connection *evws);

/** The bufferevent of a session. */
EVENT2_EXPORT_SYMBOL
struct bufferevent *evws_connection_get_bufferevent(
	struct evws_connection *evws);

#endif
