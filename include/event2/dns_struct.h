/* SPDX-License-Identifier: BSD-3-Clause */
/* Structures of the DNS server API. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_DNS_STRUCT_H_INCLUDED_
#define EVENT2_DNS_STRUCT_H_INCLUDED_

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

/** A request that arrived at a DNS server port: flags and questions. */
struct evdns_server_request {
	int flags;
	int nquestions;
	struct evdns_server_question **questions;
};
/** One question of a request: type, class and name. */
struct evdns_server_question {
	int type;
#ifdef __cplusplus
	int dns_question_class;
#else

	int class;
#define dns_question_class class
#endif
	char name[1];
};

#ifdef __cplusplus
}
#endif

#endif
