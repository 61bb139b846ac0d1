/* evbuffer_enable_locking before and after evthread_use_pthreads, lock/unlock
 * nesting, and two threads adding to one locked buffer without losing anything. */
// test: link event_core event_pthreads
#include <event2/buffer.h>
#include <event2/thread.h>

#include <pthread.h>
#include <string.h>

#include "check.h"

#define ROUNDS 20000

static struct evbuffer *shared;

static void *adder(void *arg)
{
	const char *piece = arg;
	int i;
	for (i = 0; i < ROUNDS; i++) {
		evbuffer_lock(shared);
		evbuffer_add(shared, piece, 4);
		evbuffer_unlock(shared);
		if (i % 3 == 0) {
			char out[4];
			evbuffer_lock(shared);
			/* locked across two calls: what was just added is still at the end */
			if (evbuffer_get_length(shared) >= 4)
				evbuffer_remove(shared, out, 4);
			evbuffer_unlock(shared);
		}
	}
	return NULL;
}

int main(void)
{
	struct evbuffer *buf = evbuffer_new();
	pthread_t a, b;
	size_t len, i;
	char *all;
	int ok = 1;

	/* no lock functions yet: no lock can be made */
	CHECK_INT_EQ(evbuffer_enable_locking(buf, NULL), -1);
	/* lock and unlock of an unlocked buffer do nothing */
	evbuffer_lock(buf);
	evbuffer_unlock(buf);
	evbuffer_free(buf);

	REQUIRE(evthread_use_pthreads() == 0);
	shared = evbuffer_new();
	CHECK_INT_EQ(evbuffer_enable_locking(shared, NULL), 0);
	/* only once */
	CHECK_INT_EQ(evbuffer_enable_locking(shared, NULL), -1);
	/* the lock is recursive */
	evbuffer_lock(shared);
	evbuffer_lock(shared);
	evbuffer_add(shared, "", 0);
	evbuffer_unlock(shared);
	evbuffer_unlock(shared);

	pthread_create(&a, NULL, adder, (void *)"AAAA");
	pthread_create(&b, NULL, adder, (void *)"BBBB");
	pthread_join(a, NULL);
	pthread_join(b, NULL);

	len = evbuffer_get_length(shared);
	CHECK_UINT_EQ(len % 4, 0);
	CHECK_UINT_EQ(len, (size_t)2 * 4 * (ROUNDS - (ROUNDS + 2) / 3));
	all = (char *)evbuffer_pullup(shared, -1);
	REQUIRE(all != NULL);
	for (i = 0; i < len; i += 4)
		ok &= memcmp(all + i, "AAAA", 4) == 0 || memcmp(all + i, "BBBB", 4) == 0;
	CHECK(ok);
	evbuffer_free(shared);
	return check_report();
}
