/* SPDX-License-Identifier: BSD-3-Clause */
/* TLS bufferevents backed by OpenSSL or Mbed TLS. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_BUFFEREVENT_SSL_H_INCLUDED_
#define EVENT2_BUFFEREVENT_SSL_H_INCLUDED_

/** @file event2/bufferevent_ssl.h

    @brief Bufferevents that encrypt their traffic with TLS.

    The OpenSSL functions are declared when EVENT__HAVE_OPENSSL is defined,
    the Mbed TLS functions when EVENT__HAVE_MBEDTLS is defined.
 */
#include <event2/visibility.h>
#include <event2/event-config.h>
#include <event2/bufferevent.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
   The handshake state of the TLS object handed to a new TLS bufferevent.
 */
enum bufferevent_ssl_state {
	/** The TLS session is already established. */
	BUFFEREVENT_SSL_OPEN = 0,
	/** Perform the handshake as the client. */
	BUFFEREVENT_SSL_CONNECTING = 1,
	/** Perform the handshake as the server. */
	BUFFEREVENT_SSL_ACCEPTING = 2
};

/** TLS bufferevent flag: how to report an unclean shutdown.

    An unclean shutdown is a TCP close that arrives without the peer's TLS
    close notification.  By default it is reported as BEV_EVENT_ERROR; with
    this flag it is reported as BEV_EVENT_EOF instead.  (SSL 2 cannot tell
    the two apart and always reports BEV_EVENT_EOF.)
*/
#define BUFFEREVENT_SSL_DIRTY_SHUTDOWN 1
/** TLS bufferevent flag: batch writes across chunk boundaries.

    Normally each write to the TLS library takes at most one internal chunk
    of the output buffer.  With this flag, data from several chunks is
    combined, which means fewer, larger TLS records and packets.  Useful
    for HTTP, for example.
*/
#define BUFFEREVENT_SSL_BATCH_WRITE 2

#if defined(EVENT__HAVE_OPENSSL) || defined(EVENT__HAVE_MBEDTLS)
/**
 * Return the BUFFEREVENT_SSL_* flags of a TLS bufferevent.
 *
 * @param bev the bufferevent
 * @return its flags, or EV_UINT64_MAX if bev is not a TLS bufferevent
 */
EVENT2_EXPORT_SYMBOL
ev_uint64_t bufferevent_ssl_get_flags(struct bufferevent *bev);
/** Turn on BUFFEREVENT_SSL_* flags of a TLS bufferevent.
 *
 * @param bev the bufferevent
 * @param flags the flags to set
 * @return the flags as they were before, or EV_UINT64_MAX on failure (bev
 *   is not a TLS bufferevent, or flags contains no known flag)
 */
EVENT2_EXPORT_SYMBOL
ev_uint64_t bufferevent_ssl_set_flags(struct bufferevent *bev, ev_uint64_t flags);
/** Turn off BUFFEREVENT_SSL_* flags of a TLS bufferevent.
 *
 * @param bev the bufferevent
 * @param flags the flags to clear
 * @return the flags as they were before, or EV_UINT64_MAX on failure (bev
 *   is not a TLS bufferevent, or flags contains no known flag)
 */
EVENT2_EXPORT_SYMBOL
ev_uint64_t bufferevent_ssl_clear_flags(struct bufferevent *bev, ev_uint64_t flags);

#endif /* defined(EVENT__HAVE_OPENSSL) || defined(EVENT__HAVE_MBEDTLS) */

#if defined(EVENT__HAVE_OPENSSL) || defined(EVENT_IN_DOXYGEN_)
/* OpenSSL's SSL type is a typedef of this structure. */
struct ssl_st;

/**
   Create a TLS bufferevent that runs over another bufferevent, using
   OpenSSL.

   @param base the event base; must be the one underlying uses
   @param underlying the bufferevent that carries the encrypted data
   @param ssl the OpenSSL SSL object to use
   @param state the handshake state of ssl
   @param options a bitwise OR of BEV_OPT_* flags
   @return the new bufferevent, or NULL on failure
*/
EVENT2_EXPORT_SYMBOL
struct bufferevent *
bufferevent_openssl_filter_new(struct event_base *base,
    struct bufferevent *underlying,
    struct ssl_st *ssl,
    enum bufferevent_ssl_state state,
    int options);

/**
   Create a TLS bufferevent that runs directly on a socket, using OpenSSL.

   @param base the event base
   @param fd the socket, or -1 to take the one already attached to ssl
   @param ssl the OpenSSL SSL object to use
   @param state the handshake state of ssl
   @param options a bitwise OR of BEV_OPT_* flags
   @return the new bufferevent, or NULL on failure
*/
EVENT2_EXPORT_SYMBOL
struct bufferevent *
bufferevent_openssl_socket_new(struct event_base *base,
    evutil_socket_t fd,
    struct ssl_st *ssl,
    enum bufferevent_ssl_state state,
    int options);

