/* SPDX-License-Identifier: BSD-3-Clause */
/* Asynchronous DNS resolver and a small DNS server facility. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

/** @file event2/dns.h
 *
 * @brief Non-blocking name resolution, plus the building blocks of a
 * simple DNS server.
 *
 * The resolver lives in a struct evdns_base attached to an event_base.
 * Queries are sent to the configured name servers over UDP (or TCP on
 * request or after a truncated reply); answers are delivered to a callback
 * from the event loop.  Name servers that stop answering are set aside and
 * probed from time to time until they respond again; working servers are
 * used in turn.
 *
 * Minimal use:
 * @code
 *   struct evdns_base *dns = evdns_base_new(base,
 *       EVDNS_BASE_INITIALIZE_NAMESERVERS);
 *   evdns_base_resolve_ipv4(dns, "example.org", 0, on_answer, NULL);
 *   event_base_dispatch(base);
 * @endcode
 *
 * Search domains: when a search list is configured (from resolv.conf or
 * with evdns_base_search_add()), a short name may be tried with each
 * domain of the list appended.  A name that has at least "ndots" dots is
 * tried as given first, and then with the search domains; a name with
 * fewer dots is tried with the search domains first and as given last.
 * Pass DNS_QUERY_NO_SEARCH to a lookup to use the name exactly as written.
 *
 * The server half accepts queries on a UDP socket or a TCP listener,
 * hands each one to a callback, and sends the answers the callback adds.
 */

#ifndef EVENT2_DNS_H_INCLUDED_
#define EVENT2_DNS_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Integer and socket types. */
#include <event2/util.h>

/** Result code: the lookup succeeded.  Codes 1 to 5 are the response codes
 * of RFC 1035; larger ones are produced locally. */
#define DNS_ERR_NONE 0
/** Result code: the server could not make sense of the query. */
#define DNS_ERR_FORMAT 1
/** Result code: the server failed while handling the query. */
#define DNS_ERR_SERVERFAILED 2
/** Result code: no such domain name exists. */
#define DNS_ERR_NOTEXIST 3
/** Result code: the server does not implement this kind of query. */
#define DNS_ERR_NOTIMPL 4
/** Result code: the server declined to answer, by its own policy. */
#define DNS_ERR_REFUSED 5
/** Result code: the reply was cut short or malformed. */
#define DNS_ERR_TRUNCATED 65
/** Result code: some failure not covered by the other codes. */
#define DNS_ERR_UNKNOWN 66
/** Result code: no reply arrived in time. */
#define DNS_ERR_TIMEOUT 67
/** Result code: the resolver was freed while the lookup was pending. */
#define DNS_ERR_SHUTDOWN 68
/** Result code: the lookup was cancelled with evdns_cancel_request(). */
#define DNS_ERR_CANCEL 69
/** Result code: the name exists, but has no record of the type asked
 * for, and the server reported no error. */
#define DNS_ERR_NODATA 70

/** Answer type: IPv4 addresses (4 bytes each). */
#define DNS_IPv4_A 1
/** Answer type: a host name from a reverse lookup. */
#define DNS_PTR 2
/** Answer type: IPv6 addresses (16 bytes each). */
#define DNS_IPv6_AAAA 3
/** Answer type: a canonical name (with DNS_CNAME_CALLBACK). */
#define DNS_CNAME 4

/** Lookup flag: use the name as given, without the search domains. */
#define DNS_QUERY_NO_SEARCH 0x01
/** Lookup flag: send the query over TCP instead of UDP. */
#define DNS_QUERY_USEVC 0x02
/** Lookup flag: accept truncated UDP replies instead of retrying over TCP. */
#define DNS_QUERY_IGNTC 0x04
/** Lookup flag: also report a CNAME found in the answer, with a separate
 * callback of type DNS_CNAME. */
#define DNS_CNAME_CALLBACK 0x80

/** resolv.conf parsing: take the "search" and "domain" lines. */
#define DNS_OPTION_SEARCH 1
/** resolv.conf parsing: take the "nameserver" lines, and fall back to a
 * server on the local host when there are none. */
#define DNS_OPTION_NAMESERVERS 2
/** resolv.conf parsing: take the "options" line (timeout, attempts, ndots,
 * max-timeouts, max-inflight, randomize-case, use-vc, ignore-tc,
 * edns-udp-size and the other settings evdns_base_set_option() knows). */
