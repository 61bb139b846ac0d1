/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTP server and client. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_HTTP_H_INCLUDED_
#define EVENT2_HTTP_H_INCLUDED_

#include <event2/util.h>
#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evbuffer;
struct event_base;
struct bufferevent;
struct evhttp_connection;

#define HTTP_CONTINUE		100
#define HTTP_SWITCH_PROTOCOLS	101
#define HTTP_PROCESSING		102
#define HTTP_EARLYHINTS		103
/** Common HTTP status codes. */
#define HTTP_OK			200
#define HTTP_CREATED		201
#define HTTP_ACCEPTED		202
#define HTTP_NONAUTHORITATIVE	203
#define HTTP_NOCONTENT		204
#define HTTP_MOVEPERM		301
#define HTTP_MOVETEMP		302
#define HTTP_NOTMODIFIED	304
#define HTTP_BADREQUEST		400
#define HTTP_UNAUTHORIZED	401
#define HTTP_PAYMENTREQUIRED	402
#define HTTP_FORBIDDEN		403
#define HTTP_NOTFOUND		404
#define HTTP_BADMETHOD		405
#define HTTP_ENTITYTOOLARGE	413
#define HTTP_EXPECTATIONFAILED	417
#define HTTP_INTERNAL           500
#define HTTP_NOTIMPLEMENTED     501
#define HTTP_BADGATEWAY		502
#define HTTP_SERVUNAVAIL	503

struct evhttp;
struct evhttp_request;
struct evkeyvalq;
struct evhttp_bound_socket;
struct evconnlistener;
struct evdns_base;
struct evhttp_ext_method;

/** Creates an HTTP server on a base. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evhttp *evhttp_new(struct event_base *base);

/** Listens on address:port. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_bind_socket(struct evhttp *http, const char *address, ev_uint16_t port);

/** Listens on address:port and returns the bound socket's handle, or NULL. */
EVENT2_EXPORT_SYMBOL
struct evhttp_bound_socket *evhttp_bind_socket_with_handle(struct evhttp *http, const char *address, ev_uint16_t port);

/** Serves connections accepted on an already listening socket. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_accept_socket(struct evhttp *http, evutil_socket_t fd);

/** Like evhttp_accept_socket(), returning the bound socket's handle or NULL. */
EVENT2_EXPORT_SYMBOL
struct evhttp_bound_socket *evhttp_accept_socket_with_handle(struct evhttp *http, evutil_socket_t fd);

/** Serves connections from an evconnlistener; the server owns it. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evhttp_bound_socket *evhttp_bind_listener(struct evhttp *http, struct evconnlistener *listener);

/** The listener behind a bound socket. */
EVENT2_EXPORT_SYMBOL
struct evconnlistener *evhttp_bound_socket_get_listener(struct evhttp_bound_socket *bound);

/** Like evhttp_set_bevcb() for one bound socket. */
EVENT2_EXPORT_SYMBOL
void evhttp_bound_set_bevcb(struct evhttp_bound_socket *bound, struct bufferevent* (*cb)(struct event_base *, void *), void *cbarg);

typedef void evhttp_bound_socket_foreach_fn(struct evhttp_bound_socket *, void *);

/** Calls `function` on each bound socket of the server. */
EVENT2_EXPORT_SYMBOL
void evhttp_foreach_bound_socket(struct evhttp *http, evhttp_bound_socket_foreach_fn *function, void *argument);

/** Stops serving on a bound socket and closes it. */
EVENT2_EXPORT_SYMBOL
void evhttp_del_accept_socket(struct evhttp *http, struct evhttp_bound_socket *bound_socket);

/** The file descriptor of a bound socket. */
EVENT2_EXPORT_SYMBOL
evutil_socket_t evhttp_bound_socket_get_fd(struct evhttp_bound_socket *bound_socket);

/** Releases a server and its connections. */
EVENT2_EXPORT_SYMBOL
void evhttp_free(struct evhttp* http);

/** Limits the size of request headers. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_max_headers_size(struct evhttp* http, ev_ssize_t max_headers_size);

/** Limits the size of request bodies. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_max_body_size(struct evhttp* http, ev_ssize_t max_body_size);

/** Limits the number of open connections (0: no limit). */
EVENT2_EXPORT_SYMBOL
void evhttp_set_max_connections(struct evhttp* http, int max_connections);

/** How many connections the server has open. */
EVENT2_EXPORT_SYMBOL
int evhttp_get_connection_count(struct evhttp* http);

