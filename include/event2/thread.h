/* SPDX-License-Identifier: BSD-3-Clause */
/* Locking, condition variable and thread id hooks for multithreaded programs. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_THREAD_H_INCLUDED_
#define EVENT2_THREAD_H_INCLUDED_

/** @file event2/thread.h

  @brief Making event bases safe to use from several threads.

  The library does no locking until it is told how to.  A program that
  touches one event base from more than one thread calls
  evthread_use_pthreads() (or evthread_use_windows_threads() on Windows)
  once, early; a program with its own threading package instead supplies
  lock, condition and thread id functions through
  evthread_set_lock_callbacks(), evthread_set_condition_callbacks() and
  evthread_set_id_callback().

  Whichever way is chosen, it has to happen before the first event base is
  created: a base only gets locks if locking was configured when it was
  made.
 */

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>

/**
   @name Lock mode flags

   Values OR-ed into the mode argument of the lock and unlock callbacks.

   @{
*/
/** The lock is a read-write lock and is being taken or released for
 * writing. */
#define EVTHREAD_WRITE	0x04
/** The lock is a read-write lock and is being taken or released for
 * reading. */
#define EVTHREAD_READ	0x08
/** Only try to take the lock: if it is held elsewhere, the lock callback
 * must return a nonzero value at once instead of waiting. */
#define EVTHREAD_TRY    0x10
/**@}*/

#if !defined(EVENT__DISABLE_THREAD_SUPPORT) || defined(EVENT_IN_DOXYGEN_)

/** The version of struct evthread_lock_callbacks described by this header;
 * store it in lock_api_version. */
#define EVTHREAD_LOCK_API_VERSION 1

/**
   @name Lock types

   Values for the locktype argument of the alloc and free callbacks, and
   bits of supported_locktypes.

   @{*/
/** A recursive lock: the thread that holds it may take it again, and it is
 * released only after as many unlocks as locks. */
#define EVTHREAD_LOCKTYPE_RECURSIVE 1
/** A read-write lock: any number of readers, or one writer, may hold it. */
#define EVTHREAD_LOCKTYPE_READWRITE 2
/**@}*/

/** The set of functions the library calls to create, take, release and
 * destroy locks.  Filled in by the application and passed to
 * evthread_set_lock_callbacks().
 */
struct evthread_lock_callbacks {
	/** Must be EVTHREAD_LOCK_API_VERSION. */
	int lock_api_version;
	/** A bit set of the EVTHREAD_LOCKTYPE_* values this implementation
	 * can create.  Recursive locks are required; read-write locks are
	 * not used at present. */
	unsigned supported_locktypes;
	/** Create a lock of the given EVTHREAD_LOCKTYPE_* type; return it, or
	 * NULL on failure. */
	void *(*alloc)(unsigned locktype);
	/** Destroy a lock made by alloc with the same locktype. */
	void (*free)(void *lock, unsigned locktype);
	/** Take a lock; mode holds EVTHREAD_* flags.  Return 0 on success,
	 * nonzero on failure (including an EVTHREAD_TRY that would block). */
	int (*lock)(unsigned mode, void *lock);
	/** Release a lock; mode holds EVTHREAD_* flags.  Return 0 on success,
	 * nonzero on failure. */
	int (*unlock)(unsigned mode, void *lock);
};

/** Tell the library which locking functions to use.
 *
 * The structure is copied.  Once locking is set up it cannot be switched to
 * a different set of functions, though passing the same functions again is
 * accepted.  NULL clears the configuration, which is only sensible before
 * any lock has been created.  Programs using pthreads or Windows threads
 * normally call evthread_use_pthreads() or evthread_use_windows_threads()
 * instead.
 *
 * @param cbs the lock functions, or NULL.
 * @return 0 on success, -1 if one of the four functions is missing or a
 *   different set is already installed.
 */
EVENT2_EXPORT_SYMBOL
int evthread_set_lock_callbacks(const struct evthread_lock_callbacks *);

/** The version of struct evthread_condition_callbacks described by this
 * header; store it in condition_api_version. */
#define EVTHREAD_CONDITION_API_VERSION 1

struct timeval;

/** The set of functions the library calls to use condition variables.
 * Filled in by the application and passed to
 * evthread_set_condition_callbacks().
 */
