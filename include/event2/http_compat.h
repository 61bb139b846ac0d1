/* SPDX-License-Identifier: BSD-3-Clause */
/* Older HTTP functions that rely on the current event base. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_HTTP_COMPAT_H_INCLUDED_
#define EVENT2_HTTP_COMPAT_H_INCLUDED_

/** @file event2/http_compat.h

  @brief The libevent 1.x HTTP functions, kept for old programs.

  They work on the event base that event_init() made current, which does
  not suit programs with several event bases or threads.  New code should
  use the functions of event2/http.h that take an event base.
 */

/* Not in libevent's copy of this header, which declares struct event_base
 * only inside a parameter list unless <event2/http.h> came first: including
 * it here lets this header stand alone, and is a no-op for programs that
 * include <event2/http.h> first. */
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
 * Creates an HTTP server on the current event base and makes it listen on
 * an address and port.
 *
 * @deprecated Use evhttp_new() and evhttp_bind_socket(), which name the
 *   event base.
 *
 * @param address the local IP address to listen on
 * @param port the TCP port to listen on
 * @return the new server, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evhttp *evhttp_start(const char *address, ev_uint16_t port);

/**
 * Creates a client connection to an HTTP server, without an event base;
 * give it one with evhttp_connection_set_base() before use.
 *
 * @deprecated Use evhttp_connection_base_new(), which takes the event base
 *   and a resolver.
 *
 * @param address the server's host name or address
 * @param port the server's port
 * @return the new connection, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_connection_new(
	const char *address, ev_uint16_t port);

/**
 * Attaches an event base to a connection from evhttp_connection_new().
 * Only allowed before the connection has been used.
 *
 * @deprecated Create the connection with evhttp_connection_base_new()
 *   instead.
 *
 * @param evcon the connection
 * @param base the event base it should run on
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_base(struct evhttp_connection *evcon,
    struct event_base *base);


/** Former name of evhttp_request_get_uri(). */
#define evhttp_request_uri evhttp_request_get_uri

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_COMPAT_H_INCLUDED_ */
