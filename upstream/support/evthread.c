/* POSIX locks and condition variables behind the stand-in evthread-internal.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "evthread-internal.h"

void *
upstream_lock_new(unsigned locktype)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t *lock = malloc(sizeof(*lock));
	if (!lock)
		return NULL;
	pthread_mutexattr_init(&attr);
	if (locktype & EVTHREAD_LOCKTYPE_RECURSIVE)
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	if (pthread_mutex_init(lock, &attr)) {
		free(lock);
		lock = NULL;
	}
	pthread_mutexattr_destroy(&attr);
	return lock;
}

void
upstream_lock_free(void *lock)
{
	if (!lock)
		return;
	pthread_mutex_destroy(lock);
	free(lock);
}

void
upstream_lock(void *lock)
{
	if (lock)
		pthread_mutex_lock(lock);
}

void
upstream_unlock(void *lock)
{
	if (lock)
		pthread_mutex_unlock(lock);
}

void *
upstream_cond_new(void)
{
	pthread_cond_t *cond = malloc(sizeof(*cond));
	if (cond && pthread_cond_init(cond, NULL)) {
		free(cond);
		cond = NULL;
	}
	return cond;
}

void
upstream_cond_free(void *cond)
{
	if (!cond)
		return;
	pthread_cond_destroy(cond);
	free(cond);
}

void
upstream_cond_signal(void *cond, int broadcast)
{
	if (broadcast)
		pthread_cond_broadcast(cond);
	else
		pthread_cond_signal(cond);
}

int
upstream_cond_wait(void *cond, void *lock, const struct timeval *tv)
{
	struct timespec deadline;
	int r;
	if (!tv)
		return pthread_cond_wait(cond, lock) ? -1 : 0;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += tv->tv_sec;
	deadline.tv_nsec += tv->tv_usec * 1000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec += 1;
		deadline.tv_nsec -= 1000000000L;
	}
	r = pthread_cond_timedwait(cond, lock, &deadline);
	if (r == ETIMEDOUT)
		return 1;
	return r ? -1 : 0;
}

static void *
callback_alloc(unsigned locktype)
{
	return upstream_lock_new(locktype);
}

static void
callback_free(void *lock, unsigned locktype)
{
	(void)locktype;
	upstream_lock_free(lock);
}

static int
callback_lock(unsigned mode, void *lock)
{
	if (mode & EVTHREAD_TRY)
		return pthread_mutex_trylock(lock);
	return pthread_mutex_lock(lock);
}

static int
callback_unlock(unsigned mode, void *lock)
{
	(void)mode;
	return pthread_mutex_unlock(lock);
}

const struct evthread_lock_callbacks *
evthread_get_lock_callbacks(void)
{
	static const struct evthread_lock_callbacks posix_callbacks = {
		EVTHREAD_LOCK_API_VERSION,
		EVTHREAD_LOCKTYPE_RECURSIVE,
		callback_alloc,
		callback_free,
		callback_lock,
		callback_unlock,
	};
	return &posix_callbacks;
}