#define DNS_OPTION_MISC 4
/** resolv.conf parsing: also load the system hosts file. */
#define DNS_OPTION_HOSTSFILE 8
/** resolv.conf parsing: every one of the DNS_OPTION_SEARCH,
 * DNS_OPTION_NAMESERVERS, DNS_OPTION_MISC and DNS_OPTION_HOSTSFILE parts. */
#define DNS_OPTIONS_ALL (    \
    DNS_OPTION_SEARCH      | \
    DNS_OPTION_NAMESERVERS | \
    DNS_OPTION_MISC        | \
    DNS_OPTION_HOSTSFILE   | \
    0                        \
)
/** resolv.conf parsing: with DNS_OPTION_NAMESERVERS, do not add the local
 * host as a name server when the file lists none. */
#define DNS_OPTION_NAMESERVERS_NO_DEFAULT 16

/** Former name of DNS_QUERY_NO_SEARCH. */
#define DNS_NO_SEARCH DNS_QUERY_NO_SEARCH

/**
 * Receives the outcome of an evdns_base_resolve_* lookup.
 *
 * @param result DNS_ERR_NONE on success, otherwise another DNS_ERR_* code
 * @param type DNS_IPv4_A, DNS_IPv6_AAAA, DNS_PTR or DNS_CNAME
 * @param count how many answers @p addresses holds
 * @param ttl how long, in seconds, the answer may be cached
 * @param addresses the answers: an array of 4-byte IPv4 or 16-byte IPv6
 *   addresses in network order, or a NUL-terminated name for DNS_PTR and
 *   DNS_CNAME; only valid during the call
 * @param arg the pointer given when the lookup was started
 */
typedef void (*evdns_callback_type) (int result, char type, int count, int ttl, void *addresses, void *arg);

struct evdns_base;
struct event_base;

/** evdns_base_new() flag: configure the name servers from the system
 * (resolv.conf on Unix). */
#define EVDNS_BASE_INITIALIZE_NAMESERVERS 1
/** evdns_base_new() flag: pending lookups do not keep the event loop
 * running; the loop may exit while there are none. */
#define EVDNS_BASE_DISABLE_WHEN_INACTIVE 0x8000
/** evdns_base_new() flag: with EVDNS_BASE_INITIALIZE_NAMESERVERS, do not
 * fall back to a local name server when the system lists none (compare
 * DNS_OPTION_NAMESERVERS_NO_DEFAULT). */
#define EVDNS_BASE_NAMESERVERS_NO_DEFAULT 0x10000

/** evdns_base_resolv_conf_parse() result: success. */
#define EVDNS_ERROR_NONE 0
/** evdns_base_resolv_conf_parse() result: the file could not be opened. */
#define EVDNS_ERROR_FAILED_TO_OPEN_FILE 1
/** evdns_base_resolv_conf_parse() result: the file's size could not be read. */
#define EVDNS_ERROR_FAILED_TO_STAT_FILE 2
/** evdns_base_resolv_conf_parse() result: the file is too big to parse. */
#define EVDNS_ERROR_FILE_TOO_LARGE 3
/** evdns_base_resolv_conf_parse() result: memory ran out. */
#define EVDNS_ERROR_OUT_OF_MEMORY 4
/** evdns_base_resolv_conf_parse() result: reading stopped before the end. */
#define EVDNS_ERROR_SHORT_READ_FROM_FILE 5
/** evdns_base_resolv_conf_parse() result: no name server ended up configured. */
#define EVDNS_ERROR_NO_NAMESERVERS_CONFIGURED 6

/**
  Creates a DNS resolver that runs on an event base.

  @param event_base the event base whose loop carries the resolver's I/O
  @param flags 0, or a combination of EVDNS_BASE_INITIALIZE_NAMESERVERS,
    EVDNS_BASE_DISABLE_WHEN_INACTIVE and EVDNS_BASE_NAMESERVERS_NO_DEFAULT
  @return the new resolver, or NULL on failure (for instance when the system
    configuration was asked for and could not be read)
  @see evdns_base_free()
 */
EVENT2_EXPORT_SYMBOL
struct evdns_base * evdns_base_new(struct event_base *event_base, int flags);


