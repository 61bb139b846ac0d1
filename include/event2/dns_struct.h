/* SPDX-License-Identifier: BSD-3-Clause */
/* Public structures of the DNS server interface. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_DNS_STRUCT_H_INCLUDED_
#define EVENT2_DNS_STRUCT_H_INCLUDED_

/** @file event2/dns_struct.h

  Layouts of the request and question records a DNS server callback
  receives.  Code that reads these fields directly depends on this exact
  layout, which a later release may change; prefer the accessor functions
  of event2/dns.h where they exist.
 */

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

/* Integer types. */
#include <event2/util.h>

/**
 * A DNS query that arrived at a server port, as handed to an
 * evdns_request_callback_fn_type callback.
 */
struct evdns_server_request {
	/** Header flags of the query (for instance EVDNS_FLAGS_RD). */
	int flags;
	/** How many entries the questions array holds. */
	int nquestions;
	/** The questions asked in the query, nquestions of them. */
	struct evdns_server_question **questions;
};
/**
 * One question of a DNS query: the record type and class wanted for a name.
 */
struct evdns_server_question {
	/** The record type asked for, such as EVDNS_TYPE_A. */
	int type;
#ifdef __cplusplus
	/** The class asked for, normally EVDNS_CLASS_INET. */
	int dns_question_class;
#else
	/** The class asked for, normally EVDNS_CLASS_INET.  C code should use
	 * the name dns_question_class, which the macro below maps onto this
	 * field; the short name is kept only for old C programs. */
	int class;
/** Portable name of the question class field (valid in C and C++). */
#define dns_question_class class
#endif
	/** The queried name, NUL-terminated; storage extends past the
	 * declared size of the array. */
	char name[1];
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_DNS_STRUCT_H_INCLUDED_ */
