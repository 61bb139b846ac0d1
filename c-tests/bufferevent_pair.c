/* Bufferevent pairs: two bufferevents joined in memory. Partners, data crossing both ways
 * (moved as soon as it is written when the other side reads, with callbacks always run
 * later from the loop, with or without BEV_OPT_DEFER_CALLBACKS), the receiver's read
 * watermarks, bufferevent_flush with BEV_FLUSH and BEV_FINISHED (EOF for the partner),
 * what freeing one side does to the other, the operations a pair does not support, and a
 * 1 MiB transfer. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <stdlib.h>

#include "check.h"

struct state {
	int reads;
	int writes;
	int events;
	short what;
	struct bufferevent *last;
	int drain;
	size_t total;
	size_t max_len;
	unsigned char *sink;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	s->reads++;
	s->last = bev;
	if (len > s->max_len)
		s->max_len = len;
	if (s->drain) {
		if (s->sink)
			evbuffer_remove(in, s->sink + s->total, len);
		else
			evbuffer_drain(in, len);
		s->total += len;
	}
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	s->writes++;
	s->last = bev;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	s->events++;
	s->what = what;
	s->last = bev;
}

static size_t len_of(struct evbuffer *b)
{
	return evbuffer_get_length(b);
}

static void test_basics(int options)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2] = {NULL, NULL};
	struct state s0, s1;
	char buf[32];

	REQUIRE(base != NULL);
	memset(&s0, 0, sizeof(s0));
	memset(&s1, 0, sizeof(s1));
	CHECK_INT_EQ(bufferevent_pair_new(base, options, pair), 0);
	REQUIRE(pair[0] && pair[1]);
	CHECK(pair[0] != pair[1]);
	CHECK(bufferevent_pair_get_partner(pair[0]) == pair[1]);
	CHECK(bufferevent_pair_get_partner(pair[1]) == pair[0]);
	CHECK(bufferevent_get_base(pair[0]) == base);
	CHECK(bufferevent_get_base(pair[1]) == base);
	CHECK_INT_EQ(bufferevent_get_enabled(pair[0]), EV_WRITE);
	CHECK_INT_EQ(bufferevent_get_enabled(pair[1]), EV_WRITE);
	bufferevent_setcb(pair[0], read_cb, write_cb, event_cb, &s0);
	bufferevent_setcb(pair[1], read_cb, write_cb, event_cb, &s1);

	/* Not a socket: no fd, no priorities, no moving, nothing underneath. */
	CHECK_INT_EQ(bufferevent_getfd(pair[0]), -1);
	CHECK_INT_EQ(bufferevent_setfd(pair[0], 0), -1);
	CHECK_INT_EQ(bufferevent_priority_set(pair[0], 0), -1);
	CHECK_INT_EQ(bufferevent_base_set(base, pair[0]), -1);
	CHECK(bufferevent_get_underlying(pair[0]) == NULL);
	{
		/* Only pairs have partners. */
		struct bufferevent *sock = bufferevent_socket_new(base, -1, 0);
		REQUIRE(sock != NULL);
		CHECK(bufferevent_pair_get_partner(sock) == NULL);
		bufferevent_free(sock);
	}

	/* The receiver does not read yet: the data waits in the sender's output. */
	CHECK_INT_EQ(bufferevent_write(pair[0], "ping", 4), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[0])), 4);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s1.reads, 0);
	CHECK_INT_EQ(s0.writes, 0);

	/* Enabling reading pulls it across at once; the callbacks wait for the loop. */
	CHECK_INT_EQ(bufferevent_enable(pair[1], EV_READ), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 4);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[0])), 0);
	CHECK_INT_EQ(s1.reads, 0);
	CHECK_INT_EQ(s0.writes, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s1.reads, 1);
	CHECK(s1.last == pair[1]);
	CHECK_INT_EQ(s0.writes, 1);
	CHECK(s0.last == pair[0]);
	CHECK_UINT_EQ(bufferevent_read(pair[1], buf, sizeof(buf)), 4);
	CHECK_MEM_EQ(buf, "ping", 4);

	/* With the receiver reading, a write crosses immediately. */
	CHECK_INT_EQ(bufferevent_write(pair[0], "again", 5), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 5);
	CHECK_INT_EQ(s1.reads, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s1.reads, 2);
	evbuffer_drain(bufferevent_get_input(pair[1]), 5);

	/* The other way. */
	bufferevent_enable(pair[0], EV_READ);
	CHECK_INT_EQ(bufferevent_write(pair[1], "pong", 4), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[0])), 4);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s0.reads, 1);
	CHECK_INT_EQ(s1.writes, 1);
	CHECK_UINT_EQ(bufferevent_read(pair[0], buf, sizeof(buf)), 4);
	CHECK_MEM_EQ(buf, "pong", 4);

	/* The sender must have writing enabled. */
	bufferevent_disable(pair[1], EV_WRITE);
	bufferevent_write(pair[1], "held", 4);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[0])), 0);
	bufferevent_enable(pair[1], EV_WRITE);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[0])), 4);
	evbuffer_drain(bufferevent_get_input(pair[0]), 4);
	event_base_loop(base, EVLOOP_NONBLOCK);

	/* A normal flush does nothing. */
	CHECK_INT_EQ(bufferevent_flush(pair[0], EV_READ | EV_WRITE, BEV_NORMAL), 0);
	CHECK_INT_EQ(s0.events + s1.events, 0);

	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void test_watermarks(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2];
	struct state s1;
	char data[25];

	REQUIRE(base != NULL);
	memset(&s1, 0, sizeof(s1));
	memset(data, 'w', sizeof(data));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	bufferevent_setcb(pair[1], read_cb, NULL, NULL, &s1);
	bufferevent_setwatermark(pair[1], EV_READ, 0, 10);
	bufferevent_enable(pair[1], EV_READ);

	/* Only as much as fits under the receiver's high watermark crosses. */
	bufferevent_write(pair[0], data, sizeof(data));
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 10);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[0])), 15);
	/* Draining makes room, and more crosses right away. */
	evbuffer_drain(bufferevent_get_input(pair[1]), 10);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 10);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[0])), 5);
	evbuffer_drain(bufferevent_get_input(pair[1]), 4);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 10);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[0])), 1);
	evbuffer_drain(bufferevent_get_input(pair[1]), 10);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 1);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[0])), 0);
	evbuffer_drain(bufferevent_get_input(pair[1]), 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	s1.reads = 0;

	/* Read low watermark: the callback waits for enough bytes. */
	bufferevent_setwatermark(pair[1], EV_READ, 6, 0);
	s1.drain = 1;
	bufferevent_write(pair[0], "abc", 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s1.reads, 0);
	bufferevent_write(pair[0], "def", 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s1.reads, 1);
	CHECK_UINT_EQ(s1.total, 6);

	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void test_flush(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2];
	struct state s0, s1;

	REQUIRE(base != NULL);
	memset(&s0, 0, sizeof(s0));
	memset(&s1, 0, sizeof(s1));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	bufferevent_setcb(pair[0], read_cb, write_cb, event_cb, &s0);
	bufferevent_setcb(pair[1], read_cb, write_cb, event_cb, &s1);

	/* BEV_FLUSH moves the data even though the receiver is not reading. (libevent
	 * returns 0 here even though data moved.) */
	bufferevent_write(pair[0], "flushed", 7);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 0);
	CHECK_INT_EQ(bufferevent_flush(pair[0], EV_WRITE, BEV_FLUSH), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 7);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[0])), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s0.events + s1.events, 0);
	evbuffer_drain(bufferevent_get_input(pair[1]), 7);
	s0.reads = s1.reads = s0.writes = s1.writes = 0;

	/* BEV_FINISHED on the writing side: the partner gets EOF while reading. */
	bufferevent_write(pair[0], "last", 4);
	CHECK_INT_EQ(bufferevent_flush(pair[0], EV_WRITE, BEV_FINISHED), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 4);
	CHECK_INT_EQ(s1.events, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s1.events, 1);
	CHECK_INT_EQ(s1.what, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK_INT_EQ(s0.events, 0);

	/* Flushing the read side pulls the partner's output in; with BEV_FINISHED the
	 * partner is told EOF while writing. */
	bufferevent_write(pair[1], "pulled", 6);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[0])), 0);
	CHECK_INT_EQ(bufferevent_flush(pair[0], EV_READ, BEV_FINISHED), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[0])), 6);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s1.events, 2);
	CHECK_INT_EQ(s1.what, BEV_EVENT_EOF | BEV_EVENT_WRITING);
	CHECK_INT_EQ(s0.events, 0);
	CHECK_INT_EQ(s0.reads, 1);

	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void test_free_one_side(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2];
	struct state s1;

	REQUIRE(base != NULL);
	memset(&s1, 0, sizeof(s1));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	bufferevent_setcb(pair[1], read_cb, write_cb, event_cb, &s1);
	bufferevent_enable(pair[1], EV_READ);
	/* Data that crossed before the free stays readable. */
	bufferevent_write(pair[0], "before", 6);
	bufferevent_free(pair[0]);
	CHECK(bufferevent_pair_get_partner(pair[1]) == NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 6);
	/* libevent does not report EOF to the survivor. */
	CHECK_INT_EQ(s1.events, 0);
	/* Writing goes nowhere and is kept; flushing has no partner to flush to. */
	CHECK_INT_EQ(bufferevent_write(pair[1], "orphan", 6), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[1])), 6);
	CHECK_INT_EQ(bufferevent_flush(pair[1], EV_WRITE, BEV_FLUSH), -1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s1.events, 0);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

