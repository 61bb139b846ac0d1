/* Stand-in for libevent's private evbuffer-internal.h.
 *
 * libevent's tests check an evbuffer's consistency by walking its private chain list.
 * This library's evbuffer has no such list, so here the check goes through the public
 * API instead (upstream_evbuffer_check(), checks.c): the suite's own static walker is
 * still compiled, under another name, and never called.
 *
 * The struct members below exist only so that the suite compiles; every case that
 * reads them directly is listed in excluded.txt, and the build lists each read. */
#ifndef UPSTREAM_EVBUFFER_INTERNAL_H
#define UPSTREAM_EVBUFFER_INTERNAL_H
#include <stddef.h>
#include <event2/event-config.h>
#include <event2/buffer.h>
#include <event2/util.h>
#include "util-internal.h"

struct evbuffer_chain {
	struct evbuffer_chain *next UPSTREAM_PRIVATE;
	size_t buffer_len UPSTREAM_PRIVATE;
	ev_ssize_t misalign UPSTREAM_PRIVATE;
	size_t off UPSTREAM_PRIVATE;
	unsigned char *buffer UPSTREAM_PRIVATE;
};

struct evbuffer {
	struct evbuffer_chain *first UPSTREAM_PRIVATE;
	struct evbuffer_chain *last UPSTREAM_PRIVATE;
	struct evbuffer_chain **last_with_datap UPSTREAM_PRIVATE;
	size_t total_len UPSTREAM_PRIVATE;
};

struct evbuffer_file_segment {
	unsigned is_mapping : 1 UPSTREAM_PRIVATE;
	unsigned can_sendfile : 1 UPSTREAM_PRIVATE;
};

/* libevent's chain sizing, which some cases use to pick input lengths. */
#define MIN_BUFFER_SIZE 1024
#define EVBUFFER_CHAIN_SIZE sizeof(struct evbuffer_chain)
#define EVBUFFER_CHAIN_MAX ((size_t)EV_SSIZE_MAX)

/* Checks what the public API can see of a buffer's consistency: 1 if it holds, 0
 * (after reporting the failure) if not. */
int upstream_evbuffer_check(struct evbuffer *buf);

/* Routes the suite's evbuffer_validate_(buf) calls to upstream_evbuffer_check(), and
 * renames the suite's own definition, `evbuffer_validate_(struct evbuffer *buf)`, to
 * upstream_unused_chain_walk().  An argument that starts with the word `struct` is the
 * definition's parameter list; any other is a call's argument. */
#define UPSTREAM_SECOND_(a, b, ...) b
#define UPSTREAM_SECOND(...) UPSTREAM_SECOND_(__VA_ARGS__)
#define UPSTREAM_PROBE_struct ~, 1,
#define UPSTREAM_STARTS_WITH_STRUCT(x) UPSTREAM_SECOND(UPSTREAM_PROBE_ ## x, 0, ~)
#define UPSTREAM_CAT_(a, b) a ## b
#define UPSTREAM_CAT(a, b) UPSTREAM_CAT_(a, b)
#define UPSTREAM_VALIDATE_1(params) upstream_unused_chain_walk(params)
#define UPSTREAM_VALIDATE_0(buf) upstream_evbuffer_check(buf)
#define evbuffer_validate_(x) \
	UPSTREAM_CAT(UPSTREAM_VALIDATE_, UPSTREAM_STARTS_WITH_STRUCT(x))(x)

#endif