/** The Content-Type of replies that set none. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_default_content_type(struct evhttp *http,
	const char *content_type);

/** Which request methods the server accepts (EVHTTP_REQ_* bits). */
EVENT2_EXPORT_SYMBOL
void evhttp_set_allowed_methods(struct evhttp* http, ev_uint32_t methods);

/** Tells the library about a method beyond the standard ones. */
typedef int (*evhttp_ext_method_cb)(struct evhttp_ext_method *);

/** Lets the server accept methods beyond the standard ones. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_ext_method_cmp(struct evhttp *http, evhttp_ext_method_cb cmp);

/** Calls `cb` for requests of one path. Returns 0, -1 when the path already has one, -2 on failure. */
EVENT2_EXPORT_SYMBOL
int evhttp_set_cb(struct evhttp *http, const char *path,
    void (*cb)(struct evhttp_request *, void *), void *cb_arg);

/** Removes the callback of a path. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_del_cb(struct evhttp *, const char *);

/** Calls `cb` for requests of paths without their own callback. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_gencb(struct evhttp *http,
    void (*cb)(struct evhttp_request *, void *), void *arg);

/** Makes the server create each connection's bufferevent with `cb` (e.g. for TLS). */
EVENT2_EXPORT_SYMBOL
void evhttp_set_bevcb(struct evhttp *http,
    struct bufferevent *(*cb)(struct event_base *, void *), void *arg);

/** Calls `cb` for each new request before its headers are read; non-zero refuses it. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_newreqcb(struct evhttp *http,
    int (*cb)(struct evhttp_request*, void *), void *arg);

/** Calls `cb` to produce the body of error replies. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_errorcb(struct evhttp *http,
    int (*cb)(struct evhttp_request *req, struct evbuffer *buffer, int error, const char *reason, void *cbarg),
    void *cbarg);

/** Serves requests for `pattern` host names with another server. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_add_virtual_host(struct evhttp* http, const char *pattern,
    struct evhttp* vhost);

/** Removes a virtual host. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_remove_virtual_host(struct evhttp* http, struct evhttp* vhost);

/** Accepts another host name for the server. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_add_server_alias(struct evhttp *http, const char *alias);

/** Removes a host-name alias. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_remove_server_alias(struct evhttp *http, const char *alias);

/** Sets the server's read and write timeouts in seconds. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_timeout(struct evhttp *http, int timeout);

/** Sets the server's read and write timeouts. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_timeout_tv(struct evhttp *http, const struct timeval* tv);

/** Sets the server's read timeout. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_read_timeout_tv(struct evhttp *http, const struct timeval* tv);

/** Sets the server's write timeout. */
EVENT2_EXPORT_SYMBOL
void evhttp_set_write_timeout_tv(struct evhttp *http, const struct timeval* tv);

/** Server flags for evhttp_set_flags(). */
#define EVHTTP_SERVER_LINGERING_CLOSE	0x0001

/** Sets EVHTTP_SERVER_* flags. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_set_flags(struct evhttp *http, int flags);

/** Sends an error reply with a status code and reason (NULL: the standard one). */
EVENT2_EXPORT_SYMBOL
void evhttp_send_error(struct evhttp_request *req, int error,
    const char *reason);

/** Sends a complete reply with a body. */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply(struct evhttp_request *req, int code,
    const char *reason, struct evbuffer *databuf);

/** Starts a chunked reply. */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_start(struct evhttp_request *req, int code,
    const char *reason);

/** Sends one chunk of a chunked reply. */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_chunk(struct evhttp_request *req,
    struct evbuffer *databuf);

/** Sends one chunk and calls `cb` when it was written. */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_chunk_with_cb(struct evhttp_request *req, struct evbuffer *databuf,
    void (*cb)(struct evhttp_connection *, void *), void *arg);

/** Ends a chunked reply. */
EVENT2_EXPORT_SYMBOL
void evhttp_send_reply_end(struct evhttp_request *req);

