/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy header for the DNS API. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT1_EVDNS_H_INCLUDED_
#define EVENT1_EVDNS_H_INCLUDED_

#include <event.h>
#include <event2/dns.h>
#include <event2/dns_compat.h>
#include <event2/dns_struct.h>

#endif
