/* SPDX-License-Identifier: BSD-3-Clause */
/* Embedded HTTP server and client, headers, and URI handling. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_HTTP_H_INCLUDED_
#define EVENT2_HTTP_H_INCLUDED_

/* Integer and socket types. */
#include <event2/util.h>
#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Forward declarations, so that this header does not need the others. */
struct evbuffer;
struct event_base;
struct bufferevent;
struct evhttp_connection;

/** @file event2/http.h
 *
 * @brief A small HTTP/1.x server and client built on the event loop.
 *
 * Server side: create a struct evhttp with evhttp_new(), make it listen
 * with evhttp_bind_socket() or one of its variants, and register request
 * handlers with evhttp_set_cb() (per path) or evhttp_set_gencb() (for
 * everything else).  A handler answers with evhttp_send_reply(),
 * evhttp_send_error() or the evhttp_send_reply_start()/_chunk()/_end()
 * sequence.
 *
 * Client side: open a struct evhttp_connection with
 * evhttp_connection_base_new(), create a request with evhttp_request_new(),
 * fill in its output headers and buffer, and hand it over with
 * evhttp_make_request(); the request's callback runs with the reply.
 *
 * The header also offers helpers for header lists, URI escaping, query
 * strings and RFC 3986 URI parsing.
 */

/* HTTP status codes. */
#define HTTP_CONTINUE		100	/**< 100 Continue: the client may send the body */
#define HTTP_SWITCH_PROTOCOLS	101	/**< 101 Switching Protocols */
#define HTTP_PROCESSING		102	/**< 102 Processing: the final reply will follow later */
#define HTTP_EARLYHINTS		103	/**< 103 Early Hints: headers sent ahead of the final reply */
#define HTTP_OK			200	/**< 200 OK */
#define HTTP_CREATED		201	/**< 201 Created: a new resource exists */
#define HTTP_ACCEPTED		202	/**< 202 Accepted: queued for processing */
#define HTTP_NONAUTHORITATIVE	203	/**< 203 Non-Authoritative Information: altered by a proxy */
#define HTTP_NOCONTENT		204	/**< 204 No Content: the reply has no body */
#define HTTP_MOVEPERM		301	/**< 301 Moved Permanently */
#define HTTP_MOVETEMP		302	/**< 302 Found: temporarily elsewhere */
#define HTTP_NOTMODIFIED	304	/**< 304 Not Modified since the given time or tag */
#define HTTP_BADREQUEST		400	/**< 400 Bad Request: malformed request */
#define HTTP_UNAUTHORIZED	401	/**< 401 Unauthorized: credentials needed */
#define HTTP_PAYMENTREQUIRED	402	/**< 402 Payment Required */
#define HTTP_FORBIDDEN		403	/**< 403 Forbidden: access refused */
#define HTTP_NOTFOUND		404	/**< 404 Not Found */
#define HTTP_BADMETHOD		405 	/**< 405 Method Not Allowed for this resource */
#define HTTP_ENTITYTOOLARGE	413	/**< 413 Content Too Large */
#define HTTP_EXPECTATIONFAILED	417	/**< 417 Expectation Failed (an Expect header that cannot be met) */
#define HTTP_INTERNAL           500     /**< 500 Internal Server Error */
#define HTTP_NOTIMPLEMENTED     501     /**< 501 Not Implemented */
#define HTTP_BADGATEWAY		502	/**< 502 Bad Gateway: the upstream server answered badly */
#define HTTP_SERVUNAVAIL	503	/**< 503 Service Unavailable */

struct evhttp;
struct evhttp_request;
struct evkeyvalq;
struct evhttp_bound_socket;
struct evconnlistener;
struct evdns_base;
struct evhttp_ext_method;

/**
 * Creates an HTTP server that is not yet listening anywhere.
 *
 * @param base the event base that will run the server
 * @return the new server, or NULL on failure
 * @see evhttp_free(), evhttp_bind_socket()
 */
EVENT2_EXPORT_SYMBOL
struct evhttp *evhttp_new(struct event_base *base);

/**
 * Makes a server listen on an address and port.  A server may listen on
 * several; call this once for each.
 *
 * @param http the server
 * @param address the local IP address to listen on, as text
 * @param port the TCP port to listen on
 * @return 0 on success, -1 on failure
 * @see evhttp_bind_socket_with_handle(), evhttp_accept_socket()
 */
EVENT2_EXPORT_SYMBOL
int evhttp_bind_socket(struct evhttp *http, const char *address, ev_uint16_t port);

/**
 * Same as evhttp_bind_socket(), but returns a handle to the new listening
 * socket.
 *
 * @param http the server
 * @param address the local IP address to listen on, as text
 * @param port the TCP port to listen on
 * @return the bound socket, valid until it is removed or @p http is freed,
 *   or NULL on failure
 * @see evhttp_del_accept_socket()
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_bound_socket *evhttp_bind_socket_with_handle(struct evhttp *http, const char *address, ev_uint16_t port);

/**
 * Makes a server accept connections on a socket that is already bound and
 * listening, for instance one inherited from a parent process.  May be
 * called for several sockets.
 *
 * @param http the server
 * @param fd the listening socket; the server takes it over
 * @return 0 on success, -1 on failure
 * @see evhttp_accept_socket_with_handle(), evhttp_bind_socket()
 */
EVENT2_EXPORT_SYMBOL
int evhttp_accept_socket(struct evhttp *http, evutil_socket_t fd);

/**
 * Same as evhttp_accept_socket(), but returns a handle to the socket.
 *
 * @param http the server
 * @param fd the listening socket; the server takes it over
 * @return the bound socket, valid until it is removed or @p http is freed,
 *   or NULL on failure
 * @see evhttp_del_accept_socket()
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_bound_socket *evhttp_accept_socket_with_handle(struct evhttp *http, evutil_socket_t fd);

/**
 * Makes a server accept the connections of an existing connection
 * listener.  The listener then belongs to the bound socket and is freed
 * with it.
 *
 * @param http the server
 * @param listener the listener to serve
 * @return the bound socket, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_bound_socket *evhttp_bind_listener(struct evhttp *http, struct evconnlistener *listener);

/**
 * Gives the connection listener behind a bound socket.
 *
 * @param bound the bound socket
 * @return its listener
 */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evhttp_bound_socket_get_listener(struct evhttp_bound_socket *bound);