/** Request methods, as bits that evhttp_set_allowed_methods() combines. */
enum evhttp_cmd_type {
	EVHTTP_REQ_GET     = 1 << 0,
	EVHTTP_REQ_POST    = 1 << 1,
	EVHTTP_REQ_HEAD    = 1 << 2,
	EVHTTP_REQ_PUT     = 1 << 3,
	EVHTTP_REQ_DELETE  = 1 << 4,
	EVHTTP_REQ_OPTIONS = 1 << 5,
	EVHTTP_REQ_TRACE   = 1 << 6,
	EVHTTP_REQ_CONNECT = 1 << 7,
	EVHTTP_REQ_PATCH   = 1 << 8,
	EVHTTP_REQ_PROPFIND= 1 << 9,
	EVHTTP_REQ_PROPPATCH=1 << 10,
	EVHTTP_REQ_MKCOL   = 1 << 11,
	EVHTTP_REQ_LOCK    = 1 << 12,
	EVHTTP_REQ_UNLOCK  = 1 << 13,
	EVHTTP_REQ_COPY    = 1 << 14,
	EVHTTP_REQ_MOVE    = 1 << 15,
};

#define EVHTTP_REQ_MAX EVHTTP_REQ_MOVE

/** A method beyond the standard ones: its name, bit and properties. */
struct evhttp_ext_method {
	const char *method;
	ev_uint32_t type;
	ev_uint16_t flags;
};

#define EVHTTP_METHOD_HAS_BODY 0x0001

/** Whether a request object is a request or a response. */
enum evhttp_request_kind { EVHTTP_REQUEST, EVHTTP_RESPONSE };

/** Creates a client connection over a given bufferevent (NULL: a new socket). NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_connection_base_bufferevent_new(
	struct event_base *base, struct evdns_base *dnsbase, struct bufferevent* bev, const char *address, ev_uint16_t port);

/** Creates a client connection over a Unix socket path. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_connection_base_bufferevent_unix_new(
	struct event_base *base, struct bufferevent* bev, const char *path);

/** The bufferevent of a connection. */
EVENT2_EXPORT_SYMBOL
struct bufferevent* evhttp_connection_get_bufferevent(struct evhttp_connection *evcon);

/** The server a connection belongs to, or NULL for client connections. */
EVENT2_EXPORT_SYMBOL
struct evhttp *evhttp_connection_get_server(struct evhttp_connection *evcon);

/** Creates a request whose completion calls `cb`. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evhttp_request *evhttp_request_new(
	void (*cb)(struct evhttp_request *, void *), void *arg);

/** Calls `cb` for each chunk of a chunked reply as it arrives. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_chunked_cb(struct evhttp_request *,
    void (*cb)(struct evhttp_request *, void *));

/** Calls `cb` once the reply's headers arrived; non-zero cancels the request. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_header_cb(struct evhttp_request *,
    int (*cb)(struct evhttp_request *, void *));

/** Why a client request failed, as passed to the error callback. */
enum evhttp_request_error {

  EVREQ_HTTP_TIMEOUT,

  EVREQ_HTTP_EOF,

  EVREQ_HTTP_INVALID_HEADER,

  EVREQ_HTTP_BUFFER_ERROR,

  EVREQ_HTTP_REQUEST_CANCEL,

  EVREQ_HTTP_DATA_TOO_LONG
};

/** Calls `cb` with an EVREQ_HTTP_* error when a request fails. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_error_cb(struct evhttp_request *,
    void (*)(enum evhttp_request_error, void *));

/** Calls `cb` after a server request's reply was sent. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_set_on_complete_cb(struct evhttp_request *req,
    void (*cb)(struct evhttp_request *, void *), void *cb_arg);

/** Releases a request. */
EVENT2_EXPORT_SYMBOL
void evhttp_request_free(struct evhttp_request *req);

/** Creates a client connection to address:port, resolving with `dnsbase` if given. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_connection_base_new(
	struct event_base *base, struct evdns_base *dnsbase,
	const char *address, ev_uint16_t port);

/** Restricts name resolution to one address family. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_family(struct evhttp_connection *evcon,
	int family);

/** Connection flags for evhttp_connection_set_flags(). */
#define EVHTTP_CON_REUSE_CONNECTED_ADDR	0x0008

#define EVHTTP_CON_READ_ON_WRITE_ERROR	0x0010

#define EVHTTP_CON_LINGERING_CLOSE	0x0020

#define EVHTTP_CON_PUBLIC_FLAGS_END	0x100000

/** Sets EVHTTP_CON_* flags. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_connection_set_flags(struct evhttp_connection *evcon,
	int flags);

/** Keeps a request alive after its callback returns; free it with evhttp_request_free(). */
EVENT2_EXPORT_SYMBOL
void evhttp_request_own(struct evhttp_request *req);

/** True when the caller owns the request. */
EVENT2_EXPORT_SYMBOL
int evhttp_request_is_owned(struct evhttp_request *req);