/**
  Frees a resolver, ending every lookup it still has pending.

  @param base the resolver to free
  @param fail_requests if non-zero, each pending lookup's callback is run
    with DNS_ERR_SHUTDOWN; if zero, pending lookups are dropped without
    their callbacks being run
  @see evdns_base_new()
 */
EVENT2_EXPORT_SYMBOL
void evdns_base_free(struct evdns_base *base, int fail_requests);

/**
   Forgets every hosts-file entry the resolver has loaded, whether through
   evdns_base_load_hosts() or while parsing resolv.conf.

   @param base the resolver to clear
 */
EVENT2_EXPORT_SYMBOL
void evdns_base_clear_host_addresses(struct evdns_base *base);

/**
  Describes a DNS_ERR_* result code in words.

  @param err a result code
  @return a static, human-readable string; never NULL
*/
EVENT2_EXPORT_SYMBOL
const char *evdns_err_to_string(int err);


/**
  Adds an IPv4 name server on port 53.

  @param base the resolver to configure
  @param address the server's IPv4 address in network byte order, as in
    struct in_addr's s_addr
  @return 0 on success, -1 on failure
  @see evdns_base_nameserver_ip_add()
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_nameserver_add(struct evdns_base *base,
    unsigned long int address);

/**
  Counts the name servers configured on a resolver, whether they are
  currently answering or not.

  @param base the resolver to inspect
  @return the number of configured name servers
  @see evdns_base_nameserver_add()
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_count_nameservers(struct evdns_base *base);

/**
  Removes every name server and holds back pending lookups.

  Lookups in progress are kept, but are not sent again until
  evdns_base_resume() is called, typically after new servers were added.

  @param base the resolver to change
  @return 0 on success, -1 on failure
  @see evdns_base_resume()
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_clear_nameservers_and_suspend(struct evdns_base *base);


/**
  Restarts the lookups held back by
  evdns_base_clear_nameservers_and_suspend().

  @param base the resolver to resume
  @return 0 on success, -1 on failure
  @see evdns_base_clear_nameservers_and_suspend()
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_resume(struct evdns_base *base);

/**
  Adds a name server given as text.

  Accepted forms: "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]" and
  "[::1]:5353".  Without a port, 53 is used.

  @param base the resolver to configure
  @param ip_as_string the server's address
  @return 0 on success, -1 if the text is not an address or the server
    cannot be added
  @see evdns_base_nameserver_add()
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_nameserver_ip_add(struct evdns_base *base,
    const char *ip_as_string);

/**
   Adds a name server given as a socket address (IPv4 or IPv6, with port).

   @param base the resolver to configure
   @param sa the server's address
   @param len the size of @p sa in bytes
   @param flags reserved; pass 0
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int
evdns_base_nameserver_sockaddr_add(struct evdns_base *base,
    const struct sockaddr *sa, ev_socklen_t len, unsigned flags);

struct evdns_request;

/**
  Looks up the IPv4 addresses (A records) of a name.

  @param base the resolver to use
  @param name the host name to look up
  @param flags 0 or a combination of DNS_QUERY_* flags (and
    DNS_CNAME_CALLBACK)
  @param callback called once the lookup completes or fails
  @param ptr passed to @p callback as its last argument
  @return a handle that evdns_cancel_request() accepts, or NULL if the
    lookup could not be started
  @see evdns_base_resolve_ipv6(), evdns_base_resolve_reverse(),
    evdns_cancel_request()
 */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_ipv4(struct evdns_base *base, const char *name, int flags, evdns_callback_type callback, void *ptr);

/**
  Looks up the IPv6 addresses (AAAA records) of a name.

  @param base the resolver to use
  @param name the host name to look up
  @param flags 0 or a combination of DNS_QUERY_* flags (and
    DNS_CNAME_CALLBACK)
  @param callback called once the lookup completes or fails
  @param ptr passed to @p callback as its last argument
  @return a handle for evdns_cancel_request(), or NULL on failure
  @see evdns_base_resolve_ipv4(), evdns_base_resolve_reverse_ipv6(),
    evdns_cancel_request()
 */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_ipv6(struct evdns_base *base, const char *name, int flags, evdns_callback_type callback, void *ptr);