/**
 * Sets, for connections accepted on one bound socket, a function that
 * creates their bufferevents.  When it returns a bufferevent, that one is
 * used and the server-wide function of evhttp_set_bevcb() is not called;
 * when it returns NULL, the server-wide behaviour applies.
 *
 * @param bound the bound socket
 * @param cb the function, or NULL
 * @param cbarg passed to @p cb
 */
EVENT2_EXPORT_SYMBOL
void evhttp_bound_set_bevcb(struct evhttp_bound_socket *bound, struct bufferevent* (*cb)(struct event_base *, void *), void *cbarg);

/** Function type run by evhttp_foreach_bound_socket() for each bound
 * socket, with the caller's argument. */
typedef void evhttp_bound_socket_foreach_fn(struct evhttp_bound_socket *, void *);
/**
 * Runs a function on each socket a server listens on.  The function must
 * not free or remove sockets, listeners or connections.
 *
 * @param http the server
 * @param function run once per bound socket
 * @param argument passed to each call of @p function
 */
EVENT2_EXPORT_SYMBOL
void evhttp_foreach_bound_socket(struct evhttp *http, evhttp_bound_socket_foreach_fn *function, void *argument);

/**
 * Stops a server from listening on one of its sockets, and frees the
 * handle.  The socket (or the listener given to evhttp_bind_listener()) is
 * closed; connections already accepted are not affected.
 *
 * @param http the server
 * @param bound_socket a handle from evhttp_bind_socket_with_handle(),
 *   evhttp_accept_socket_with_handle() or evhttp_bind_listener(); invalid
 *   afterwards
 */
EVENT2_EXPORT_SYMBOL
void evhttp_del_accept_socket(struct evhttp *http, struct evhttp_bound_socket *bound_socket);

/**
 * Gives the file descriptor a bound socket listens on.
 *
 * @param bound_socket the bound socket
 * @return its listening socket
 */
EVENT2_EXPORT_SYMBOL
evutil_socket_t evhttp_bound_socket_get_fd(struct evhttp_bound_socket *bound_socket);

/**
 * Frees a server: its listening sockets, connections, callbacks, aliases
 * and virtual hosts.  Requests still being handled are not waited for, so
 * call it when none are in progress.
 *
 * @param http the server to free
 */
EVENT2_EXPORT_SYMBOL
void evhttp_free(struct evhttp* http);

/**
 * Sets the largest request header block, in bytes, that the server's new
 * connections accept; larger ones are refused.
 *
 * @param http the server
 * @param max_headers_size the limit, or a negative value for no limit
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_max_headers_size(struct evhttp* http, ev_ssize_t max_headers_size);
/**
 * Sets the largest request body, in bytes, that the server's new
 * connections accept; larger ones get a 413 reply.
 *
 * @param http the server
 * @param max_body_size the limit, or a negative value for no limit
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_max_body_size(struct evhttp* http, ev_ssize_t max_body_size);

/**
 * Caps how many client connections the server keeps open at once;
 * a connection accepted beyond the cap is answered with 503 and closed.
 *
 * @param http the server
 * @param max_connections the cap, or 0 (or less) for none
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_max_connections(struct evhttp* http, int max_connections);

/**
 * Counts the client connections a server has open.
 *
 * @param http the server
 * @return the number of open connections
 */
EVENT2_EXPORT_SYMBOL
int evhttp_get_connection_count(struct evhttp* http);

/**
  Chooses the Content-Type header added to replies that do not set one.

  @param http the server
  @param content_type the header value, or NULL to add no Content-Type;
    the string is not copied and must outlive the server
*/
EVENT2_EXPORT_SYMBOL
void evhttp_set_default_content_type(struct evhttp *http,
	const char *content_type);

/**
  Chooses which request methods reach the server's handlers.  Requests
  with other methods are answered with 405.  Unless changed, GET, POST,
  HEAD, PUT and DELETE are allowed.

  @param http the server
  @param methods a bitwise OR of enum evhttp_cmd_type values
*/
EVENT2_EXPORT_SYMBOL
void evhttp_set_allowed_methods(struct evhttp* http, ev_uint32_t methods);

/**
  Maps between extension method names and their numeric types.

  When the structure's method is NULL, the callback fills it in from its
  type; otherwise it fills in the type and flags from the method name.

  @return 0 if the method or type is known, -1 if it is not
*/
typedef int (*evhttp_ext_method_cb)(struct evhttp_ext_method *);
/**
  Lets a server understand request methods beyond the standard ones.  The
  extra methods must still be allowed with evhttp_set_allowed_methods().

  @param http the server
  @param cmp the mapping function, or NULL
  @see struct evhttp_ext_method
*/
EVENT2_EXPORT_SYMBOL
void evhttp_set_ext_method_cmp(struct evhttp *http, evhttp_ext_method_cb cmp);

/**
   Registers the handler for requests whose path equals a given string.

   @param http the server
   @param path the exact path to match (without the query string)
   @param cb the handler
   @param cb_arg passed to @p cb
   @return 0 on success, -1 if the path already has a handler, and -2 (or
     another negative value) if memory ran out
*/
EVENT2_EXPORT_SYMBOL
int evhttp_set_cb(struct evhttp *http, const char *path,
    void (*cb)(struct evhttp_request *, void *), void *cb_arg);

/** Unregisters the handler of a path.

    @return 0 on success, -1 if the path had no handler
 */
EVENT2_EXPORT_SYMBOL
int evhttp_del_cb(struct evhttp *, const char *);

