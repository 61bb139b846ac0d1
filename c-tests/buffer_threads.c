/* Locked evbuffers shared by threads: evbuffer_enable_locking fails without lock
 * functions and works (once) after evthread_use_pthreads, evbuffer_lock nests and
 * keeps other threads out, concurrent appends lose and tear nothing, a producer and a
 * consumer keep the stream in order, and two threads moving data in opposite
 * directions between two buffers neither deadlock nor lose bytes. */
// test: link event_core event_pthreads
// test: timeout 60
#include <event2/buffer.h>
#include <event2/thread.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define RECORDS 20000

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

struct writer {
	struct evbuffer *buf;
	char tag;
	int failures;
};

/* Appends RECORDS 8-byte records "<tag>nnnnnn;" in increasing order. */
static void *write_records(void *arg)
{
	struct writer *w = arg;
	char rec[9];
	int i;
	for (i = 0; i < RECORDS; i++) {
		snprintf(rec, sizeof(rec), "%c%06d;", w->tag, i);
		if (evbuffer_add(w->buf, rec, 8) != 0)
			w->failures++;
	}
	return NULL;
}

static void test_enable(void)
{
	struct evbuffer *early = evbuffer_new(), *buf;

	REQUIRE(early != NULL);
	/* No lock functions installed yet: no lock can be made. */
	CHECK_INT_EQ(evbuffer_enable_locking(early, NULL), -1);
	/* Locking an unlocked buffer does nothing, however often. */
	evbuffer_lock(early);
	evbuffer_lock(early);
	CHECK_INT_EQ(evbuffer_add(early, "still fine", 10), 0);
	evbuffer_unlock(early);
	evbuffer_unlock(early);
	CHECK_UINT_EQ(evbuffer_get_length(early), 10);

	REQUIRE(evthread_use_pthreads() == 0);
	/* Now it works, for a buffer made before as well as after, once each. */
	CHECK_INT_EQ(evbuffer_enable_locking(early, NULL), 0);
	CHECK_INT_EQ(evbuffer_enable_locking(early, NULL), -1);
	buf = evbuffer_new();
	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_enable_locking(buf, NULL), 0);
	CHECK_INT_EQ(evbuffer_enable_locking(buf, NULL), -1);

	/* The lock is recursive: nested locking around calls that lock again. */
	evbuffer_lock(buf);
	evbuffer_lock(buf);
	evbuffer_lock(buf);
	CHECK_INT_EQ(evbuffer_add(buf, "abc", 3), 0);
	CHECK_INT_EQ(evbuffer_add_buffer(buf, early), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 13);
	evbuffer_unlock(buf);
	evbuffer_unlock(buf);
	evbuffer_unlock(buf);
	CHECK_UINT_EQ(evbuffer_get_length(early), 0);
	evbuffer_free(early);
	evbuffer_free(buf);
}

struct blocked {
	struct evbuffer *buf;
	int done;
};

static void *add_when_allowed(void *arg)
{
	struct blocked *b = arg;
	evbuffer_add(b->buf, "theirs", 6);
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_exclusion(void)
{
	struct blocked b;
	pthread_t t;
	char out[16];

	b.buf = evbuffer_new();
	b.done = 0;
	REQUIRE(b.buf != NULL);
	CHECK_INT_EQ(evbuffer_enable_locking(b.buf, NULL), 0);
	evbuffer_lock(b.buf);
	evbuffer_lock(b.buf);
	REQUIRE(pthread_create(&t, NULL, add_when_allowed, &b) == 0);
	pause_ms(100);
	/* The other thread waits while the lock is held (twice)... */
	CHECK_INT_EQ(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST), 0);
	CHECK_UINT_EQ(evbuffer_get_length(b.buf), 0);
	CHECK_INT_EQ(evbuffer_add(b.buf, "mine|", 5), 0);
	evbuffer_unlock(b.buf);
	pause_ms(50);
	/* ...including while it is still held once. */
	CHECK_INT_EQ(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST), 0);
	evbuffer_unlock(b.buf);
	pthread_join(t, NULL);
	CHECK_INT_EQ(b.done, 1);
	CHECK_INT_EQ(evbuffer_remove(b.buf, out, sizeof(out)), 11);
	CHECK_MEM_EQ(out, "mine|theirs", 11);
	evbuffer_free(b.buf);
}