struct in_addr;
struct in6_addr;

/**
  Looks up the host name of an IPv4 address (a PTR query under
  in-addr.arpa).

  @param base the resolver to use
  @param in the address to look up
  @param flags 0 or a combination of DNS_QUERY_* flags
  @param callback called with a DNS_PTR answer, or with an error
  @param ptr passed to @p callback as its last argument
  @return a handle for evdns_cancel_request(), or NULL on failure
  @see evdns_base_resolve_reverse_ipv6(), evdns_cancel_request()
 */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_reverse(struct evdns_base *base, const struct in_addr *in, int flags, evdns_callback_type callback, void *ptr);


/**
  Looks up the host name of an IPv6 address (a PTR query under ip6.arpa).

  @param base the resolver to use
  @param in the address to look up
  @param flags 0 or a combination of DNS_QUERY_* flags
  @param callback called with a DNS_PTR answer, or with an error
  @param ptr passed to @p callback as its last argument
  @return a handle for evdns_cancel_request(), or NULL on failure
  @see evdns_base_resolve_reverse(), evdns_cancel_request()
 */
EVENT2_EXPORT_SYMBOL
struct evdns_request *evdns_base_resolve_reverse_ipv6(struct evdns_base *base, const struct in6_addr *in, int flags, evdns_callback_type callback, void *ptr);

/**
  Abandons a pending lookup.  Its callback is run once more with
  DNS_ERR_CANCEL, after which the handle is no longer valid.

  @param base the resolver that started the lookup
  @param req the handle an evdns_base_resolve_* call returned; it must not
    be used after its callback has run
  @see evdns_base_resolve_ipv4(), evdns_base_resolve_ipv6(),
    evdns_base_resolve_reverse()
*/
EVENT2_EXPORT_SYMBOL
void evdns_cancel_request(struct evdns_base *base, struct evdns_request *req);

/**
  Changes one resolver setting, named as in resolv.conf's "options" line.

  Known names: ndots, timeout, max-timeouts, max-inflight, attempts,
  randomize-case, bind-to, initial-probe-timeout, max-probe-timeout,
  probe-backoff-factor, getaddrinfo-allow-skew, so-rcvbuf, so-sndbuf,
  tcp-idle-timeout, use-vc, ignore-tc and edns-udp-size.  A trailing colon
  on the name is accepted.  The probe settings control how often a server
  that stopped answering is tried again: the delay starts at
  initial-probe-timeout, is multiplied by probe-backoff-factor after each
  failed probe, and never exceeds max-probe-timeout.  use-vc and ignore-tc
  take no value: pass NULL or "".

  @param base the resolver to configure
  @param option the setting's name
  @param val the new value, as text
  @return 0 on success, -1 if the name is unknown or the value invalid
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_set_option(struct evdns_base *base, const char *option, const char *val);


/**
  Configures a resolver from a file in resolv.conf(5) format.

  The lines read depend on @p flags.  The sortlist, rotate, no-check-names,
  inet6 and debug directives are ignored.

  @param base the resolver to configure
  @param flags a combination of DNS_OPTION_SEARCH, DNS_OPTION_NAMESERVERS,
    DNS_OPTION_MISC, DNS_OPTION_HOSTSFILE and
    DNS_OPTION_NAMESERVERS_NO_DEFAULT, or DNS_OPTIONS_ALL
  @param filename path of the file to read
  @return EVDNS_ERROR_NONE (0) on success, otherwise one of the positive
    EVDNS_ERROR_* codes
  @see evdns_base_set_option(), evdns_base_load_hosts()
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_resolv_conf_parse(struct evdns_base *base, int flags, const char *const filename);

/**
   Loads host name/address pairs from a file in /etc/hosts format, adding
   them to the ones already loaded (use evdns_base_clear_host_addresses()
   first to replace them).  With a NULL file name only the localhost
   entries are added.  These entries are consulted by evdns_getaddrinfo()
   only.

   @param base the resolver to extend
   @param hosts_fname the file to read, or NULL
   @return 0 on success, a negative value on failure
*/
EVENT2_EXPORT_SYMBOL
int evdns_base_load_hosts(struct evdns_base *base, const char *hosts_fname);