/**
    Registers the handler for requests that no path handler matches.
    Without one, such requests are answered with 404.

    @param http the server
    @param cb the handler
    @param arg passed to @p cb
*/
EVENT2_EXPORT_SYMBOL
void evhttp_set_gencb(struct evhttp *http,
    void (*cb)(struct evhttp_request *, void *), void *arg);

/**
   Sets the function that creates the bufferevent of each accepted
   connection, for instance to serve over TLS.  The bufferevent it returns
   must not have a socket assigned yet.  A per-socket function set with
   evhttp_bound_set_bevcb() takes precedence.

   @param http the server
   @param cb the function, or NULL for plain socket bufferevents
   @param arg passed to @p cb
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_bevcb(struct evhttp *http,
    struct bufferevent *(*cb)(struct event_base *, void *), void *arg);


/**
   Sets a function that sees each new request as soon as it is created on
   a connection, before anything of it has been read.  This allows
   counting or limiting requests.

   @param http the server
   @param cb the function; returning -1 closes the connection and drops
     the request
   @param arg passed to @p cb
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_newreqcb(struct evhttp *http,
    int (*cb)(struct evhttp_request*, void *), void *arg);

/**
   Sets a function that writes the body of the error pages the server
   sends, replacing the built-in page.

   The function writes the page into the buffer it is given; the server
   sends it afterwards.  If the function returns a negative value or
   writes nothing, the built-in page is used.  (Some browsers replace short
   error pages with their own; about 512 bytes is enough to avoid that.)

   @param http the server
   @param cb the function, receiving the request, the buffer, the status
     code, the reason phrase and @p cbarg
   @param cbarg passed to @p cb
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_errorcb(struct evhttp *http,
    int (*cb)(struct evhttp_request *req, struct evbuffer *buffer, int error, const char *reason, void *cbarg),
    void *cbarg);

/**
   Makes another evhttp object serve the requests whose Host matches a
   pattern.

   The virtual host is an evhttp created for this purpose, with its own
   handlers and no listening sockets.  Virtual hosts may have virtual hosts
   of their own.  Those still attached when the main server is freed are
   freed with it.

   @param http the server that receives the connections
   @param pattern a shell-style pattern (with * and ?) matched against the
     host name, ignoring case
   @param vhost the virtual host
   @return 0 on success, -1 if @p vhost is already a virtual host, has
     listening sockets, or memory ran out
   @see evhttp_remove_virtual_host()
*/
EVENT2_EXPORT_SYMBOL
int evhttp_add_virtual_host(struct evhttp* http, const char *pattern,
    struct evhttp* vhost);

/**
   Detaches a virtual host from a server; the caller then owns it again.

   @param http the server
   @param vhost the virtual host
   @return 0 on success, -1 if @p vhost was not a virtual host
   @see evhttp_add_virtual_host()
*/
EVENT2_EXPORT_SYMBOL
int evhttp_remove_virtual_host(struct evhttp* http, struct evhttp* vhost);

/**
   Adds a host name under which a server (main or virtual) also answers.

   @param http the server
   @param alias the additional host name (copied)
   @return 0 on success, -1 if memory ran out
   @see evhttp_remove_server_alias()
*/
EVENT2_EXPORT_SYMBOL
int evhttp_add_server_alias(struct evhttp *http, const char *alias);

/**
   Removes a host name added with evhttp_add_server_alias().

   @param http the server
   @param alias the host name, compared ignoring case
   @return 0 on success, -1 if there was no such alias
*/
EVENT2_EXPORT_SYMBOL
int evhttp_remove_server_alias(struct evhttp *http, const char *alias);

/**
 * Sets both the read and the write timeout of the server's connections,
 * in whole seconds.
 *
 * @param http the server
 * @param timeout how many seconds a read or a write may wait
 * @see evhttp_set_timeout_tv()
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_timeout(struct evhttp *http, int timeout);

/**
 * Sets both the read and the write timeout of the server's connections.
 *
 * @param http the server
 * @param tv the timeout, or NULL for none
 * @see evhttp_set_read_timeout_tv(), evhttp_set_write_timeout_tv()
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_timeout_tv(struct evhttp *http, const struct timeval* tv);

/**
 * Sets the read timeout of the server's connections.
 *
 * @param http the server
 * @param tv the timeout, or NULL for none
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_read_timeout_tv(struct evhttp *http, const struct timeval* tv);

/**
 * Sets the write timeout of the server's connections.
 *
 * @param http the server
 * @param tv the timeout, or NULL for none
 */
EVENT2_EXPORT_SYMBOL
void evhttp_set_write_timeout_tv(struct evhttp *http, const struct timeval* tv);

/** Server flag: when a request body is over the size limit, read it to the
 * end before answering with the error, instead of closing at once. */
#define EVHTTP_SERVER_LINGERING_CLOSE	0x0001
/**
 * Sets a server's EVHTTP_SERVER_* flags, replacing the previous ones.
 *
 * @param http the server
 * @param flags a combination of EVHTTP_SERVER_* flags
 * @return 0 on success, non-zero if @p flags holds an unknown flag
 */
EVENT2_EXPORT_SYMBOL
int evhttp_set_flags(struct evhttp *http, int flags);

/* Answering requests. */

/**
 * Answers a request with an error status and a small HTML page (or the
 * page of the function set with evhttp_set_errorcb()).
 *
 * @param req the request to answer
 * @param error the HTTP status code
 * @param reason the reason phrase, or NULL for the usual one of @p error
 */
EVENT2_EXPORT_SYMBOL
void evhttp_send_error(struct evhttp_request *req, int error,
    const char *reason);

/**
 * Answers a request in one piece.
 *
 * The contents of @p databuf become the body; the buffer is emptied but
 * stays the caller's to free.
 *
 * @param req the request to answer
 * @param code the HTTP status code
 * @param reason the reason phrase
 * @param databuf the body, or NULL for none
 */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply(struct evhttp_request *req, int code,
    const char *reason, struct evbuffer *databuf);

