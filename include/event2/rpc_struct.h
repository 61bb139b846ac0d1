/* SPDX-License-Identifier: BSD-3-Clause */
/* Structures of the RPC API. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_RPC_STRUCT_H_INCLUDED_
#define EVENT2_RPC_STRUCT_H_INCLUDED_

/* Included so that this header compiles on its own. */
#include <event2/buffer.h>
struct evrpc_req_generic;

#ifdef __cplusplus
extern "C" {
#endif

#ifndef TAILQ_ENTRY
#define EVENT_DEFINED_TQENTRY_
#define TAILQ_ENTRY(type)						\
struct {								\
	struct type *tqe_next;				\
	struct type **tqe_prev;		\
}
#endif

/** How an RPC call ended. */
struct evrpc_status {
/** RPC results. */
#define EVRPC_STATUS_ERR_NONE		0
#define EVRPC_STATUS_ERR_TIMEOUT	1
#define EVRPC_STATUS_ERR_BADPAYLOAD	2
#define EVRPC_STATUS_ERR_UNSTARTED	3
#define EVRPC_STATUS_ERR_HOOKABORTED	4
	int error;

	struct evhttp_request *http_req;
};

/** A registered RPC call. */
struct evrpc {
	TAILQ_ENTRY(evrpc) next;

	const char* uri;

	void *(*request_new)(void *);
	void *request_new_arg;

	void (*request_free)(void *);

	int (*request_unmarshal)(void *, struct evbuffer *);

	void *(*reply_new)(void *);
	void *reply_new_arg;

	void (*reply_free)(void *);

	int (*reply_complete)(void *);

	void (*reply_marshal)(struct evbuffer*, void *);

	void (*cb)(struct evrpc_req_generic *, void *);
	void *cb_arg;

	struct evrpc_base *base;
};

#ifdef EVENT_DEFINED_TQENTRY_
#undef TAILQ_ENTRY
#endif

#ifdef __cplusplus
}
#endif

#endif
