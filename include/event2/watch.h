/* SPDX-License-Identifier: BSD-3-Clause */
/* Watchers called before and after each poll of the loop. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_WATCH_H_INCLUDED_
#define EVENT2_WATCH_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/visibility.h>

struct event_base;
struct evwatch;
struct evwatch_prepare_cb_info;
struct evwatch_check_cb_info;
struct timeval;

/** Called before the loop polls, with the watcher, the poll's details and the argument. */
typedef void (*evwatch_prepare_cb)(struct evwatch *, const struct evwatch_prepare_cb_info *, void *);

/** Called after the loop polled, with the watcher, details and the argument. */
typedef void (*evwatch_check_cb)(struct evwatch *, const struct evwatch_check_cb_info *, void *);

/** Adds a watcher called before each poll of the base's loop. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evwatch *evwatch_prepare_new(struct event_base *base, evwatch_prepare_cb callback, void *arg);

/** Adds a watcher called after each poll of the base's loop. NULL on failure. */
EVENT2_EXPORT_SYMBOL
struct evwatch *evwatch_check_new(struct event_base *base, evwatch_check_cb callback, void *arg);

/** The base a watcher belongs to. */
EVENT2_EXPORT_SYMBOL
struct event_base *evwatch_base(struct evwatch *watcher);

/** Removes and releases a watcher; allowed inside its own callback. */
EVENT2_EXPORT_SYMBOL
void evwatch_free(struct evwatch *watcher);

/** Stores the poll's timeout in *timeout and returns 1, or returns 0 when the poll waits without limit. */
EVENT2_EXPORT_SYMBOL
int evwatch_prepare_get_timeout(const struct evwatch_prepare_cb_info *info, struct timeval *timeout);

#ifdef __cplusplus
}
#endif

#endif