/* Answers sent in pieces. */

/**
   Starts an answer whose body will be sent in pieces, using chunked
   transfer encoding where the client supports it.

   Continue with evhttp_send_reply_chunk() for each piece and finish with
   evhttp_send_reply_end().

   @param req the request to answer
   @param code the HTTP status code
   @param reason the reason phrase
*/
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_start(struct evhttp_request *req, int code,
    const char *reason);

/**
   Sends one piece of the body of an answer begun with
   evhttp_send_reply_start().  The contents of @p databuf are moved out;
   the buffer stays the caller's to free.

   @param req the request being answered
   @param databuf the data to send; nothing is sent when it is empty
*/
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_chunk(struct evhttp_request *req,
    struct evbuffer *databuf);

/**
   Same as evhttp_send_reply_chunk(), and calls a function once the data
   has been written to the connection.

   @param req the request being answered
   @param databuf the data to send; nothing is sent when it is empty
   @param cb called when the piece has been written
   @param arg passed to @p cb
*/
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_chunk_with_cb(struct evhttp_request *req, struct evbuffer *databuf,
    void (*cb)(struct evhttp_connection *, void *), void *arg);

/**
   Finishes an answer begun with evhttp_send_reply_start(); the request is
   freed once everything has been written.

   @param req the request being answered
*/
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_end(struct evhttp_request *req);

/*
 * Making requests.
 */

/** Request methods, as bit flags so that sets of them can be formed (see
 * evhttp_set_allowed_methods()).  Besides the methods of HTTP/1.1 there are
 * PATCH and the WebDAV methods.
 */
enum evhttp_cmd_type {
	EVHTTP_REQ_GET     = 1 << 0,	/**< GET */
	EVHTTP_REQ_POST    = 1 << 1,	/**< POST */
	EVHTTP_REQ_HEAD    = 1 << 2,	/**< HEAD */
	EVHTTP_REQ_PUT     = 1 << 3,	/**< PUT */
	EVHTTP_REQ_DELETE  = 1 << 4,	/**< DELETE */
	EVHTTP_REQ_OPTIONS = 1 << 5,	/**< OPTIONS */
	EVHTTP_REQ_TRACE   = 1 << 6,	/**< TRACE */
	EVHTTP_REQ_CONNECT = 1 << 7,	/**< CONNECT */
	EVHTTP_REQ_PATCH   = 1 << 8,	/**< PATCH (RFC 5789) */
	EVHTTP_REQ_PROPFIND= 1 << 9,	/**< PROPFIND (WebDAV) */
	EVHTTP_REQ_PROPPATCH=1 << 10,	/**< PROPPATCH (WebDAV) */
	EVHTTP_REQ_MKCOL   = 1 << 11,	/**< MKCOL (WebDAV) */
	EVHTTP_REQ_LOCK    = 1 << 12,	/**< LOCK (WebDAV) */
	EVHTTP_REQ_UNLOCK  = 1 << 13,	/**< UNLOCK (WebDAV) */
	EVHTTP_REQ_COPY    = 1 << 14,	/**< COPY (WebDAV) */
	EVHTTP_REQ_MOVE    = 1 << 15,	/**< MOVE (WebDAV) */
};

/** The highest built-in method bit; extension methods use higher bits. */
#define EVHTTP_REQ_MAX EVHTTP_REQ_MOVE

/**
 * @brief The record an evhttp_ext_method_cb callback receives and fills in.
 *
 * @see evhttp_set_ext_method_cmp(), evhttp_connection_set_ext_method_cmp()
 */
struct evhttp_ext_method {
	/** The method name, or NULL when it is to be looked up from type. */
	const char *method;
	/** The method's bit, above EVHTTP_REQ_MAX for extension methods. */
	ev_uint32_t type;
	/** Method properties: 0 or EVHTTP_METHOD_HAS_BODY. */
	ev_uint16_t flags;
};

/** evhttp_ext_method flag: requests with this method carry a body. */
#define EVHTTP_METHOD_HAS_BODY 0x0001

/** Whether a struct evhttp_request holds a request or a response. */
enum evhttp_request_kind {
	EVHTTP_REQUEST,	/**< a request (sent by a client) */
	EVHTTP_RESPONSE	/**< a response (sent by a server) */
};

/**
 * Creates a client connection to an HTTP server, communicating through a
 * given bufferevent.  Nothing is resolved or connected until the first
 * request is made.
 *
 * Unless changed, the connect timeout is 45 seconds and the read and write
 * timeouts are 50 seconds.
 *
 * @param base the event base to run on
 * @param dnsbase the resolver for the server's name, or NULL to resolve it
 *   with the blocking system resolver
 * @param bev the bufferevent to use, without a socket assigned, or NULL for
 *   a plain socket bufferevent; the connection frees it
 * @param address the server's host name or address
 * @param port the server's port
 * @return the new connection, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_connection_base_bufferevent_new(
	struct event_base *base, struct evdns_base *dnsbase, struct bufferevent* bev, const char *address, ev_uint16_t port);

/**
 * Creates a client connection to an HTTP server listening on a Unix domain
 * socket.
 *
 * @param base the event base to run on
 * @param bev the bufferevent to use, without a socket assigned, or NULL for
 *   a plain socket bufferevent; the connection frees it
 * @param path the file system path of the socket
 * @return the new connection, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_connection_base_bufferevent_unix_new(
	struct event_base *base, struct bufferevent* bev, const char *path);

/**
 * Gives the bufferevent a connection communicates through.
 *
 * @param evcon the connection
 * @return its bufferevent
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent* evhttp_connection_get_bufferevent(struct evhttp_connection *evcon);

/**
 * Gives the server a connection was accepted by.
 *
 * @param evcon the connection
 * @return the server, or NULL for a client connection
 */
EVENT2_EXPORT_SYMBOL
struct evhttp *evhttp_connection_get_server(struct evhttp_connection *evcon);