/* 1 MiB through a pair whose receiver has a small high watermark. */
static void test_bulk(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2];
	struct state s1;
	const size_t total = 1 << 20;
	unsigned char *data = malloc(total);
	struct timeval limit = {5, 0};

	REQUIRE(base != NULL && data != NULL);
	for (size_t i = 0; i < total; i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 13);
	memset(&s1, 0, sizeof(s1));
	s1.drain = 1;
	s1.sink = malloc(total);
	REQUIRE(s1.sink != NULL);
	REQUIRE(bufferevent_pair_new(base, BEV_OPT_DEFER_CALLBACKS, pair) == 0);
	bufferevent_setcb(pair[1], read_cb, NULL, NULL, &s1);
	bufferevent_setwatermark(pair[1], EV_READ, 0, 4096);
	bufferevent_enable(pair[1], EV_READ);
	CHECK_INT_EQ(bufferevent_write(pair[0], data, total), 0);
	for (int i = 0; i < 100000 && s1.total < total; i++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	event_base_loopexit(base, &limit);
	CHECK_UINT_EQ(s1.total, total);
	CHECK(s1.max_len <= 4096);
	CHECK(memcmp(s1.sink, data, total) == 0);
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	event_base_free(base);
	free(s1.sink);
	free(data);
}

int main(void)
{
	test_basics(0);
	test_basics(BEV_OPT_DEFER_CALLBACKS);
	test_basics(BEV_OPT_CLOSE_ON_FREE);
	test_watermarks();
	test_flush();
	test_free_one_side();
	test_bulk();
	return check_report();
}
