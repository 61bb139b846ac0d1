/* SPDX-License-Identifier: BSD-3-Clause */
/* Layout of the HTTP request structure. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_HTTP_STRUCT_H_INCLUDED_
#define EVENT2_HTTP_STRUCT_H_INCLUDED_

/** @file event2/http_struct.h

  The layout of struct evhttp_request, for programs that read its fields
  directly.  Such programs depend on this exact layout, which a later
  release may change; the evhttp_request_get_* functions of event2/http.h
  are the stable way to reach the same data.

  This header uses enums declared in event2/http.h, and includes it.
 */

/* Not in libevent's copy of this header, which only compiles after
 * <event2/http.h>: including it here lets this header stand alone, and is a
 * no-op for programs that include <event2/http.h> first, as libevent
 * requires. */
#include <event2/http.h>

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

/* Integer types. */
#include <event2/util.h>

/**
 * An HTTP request or response, as seen by server handlers and client
 * callbacks.  Field meanings are given below; the layout may change in
 * later releases.
 */
struct evhttp_request {
#if defined(TAILQ_ENTRY)
	/** Links to the neighbouring requests queued on the connection. */
	TAILQ_ENTRY(evhttp_request) next;
#else
/** Links to the neighbouring requests queued on the connection (spelled
 * out when <sys/queue.h> is not included). */
struct {
	struct evhttp_request *tqe_next;
	struct evhttp_request **tqe_prev;
}       next;
#endif

	/** The connection the request travels on. */
	struct evhttp_connection *evcon;
	/** EVHTTP_REQ_* / EVHTTP_* state bits below. */
	int flags;
/** Request flag: freeing the request also frees its connection. */
#define EVHTTP_REQ_OWN_CONNECTION	0x0001
/** Request flag: the request goes through a proxy. */
#define EVHTTP_PROXY_REQUEST		0x0002
/** Request flag: the program took the request over (evhttp_request_own())
 * and frees it itself. */
#define EVHTTP_USER_OWNED		0x0004
/** Request flag: the request is still in use further up the call stack,
 * so freeing it is postponed. */
#define EVHTTP_REQ_DEFER_FREE		0x0008
/** Request flag: a postponed free is due once the request is released
 * further up the call stack. */
#define EVHTTP_REQ_NEEDS_FREE		0x0010

	/** Headers received. */
	struct evkeyvalq *input_headers;
	/** Headers to send. */
	struct evkeyvalq *output_headers;

	/** Address of the peer, as text. */
	char *remote_host;
	/** Port of the peer. */
	ev_uint16_t remote_port;

	/** Memoised result of evhttp_request_get_host(). */
	char *host_cache;

	/** Whether this is a request or a response. */
	enum evhttp_request_kind kind;
	/** The request method. */
	enum evhttp_cmd_type type;

	/** Bytes of headers read so far. */
	size_t headers_size;
	/** Bytes of body read so far. */
	size_t body_size;

	/** The request target as received. */
	char *uri;
	/** The request target split into parts. */
	struct evhttp_uri *uri_elems;

	/** HTTP major version. */
	char major;
	/** HTTP minor version. */
	char minor;

	/** Status code of the response. */
	int response_code;
	/** Reason phrase of the response. */
	char *response_code_line;

	/** Body received. */
	struct evbuffer *input_buffer;
	/** Body bytes still expected, or -1 when unknown. */
	ev_int64_t ntoread;
	/** chunked: the body uses chunked transfer encoding.
	 *  userdone: the program has supplied the whole reply. */
	unsigned chunked:1,
	    userdone:1;

	/** Body to send. */
	struct evbuffer *output_buffer;

	/** Completion callback. */
	void (*cb)(struct evhttp_request *, void *);
	/** Argument of the callbacks. */
	void *cb_arg;

	/** Called for each piece of body received, if set (otherwise the
	 * whole body goes to cb). */
	void (*chunk_cb)(struct evhttp_request *, void *);

	/** Called once the headers are parsed; a negative result closes the
	 * connection. */
	int (*header_cb)(struct evhttp_request *, void *);

	/** Called when the request fails, before cb; see
	 * evhttp_request_set_error_cb(). */
	void (*error_cb)(enum evhttp_request_error, void *);

	/** Called once a reply has been completely sent. */
	void (*on_complete_cb)(struct evhttp_request *, void *);
	/** Argument of on_complete_cb. */
	void *on_complete_cb_arg;
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_HTTP_STRUCT_H_INCLUDED_ */
