/* SPDX-License-Identifier: BSD-3-Clause */
/* Older DNS functions that work on a single global resolver. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_DNS_COMPAT_H_INCLUDED_
#define EVENT2_DNS_COMPAT_H_INCLUDED_

/** @file event2/dns_compat.h

  @brief The libevent 1.x DNS functions, kept for old programs.

  Each of these acts on one process-wide resolver, created by evdns_init()
  on the event base that event_init() made current.  Because the resolver
  is shared and implicit, these functions do not suit programs with more
  than one event base or thread.  New code should use the evdns_base_*
  functions of event2/dns.h.

  This header uses types declared in event2/dns.h, and includes it.
 */

/* Not in libevent's copy of this header, which only compiles after
 * <event2/dns.h>: including it here lets this header stand alone, and is a
 * no-op for programs that include <event2/dns.h> first, as libevent
 * requires. */
#include <event2/dns.h>

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

/* Integer and socket types. */
#include <event2/util.h>
#include <event2/visibility.h>

/**
  Creates the global resolver on the current event base and configures it
  from the system (resolv.conf on Unix, the network settings on Windows).

  @deprecated Use evdns_base_new(), which names its event base and returns
    a resolver the caller owns.

  @return 0 on success, -1 on failure
  @see evdns_shutdown()
 */
EVENT2_EXPORT_SYMBOL
int evdns_init(void);

struct evdns_base;
/**
   Gives access to the global resolver that the functions of this header
   act on.

   @deprecated Keep a pointer to a resolver from evdns_base_new() instead.

   @return the global resolver, or NULL if none was created
 */
EVENT2_EXPORT_SYMBOL
struct evdns_base *evdns_get_global_base(void);

/**
  Frees the global resolver, ending its pending lookups.

  @deprecated Use evdns_base_free().

  @param fail_requests if non-zero, pending lookups report DNS_ERR_SHUTDOWN
    to their callbacks; if zero, they are dropped silently
  @see evdns_init()
 */
EVENT2_EXPORT_SYMBOL
void evdns_shutdown(int fail_requests);

/**
  Adds an IPv4 name server, port 53, to the global resolver.

  @deprecated Use evdns_base_nameserver_add().

  @param address the server's address in network byte order
  @return 0 on success, -1 on failure
  @see evdns_nameserver_ip_add()
 */
EVENT2_EXPORT_SYMBOL
int evdns_nameserver_add(unsigned long int address);

/**
  Counts the name servers configured on the global resolver.

  @deprecated Use evdns_base_count_nameservers().

  @return the number of configured name servers
  @see evdns_nameserver_add()
 */
EVENT2_EXPORT_SYMBOL
int evdns_count_nameservers(void);

/**
  Removes every name server of the global resolver and holds back its
  pending lookups until evdns_resume().

  @deprecated Use evdns_base_clear_nameservers_and_suspend().

  @return 0 on success, -1 on failure
  @see evdns_resume()
 */
EVENT2_EXPORT_SYMBOL
int evdns_clear_nameservers_and_suspend(void);

/**
  Restarts the lookups of the global resolver that
  evdns_clear_nameservers_and_suspend() held back.

  @deprecated Use evdns_base_resume().

  @return 0 on success, -1 on failure
  @see evdns_clear_nameservers_and_suspend()
 */
EVENT2_EXPORT_SYMBOL
int evdns_resume(void);

/**
  Adds a name server, given as text, to the global resolver.

  @deprecated Use evdns_base_nameserver_ip_add().

  @param ip_as_string the address, optionally with a port, in the forms
    evdns_base_nameserver_ip_add() accepts
  @return 0 on success, -1 on failure
  @see evdns_nameserver_add()
 */
EVENT2_EXPORT_SYMBOL
int evdns_nameserver_ip_add(const char *ip_as_string);

/**
  Looks up the IPv4 addresses of a name with the global resolver.

  @deprecated Use evdns_base_resolve_ipv4().

  @param name the host name to look up
  @param flags 0 or DNS_QUERY_NO_SEARCH
  @param callback called once the lookup completes or fails
  @param ptr passed to @p callback
  @return 0 if the lookup was started, -1 on failure
  @see evdns_resolve_ipv6(), evdns_resolve_reverse()
 */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_ipv4(const char *name, int flags, evdns_callback_type callback, void *ptr);

