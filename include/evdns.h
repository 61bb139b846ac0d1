/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy libevent 1.x entry point for the DNS resolver. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT1_EVDNS_H_INCLUDED_
#define EVENT1_EVDNS_H_INCLUDED_

/** @file evdns.h

  The DNS header of libevent 1.x, kept so that old programs still build.
  It pulls in <event.h> and the current DNS headers; new code should
  include <event2/dns.h> (and the other <event2/...> headers it needs)
  directly.
 */

#include <event.h>
#include <event2/dns.h>
#include <event2/dns_compat.h>
#include <event2/dns_struct.h>

#endif /* EVENT1_EVDNS_H_INCLUDED_ */
