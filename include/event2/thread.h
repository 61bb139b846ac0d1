/* SPDX-License-Identifier: BSD-3-Clause */
/* Lock, condition and thread-id functions for multithreaded use. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_THREAD_H_INCLUDED_
#define EVENT2_THREAD_H_INCLUDED_

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>

/** Lock modes passed to the lock and unlock functions: write, read, and try without blocking. */
#define EVTHREAD_WRITE	0x04

#define EVTHREAD_READ	0x08

#define EVTHREAD_TRY    0x10

#if !defined(EVENT__DISABLE_THREAD_SUPPORT) || defined(EVENT_IN_DOXYGEN_)

/** The version of struct evthread_lock_callbacks described here. */
#define EVTHREAD_LOCK_API_VERSION 1

/** Lock kinds: recursive (taken again by its holder) and read-write. */
#define EVTHREAD_LOCKTYPE_RECURSIVE 1

#define EVTHREAD_LOCKTYPE_READWRITE 2

/** The functions the library uses to create, take, release and free locks. */
struct evthread_lock_callbacks {

	int lock_api_version;

	unsigned supported_locktypes;

	void *(*alloc)(unsigned locktype);

	void (*free)(void *lock, unsigned locktype);

	int (*lock)(unsigned mode, void *lock);

	int (*unlock)(unsigned mode, void *lock);
};

/** Installs lock functions; once in use they cannot be replaced by different ones. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evthread_set_lock_callbacks(const struct evthread_lock_callbacks *);

/** The version of struct evthread_condition_callbacks described here. */
#define EVTHREAD_CONDITION_API_VERSION 1

struct timeval;

/** The functions the library uses for condition variables; wait returns 0 when signalled, 1 on timeout, -1 on error. */
struct evthread_condition_callbacks {

	int condition_api_version;

	void *(*alloc_condition)(unsigned condtype);

	void (*free_condition)(void *cond);

	int (*signal_condition)(void *cond, int broadcast);

	int (*wait_condition)(void *cond, void *lock,
	    const struct timeval *timeout);
};

/** Installs condition-variable functions. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evthread_set_condition_callbacks(
	const struct evthread_condition_callbacks *);

/** Installs the function that names the calling thread. */
EVENT2_EXPORT_SYMBOL
void evthread_set_id_callback(
    unsigned long (*id_fn)(void));

#if (defined(_WIN32) && !defined(EVENT__DISABLE_THREAD_SUPPORT)) || defined(EVENT_IN_DOXYGEN_)

/** Installs Windows locks, conditions and thread ids. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evthread_use_windows_threads(void);

/** Defined when evthread_use_windows_threads() exists. */
#define EVTHREAD_USE_WINDOWS_THREADS_IMPLEMENTED 1
#endif

#if defined(EVENT__HAVE_PTHREADS) || defined(EVENT_IN_DOXYGEN_)

/** Installs pthread locks, conditions and thread ids (in libevent_pthreads). Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evthread_use_pthreads(void);

/** Option of evthread_use_pthreads_with_flags(): mutexes with priority inheritance. */
#define EVTHREAD_PTHREAD_PRIO_INHERIT 0x01

/** Like evthread_use_pthreads(), with EVTHREAD_PTHREAD_* options. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evthread_use_pthreads_with_flags(int flags);

/** Defined when evthread_use_pthreads() exists. */
#define EVTHREAD_USE_PTHREADS_IMPLEMENTED 1

#endif

/** Makes locks created afterwards check their use and report misuse as fatal errors. */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debugging(void);

/** The old spelling of evthread_enable_lock_debugging(). */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debuging(void);

#endif

struct event_base;

/** Lets other threads wake the base's loop. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL
int evthread_make_base_notifiable(struct event_base *base);

#ifdef __cplusplus
}
#endif

#endif
