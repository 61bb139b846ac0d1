/* SPDX-License-Identifier: BSD-3-Clause */
/* Asynchronous DNS resolver and server. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_DNS_H_INCLUDED_
#define EVENT2_DNS_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/util.h>

/** Result codes of resolver callbacks. */
#define DNS_ERR_NONE 0

#define DNS_ERR_FORMAT 1

#define DNS_ERR_SERVERFAILED 2

#define DNS_ERR_NOTEXIST 3

#define DNS_ERR_NOTIMPL 4

#define DNS_ERR_REFUSED 5

#define DNS_ERR_TRUNCATED 65

#define DNS_ERR_UNKNOWN 66

#define DNS_ERR_TIMEOUT 67

#define DNS_ERR_SHUTDOWN 68

#define DNS_ERR_CANCEL 69

#define DNS_ERR_NODATA 70

/** Kinds of answers passed to resolver callbacks. */
#define DNS_IPv4_A 1
#define DNS_PTR 2
#define DNS_IPv6_AAAA 3
#define DNS_CNAME 4

/** Request flags. */
#define DNS_QUERY_NO_SEARCH 0x01

#define DNS_QUERY_USEVC 0x02

#define DNS_QUERY_IGNTC 0x04

#define DNS_CNAME_CALLBACK 0x80

/** Which parts of a resolv.conf file to use. */
#define DNS_OPTION_SEARCH 1

#define DNS_OPTION_NAMESERVERS 2

#define DNS_OPTION_MISC 4

#define DNS_OPTION_HOSTSFILE 8

#define DNS_OPTIONS_ALL (    \
    DNS_OPTION_SEARCH      | \
    DNS_OPTION_NAMESERVERS | \
    DNS_OPTION_MISC        | \
    DNS_OPTION_HOSTSFILE   | \
    0                        \
)

#define DNS_OPTION_NAMESERVERS_NO_DEFAULT 16

#define DNS_NO_SEARCH DNS_QUERY_NO_SEARCH

/** Receives a lookup's result code, answer kind, count, TTL, answers and argument. */
typedef void (*evdns_callback_type) (int result, char type, int count, int ttl, void *addresses, void *arg);

struct evdns_base;
struct event_base;

/** Flags of evdns_base_new(). */
#define EVDNS_BASE_INITIALIZE_NAMESERVERS 1

#define EVDNS_BASE_DISABLE_WHEN_INACTIVE 0x8000

#define EVDNS_BASE_NAMESERVERS_NO_DEFAULT 0x10000

#define EVDNS_ERROR_NONE 0

#define EVDNS_ERROR_FAILED_TO_OPEN_FILE 1

#define EVDNS_ERROR_FAILED_TO_STAT_FILE 2

#define EVDNS_ERROR_FILE_TOO_LARGE 3

#define EVDNS_ERROR_OUT_OF_MEMORY 4

#define EVDNS_ERROR_SHORT_READ_FROM_FILE 5

#define EVDNS_ERROR_NO_NAMESERVERS_CONFIGURED 6

/** Creates a resolver on `event_base`; EVDNS_BASE_* flags choose whether to read the system configuration. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evdns_base * evdns_base_new(struct event_base *event_base, int flags);

/** Releases a resolver; with `fail_requests`, pending requests get DNS_ERR_SHUTDOWN first. */
EVENT2_EXPORT_SYMBOL
void evdns_base_free(struct evdns_base *base, int fail_requests);

/** Forgets the addresses loaded from a hosts file. */
EVENT2_EXPORT_SYMBOL
void evdns_base_clear_host_addresses(struct evdns_base *base);

/** A description of a DNS_ERR_* code. */
EVENT2_EXPORT_SYMBOL
const char *evdns_err_to_string(int err);

/** Adds a name server by IPv4 address in network order. Returns 0 or an error. */
EVENT2_EXPORT_SYMBOL
int evdns_base_nameserver_add(struct evdns_base *base,
    unsigned long int address);

/** How many name servers the resolver knows. */
EVENT2_EXPORT_SYMBOL
int evdns_base_count_nameservers(struct evdns_base *base);