#if defined(EVENT_IN_DOXYGEN_) || defined(_WIN32)
/**
  Windows only: configures the name servers from the system's network
  settings (the IP helper API, or the registry as a fallback).

  @return 0 on success, -1 on failure
  @see evdns_base_resolv_conf_parse()
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_config_windows_nameservers(struct evdns_base *);
/** Defined where evdns_base_config_windows_nameservers() exists. */
#define EVDNS_BASE_CONFIG_WINDOWS_NAMESERVERS_IMPLEMENTED
#endif


/**
  Empties the resolver's list of search domains.

  @param base the resolver to change
 */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_clear(struct evdns_base *base);


/**
  Appends a domain to the resolver's list of search domains.

  @param base the resolver to change
  @param domain the domain to append (copied)
 */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_add(struct evdns_base *base, const char *domain);


/**
  Sets the "ndots" threshold: a name with at least this many dots is
  tried as given before the search domains are appended.

  @param base the resolver to change
  @param ndots the new threshold
 */
EVENT2_EXPORT_SYMBOL
void evdns_base_search_ndots_set(struct evdns_base *base, const int ndots);

/**
  Receives the resolver's log messages.

  @param is_warning non-zero for warnings, zero for debugging messages
  @param msg the message text, valid during the call
 */
typedef void (*evdns_debug_log_fn_type)(int is_warning, const char *msg);


/**
  Sends the resolver's log messages to a function of the program's own,
  instead of to libevent's general logging.

  @param fn the function to call, or NULL to go back to libevent's
    logging
 */
EVENT2_EXPORT_SYMBOL
void evdns_set_log_fn(evdns_debug_log_fn_type fn);

/*
 * DNS server.
 */

struct evdns_server_request;
struct evdns_server_question;

/**
   Handles one query received by a DNS server port.

   The callback may add answers with the evdns_server_request_add_*_reply()
   functions, and must eventually either send the reply with
   evdns_server_request_respond() or discard the query with
   evdns_server_request_drop(); it may also do so later, from another
   callback.

   @param req the query received (see event2/dns_struct.h)
   @param user_data the pointer given when the server port was created
 */
typedef void (*evdns_request_callback_fn_type)(struct evdns_server_request *, void *);
/** Reply section: answers. */
#define EVDNS_ANSWER_SECTION 0
/** Reply section: authority records. */
#define EVDNS_AUTHORITY_SECTION 1
/** Reply section: additional records. */
#define EVDNS_ADDITIONAL_SECTION 2

/** Record type A: an IPv4 address. */
#define EVDNS_TYPE_A	   1
/** Record type NS: an authoritative name server. */
#define EVDNS_TYPE_NS	   2
/** Record type CNAME: a canonical name. */
#define EVDNS_TYPE_CNAME   5
/** Record type SOA: start of a zone of authority. */
#define EVDNS_TYPE_SOA	   6
/** Record type PTR: a domain name pointer. */
#define EVDNS_TYPE_PTR	  12
/** Record type MX: a mail exchanger. */
#define EVDNS_TYPE_MX	  15
/** Record type TXT: text strings. */
#define EVDNS_TYPE_TXT	  16
/** Record type AAAA: an IPv6 address. */
#define EVDNS_TYPE_AAAA	  28

/** Query-only type: a zone transfer. */
#define EVDNS_QTYPE_AXFR 252
/** Query-only type: records of every type. */
#define EVDNS_QTYPE_ALL	 255

/** Record class IN: the Internet. */
#define EVDNS_CLASS_INET   1

/** Reply flag (evdns_server_request_set_flags()): the answer is
 * authoritative. */
#define EVDNS_FLAGS_AA	0x400
/** Reply flag (evdns_server_request_set_flags()): recursion was desired. */
#define EVDNS_FLAGS_RD	0x080

/** Starts a DNS server that receives queries on a UDP socket.

    @param base the event base that runs the server
    @param socket a bound, non-blocking UDP socket; closing the port closes
      it
    @param flags reserved; pass 0
    @param callback called for each query received
    @param user_data passed to @p callback
    @return the new server port, or NULL on failure
    @see evdns_close_server_port()
 */
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *evdns_add_server_port_with_base(struct event_base *base, evutil_socket_t socket, int flags, evdns_request_callback_fn_type callback, void *user_data);

struct evconnlistener;

