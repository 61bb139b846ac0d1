/* SPDX-License-Identifier: BSD-3-Clause */
/* Prepare and check watchers that run around each poll of the event loop. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_WATCH_H_INCLUDED_
#define EVENT2_WATCH_H_INCLUDED_

/** @file event2/watch.h

  @brief Hooks into each iteration of the event loop.

  A "prepare" watcher runs just before the loop asks the backend for I/O
  readiness; a "check" watcher runs right after the backend returns and
  before any active event callback is invoked.  Together they let another
  main loop (a GUI toolkit, a scripting runtime) be driven from inside
  event_base_loop(), or let a program measure how long each poll took.
 */

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/visibility.h>

struct event_base;
/** An opaque handle for a registered prepare or check watcher. */
struct evwatch;
/** Opaque data handed to a prepare callback; see
 * evwatch_prepare_get_timeout(). */
struct evwatch_prepare_cb_info;
/** Opaque data handed to a check callback. */
struct evwatch_check_cb_info;
struct timeval;

/**
  Signature of a prepare watcher callback.

  Called by the loop immediately before it polls for I/O.

  @param watcher the watcher being run.
  @param info details about the coming poll, readable with
     evwatch_prepare_get_timeout().
  @param arg the pointer given to evwatch_prepare_new().
 */
typedef void (*evwatch_prepare_cb)(struct evwatch *, const struct evwatch_prepare_cb_info *, void *);

/**
  Signature of a check watcher callback.

  Called by the loop as soon as polling for I/O has returned, before the
  callbacks of any active events run.

  @param watcher the watcher being run.
  @param info details about the poll that just finished (none are exposed
     at present).
  @param arg the pointer given to evwatch_check_new().
 */
typedef void (*evwatch_check_cb)(struct evwatch *, const struct evwatch_check_cb_info *, void *);

/**
  Register a callback to run before every poll of an event loop.

  Several prepare watchers on one base run in the order they were added.

  @param base the base whose loop gets the hook.
  @param callback the function to call.
  @param arg passed unchanged to the callback.
  @return the new watcher, or NULL if memory could not be allocated.
 */
EVENT2_EXPORT_SYMBOL
struct evwatch *evwatch_prepare_new(struct event_base *base, evwatch_prepare_cb callback, void *arg);

/**
  Register a callback to run after every poll of an event loop, before
  active events are handled.

  Several check watchers on one base run in the order they were added.

  @param base the base whose loop gets the hook.
  @param callback the function to call.
  @param arg passed unchanged to the callback.
  @return the new watcher, or NULL if memory could not be allocated.
 */
EVENT2_EXPORT_SYMBOL
struct evwatch *evwatch_check_new(struct event_base *base, evwatch_check_cb callback, void *arg);

/**
  Find the event base a watcher belongs to.

  @param watcher a watcher returned by evwatch_prepare_new() or
     evwatch_check_new().
  @return the base it was registered on.
 */
EVENT2_EXPORT_SYMBOL
struct event_base *evwatch_base(struct evwatch *watcher);

/**
  Unregister a watcher and release its memory.

  Watchers that are never freed this way are released by event_base_free();
  once that has happened, passing such a watcher here is an error.

  @param watcher the watcher to remove.
 */
EVENT2_EXPORT_SYMBOL
void evwatch_free(struct evwatch *watcher);

/**
  From inside a prepare callback, learn how long the coming poll may block.

  A value is known only when a timer event is pending and the loop was not
  started with EVLOOP_NONBLOCK.  Comparing it with the time that really
  passed before the matching check callback shows how much the poll
  overslept or woke early.

  @param info the info pointer the prepare callback received.
  @param timeout receives the maximum blocking time when one is known.
  @return 1 if *timeout was filled in, otherwise 0.
 */
EVENT2_EXPORT_SYMBOL
int evwatch_prepare_get_timeout(const struct evwatch_prepare_cb_info *info, struct timeval *timeout);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_WATCH_H_INCLUDED_ */