/** Removes all name servers and holds requests until some are added and the resolver resumed. */
EVENT2_EXPORT_SYMBOL
int evdns_base_clear_nameservers_and_suspend(struct evdns_base *base);

/** Sends the requests held since the name servers were cleared. */
EVENT2_EXPORT_SYMBOL
int evdns_base_resume(struct evdns_base *base);

/** Adds a name server given as "addr[:port]" text. Returns 0 or an error. */
EVENT2_EXPORT_SYMBOL
int evdns_base_nameserver_ip_add(struct evdns_base *base,
    const char *ip_as_string);

/** Adds a name server given as a socket address. Returns 0 or an error. */
EVENT2_EXPORT_SYMBOL
int
evdns_base_nameserver_sockaddr_add(struct evdns_base *base,
    const struct sockaddr *sa, ev_socklen_t len, unsigned flags);

struct evdns_request;

/** Looks up the IPv4 addresses of a name; `callback` gets the answer. Returns a request handle or NULL. */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_ipv4(struct evdns_base *base, const char *name, int flags, evdns_callback_type callback, void *ptr);

/** Looks up the IPv6 addresses of a name. Returns a request handle or NULL. */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_ipv6(struct evdns_base *base, const char *name, int flags, evdns_callback_type callback, void *ptr);

struct in_addr;
struct in6_addr;

/** Looks up the name of an IPv4 address. Returns a request handle or NULL. */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_reverse(struct evdns_base *base, const struct in_addr *in, int flags, evdns_callback_type callback, void *ptr);

/** Looks up the name of an IPv6 address. Returns a request handle or NULL. */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_reverse_ipv6(struct evdns_base *base, const struct in6_addr *in, int flags, evdns_callback_type callback, void *ptr);

/** Cancels a pending request; its callback gets DNS_ERR_CANCEL. */
EVENT2_EXPORT_SYMBOL
void evdns_cancel_request(struct evdns_base *base, struct evdns_request *req);

/** Sets one resolv.conf-style option ("ndots:", "timeout:", ...). Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_base_set_option(struct evdns_base *base, const char *option, const char *val);

/** Reads name servers and options from a resolv.conf file. Returns 0 or a DNS_ERR-like code. */
EVENT2_EXPORT_SYMBOL
int evdns_base_resolv_conf_parse(struct evdns_base *base, int flags, const char *const filename);

/** Reads host names from a hosts file (NULL: the system's). Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_base_load_hosts(struct evdns_base *base, const char *hosts_fname);

#if defined(EVENT_IN_DOXYGEN_) || defined(_WIN32)

/** Reads name servers from the Windows registry. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_base_config_windows_nameservers(struct evdns_base *);
#define EVDNS_BASE_CONFIG_WINDOWS_NAMESERVERS_IMPLEMENTED
#endif

/** Empties the search-domain list. */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_clear(struct evdns_base *base);

/** Appends a search domain. */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_add(struct evdns_base *base, const char *domain);

/** Sets the dots a name needs before it is tried unqualified first. */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_ndots_set(struct evdns_base *base, const int ndots);

/** Receives a resolver log message: whether it is a warning, and the text. */
typedef void (*evdns_debug_log_fn_type)(int is_warning, const char *msg);

/** Sends the resolver's log messages to `fn`. */
EVENT2_EXPORT_SYMBOL
void evdns_set_log_fn(evdns_debug_log_fn_type fn);

struct evdns_server_request;
struct evdns_server_question;

/** Handles a request that arrived at a DNS server port. */
typedef void (*evdns_request_callback_fn_type)(struct evdns_server_request *, void *);
/** Sections of a DNS reply. */
#define EVDNS_ANSWER_SECTION 0
#define EVDNS_AUTHORITY_SECTION 1
#define EVDNS_ADDITIONAL_SECTION 2

/** DNS record types. */
#define EVDNS_TYPE_A	   1
#define EVDNS_TYPE_NS	   2
#define EVDNS_TYPE_CNAME   5
#define EVDNS_TYPE_SOA	   6
#define EVDNS_TYPE_PTR	  12
#define EVDNS_TYPE_MX	  15
#define EVDNS_TYPE_TXT	  16
#define EVDNS_TYPE_AAAA	  28