/**
 * Creates an empty request, to be filled in and passed to
 * evhttp_make_request().
 *
 * @param cb called when the reply has arrived or the request failed (then
 *   possibly with a NULL request)
 * @param arg passed to @p cb
 * @return the new request, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_request *evhttp_request_new(
	void (*cb)(struct evhttp_request *, void *), void *arg);

/**
 * Asks for the reply body to be delivered piece by piece as it arrives.
 *
 * @param cb called, with the request callback's argument, each time more
 *   body data has been read (never for an empty body); it may drain the
 *   request's input buffer, which is drained anyway when it returns
 */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_chunked_cb(struct evhttp_request *,
    void (*cb)(struct evhttp_request *, void *));

/**
 * Sets a function to inspect the headers as soon as they have all been
 * received and parsed.
 *
 * @param cb called with the request and the request callback's argument;
 *   returning a negative value closes the connection
 */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_header_cb(struct evhttp_request *,
    int (*cb)(struct evhttp_request *, void *));

/**
 * Why a request failed, as reported to an error callback.
 *
 * @see evhttp_request_set_error_cb()
 */
enum evhttp_request_error {
  /**
   * A timeout expired (see evhttp_connection_set_timeout()).
   */
  EVREQ_HTTP_TIMEOUT,
  /**
   * The connection was closed before the message was complete.
   */
  EVREQ_HTTP_EOF,
  /**
   * The headers could not be read or were malformed.
   */
  EVREQ_HTTP_INVALID_HEADER,
  /**
   * Reading from or writing to the connection failed.
   */
  EVREQ_HTTP_BUFFER_ERROR,
  /**
   * The request was cancelled with evhttp_cancel_request().
   */
  EVREQ_HTTP_REQUEST_CANCEL,
  /**
   * The body exceeded the limit of evhttp_connection_set_max_body_size().
   */
  EVREQ_HTTP_DATA_TOO_LONG
};
/**
 * Sets a function to call when a request fails.  On failure it runs first,
 * followed by the request's ordinary callback.
 *
 * The function receives an enum evhttp_request_error value and the request
 * callback's argument.
 **/
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_error_cb(struct evhttp_request *,
    void (*)(enum evhttp_request_error, void *));

/**
 * Sets a function to call once an answer sent with one of the
 * evhttp_send_* functions has been completely written, just before the
 * request is freed.  Useful for accounting, such as timing replies.
 *
 * @param req the request
 * @param cb the function
 * @param cb_arg passed to @p cb
 */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_on_complete_cb(struct evhttp_request *req,
    void (*cb)(struct evhttp_request *, void *), void *cb_arg);

/** Frees a request with its headers and buffers.

    @param req the request to free
 */
EVENT2_EXPORT_SYMBOL
void evhttp_request_free(struct evhttp_request *req);

/**
 * Creates a client connection to an HTTP server; same as
 * evhttp_connection_base_bufferevent_new() with a NULL bufferevent.
 *
 * @param base the event base to run on
 * @param dnsbase the resolver for the server's name, or NULL to resolve it
 *   with the blocking system resolver
 * @param address the server's host name or address
 * @param port the server's port
 * @return the new connection, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_connection_base_new(
	struct event_base *base, struct evdns_base *dnsbase,
	const char *address, ev_uint16_t port);

/**
 * Chooses the address family used when resolving the server's name.
 *
 * @param evcon the connection
 * @param family AF_INET, AF_INET6 or AF_UNSPEC
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_family(struct evhttp_connection *evcon,
	int family);

/** Connection flag: when retrying, connect again to the address used
 * before instead of resolving the name again. */
#define EVHTTP_CON_REUSE_CONNECTED_ADDR	0x0008
/** Connection flag: when writing the request fails, still try to read the
 * server's reply, which may explain why it closed the connection. */
#define EVHTTP_CON_READ_ON_WRITE_ERROR	0x0010
/** Connection flag: the connection counterpart of
 * EVHTTP_SERVER_LINGERING_CLOSE. */
#define EVHTTP_CON_LINGERING_CLOSE	0x0020
/** End of the range of public connection flags; higher bits are used
 * internally. */
#define EVHTTP_CON_PUBLIC_FLAGS_END	0x100000
/**
 * Sets a connection's EVHTTP_CON_* flags.
 *
 * @param evcon the connection
 * @param flags a combination of EVHTTP_CON_* flags
 * @return 0 on success, non-zero if @p flags holds a flag that cannot be
 *   set this way
 */
EVENT2_EXPORT_SYMBOL
int evhttp_connection_set_flags(struct evhttp_connection *evcon,
	int flags);

/** Keeps a request alive after its handler returns: the library will no
 * longer free it, and the caller must do so with evhttp_request_free().
 *
 * @param req the request
 */
EVENT2_EXPORT_SYMBOL
void evhttp_request_own(struct evhttp_request *req);

/** Tells whether the caller took over a request with evhttp_request_own().

    @return 1 if so, 0 if not
 */
EVENT2_EXPORT_SYMBOL
int evhttp_request_is_owned(struct evhttp_request *req);

/**
 * Lets a client connection understand methods beyond the standard ones.
 *
 * @param evcon the connection
 * @param cmp the mapping function, or NULL
 * @see evhttp_set_ext_method_cmp()
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_ext_method_cmp(struct evhttp_connection *evcon,
	evhttp_ext_method_cb cmp);

/**
 * Gives the connection a request travels on.
 *
 * @param req the request
 * @return the connection, or NULL if the request is not attached to one
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_request_get_connection(struct evhttp_request *req);

/**
 * Gives the event base a connection runs on.
 *
 * @param req the connection
 * @return its event base
 */
EVENT2_EXPORT_SYMBOL
struct event_base *evhttp_connection_get_base(struct evhttp_connection *req);