/** Starts a DNS server that serves queries on TCP connections accepted by
    a listener.

    @param base the event base that runs the server
    @param listener the listener that accepts client connections; the server
      port takes it over
    @param flags reserved; pass 0
    @param callback called for each query received
    @param user_data passed to @p callback
    @return the new server port, or NULL on failure
    @see evdns_close_server_port(), evdns_server_port_set_option()
 */
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *evdns_add_server_port_with_listener(
    struct event_base *base, struct evconnlistener *listener, int flags,
    evdns_request_callback_fn_type callback, void *user_data);

/** Stops a DNS server port and frees it, together with its socket or
    listener.  If replies are still being sent, the port is freed once they
    are done.

    @param port the server port to close
 */
EVENT2_EXPORT_SYMBOL
void evdns_close_server_port(struct evdns_server_port *port);

/**
 * Settings of a DNS server port, for evdns_server_port_set_option().
 */
enum evdns_server_option {
	/**
	 * TCP servers only: the most client connections open at the same
	 * time.
	 */
	EVDNS_SOPT_TCP_MAX_CLIENTS,
	/**
	 * TCP servers only: seconds a client connection may stay without a
	 * query before the server closes it.
	 */
	EVDNS_SOPT_TCP_IDLE_TIMEOUT,
};

/**
   Changes a setting of a DNS server port.

   @param port the server port to configure
   @param option which setting to change
   @param value the new value
   @return 0 on success, -1 if the setting does not apply to this port or
     the value is invalid
 */
EVENT2_EXPORT_SYMBOL
int evdns_server_port_set_option(struct evdns_server_port *port, enum evdns_server_option option, size_t value);

/** Sets header flags of the reply being built for a query.

    @param req the query being answered
    @param flags EVDNS_FLAGS_AA and/or EVDNS_FLAGS_RD
 */
EVENT2_EXPORT_SYMBOL
void evdns_server_request_set_flags(struct evdns_server_request *req, int flags);

/** Adds a record of any type to the reply being built for a query.

    @param req the query being answered
    @param section EVDNS_ANSWER_SECTION, EVDNS_AUTHORITY_SECTION or
      EVDNS_ADDITIONAL_SECTION
    @param name the owner name of the record
    @param type the record type (EVDNS_TYPE_*)
    @param dns_class the record class (normally EVDNS_CLASS_INET)
    @param ttl how long, in seconds, the record may be cached
    @param datalen the size of @p data in bytes; ignored when @p is_name is
      set
    @param is_name non-zero if @p data is a NUL-terminated domain name, to be
      written in DNS name encoding
    @param data the record's data (copied), or NULL for an empty record
    @return 0 on success, -1 on failure (unknown section, memory exhausted,
      or the reply was already built)
 */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_reply(struct evdns_server_request *req, int section, const char *name, int type, int dns_class, int ttl, int datalen, int is_name, const char *data);
/** Adds A records to the answer section of a reply.

    @param req the query being answered
    @param name the owner name
    @param n how many addresses @p addrs holds
    @param addrs @p n IPv4 addresses of 4 bytes each, network order
    @param ttl cache lifetime in seconds
    @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_a_reply(struct evdns_server_request *req, const char *name, int n, const void *addrs, int ttl);
/** Adds AAAA records to the answer section of a reply.

    @param req the query being answered
    @param name the owner name
    @param n how many addresses @p addrs holds
    @param addrs @p n IPv6 addresses of 16 bytes each
    @param ttl cache lifetime in seconds
    @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_aaaa_reply(struct evdns_server_request *req, const char *name, int n, const void *addrs, int ttl);
/** Adds a PTR record to the answer section of a reply.

    @param req the query being answered
    @param in the IPv4 address the record is about, or NULL
    @param inaddr_name the owner name (such as "4.3.2.1.in-addr.arpa"), or
      NULL; exactly one of @p in and @p inaddr_name must be given
    @param hostname the name the record points to
    @param ttl cache lifetime in seconds
    @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_ptr_reply(struct evdns_server_request *req, struct in_addr *in, const char *inaddr_name, const char *hostname, int ttl);
/** Adds a CNAME record to the answer section of a reply.

    @param req the query being answered
    @param name the alias (owner name)
    @param cname the canonical name it stands for
    @param ttl cache lifetime in seconds
    @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_add_cname_reply(struct evdns_server_request *req, const char *name, const char *cname, int ttl);

/**
   Sends the reply built for a query, then frees the query.

   @param req the query being answered
   @param err the response code of the reply, from 0 to 15 (DNS_ERR_NONE
     to DNS_ERR_REFUSED are the usual ones); header flags are set with
     evdns_server_request_set_flags()
   @return 0 when the reply was sent, 1 when it was queued because the
     socket was busy (it is sent later), -1 on failure
*/
EVENT2_EXPORT_SYMBOL
int evdns_server_request_respond(struct evdns_server_request *req, int err);
/**
   Frees a query without answering it.

   @param req the query to discard
   @return always 0
*/
EVENT2_EXPORT_SYMBOL
int evdns_server_request_drop(struct evdns_server_request *req);
struct sockaddr;
/**
    Copies the address of the client that sent a query.

    @param req the query
    @param sa where to store the address
    @param addr_len the room at @p sa in bytes
    @return the size of the address on success, -1 if it does not fit
 */