#define EVDNS_QTYPE_AXFR 252
#define EVDNS_QTYPE_ALL	 255

/** DNS record classes. */
#define EVDNS_CLASS_INET   1

/** Reply header flags. */
#define EVDNS_FLAGS_AA	0x400
#define EVDNS_FLAGS_RD	0x080

/** Serves DNS requests on a UDP socket; `callback` answers each. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *evdns_add_server_port_with_base(struct event_base *base, evutil_socket_t socket, int flags, evdns_request_callback_fn_type callback, void *user_data);

struct evconnlistener;

/** Serves DNS requests over TCP connections from a listener. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *evdns_add_server_port_with_listener(
    struct event_base *base, struct evconnlistener *listener, int flags,
    evdns_request_callback_fn_type callback, void *user_data);

/** Stops serving on a server port. */
EVENT2_EXPORT_SYMBOL
void evdns_close_server_port(struct evdns_server_port *port);

/** Options accepted by evdns_server_port_set_option(). */
enum evdns_server_option {
	/** TCP servers only: how many clients may be connected at the same time. */
	EVDNS_SOPT_TCP_MAX_CLIENTS,
	/** TCP servers only: seconds a client may stay silent before it is disconnected. */
	EVDNS_SOPT_TCP_IDLE_TIMEOUT,
};

/** Sets an option of a server port. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_server_port_set_option(struct evdns_server_port *port, enum evdns_server_option option, size_t value);

/** Sets header flags of the reply to a server request. */
EVENT2_EXPORT_SYMBOL
void evdns_server_request_set_flags(struct evdns_server_request *req, int flags);

/** Adds a resource record to a reply. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_reply(struct evdns_server_request *req, int section, const char *name, int type, int dns_class, int ttl, int datalen, int is_name, const char *data);
/** Adds IPv4 answers to a reply. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_a_reply(struct evdns_server_request *req, const char *name, int n, const void *addrs, int ttl);
/** Adds IPv6 answers to a reply. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_aaaa_reply(struct evdns_server_request *req, const char *name, int n, const void *addrs, int ttl);
/** Adds a PTR answer to a reply. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_ptr_reply(struct evdns_server_request *req, struct in_addr *in, const char *inaddr_name, const char *hostname, int ttl);
/** Adds a CNAME answer to a reply. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_cname_reply(struct evdns_server_request *req, const char *name, const char *cname, int ttl);

/** Sends the reply with the given error code and frees the request. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_respond(struct evdns_server_request *req, int err);

/** Frees a request without answering. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_drop(struct evdns_server_request *req);
struct sockaddr;

/** Copies the requester's address. Returns its length, or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_get_requesting_addr(struct evdns_server_request *req, struct sockaddr *sa, int addr_len);

/** Receives the result of evdns_getaddrinfo(): an EVUTIL_EAI_* code and the address list. */
typedef void (*evdns_getaddrinfo_cb)(int result, struct evutil_addrinfo *res, void *arg);

struct evdns_base;
struct evdns_getaddrinfo_request;

/** Resolves like evutil_getaddrinfo() without blocking; `cb` gets the result. Returns a handle, or NULL when it finished at once. */
EVENT2_EXPORT_SYMBOL
struct evdns_getaddrinfo_request *evdns_getaddrinfo(
    struct evdns_base *dns_base,
    const char *nodename, const char *servname,
    const struct evutil_addrinfo *hints_in,
    evdns_getaddrinfo_cb cb, void *arg);

/** Cancels a pending evdns_getaddrinfo(); its callback gets EVUTIL_EAI_CANCEL. */
EVENT2_EXPORT_SYMBOL
void evdns_getaddrinfo_cancel(struct evdns_getaddrinfo_request *req);

/** Copies the idx-th name server's address into `sa`. Returns its length, or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_base_get_nameserver_addr(struct evdns_base *base, int idx,
    struct sockaddr *sa, ev_socklen_t len);

/** The socket used to talk to the idx-th name server, or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_base_get_nameserver_fd(struct evdns_base *base, int idx);

#ifdef __cplusplus
}
#endif

#endif