/**
  Looks up the IPv6 addresses of a name with the global resolver.

  @deprecated Use evdns_base_resolve_ipv6().

  @param name the host name to look up
  @param flags 0 or DNS_QUERY_NO_SEARCH
  @param callback called once the lookup completes or fails
  @param ptr passed to @p callback
  @return 0 if the lookup was started, -1 on failure
  @see evdns_resolve_ipv4(), evdns_resolve_reverse_ipv6()
 */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_ipv6(const char *name, int flags, evdns_callback_type callback, void *ptr);

struct in_addr;
struct in6_addr;

/**
  Looks up the host name of an IPv4 address with the global resolver.

  @deprecated Use evdns_base_resolve_reverse().

  @param in the address to look up
  @param flags 0 or DNS_QUERY_NO_SEARCH
  @param callback called with a DNS_PTR answer, or with an error
  @param ptr passed to @p callback
  @return 0 if the lookup was started, -1 on failure
  @see evdns_resolve_reverse_ipv6()
 */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_reverse(const struct in_addr *in, int flags, evdns_callback_type callback, void *ptr);

/**
  Looks up the host name of an IPv6 address with the global resolver.

  @deprecated Use evdns_base_resolve_reverse_ipv6().

  @param in the address to look up
  @param flags 0 or DNS_QUERY_NO_SEARCH
  @param callback called with a DNS_PTR answer, or with an error
  @param ptr passed to @p callback
  @return 0 if the lookup was started, -1 on failure
  @see evdns_resolve_reverse()
 */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_reverse_ipv6(const struct in6_addr *in, int flags, evdns_callback_type callback, void *ptr);

/**
  Changes a setting of the global resolver.

  @deprecated Use evdns_base_set_option().

  @param option the setting's name, as for evdns_base_set_option()
  @param val the new value, as text
  @param flags not used
  @return 0 on success, -1 if the name is unknown or the value invalid
 */
EVENT2_EXPORT_SYMBOL
int evdns_set_option(const char *option, const char *val, int flags);

/**
  Configures the global resolver from a file in resolv.conf(5) format.

  @deprecated Use evdns_base_resolv_conf_parse().

  @param flags which parts of the file to use: DNS_OPTION_* bits or
    DNS_OPTIONS_ALL
  @param filename path of the file to read
  @return 0 on success, otherwise a positive EVDNS_ERROR_* code
  @see evdns_base_resolv_conf_parse()
 */
EVENT2_EXPORT_SYMBOL
int evdns_resolv_conf_parse(int flags, const char *const filename);

/**
  Empties the search-domain list of the global resolver.

  @deprecated Use evdns_base_search_clear().
 */
EVENT2_EXPORT_SYMBOL
void evdns_search_clear(void);

/**
  Appends a domain to the search-domain list of the global resolver.

  @deprecated Use evdns_base_search_add().

  @param domain the domain to append
 */
EVENT2_EXPORT_SYMBOL
void evdns_search_add(const char *domain);

/**
  Sets the "ndots" threshold of the global resolver's searches.

  @deprecated Use evdns_base_search_ndots_set().

  @param ndots the new threshold
 */
EVENT2_EXPORT_SYMBOL
void evdns_search_ndots_set(const int ndots);

/**
  Starts a UDP DNS server on the current event base.

  @deprecated Use evdns_add_server_port_with_base(), which names its event
    base.

  @param socket a bound UDP socket
  @param flags reserved; pass 0
  @param callback called for each query received
  @param user_data passed to @p callback
  @return the new server port, or NULL on failure
*/
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *
evdns_add_server_port(evutil_socket_t socket, int flags,
	evdns_request_callback_fn_type callback, void *user_data);

#ifdef _WIN32
/** Windows only: configures the global resolver from the system's network
    settings.  Returns 0 on success, -1 on failure.
    @deprecated Use evdns_base_config_windows_nameservers(). */
EVENT2_EXPORT_SYMBOL
int evdns_config_windows_nameservers(void);
/** Defined where evdns_config_windows_nameservers() exists. */
#define EVDNS_CONFIG_WINDOWS_NAMESERVERS_IMPLEMENTED
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_COMPAT_H_INCLUDED_ */