static void test_concurrent_adds(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct writer w[2];
	pthread_t t[2];
	unsigned char *all;
	size_t len, i;
	int next[2] = {0, 0}, ok = 1;

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_enable_locking(buf, NULL), 0);
	w[0].buf = w[1].buf = buf;
	w[0].tag = 'A';
	w[1].tag = 'B';
	w[0].failures = w[1].failures = 0;
	REQUIRE(pthread_create(&t[0], NULL, write_records, &w[0]) == 0);
	REQUIRE(pthread_create(&t[1], NULL, write_records, &w[1]) == 0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	CHECK_INT_EQ(w[0].failures + w[1].failures, 0);

	len = evbuffer_get_length(buf);
	CHECK_UINT_EQ(len, (size_t)2 * RECORDS * 8);
	all = evbuffer_pullup(buf, -1);
	REQUIRE(all != NULL);
	/* Every record whole, each thread's records in its own order. */
	for (i = 0; i + 8 <= len && ok; i += 8) {
		int who = all[i] == 'A' ? 0 : all[i] == 'B' ? 1 : -1;
		char want[9];
		if (who < 0) {
			ok = 0;
			break;
		}
		snprintf(want, sizeof(want), "%c%06d;", all[i], next[who]++);
		ok = memcmp(all + i, want, 8) == 0;
	}
	CHECK(ok);
	CHECK(next[0] == RECORDS && next[1] == RECORDS);
	evbuffer_free(buf);
}

struct consumer {
	struct evbuffer *buf;
	size_t received;
	int in_order;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	char rec[8];
	int expect = 0, spins = 0;

	while (expect < RECORDS && spins < 50000000) {
		int n;
		evbuffer_lock(c->buf);
		n = evbuffer_get_length(c->buf) >= 8 ? evbuffer_remove(c->buf, rec, 8) : 0;
		evbuffer_unlock(c->buf);
		if (n != 8) {
			spins++;
			continue;
		}
		c->received += 8;
		if (atoi(rec + 1) != expect || rec[0] != 'P')
			c->in_order = 0;
		expect++;
	}
	return NULL;
}

static void test_producer_consumer(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct writer w;
	struct consumer c;
	pthread_t tp, tc;

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_enable_locking(buf, NULL), 0);
	w.buf = buf;
	w.tag = 'P';
	w.failures = 0;
	c.buf = buf;
	c.received = 0;
	c.in_order = 1;
	REQUIRE(pthread_create(&tc, NULL, consume, &c) == 0);
	REQUIRE(pthread_create(&tp, NULL, write_records, &w) == 0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	CHECK_INT_EQ(w.failures, 0);
	CHECK_UINT_EQ(c.received, (size_t)RECORDS * 8);
	CHECK(c.in_order);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	evbuffer_free(buf);
}

struct mover {
	struct evbuffer *from, *to;
	int rounds;
};

static void *move_back_and_forth(void *arg)
{
	struct mover *m = arg;
	int i;
	for (i = 0; i < m->rounds; i++) {
		switch (i % 3) {
		case 0:
			evbuffer_add_buffer(m->to, m->from);
			break;
		case 1:
			evbuffer_remove_buffer(m->from, m->to, 100);
			break;
		default:
			evbuffer_prepend_buffer(m->to, m->from);
			break;
		}
	}
	return NULL;
}

static void test_opposite_moves(void)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct mover ab, ba;
	pthread_t t1, t2;
	static char data[5000];
	size_t i, count[256];
	unsigned char *all;
	int ok = 1;

	REQUIRE(a && b);
	CHECK_INT_EQ(evbuffer_enable_locking(a, NULL), 0);
	CHECK_INT_EQ(evbuffer_enable_locking(b, NULL), 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i % 251);
	CHECK_INT_EQ(evbuffer_add(a, data, sizeof(data)), 0);
	CHECK_INT_EQ(evbuffer_add(b, data, sizeof(data)), 0);
	ab.from = a;
	ab.to = b;
	ba.from = b;
	ba.to = a;
	ab.rounds = ba.rounds = 30000;
	REQUIRE(pthread_create(&t1, NULL, move_back_and_forth, &ab) == 0);
	REQUIRE(pthread_create(&t2, NULL, move_back_and_forth, &ba) == 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);

	/* Nothing lost or duplicated: the same multiset of bytes. */
	CHECK_UINT_EQ(evbuffer_get_length(a) + evbuffer_get_length(b), 2 * sizeof(data));
	CHECK_INT_EQ(evbuffer_add_buffer(a, b), 0);
	all = evbuffer_pullup(a, -1);
	REQUIRE(all != NULL);
	memset(count, 0, sizeof(count));
	for (i = 0; i < 2 * sizeof(data); i++)
		count[all[i]]++;
	for (i = 0; i < sizeof(data); i++)
		count[i % 251]--;
	for (i = 0; i < sizeof(data); i++)
		count[i % 251]--;
	for (i = 0; i < 256; i++)
		ok &= count[i] == 0;
	CHECK(ok);
	evbuffer_free(a);
	evbuffer_free(b);
}

int main(void)
{
	test_enable();
	test_exclusion();
	test_concurrent_adds();
	test_producer_consumer();
	test_opposite_moves();
	return check_report();
}