EVENT2_EXPORT_SYMBOL
int evdns_server_request_get_requesting_addr(struct evdns_server_request *req, struct sockaddr *sa, int addr_len);

/** Receives the outcome of evdns_getaddrinfo().

    @param result 0 on success, otherwise an EVUTIL_EAI_* error code
    @param res the addresses found (free them with evutil_freeaddrinfo()),
      or NULL on error
    @param arg the pointer given to evdns_getaddrinfo()
 */
typedef void (*evdns_getaddrinfo_cb)(int result, struct evutil_addrinfo *res, void *arg);

struct evdns_base;
struct evdns_getaddrinfo_request;
/** Resolves a host and service name without blocking, in the manner of
 * getaddrinfo(3), using the resolver (and its hosts entries).
 *
 * When the answer is known at once (a numeric address, a hosts entry, or
 * an error in the arguments), @p cb runs before this function returns and
 * NULL is returned.  Otherwise a handle is returned and @p cb runs later
 * from the event loop.
 *
 * Not supported: the AI_V4MAPPED and AI_ALL flags; socket types other than
 * SOCK_STREAM, SOCK_DGRAM and 0; protocols other than IPPROTO_TCP,
 * IPPROTO_UDP and 0.
 *
 * @param dns_base the resolver to use
 * @param nodename the host name or numeric address, or NULL
 * @param servname the service name or port number, or NULL
 * @param hints_in the wanted family, type, protocol and flags, or NULL
 * @param cb called with the result
 * @param arg passed to @p cb
 * @return a handle for evdns_getaddrinfo_cancel(), or NULL when @p cb has
 *   already run
 */
EVENT2_EXPORT_SYMBOL
struct evdns_getaddrinfo_request *evdns_getaddrinfo(
    struct evdns_base *dns_base,
    const char *nodename, const char *servname,
    const struct evutil_addrinfo *hints_in,
    evdns_getaddrinfo_cb cb, void *arg);

/** Abandons a pending evdns_getaddrinfo() request.  Its callback then runs
 * with EVUTIL_EAI_CANCEL.  Calling this once the callback has run is an
 * error.
 *
 * @param req the handle evdns_getaddrinfo() returned
 */
EVENT2_EXPORT_SYMBOL
void evdns_getaddrinfo_cancel(struct evdns_getaddrinfo_request *req);

/**
   Copies the address of one of the resolver's name servers.

   @param base the resolver to inspect
   @param idx the server's position, counting from 0
   @param sa where to store the address
   @param len the room at @p sa in bytes
   @return the size of the address on success (when larger than @p len,
     nothing was copied), or -1 if there is no server @p idx
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_get_nameserver_addr(struct evdns_base *base, int idx,
    struct sockaddr *sa, ev_socklen_t len);

/**
   Returns the socket a name server's queries are sent through.

   @param base the resolver to inspect
   @param idx the server's position, counting from 0
   @return the socket, or -1 if there is no server @p idx
 */
EVENT2_EXPORT_SYMBOL
int evdns_base_get_nameserver_fd(struct evdns_base *base, int idx);

#ifdef __cplusplus
}
#endif

#endif  /* !EVENT2_DNS_H_INCLUDED_ */