/**
 * Sets the largest header block, in bytes, accepted on a connection.
 *
 * @param evcon the connection
 * @param new_max_headers_size the limit, or a negative value for no limit
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_max_headers_size(struct evhttp_connection *evcon,
    ev_ssize_t new_max_headers_size);

/**
 * Sets the largest message body, in bytes, accepted on a connection.
 *
 * @param evcon the connection
 * @param new_max_body_size the limit, or a negative value for no limit
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_max_body_size(struct evhttp_connection* evcon,
    ev_ssize_t new_max_body_size);

/** Closes and frees a connection.  Requests still queued on it are freed
    without their callbacks being run; the close callback runs if the
    connection was open.

    @param evcon the connection
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_free(struct evhttp_connection *evcon);

/** Hands a client connection over to the library, which frees it after
 * its last request has completed or failed.
 *
 * @param evcon the connection
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_free_on_completion(struct evhttp_connection *evcon);

/** Chooses the local IP address outgoing connections are bound to.  Must
 * be called while the connection is closed; the bufferevent's socket is
 * recreated on the next connect, so socket options set on it are lost.
 *
 * @param evcon the connection
 * @param address the local address, as text (copied)
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_local_address(struct evhttp_connection *evcon,
    const char *address);

/** Chooses the local port outgoing connections are bound to.  Must be
 * called while the connection is closed.
 *
 * @param evcon the connection
 * @param port the local port
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_local_port(struct evhttp_connection *evcon,
    ev_uint16_t port);

/**
 * Sets a connection's read and write timeouts in whole seconds.
 *
 * @param evcon the connection
 * @param timeout how many seconds a read or a write may wait, or -1 for
 *   the defaults
 * @see evhttp_connection_set_timeout_tv()
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_timeout(struct evhttp_connection *evcon,
    int timeout);

/**
 * Sets a connection's read and write timeouts (the connect timeout, for
 * historical reasons, is left alone).
 *
 * @param evcon the connection
 * @param tv the timeout, or NULL for the defaults (50 seconds)
 * @see evhttp_connection_set_connect_timeout_tv(),
 *   evhttp_connection_set_read_timeout_tv(),
 *   evhttp_connection_set_write_timeout_tv()
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_timeout_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/**
 * Sets how long connecting to the server may take.
 *
 * @param evcon the connection
 * @param tv the timeout, or NULL for the default
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_connect_timeout_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/**
 * Sets how long the connection may wait for data to read.
 *
 * @param evcon the connection
 * @param tv the timeout, or NULL for the default
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_read_timeout_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/**
 * Sets how long the connection may wait to write data.
 *
 * @param evcon the connection
 * @param tv the timeout, or NULL for the default
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_write_timeout_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/**
 * Sets the pause before the first retry of a failed connection attempt;
 * each later pause is twice the previous one.  Only matters when retries
 * are enabled with evhttp_connection_set_retries().
 *
 * @param evcon the connection
 * @param tv the first pause, or NULL for the default of 2 seconds
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_initial_retry_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/** Sets how many times a failed connection attempt is retried.

    @param evcon the connection
    @param retry_max the number of retries; -1 retries without end
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_retries(struct evhttp_connection *evcon,
    int retry_max);

/** Sets a function to call whenever the connection is closed; it receives
 * the connection and the given argument. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_closecb(struct evhttp_connection *evcon,
    void (*)(struct evhttp_connection *, void *), void *);

/** Gives the peer's host (as given, or as accepted) and port.

    @param evcon the connection
    @param address receives a string owned by the connection
    @param port receives the port
 */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_get_peer(struct evhttp_connection *evcon,
    const char **address, ev_uint16_t *port);

/** Gives the socket address of the peer, as found by getpeername() or by
 * name resolution.
 *
 * @param evcon the connection
 * @return the address (really a struct sockaddr_storage), or NULL if the
 *   connection is not connected or the address is not known
 */
EVENT2_EXPORT_SYMBOL
const struct sockaddr*
evhttp_connection_get_addr(struct evhttp_connection *evcon);

/**
    Sends a request over a client connection, connecting first if needed.

    The connection takes the request over.  If this fails, the request has
    already been freed.

    @param evcon the connection
    @param req a request from evhttp_request_new()
    @param type the method, such as EVHTTP_REQ_GET
    @param uri the request target, such as "/index.html"
    @return 0 on success, -1 on failure
    @see evhttp_cancel_request()
*/
EVENT2_EXPORT_SYMBOL
int evhttp_make_request(struct evhttp_connection *evcon,
    struct evhttp_request *req,
    enum evhttp_cmd_type type, const char *uri);

/**
   Abandons a request made with evhttp_make_request() and frees it.  Its
   completion callback is not run.  If the request was already in
   progress, the connection is reset.

   Not allowed once the request's callback has run; allowed from within
   its chunk callback.

   @param req the request; invalid afterwards
*/
EVENT2_EXPORT_SYMBOL
void evhttp_cancel_request(struct evhttp_request *req);

/**
 * A URI or relative reference (RFC 3986) split into its parts.
 */
struct evhttp_uri;

/** Gives the request target as it appeared in the request line.

    @return the string (owned by the request), or NULL
 */
EVENT2_EXPORT_SYMBOL
const char *evhttp_request_get_uri(const struct evhttp_request *req);
/** Gives the request target split into its parts.

    @return the parsed target (owned by the request), or NULL
 */
EVENT2_EXPORT_SYMBOL
const struct evhttp_uri *evhttp_request_get_evhttp_uri(const struct evhttp_request *req);
/** Gives the request's method.

    @return one enum evhttp_cmd_type value
 */
EVENT2_EXPORT_SYMBOL
enum evhttp_cmd_type evhttp_request_get_command(const struct evhttp_request *req);

/** Gives the status code of a response (or of the reply being sent).

    @return the HTTP status code
 */
EVENT2_EXPORT_SYMBOL
int evhttp_request_get_response_code(const struct evhttp_request *req);
/** Gives the reason phrase of a response's status line.

    @return the phrase (owned by the request), or NULL
 */
EVENT2_EXPORT_SYMBOL
const char * evhttp_request_get_response_code_line(const struct evhttp_request *req);