/** Lets a connection send and accept methods beyond the standard ones. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_ext_method_cmp(struct evhttp_connection *evcon,
	evhttp_ext_method_cb cmp);

/** The connection a request uses. */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evhttp_request_get_connection(struct evhttp_request *req);

/** The base of a connection. */
EVENT2_EXPORT_SYMBOL
struct event_base *evhttp_connection_get_base(struct evhttp_connection *req);

/** Limits the size of headers read on a connection. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_max_headers_size(struct evhttp_connection *evcon,
    ev_ssize_t new_max_headers_size);

/** Limits the size of bodies read on a connection. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_max_body_size(struct evhttp_connection* evcon,
    ev_ssize_t new_max_body_size);

/** Releases a connection and its pending requests. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_free(struct evhttp_connection *evcon);

/** Releases the connection once its last request completed. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_free_on_completion(struct evhttp_connection *evcon);

/** Binds outgoing connections to a local address. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_local_address(struct evhttp_connection *evcon,
    const char *address);

/** Binds outgoing connections to a local port. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_local_port(struct evhttp_connection *evcon,
    ev_uint16_t port);

/** Sets a connection's timeout in seconds. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_timeout(struct evhttp_connection *evcon,
    int timeout);

/** Sets a connection's read and write timeouts. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_timeout_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/** Sets a connection's connect timeout. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_connect_timeout_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/** Sets a connection's read timeout. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_read_timeout_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/** Sets a connection's write timeout. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_write_timeout_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/** Sets the delay before the first retry; later retries double it. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_initial_retry_tv(struct evhttp_connection *evcon,
    const struct timeval *tv);

/** Sets how often a failed connection is retried (-1: forever). */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_retries(struct evhttp_connection *evcon,
    int retry_max);

/** Calls `cb` when the connection closes. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_set_closecb(struct evhttp_connection *evcon,
    void (*)(struct evhttp_connection *, void *), void *);

/** Gives the peer's address as text and its port. */
EVENT2_EXPORT_SYMBOL
void evhttp_connection_get_peer(struct evhttp_connection *evcon,
    const char **address, ev_uint16_t *port);

/** The peer's socket address, or NULL. */
EVENT2_EXPORT_SYMBOL
const struct sockaddr*
evhttp_connection_get_addr(struct evhttp_connection *evcon);

/** Sends a request with a method and URI; the connection owns it. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_make_request(struct evhttp_connection *evcon,
    struct evhttp_request *req,
    enum evhttp_cmd_type type, const char *uri);

/** Cancels a pending request; its callback is not called. */
EVENT2_EXPORT_SYMBOL
void evhttp_cancel_request(struct evhttp_request *req);

struct evhttp_uri;

/** The request's URI as text. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_request_get_uri(const struct evhttp_request *req);

/** The request's parsed URI. */
EVENT2_EXPORT_SYMBOL
const struct evhttp_uri *evhttp_request_get_evhttp_uri(const struct evhttp_request *req);

/** The request's method. */
EVENT2_EXPORT_SYMBOL
enum evhttp_cmd_type evhttp_request_get_command(const struct evhttp_request *req);

/** The reply's status code. */
EVENT2_EXPORT_SYMBOL
int evhttp_request_get_response_code(const struct evhttp_request *req);
/** The reply's reason phrase. */
EVENT2_EXPORT_SYMBOL
const char * evhttp_request_get_response_code_line(const struct evhttp_request *req);

/** The headers received. */
EVENT2_EXPORT_SYMBOL
struct evkeyvalq *evhttp_request_get_input_headers(struct evhttp_request *req);

/** The headers to send. */
EVENT2_EXPORT_SYMBOL
struct evkeyvalq *evhttp_request_get_output_headers(struct evhttp_request *req);

/** The body received. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evhttp_request_get_input_buffer(struct evhttp_request *req);

/** The body to send. */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evhttp_request_get_output_buffer(struct evhttp_request *req);

/** The host the request names (from its URI or Host header). */
EVENT2_EXPORT_SYMBOL
const char *evhttp_request_get_host(struct evhttp_request *req);

/** The value of a header (case-insensitive name), or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_find_header(const struct evkeyvalq *headers,
    const char *key);

/** Removes a header. Returns 0, or -1 when absent. */
EVENT2_EXPORT_SYMBOL
int evhttp_remove_header(struct evkeyvalq *headers, const char *key);

/** Adds a header; refuses names and values with line breaks. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_add_header(struct evkeyvalq *headers, const char *key, const char *value);

/** Removes all headers of a list. */
EVENT2_EXPORT_SYMBOL
void evhttp_clear_headers(struct evkeyvalq *headers);

