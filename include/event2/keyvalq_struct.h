/* SPDX-License-Identifier: BSD-3-Clause */
/* Key/value list structures shared by the HTTP code. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_KEYVALQ_STRUCT_H_INCLUDED_
#define EVENT2_KEYVALQ_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

/* The list macros below mirror <sys/queue.h>; they are only defined here
 * when the program has not already got them from that header, and they are
 * removed again at the end of this file. */
#ifndef TAILQ_ENTRY
#define EVENT_DEFINED_TQENTRY_
/** Link field of an intrusive doubly linked list (as in <sys/queue.h>). */
#define TAILQ_ENTRY(type)						\
struct {								\
	struct type *tqe_next;						\
	struct type **tqe_prev;						\
}
#endif /* !TAILQ_ENTRY */

#ifndef TAILQ_HEAD
#define EVENT_DEFINED_TQHEAD_
/** Head of an intrusive doubly linked list (as in <sys/queue.h>). */
#define TAILQ_HEAD(name, type)			\
struct name {					\
	struct type *tqh_first;			\
	struct type **tqh_last;			\
}
#endif

/**
 * One name/value pair, such as an HTTP header line or a decoded query
 * argument.  Entries are chained together in a struct evkeyvalq.
 */
struct evkeyval {
	/** Links to the neighbouring entries of the list. */
	TAILQ_ENTRY(evkeyval) next;

	/** The name, a NUL-terminated string owned by the list. */
	char *key;
	/** The value, a NUL-terminated string owned by the list. */
	char *value;
};

/**
 * An ordered list of struct evkeyval entries; used for header sets and
 * parsed query strings.  Walk it with the usual TAILQ iteration macros.
 */
TAILQ_HEAD (evkeyvalq, evkeyval);

/* Remove the list macros again if this file defined them. */
#ifdef EVENT_DEFINED_TQENTRY_
#undef TAILQ_ENTRY
#endif

#ifdef EVENT_DEFINED_TQHEAD_
#undef TAILQ_HEAD
#endif

#ifdef __cplusplus
}
#endif

#endif