/** Gives the list of headers received with the message. */
EVENT2_EXPORT_SYMBOL
struct evkeyvalq *evhttp_request_get_input_headers(struct evhttp_request *req);
/** Gives the list of headers to send with the message; add to it before
 * sending. */
EVENT2_EXPORT_SYMBOL
struct evkeyvalq *evhttp_request_get_output_headers(struct evhttp_request *req);
/** Gives the buffer holding the body received. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evhttp_request_get_input_buffer(struct evhttp_request *req);
/** Gives the buffer holding the body to send. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evhttp_request_get_output_buffer(struct evhttp_request *req);
/** Gives the host a request is addressed to: the host of an absolute
    request target if there is one, otherwise the Host header without its
    port.

    @return the host name (owned by the request), or NULL if neither is
      present
 */
EVENT2_EXPORT_SYMBOL
const char *evhttp_request_get_host(struct evhttp_request *req);

/* Header lists. */

/**
   Looks up a header by name, ignoring case.

   @param headers the header list
   @param key the header name
   @return the value of the first matching header (owned by the list), or
     NULL if there is none
   @see evhttp_add_header(), evhttp_remove_header()
*/
EVENT2_EXPORT_SYMBOL
const char *evhttp_find_header(const struct evkeyvalq *headers,
    const char *key);

/**
   Deletes the first header of a given name (ignoring case) from a list.

   @param headers the header list
   @param key the header name
   @return 0 if a header was deleted, -1 if there was none
   @see evhttp_find_header(), evhttp_add_header()
*/
EVENT2_EXPORT_SYMBOL
int evhttp_remove_header(struct evkeyvalq *headers, const char *key);

/**
   Appends a header to a list; name and value are copied.

   @param headers the header list
   @param key the header name
   @param value the header value
   @return 0 on success, -1 if the name or value contains a line break that
     would corrupt the message, or memory ran out
   @see evhttp_find_header(), evhttp_clear_headers()
*/
EVENT2_EXPORT_SYMBOL
int evhttp_add_header(struct evkeyvalq *headers, const char *key, const char *value);

/**
   Deletes and frees every header of a list, leaving it empty.

   @param headers the header list
*/
EVENT2_EXPORT_SYMBOL
void evhttp_clear_headers(struct evkeyvalq *headers);

/* Escaping and parsing helpers. */


/**
   Percent-encodes a NUL-terminated string for use in a URI.  Every byte
   other than the RFC 3986 unreserved characters (letters, digits, '-',
   '.', '_' and '~') becomes %XX.

   @param str the string to encode
   @return a new string, to be released with free(), or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
char *evhttp_encode_uri(const char *str);

/**
   Percent-encodes a string for use in a URI, like evhttp_encode_uri(), with
   an explicit length so that the input may contain NUL bytes.

   @param str the data to encode
   @param size the number of bytes of @p str, or a negative value to stop
     at the first NUL
   @param space_to_plus if non-zero, spaces become '+' instead of %20
   @return a new string, to be released with free(), or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
char *evhttp_uriencode(const char *str, ev_ssize_t size, int space_to_plus);

/**
  Decodes percent escapes in a URI, and turns '+' into a space only in the
  part after the first '?'.

  @deprecated This mixed treatment of '+' is rarely what is wanted; use
     evhttp_uridecode().

  @param uri the encoded URI
  @return a new string, to be released with free(), or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
char *evhttp_decode_uri(const char *uri);

/**
  Decodes the percent escapes of a string.

  @param uri the encoded string
  @param decode_plus if 1, '+' is decoded as a space (as in form values);
    if 0, '+' is kept
  @param size_out if not NULL, receives the length of the result
  @return a new string, to be released with free(), or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
char *evhttp_uridecode(const char *uri, int decode_plus,
    size_t *size_out);

/**
   Splits the query string of a whole URI into decoded name/value pairs
   appended to a list.  For "/s?q=test&w=two+words" the list gets q="test"
   and w="two words".

   @deprecated Parse the URI with evhttp_uri_parse() and give its query to
     evhttp_parse_query_str().

   @param uri the URI
   @param headers the list to append to
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evhttp_parse_query(const char *uri, struct evkeyvalq *headers);

/** Same as evhttp_parse_query_str_flags() with no flags.

    @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evhttp_parse_query_str(const char *uri, struct evkeyvalq *headers);

/** Query parsing flag: accept sloppy query strings instead of failing.
 *
 * With it, a name without '=' (as in "a=1&b") is kept with an empty value,
 * empty pieces (as in "a=1&&b=2") are skipped, and a pair with an empty
 * name (as in "a=1&=2") is dropped.
 */
#define EVHTTP_URI_QUERY_NONCONFORMANT 0x01
/** Query parsing flag: when a name occurs more than once, keep its last
 * value rather than its first (for "a=1&a=2", a is "2").
 */
#define EVHTTP_URI_QUERY_LAST_VAL 0x02

/**
   Splits a query string (the part of a URI after '?') into decoded
   name/value pairs appended to a list.  For "q=test&w=two+words" the list
   gets q="test" and w="two words".

   @param uri the query string
   @param headers the list to append to
   @param flags 0 or a combination of EVHTTP_URI_QUERY_* flags
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evhttp_parse_query_str_flags(const char *uri, struct evkeyvalq *headers, unsigned flags);

/**
 * Escapes the characters that are special in HTML: < > " ' and & become
 * &lt; &gt; &quot; &#039; and &amp;.
 *
 * @param html the text to escape
 * @return a new string, to be released with free(), or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
char *evhttp_htmlescape(const char *html);

/**
 * Creates a URI with every part unset.
 *
 * @return the new URI, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_uri *evhttp_uri_new(void);

/**
 * Replaces the EVHTTP_URI_* flags of a URI, which govern how its parts are
 * checked when set.
 *
 * @param uri the URI
 * @param flags the new flags
 **/
