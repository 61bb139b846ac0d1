/* SPDX-License-Identifier: BSD-3-Clause */
/* The libevent 1.x DNS API. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_DNS_COMPAT_H_INCLUDED_
#define EVENT2_DNS_COMPAT_H_INCLUDED_

/* Included so that this header compiles on its own. */
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

#include <event2/util.h>
#include <event2/visibility.h>

/** Creates the global resolver on the current base from the system configuration. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evdns_init(void);

struct evdns_base;

/** The global resolver of the 1.x API. */
EVENT2_EXPORT_SYMBOL
struct evdns_base *evdns_get_global_base(void);

/** Releases the global resolver; with `fail_requests`, pending requests fail first. */
EVENT2_EXPORT_SYMBOL
void evdns_shutdown(int fail_requests);

/** Adds a name server to the global resolver. */
EVENT2_EXPORT_SYMBOL
int evdns_nameserver_add(unsigned long int address);

/** How many name servers the global resolver knows. */
EVENT2_EXPORT_SYMBOL
int evdns_count_nameservers(void);

/** Clears the global resolver's name servers and holds requests. */
EVENT2_EXPORT_SYMBOL
int evdns_clear_nameservers_and_suspend(void);

/** Sends the global resolver's held requests. */
EVENT2_EXPORT_SYMBOL
int evdns_resume(void);

/** Adds a name server to the global resolver by text address. */
EVENT2_EXPORT_SYMBOL
int evdns_nameserver_ip_add(const char *ip_as_string);

/** Looks up IPv4 addresses with the global resolver. */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_ipv4(const char *name, int flags, evdns_callback_type callback, void *ptr);

/** Looks up IPv6 addresses with the global resolver. */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_ipv6(const char *name, int flags, evdns_callback_type callback, void *ptr);

struct in_addr;
struct in6_addr;

/** Looks up the name of an IPv4 address with the global resolver. */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_reverse(const struct in_addr *in, int flags, evdns_callback_type callback, void *ptr);

/** Looks up the name of an IPv6 address with the global resolver. */
EVENT2_EXPORT_SYMBOL
int evdns_resolve_reverse_ipv6(const struct in6_addr *in, int flags, evdns_callback_type callback, void *ptr);

/** Sets an option of the global resolver. */
EVENT2_EXPORT_SYMBOL
int evdns_set_option(const char *option, const char *val, int flags);

/** Reads a resolv.conf file into the global resolver. */
EVENT2_EXPORT_SYMBOL
int evdns_resolv_conf_parse(int flags, const char *const filename);

/** Empties the global resolver's search list. */
EVENT2_EXPORT_SYMBOL
void evdns_search_clear(void);

/** Appends to the global resolver's search list. */
EVENT2_EXPORT_SYMBOL
void evdns_search_add(const char *domain);

/** Sets the global resolver's ndots. */
EVENT2_EXPORT_SYMBOL
void evdns_search_ndots_set(const int ndots);

/** Serves DNS requests on the current base. */
EVENT2_EXPORT_SYMBOL
struct evdns_server_port *
evdns_add_server_port(evutil_socket_t socket, int flags,
	evdns_request_callback_fn_type callback, void *user_data);

#ifdef _WIN32
/** Reads Windows name servers into the global resolver. */
EVENT2_EXPORT_SYMBOL
int evdns_config_windows_nameservers(void);
#define EVDNS_CONFIG_WINDOWS_NAMESERVERS_IMPLEMENTED
#endif

#ifdef __cplusplus
}
#endif

#endif
