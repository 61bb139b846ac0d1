/* The rules of evthread_set_lock_callbacks and evthread_set_condition_callbacks: a
 * struct missing a function, the same functions again, different ones (each field
 * compared), removal with NULL, and the warnings that go with them. (What happens
 * after removal is in thread_reinstall.c: libevent 2.1 crashes there.) */
#include <event2/event.h>
#include <event2/thread.h>

#include <string.h>

#include "check.h"

static int warnings;
static char last_warning[256];

static void log_cb(int severity, const char *msg)
{
	if (severity == EVENT_LOG_WARN) {
		warnings++;
		strncpy(last_warning, msg, sizeof(last_warning) - 1);
	}
}

/* Counting functions that never lock anything: this program has one thread. */
static int lock_allocs;
static char lock_storage;

static void *lock_alloc(unsigned locktype)
{
	(void)locktype;
	lock_allocs++;
	return &lock_storage;
}

static void lock_free(void *lock, unsigned locktype)
{
	(void)lock;
	(void)locktype;
}

static int lock_lock(unsigned mode, void *lock)
{
	(void)mode;
	(void)lock;
	return 0;
}

static int lock_unlock(unsigned mode, void *lock)
{
	(void)mode;
	(void)lock;
	return 0;
}

static int lock_unlock_other(unsigned mode, void *lock)
{
	(void)mode;
	(void)lock;
	return 0;
}

static char cond_storage;

static void *cond_alloc(unsigned condtype)
{
	(void)condtype;
	return &cond_storage;
}

static void cond_free(void *cond)
{
	(void)cond;
}

static int cond_signal(void *cond, int broadcast)
{
	(void)cond;
	(void)broadcast;
	return 0;
}

static int cond_wait(void *cond, void *lock, const struct timeval *tv)
{
	(void)cond;
	(void)lock;
	(void)tv;
	return 0;
}

static int cond_wait_other(void *cond, void *lock, const struct timeval *tv)
{
	(void)cond;
	(void)lock;
	(void)tv;
	return 1;
}

/* Expects `call` to return `result` with `warned` warnings (0 or 1) logged. */
#define EXPECT(call, result, warned) do { \
	warnings = 0; \
	CHECK_INT_EQ((call), (result)); \
	CHECK_INT_EQ(warnings, (warned)); \
} while (0)

int main(void)
{
	const struct evthread_lock_callbacks locks = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		lock_alloc, lock_free, lock_lock, lock_unlock
	};
	const struct evthread_condition_callbacks conds = {
		EVTHREAD_CONDITION_API_VERSION, cond_alloc, cond_free, cond_signal, cond_wait
	};
	struct evthread_lock_callbacks l;
	struct evthread_condition_callbacks c;
	struct event_base *base;

	event_set_log_callback(log_cb);

	/* Removing what was never installed is fine and quiet. */
	EXPECT(evthread_set_lock_callbacks(NULL), 0, 0);
	EXPECT(evthread_set_condition_callbacks(NULL), 0, 0);

	/* A lock struct missing a function is refused; nothing is installed. */
	l = locks;
	l.unlock = NULL;
	EXPECT(evthread_set_lock_callbacks(&l), -1, 0);
	l = locks;
	l.alloc = NULL;
	EXPECT(evthread_set_lock_callbacks(&l), -1, 0);

	EXPECT(evthread_set_lock_callbacks(&locks), 0, 0);
	/* The same functions again, from another copy of the struct: accepted. */
	l = locks;
	EXPECT(evthread_set_lock_callbacks(&l), 0, 0);
	/* Any field that differs makes them different functions. */
	l.lock_api_version = 2;
	EXPECT(evthread_set_lock_callbacks(&l), -1, 1);
	CHECK(strstr(last_warning, "Can't change lock callbacks") != NULL);
	l = locks;
	l.supported_locktypes = EVTHREAD_LOCKTYPE_RECURSIVE | EVTHREAD_LOCKTYPE_READWRITE;
	EXPECT(evthread_set_lock_callbacks(&l), -1, 1);
	l = locks;
	l.unlock = lock_unlock_other;
	EXPECT(evthread_set_lock_callbacks(&l), -1, 1);
	l = locks;
	l.free = NULL;
	EXPECT(evthread_set_lock_callbacks(&l), -1, 1);

	/* A condition struct missing a function is accepted but installs nothing, so
	 * complete ones can come afterwards. */
	c = conds;
	c.wait_condition = NULL;
	EXPECT(evthread_set_condition_callbacks(&c), 0, 0);
	EXPECT(evthread_set_condition_callbacks(&conds), 0, 0);
	c = conds;
	EXPECT(evthread_set_condition_callbacks(&c), 0, 0);
	c.condition_api_version = 2;
	EXPECT(evthread_set_condition_callbacks(&c), -1, 1);
	CHECK(strstr(last_warning, "Can't change condition callbacks") != NULL);
	c = conds;
	c.wait_condition = cond_wait_other;
	EXPECT(evthread_set_condition_callbacks(&c), -1, 1);

	/* The installed functions serve bases made now. */
	lock_allocs = 0;
	base = event_base_new();
	REQUIRE(base != NULL);
	CHECK(lock_allocs > 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);

	/* Removing functions in use is allowed, with a warning. */
	EXPECT(evthread_set_condition_callbacks(NULL), 0, 1);
	CHECK(strstr(last_warning, "Trying to disable condition functions") != NULL);
	EXPECT(evthread_set_condition_callbacks(NULL), 0, 0);
	EXPECT(evthread_set_lock_callbacks(NULL), 0, 1);
	CHECK(strstr(last_warning, "Trying to disable lock functions") != NULL);
	EXPECT(evthread_set_lock_callbacks(NULL), 0, 0);

	event_set_log_callback(NULL);
	return check_report();
}