/**
 * Tell whether BUFFEREVENT_SSL_DIRTY_SHUTDOWN is set on an OpenSSL
 * bufferevent.
 *
 * @deprecated Use bufferevent_ssl_get_flags().
 * @param bev the bufferevent
 * @return 1 if set, 0 if not, -1 if bev is not a TLS bufferevent
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_openssl_get_allow_dirty_shutdown(struct bufferevent *bev);
/**
 * Set or clear BUFFEREVENT_SSL_DIRTY_SHUTDOWN on an OpenSSL bufferevent.
 *
 * @deprecated Use bufferevent_ssl_set_flags() or
 *   bufferevent_ssl_clear_flags().
 * @param bev the bufferevent
 * @param allow_dirty_shutdown nonzero to set the flag, zero to clear it
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_openssl_set_allow_dirty_shutdown(struct bufferevent *bev,
    int allow_dirty_shutdown);

/** Return the OpenSSL SSL object of a TLS bufferevent, or NULL if bufev is
    not one. */
EVENT2_EXPORT_SYMBOL
struct ssl_st *
bufferevent_openssl_get_ssl(struct bufferevent *bufev);

/** Start a new TLS handshake on an established OpenSSL bufferevent.

    @return 0 on success, -1 on failure */
EVENT2_EXPORT_SYMBOL
int bufferevent_ssl_renegotiate(struct bufferevent *bev);

/** Pop the most recent OpenSSL error code recorded by a TLS bufferevent.

    @return the error code, or 0 if none is left */
EVENT2_EXPORT_SYMBOL
unsigned long bufferevent_get_openssl_error(struct bufferevent *bev);

#endif
#if defined(EVENT__HAVE_MBEDTLS) || defined(EVENT_IN_DOXYGEN_)
struct mbedtls_ssl_context;
struct mbedtls_ssl_config;
/** The Mbed TLS context type accepted by the bufferevent_mbedtls_*
    functions. */
typedef struct mbedtls_ssl_context mbedtls_dyncontext;

/**
   Create a TLS bufferevent that runs over another bufferevent, using
   Mbed TLS.

   @param base the event base; must be the one underlying uses
   @param underlying the bufferevent that carries the encrypted data
   @param ssl the Mbed TLS context to use
   @param state the handshake state of ssl
   @param options a bitwise OR of BEV_OPT_* flags
   @return the new bufferevent, or NULL on failure
*/
EVENT2_EXPORT_SYMBOL
struct bufferevent *
bufferevent_mbedtls_filter_new(struct event_base *base,
    struct bufferevent *underlying,
    mbedtls_dyncontext *ssl,
    enum bufferevent_ssl_state state,
    int options);

/**
   Create a TLS bufferevent that runs directly on a socket, using Mbed TLS.

   @param base the event base
   @param fd the socket to use
   @param ssl the Mbed TLS context to use
   @param state the handshake state of ssl
   @param options a bitwise OR of BEV_OPT_* flags
   @return the new bufferevent, or NULL on failure
*/
EVENT2_EXPORT_SYMBOL
struct bufferevent *
bufferevent_mbedtls_socket_new(struct event_base *base,
    evutil_socket_t fd,
    mbedtls_dyncontext *ssl,
    enum bufferevent_ssl_state state,
    int options);

/**
 * Tell whether BUFFEREVENT_SSL_DIRTY_SHUTDOWN is set on a Mbed TLS
 * bufferevent.
 *
 * @deprecated Use bufferevent_ssl_get_flags().
 * @param bev the bufferevent
 * @return 1 if set, 0 if not, -1 if bev is not a TLS bufferevent
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_mbedtls_get_allow_dirty_shutdown(struct bufferevent *bev);
/**
 * Set or clear BUFFEREVENT_SSL_DIRTY_SHUTDOWN on a Mbed TLS bufferevent.
 *
 * @deprecated Use bufferevent_ssl_set_flags() or
 *   bufferevent_ssl_clear_flags().
 * @param bev the bufferevent
 * @param allow_dirty_shutdown nonzero to set the flag, zero to clear it
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_mbedtls_set_allow_dirty_shutdown(struct bufferevent *bev,
    int allow_dirty_shutdown);

/** Return the Mbed TLS context of a TLS bufferevent, or NULL if bufev is
    not one. */
EVENT2_EXPORT_SYMBOL
struct mbedtls_ssl_context *
bufferevent_mbedtls_get_ssl(struct bufferevent *bufev);

/** Start a new TLS handshake on an established Mbed TLS bufferevent.

    @return 0 on success, -1 on failure */
EVENT2_EXPORT_SYMBOL
int bufferevent_mbedtls_renegotiate(struct bufferevent *bev);

/** Pop the most recent Mbed TLS error code recorded by a TLS bufferevent.

    @return the error code, or 0 if none is left */
EVENT2_EXPORT_SYMBOL
unsigned long bufferevent_get_mbedtls_error(struct bufferevent *bev);

/** Allocate and set up a Mbed TLS context from a configuration.

    @param conf the Mbed TLS configuration to apply
    @return the new context, or NULL on failure */
EVENT2_EXPORT_SYMBOL
mbedtls_dyncontext *
bufferevent_mbedtls_dyncontext_new(struct mbedtls_ssl_config *conf);

/** Release a context made by bufferevent_mbedtls_dyncontext_new().

    @param ctx the context to release */
EVENT2_EXPORT_SYMBOL
void
bufferevent_mbedtls_dyncontext_free(mbedtls_dyncontext *ctx);

#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_SSL_H_INCLUDED_ */