EVENT2_EXPORT_SYMBOL
void evhttp_uri_set_flags(struct evhttp_uri *uri, unsigned flags);

/** Gives the scheme of a URI, such as "http".

    @return the scheme, or NULL if there is none (a relative reference)
 */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_scheme(const struct evhttp_uri *uri);
/**
 * Gives the userinfo part of a URI (what comes before '@' in the
 * authority).
 *
 * @return the userinfo, or NULL if there is none
 */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_userinfo(const struct evhttp_uri *uri);
/**
 * Gives the host part of a URI: a registered name, an IPv4 address, an
 * IPv6 or future address in brackets (see EVHTTP_URI_HOST_STRIP_BRACKETS),
 * or an empty string.
 *
 * NULL and "" differ: NULL means the URI has no authority at all (as in
 * "mailto:x@example.org"), "" means an authority with an empty host (as in
 * "file:///etc/hosts").
 *
 * @return the host, or NULL
 */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_host(const struct evhttp_uri *uri);
/** Gives the Unix socket path of a URI parsed with
    EVHTTP_URI_UNIX_SOCKET.

    @return the path, or NULL if there is none
 */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_unixsocket(const struct evhttp_uri *uri);
/** Gives the port of a URI.

    @return the port, or -1 if none is given
 */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_get_port(const struct evhttp_uri *uri);
/** Gives the path of a URI.

    @return the path, or NULL if there is none
 */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_path(const struct evhttp_uri *uri);
/** Gives the query of a URI, without its leading '?'.

    @return the query, or NULL if there is none
 */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_query(const struct evhttp_uri *uri);
/** Gives the fragment of a URI, without its leading '#'.

    @return the fragment, or NULL if there is none
 */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_fragment(const struct evhttp_uri *uri);

/** Sets (copies) or, with NULL, removes the scheme of a URI.

    @return 0 on success, -1 if the scheme is not valid
 */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_scheme(struct evhttp_uri *uri, const char *scheme);
/** Sets (copies) or, with NULL, removes the userinfo of a URI.

    @return 0 on success, -1 if the userinfo is not valid
 */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_userinfo(struct evhttp_uri *uri, const char *userinfo);
/** Sets (copies) or, with NULL, removes the host of a URI.

    @return 0 on success, -1 if the host is not valid
 */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_host(struct evhttp_uri *uri, const char *host);
/** Sets (copies) or, with NULL, removes the Unix socket path of a URI.

    @return 0 on success, -1 if the path is not valid
 */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_unixsocket(struct evhttp_uri *uri, const char *unixsocket);

/** Sets the port of a URI, or removes it when @p port is -1.

    @return 0 on success, -1 if the port is below -1
 */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_port(struct evhttp_uri *uri, int port);
/** Sets (copies) or, with NULL, removes the path of a URI.

    @return 0 on success, -1 if the path is not valid
 */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_path(struct evhttp_uri *uri, const char *path);
/** Sets (copies) or, with NULL, removes the query of a URI; give it
    without the leading '?'.

    @return 0 on success, -1 if the query is not valid
 */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_query(struct evhttp_uri *uri, const char *query);
/** Sets (copies) or, with NULL, removes the fragment of a URI; give it
    without the leading '#'.

    @return 0 on success, -1 if the fragment is not valid
 */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_fragment(struct evhttp_uri *uri, const char *fragment);

/**
 * Parses a URI reference as defined by RFC 3986: either an absolute URI
 * such as "http://user@example.org:8080/a/b?x=1#top" or a relative
 * reference such as "/a/b?x=1".
 *
 * Parts missing from the text are left NULL, and a missing port is -1.
 * Percent escapes are kept as they are; decode them with
 * evhttp_uridecode() or evhttp_parse_query_str() where needed.  Only the
 * generic syntax is checked, not the rules of particular schemes, so an
 * HTTP URI with port 99999 is accepted, for instance.
 *
 * @param source_uri the text to parse
 * @param flags 0 or a combination of EVHTTP_URI_NONCONFORMANT,
 *   EVHTTP_URI_HOST_STRIP_BRACKETS and EVHTTP_URI_UNIX_SOCKET
 * @return the parsed URI, to be released with evhttp_uri_free(), or NULL
 *   if the text is not a valid URI reference
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_uri *evhttp_uri_parse_with_flags(const char *source_uri,
    unsigned flags);

/** URI parsing flag: accept URIs that break RFC 3986 in ways common
 * clients do.
 *
 * At present this allows characters that the RFC forbids in the path,
 * query and fragment.
 */
#define EVHTTP_URI_NONCONFORMANT 0x01

/**
 * URI parsing flag: evhttp_uri_get_host() returns an IPv6 address without
 * its brackets, ready for getaddrinfo(); evhttp_uri_join() still writes
 * the brackets.
 */
#define EVHTTP_URI_HOST_STRIP_BRACKETS 0x04

/**
 * URI parsing flag: recognise a Unix socket in the authority, written as
 * "http://unix:/path/to/socket:/request/path".
 */
#define EVHTTP_URI_UNIX_SOCKET 0x08

/** Same as evhttp_uri_parse_with_flags() with no flags.

    @return the parsed URI, or NULL if the text is not valid
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_uri *evhttp_uri_parse(const char *source_uri);

/**
 * Frees a URI and all its parts.
 *
 * @param uri a URI from evhttp_uri_new() or evhttp_uri_parse()
 */
EVENT2_EXPORT_SYMBOL
void evhttp_uri_free(struct evhttp_uri *uri);

/**
 * Writes a URI back out as text.  The parts are written as stored, without
 * escaping, so the result is only valid if the parts are.
 *
 * @param uri the URI
 * @param buf where to write the text, NUL-terminated
 * @param limit the size of @p buf
 * @return @p buf on success, or NULL if the text does not fit or an
 *   argument is missing
 */
EVENT2_EXPORT_SYMBOL
char *evhttp_uri_join(struct evhttp_uri *uri, char *buf, size_t limit);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_HTTP_H_INCLUDED_ */
