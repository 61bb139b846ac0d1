/* SPDX-License-Identifier: BSD-3-Clause */
/* Layouts of the RPC status and registration structures. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_RPC_STRUCT_H_INCLUDED_
#define EVENT2_RPC_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

/** @file event2/rpc_struct.h

  Structures behind event2/rpc.h.  Code that reads their fields directly
  depends on this exact layout, which a later release may change.
 */

/* Not in libevent's copy of this header, which declares struct evbuffer
 * and struct evrpc_req_generic only inside parameter lists unless
 * <event2/rpc.h> came first: including it here lets this header stand
 * alone, and is a no-op for programs that include <event2/rpc.h> first. */
#include <event2/rpc.h>

/* The list macro below mirrors <sys/queue.h>; it is only defined here when
 * the program has not already got it, and is removed at the end of this
 * file. */
#ifndef TAILQ_ENTRY
#define EVENT_DEFINED_TQENTRY_
/** Link field of an intrusive doubly linked list (as in <sys/queue.h>). */
#define TAILQ_ENTRY(type)						\
struct {								\
	struct type *tqe_next;						\
	struct type **tqe_prev;						\
}
#endif /* !TAILQ_ENTRY */

/**
 * How an RPC call ended, as passed to the client's completion callback.
 */
struct evrpc_status {
/** RPC status: the call succeeded. */
#define EVRPC_STATUS_ERR_NONE		0
/** RPC status: no reply came in time. */
#define EVRPC_STATUS_ERR_TIMEOUT	1
/** RPC status: the reply could not be decoded. */
#define EVRPC_STATUS_ERR_BADPAYLOAD	2
/** RPC status: the call could not be started. */
#define EVRPC_STATUS_ERR_UNSTARTED	3
/** RPC status: a hook stopped the call. */
#define EVRPC_STATUS_ERR_HOOKABORTED	4
	/** One of the EVRPC_STATUS_ERR_* codes. */
	int error;

	/** The HTTP reply, for looking at its headers or other details. */
	struct evhttp_request *http_req;
};

/* The layout below must stay in step with the library's internal
 * struct evrpc_req_generic. */

/** One RPC registered with an RPC base: its name and the functions that
 * create, decode, check, encode and free its messages. */
struct evrpc {
	/** Links to the neighbouring registered RPCs. */
	TAILQ_ENTRY(evrpc) next;

	/** The RPC's name, which determines the URI it is served at. */
	const char* uri;

	/** Allocates a request message. */
	void *(*request_new)(void *);
	/** Argument of request_new. */
	void *request_new_arg;

	/** Frees a request message. */
	void (*request_free)(void *);

	/** Decodes a request message from a buffer; 0 on success, -1 on error. */
	int (*request_unmarshal)(void *, struct evbuffer *);

	/** Allocates a reply message. */
	void *(*reply_new)(void *);
	/** Argument of reply_new. */
	void *reply_new_arg;

	/** Frees a reply message. */
	void (*reply_free)(void *);

	/** Checks that every required field of a reply is set; -1 if not. */
	int (*reply_complete)(void *);

	/** Encodes a reply message into a buffer. */
	void (*reply_marshal)(struct evbuffer*, void *);

	/** The server function run for each call received. */
	void (*cb)(struct evrpc_req_generic *, void *);
	/** Argument of cb. */
	void *cb_arg;

	/** The RPC base the RPC is registered with. */
	struct evrpc_base *base;
};

/* Remove the list macro again if this file defined it. */
#ifdef EVENT_DEFINED_TQENTRY_
#undef TAILQ_ENTRY
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_RPC_STRUCT_H_INCLUDED_ */
