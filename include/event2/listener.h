/* SPDX-License-Identifier: BSD-3-Clause */
/* Connection listeners (evconnlistener) that accept incoming TCP connections. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_LISTENER_H_INCLUDED_
#define EVENT2_LISTENER_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event.h>

struct sockaddr;
/** Opaque handle for a listener that accepts connections on a socket. */
struct evconnlistener;

/**@file event2/listener.h

   @brief Listeners: accept connections on a listening socket and hand each
   new connection to a callback.
 */

/**
   Called by a listener for every accepted connection.

   The callback owns the new socket from then on.

   @param listener the listener that accepted the connection
   @param fd the new connected socket
   @param addr the peer's address
   @param socklen the size of addr in bytes
   @param user_arg the user pointer registered with the listener
 */
typedef void (*evconnlistener_cb)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int socklen, void *);

/**
   Called by a listener when accepting fails with an error that retrying
   will not cure.

   @param listener the listener concerned
   @param user_arg the user pointer registered with the listener
 */
typedef void (*evconnlistener_errorcb)(struct evconnlistener *, void *);

/** Listener flag: hand accepted sockets to the callback in blocking mode
 * instead of making them nonblocking. */
#define LEV_OPT_LEAVE_SOCKETS_BLOCKING	(1u<<0)
/** Listener flag: close the listening socket when the listener is freed. */
#define LEV_OPT_CLOSE_ON_FREE		(1u<<1)
/** Listener flag: set close-on-exec on the listening socket where the
 * platform supports it. */
#define LEV_OPT_CLOSE_ON_EXEC		(1u<<2)
/** Listener flag: allow the address to be bound again right after the
 * listener closes (SO_REUSEADDR). */
#define LEV_OPT_REUSEABLE		(1u<<3)
/** Listener flag: give the listener a lock so several threads may use
 * it. */
#define LEV_OPT_THREADSAFE		(1u<<4)
/** Listener flag: create the listener disabled; start it later with
 * evconnlistener_enable(). */
#define LEV_OPT_DISABLED		(1u<<5)
/** Listener flag: ask the kernel to report a connection only once the
 * client has sent data (TCP_DEFER_ACCEPT), where supported.
 *
 * Only suitable for protocols in which the client speaks first; otherwise
 * connections may never be reported.  Honoured by
 * evconnlistener_new_bind() only, since it must be set before binding.
 */
#define LEV_OPT_DEFERRED_ACCEPT		(1u<<6)
/** Listener flag: let several sockets, in one or more processes, bind the
 * same address and port (SO_REUSEPORT; Linux 3.9 and later).  Unlike
 * LEV_OPT_REUSEABLE it does not set SO_REUSEADDR.
 */
#define LEV_OPT_REUSEABLE_PORT		(1u<<7)
/** Listener flag: make an IPv6 listening socket accept IPv6 connections
 * only (IPV6_V6ONLY), whatever the system default is.  Needed to bind the
 * same port separately for IPv4 and IPv6.
 */
#define LEV_OPT_BIND_IPV6ONLY		(1u<<8)
/** Listener flag: make an IPv6 listening socket accept both IPv6 and
 * IPv4 connections (IPV6_V6ONLY off), whatever the system default is;
 * the counterpart of LEV_OPT_BIND_IPV6ONLY, relevant where IPv6-only is
 * the default (Windows).
 */
#define LEV_OPT_BIND_IPV4_AND_IPV6		(1u<<9)

/**
   Create a listener on a socket that is already bound.

   @param base the event base that will run the listener
   @param cb called for each accepted connection; while it is NULL the
      listener does not accept
   @param ptr last argument passed to cb
   @param flags a bitwise OR of LEV_OPT_* flags
   @param backlog the backlog for listen(); -1 picks a default, 0 means
      the socket is listening already and listen() is not called
   @param fd the bound, nonblocking socket
   @return the new listener, or NULL on failure
*/
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    evutil_socket_t fd);
/**
   Create a socket, bind it to an address and listen on it.

   @param base the event base that will run the listener
   @param cb called for each accepted connection; while it is NULL the
      listener does not accept
   @param ptr last argument passed to cb
   @param flags a bitwise OR of LEV_OPT_* flags
   @param backlog the backlog for listen(); -1 picks a default
   @param sa the address to bind to
   @param socklen the length of sa
   @return the new listener, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evconnlistener_new_bind(struct event_base *base,
    evconnlistener_cb cb, void *ptr, unsigned flags, int backlog,
    const struct sockaddr *sa, int socklen);
/**
   Stop and release a listener.  The socket is closed only if the listener
   was made with LEV_OPT_CLOSE_ON_FREE.

   @param lev the listener
 */
EVENT2_EXPORT_SYMBOL
void evconnlistener_free(struct evconnlistener *lev);
/**
   Resume accepting connections on a listener.

   @param lev the listener
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evconnlistener_enable(struct evconnlistener *lev);
/**
   Pause accepting connections on a listener.

   @param lev the listener
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evconnlistener_disable(struct evconnlistener *lev);

/** Return the event base a listener runs on. */
EVENT2_EXPORT_SYMBOL
struct event_base *evconnlistener_get_base(struct evconnlistener *lev);

/** Return the listening socket of a listener. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t evconnlistener_get_fd(struct evconnlistener *lev);

/** Replace a listener's connection callback and its argument.

    @param lev the listener
    @param cb the new callback; NULL stops accepting
    @param arg last argument passed to cb (and to the error callback)
 */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_cb(struct evconnlistener *lev,
    evconnlistener_cb cb, void *arg);

/** Install the callback a listener runs on fatal accept errors.

    @param lev the listener
    @param errorcb the new error callback, or NULL
 */
EVENT2_EXPORT_SYMBOL
void evconnlistener_set_error_cb(struct evconnlistener *lev,
    evconnlistener_errorcb errorcb);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_LISTENER_H_INCLUDED_ */