struct evthread_condition_callbacks {
	/** Must be EVTHREAD_CONDITION_API_VERSION. */
	int condition_api_version;
	/** Create a condition variable (condtype is always 0 for now); return
	 * it, or NULL on failure. */
	void *(*alloc_condition)(unsigned condtype);
	/** Destroy a condition variable. */
	void (*free_condition)(void *cond);
	/** Wake one waiter, or every waiter when broadcast is nonzero.  The
	 * associated lock is held by the caller.  Return 0 on success, -1 on
	 * failure. */
	int (*signal_condition)(void *cond, int broadcast);
	/** Wait on cond.  The caller holds lock; it must be released while
	 * waiting and held again on return.  A non-NULL timeout bounds the
	 * wait by that relative interval; NULL waits without limit.  Return 0
	 * when signalled, 1 on timeout, -1 on error. */
	int (*wait_condition)(void *cond, void *lock,
	    const struct timeval *timeout);
};

/** Tell the library which condition variable functions to use.
 *
 * The structure is copied.  As with locks, the choice is fixed once made;
 * evthread_use_pthreads() and evthread_use_windows_threads() set these up
 * too.
 *
 * @param cbs the condition functions, or NULL to clear them.
 * @return 0 on success, -1 if a different set is already installed.
 */
EVENT2_EXPORT_SYMBOL
int evthread_set_condition_callbacks(
	const struct evthread_condition_callbacks *);

/**
   Tell the library how to identify the calling thread.

   The function must return a value that differs between threads that run
   at the same time.  It lets the library notice when a base is used from
   a thread other than the one running its loop.

   @param id_fn returns an identifier for the current thread.
*/
EVENT2_EXPORT_SYMBOL
void evthread_set_id_callback(
    unsigned long (*id_fn)(void));

#if (defined(_WIN32) && !defined(EVENT__DISABLE_THREAD_SUPPORT)) || defined(EVENT_IN_DOXYGEN_)
/** Use the native Windows locks, condition variables and thread ids.
    Only present in Windows builds.

    @return 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evthread_use_windows_threads(void);
/**
   Present when evthread_use_windows_threads() is available.
*/
#define EVTHREAD_USE_WINDOWS_THREADS_IMPLEMENTED 1
#endif

#if defined(EVENT__HAVE_PTHREADS) || defined(EVENT_IN_DOXYGEN_)
/** Use POSIX thread mutexes, condition variables and pthread_self() for
    locking, waiting and thread ids.  The function lives in the
    event_pthreads library, which must be linked in addition to the main
    one.

    @return 0 on success, -1 on failure. */
EVENT2_EXPORT_SYMBOL
int evthread_use_pthreads(void);

/** Flag for evthread_use_pthreads_with_flags(): create mutexes with
 * priority inheritance, where pthread_mutexattr_setprotocol() exists. */
#define EVTHREAD_PTHREAD_PRIO_INHERIT 0x01

/**
 * Like evthread_use_pthreads(), with options for how mutexes are made.
 *
 * @param flags zero or more EVTHREAD_PTHREAD_* flags OR-ed together.
 * @return 0 on success, -1 on failure.
 **/
EVENT2_EXPORT_SYMBOL
int evthread_use_pthreads_with_flags(int flags);

/** Present when evthread_use_pthreads() is available. */
#define EVTHREAD_USE_PTHREADS_IMPLEMENTED 1

#endif

/** Wrap the configured locks with checks that abort with an assertion
 * failure on misuse: unlocking a lock not held, or re-taking a
 * non-recursive lock, for example.
 *
 * Call this before any lock is created, that is, right after setting up
 * threading and before creating event bases.
 **/
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debugging(void);

/** Older name of evthread_enable_lock_debugging(), with a spelling mistake;
 * kept for compatibility and deprecated. */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debuging(void);

#endif /* EVENT__DISABLE_THREAD_SUPPORT */

struct event_base;
/** Give a base the means to be woken from another thread or from a signal
    handler, if it does not have them yet.

    A base created after threading was set up is already notifiable, so
    this is rarely needed.

    @param base the base to prepare.
    @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evthread_make_base_notifiable(struct event_base *base);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_THREAD_H_INCLUDED_ */
