/* Lock functions installed, removed with NULL, then other functions installed: while
 * none are installed a base gets no lock; the new ones serve bases made afterwards, and
 * a base made before keeps working with the functions it was made with. */
// test: evrs-only libevent asserts when lock functions are installed again after removal
#include <event2/event.h>
#include <event2/thread.h>

#include "check.h"

struct counts {
	int allocs, frees, locks, unlocks;
};

static struct counts first, second;
static char storage;

#define COUNTING_LOCKS(name, counts) \
	static void *name##_alloc(unsigned locktype) \
	{ \
		(void)locktype; \
		counts.allocs++; \
		return &storage; \
	} \
	static void name##_free(void *lock, unsigned locktype) \
	{ \
		(void)lock; \
		(void)locktype; \
		counts.frees++; \
	} \
	static int name##_lock(unsigned mode, void *lock) \
	{ \
		(void)mode; \
		(void)lock; \
		counts.locks++; \
		return 0; \
	} \
	static int name##_unlock(unsigned mode, void *lock) \
	{ \
		(void)mode; \
		(void)lock; \
		counts.unlocks++; \
		return 0; \
	}

COUNTING_LOCKS(first, first)
COUNTING_LOCKS(second, second)

int main(void)
{
	const struct evthread_lock_callbacks one = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		first_alloc, first_free, first_lock, first_unlock
	};
	const struct evthread_lock_callbacks two = {
		EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
		second_alloc, second_free, second_lock, second_unlock
	};
	struct event_base *old_base, *new_base, *unlocked;
	int allocs_before;

	CHECK_INT_EQ(evthread_set_lock_callbacks(&one), 0);
	old_base = event_base_new();
	REQUIRE(old_base != NULL);
	CHECK(first.allocs > 0);

	CHECK_INT_EQ(evthread_set_lock_callbacks(NULL), 0);
	allocs_before = first.allocs;
	unlocked = event_base_new();
	REQUIRE(unlocked != NULL);
	CHECK_INT_EQ(first.allocs, allocs_before);
	CHECK_INT_EQ(event_base_loop(unlocked, EVLOOP_NONBLOCK), 1);
	event_base_free(unlocked);

	CHECK_INT_EQ(evthread_set_lock_callbacks(&two), 0);
	new_base = event_base_new();
	REQUIRE(new_base != NULL);
	CHECK(second.allocs > 0);

	first.locks = first.unlocks = second.locks = second.unlocks = 0;
	CHECK_INT_EQ(event_base_loop(old_base, EVLOOP_NONBLOCK), 1);
	CHECK(first.locks > 0);
	CHECK_INT_EQ(first.locks, first.unlocks);
	CHECK_INT_EQ(second.locks, 0);
	CHECK_INT_EQ(event_base_loop(new_base, EVLOOP_NONBLOCK), 1);
	CHECK(second.locks > 0);
	CHECK_INT_EQ(second.locks, second.unlocks);

	event_base_free(old_base);
	event_base_free(new_base);
	CHECK_INT_EQ(first.frees, first.allocs);
	CHECK_INT_EQ(second.frees, second.allocs);
	return check_report();
}
