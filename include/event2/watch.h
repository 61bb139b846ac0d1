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

typedef void (*evwatch_prepare_cb)(struct evwatch *, const struct evwatch_prepare_cb_info *, void *);

typedef void (*evwatch_check_cb)(struct evwatch *, const struct evwatch_check_cb_info *, void *);

EVENT2_EXPORT_SYMBOL
struct evwatch *evwatch_prepare_new(struct event_base *base, evwatch_prepare_cb callback, void *arg);

EVENT2_EXPORT_SYMBOL
struct evwatch *evwatch_check_new(struct event_base *base, evwatch_check_cb callback, void *arg);

EVENT2_EXPORT_SYMBOL
struct event_base *evwatch_base(struct evwatch *watcher);

EVENT2_EXPORT_SYMBOL
void evwatch_free(struct evwatch *watcher);

EVENT2_EXPORT_SYMBOL
int evwatch_prepare_get_timeout(const struct evwatch_prepare_cb_info *info, struct timeval *timeout);

#ifdef __cplusplus
}
#endif

#endif
