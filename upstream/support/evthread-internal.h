/* Stand-in for libevent's private evthread-internal.h.  The suite uses these lock and
 * condition macros to coordinate its own threads; the library's installed callbacks
 * cannot be reached from outside it, so they are POSIX mutexes and condition
 * variables here (evthread.c).  Cases that test the wrappers themselves are listed in
 * excluded.txt. */
#ifndef UPSTREAM_EVTHREAD_INTERNAL_H
#define UPSTREAM_EVTHREAD_INTERNAL_H
#include <sys/time.h>
#include <event2/thread.h>

void *upstream_lock_new(unsigned locktype);
void upstream_lock_free(void *lock);
void upstream_lock(void *lock);
void upstream_unlock(void *lock);
void *upstream_cond_new(void);
void upstream_cond_free(void *cond);
void upstream_cond_signal(void *cond, int broadcast);
/* 0 when signalled, 1 on timeout, -1 on error. */
int upstream_cond_wait(void *cond, void *lock, const struct timeval *tv);

/* The suite takes the installed lock callbacks only to delegate to them: these are
 * POSIX-mutex callbacks of the kind evthread_use_pthreads() installs. */
const struct evthread_lock_callbacks *evthread_get_lock_callbacks(void);

#define EVTHREAD_ALLOC_LOCK(lockvar, locktype) \
	((lockvar) = upstream_lock_new(locktype))
#define EVTHREAD_FREE_LOCK(lockvar, locktype) upstream_lock_free(lockvar)
#define EVLOCK_LOCK(lockvar, mode) upstream_lock(lockvar)
#define EVLOCK_UNLOCK(lockvar, mode) upstream_unlock(lockvar)
#define EVTHREAD_ALLOC_COND(condvar) ((condvar) = upstream_cond_new())
#define EVTHREAD_FREE_COND(condvar) upstream_cond_free(condvar)
#define EVTHREAD_COND_SIGNAL(condvar) upstream_cond_signal((condvar), 0)
#define EVTHREAD_COND_BROADCAST(condvar) upstream_cond_signal((condvar), 1)
#define EVTHREAD_COND_WAIT(condvar, lockvar) \
	upstream_cond_wait((condvar), (lockvar), NULL)
#define EVTHREAD_COND_WAIT_TIMED(condvar, lockvar, tv) \
	upstream_cond_wait((condvar), (lockvar), (tv))

#endif