/** Percent-encodes a string; free the result. NULL on failure. */
EVENT2_EXPORT_SYMBOL
char *evhttp_encode_uri(const char *str);

/** Percent-encodes `len` bytes (spaces as '+' when asked); free the result. */
EVENT2_EXPORT_SYMBOL
char *evhttp_uriencode(const char *str, ev_ssize_t size, int space_to_plus);

/** Decodes percent escapes; free the result. NULL on failure. */
EVENT2_EXPORT_SYMBOL
char *evhttp_decode_uri(const char *uri);

/** Decodes percent escapes ('+' as space when asked) and stores the length; free the result. */
EVENT2_EXPORT_SYMBOL
char *evhttp_uridecode(const char *uri, int decode_plus,
    size_t *size_out);

/** Parses the query of a URI into key/value pairs. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_parse_query(const char *uri, struct evkeyvalq *headers);

/** Parses a query string into key/value pairs. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_parse_query_str(const char *uri, struct evkeyvalq *headers);

/** Query parsing flags. */
#define EVHTTP_URI_QUERY_NONCONFORMANT 0x01

#define EVHTTP_URI_QUERY_LAST_VAL 0x02

/** Like evhttp_parse_query_str() with EVHTTP_URI_QUERY_* flags. */
EVENT2_EXPORT_SYMBOL
int evhttp_parse_query_str_flags(const char *uri, struct evkeyvalq *headers, unsigned flags);

/** Escapes <, >, ", ' and & for HTML; free the result. */
EVENT2_EXPORT_SYMBOL
char *evhttp_htmlescape(const char *html);

/** Creates an empty URI. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evhttp_uri *evhttp_uri_new(void);

/** Sets EVHTTP_URI_* flags used when joining. */
EVENT2_EXPORT_SYMBOL
void evhttp_uri_set_flags(struct evhttp_uri *uri, unsigned flags);

/** The scheme, or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_scheme(const struct evhttp_uri *uri);

/** The user information, or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_userinfo(const struct evhttp_uri *uri);

/** The host, or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_host(const struct evhttp_uri *uri);

/** The Unix socket path, or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_unixsocket(const struct evhttp_uri *uri);

/** The port, or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_get_port(const struct evhttp_uri *uri);

/** The path, or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_path(const struct evhttp_uri *uri);

/** The query, or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_query(const struct evhttp_uri *uri);

/** The fragment, or NULL. */
EVENT2_EXPORT_SYMBOL
const char *evhttp_uri_get_fragment(const struct evhttp_uri *uri);

/** Sets the scheme. Returns 0, or -1 if invalid. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_scheme(struct evhttp_uri *uri, const char *scheme);

/** Sets the user information. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_userinfo(struct evhttp_uri *uri, const char *userinfo);

/** Sets the host. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_host(struct evhttp_uri *uri, const char *host);

/** Sets the Unix socket path. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_unixsocket(struct evhttp_uri *uri, const char *unixsocket);

/** Sets the port (-1: none). Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_port(struct evhttp_uri *uri, int port);

/** Sets the path. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_path(struct evhttp_uri *uri, const char *path);

/** Sets the query. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_query(struct evhttp_uri *uri, const char *query);

/** Sets the fragment. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evhttp_uri_set_fragment(struct evhttp_uri *uri, const char *fragment);

/** Parses a URI with EVHTTP_URI_* flags. NULL when malformed. */
EVENT2_EXPORT_SYMBOL
struct evhttp_uri *evhttp_uri_parse_with_flags(const char *source_uri,
    unsigned flags);

/** URI parsing flags. */
#define EVHTTP_URI_NONCONFORMANT 0x01

#define EVHTTP_URI_HOST_STRIP_BRACKETS 0x04

#define EVHTTP_URI_UNIX_SOCKET 0x08

/** Parses a URI. NULL when malformed. */
EVENT2_EXPORT_SYMBOL
struct evhttp_uri *evhttp_uri_parse(const char *source_uri);

/** Releases a URI. */
EVENT2_EXPORT_SYMBOL
void evhttp_uri_free(struct evhttp_uri *uri);

/** Writes a URI as text into `buf`. Returns `buf`, or NULL if it does not fit. */
EVENT2_EXPORT_SYMBOL
char *evhttp_uri_join(struct evhttp_uri *uri, char *buf, size_t limit);

#ifdef __cplusplus
}
#endif

#endif
