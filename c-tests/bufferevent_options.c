/* Socket bufferevent options and manual triggers: BEV_OPT_DEFER_CALLBACKS (callbacks run
 * later from the loop, event bits merge, CONNECTED/read/write/other order, errno kept),
 * BEV_OPT_UNLOCK_CALLBACKS needing DEFER_CALLBACKS, bufferevent_trigger and
 * bufferevent_trigger_event with and without BEV_TRIG_IGNORE_WATERMARKS and
 * BEV_TRIG_DEFER_CALLBACKS, bufferevent_flush on a socket, and the per-read and per-write
 * byte limits (bufferevent_set/get_max_single_read/write, get_max_to_read/write). */
// test: per-backend
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

struct state {
	int reads;
	int writes;
	int events;
	short what;
	int err;
	char order[16];
	int norder;
	size_t max_read_chunk;
	size_t total_read;
	size_t out_len_first_write;
	int drain;
};

static void note(struct state *s, char c)
{
	if (s->norder < (int)sizeof(s->order) - 1)
		s->order[s->norder++] = c;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	s->reads++;
	note(s, 'r');
	if (s->drain) {
		if (len > s->max_read_chunk)
			s->max_read_chunk = len;
		s->total_read += len;
		evbuffer_drain(in, len);
	}
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	if (s->writes++ == 0)
		s->out_len_first_write = evbuffer_get_length(bufferevent_get_output(bev));
	note(s, 'w');
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->err = EVUTIL_SOCKET_ERROR();
	s->events++;
	s->what = what;
	note(s, (what & BEV_EVENT_CONNECTED) ? 'c' : 'e');
}

static void test_trigger_immediate(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);

	/* Without deferral, triggers run the callbacks before returning. An empty input
	 * is at the default low watermark of 0, so the read callback runs. */
	bufferevent_trigger(bev, EV_READ, 0);
	CHECK_INT_EQ(s.reads, 1);
	bufferevent_trigger(bev, EV_WRITE, 0);
	CHECK_INT_EQ(s.writes, 1);
	bufferevent_trigger(bev, EV_READ | EV_WRITE, 0);
	CHECK_INT_EQ(s.reads, 2);
	CHECK_INT_EQ(s.writes, 2);
	bufferevent_trigger_event(bev, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
	CHECK_INT_EQ(s.events, 1);
	CHECK_INT_EQ(s.what, BEV_EVENT_EOF | BEV_EVENT_READING);
	/* Any bits are passed through as given. */
	bufferevent_trigger_event(bev, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING, 0);
	CHECK_INT_EQ(s.what, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING);
	/* A trigger does not change what is enabled. */
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_WRITE);

	/* Watermarks are respected... */
	bufferevent_setwatermark(bev, EV_READ, 10, 0);
	bufferevent_trigger(bev, EV_READ, 0);
	CHECK_INT_EQ(s.reads, 2);
	bufferevent_disable(bev, EV_WRITE);
	bufferevent_write(bev, "12345", 5);
	bufferevent_trigger(bev, EV_WRITE, 0);
	CHECK_INT_EQ(s.writes, 2);
	/* ...unless told otherwise. */
	bufferevent_trigger(bev, EV_READ | EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS);
	CHECK_INT_EQ(s.reads, 3);
	CHECK_INT_EQ(s.writes, 3);
	/* A write low watermark at the output length allows the write callback. */
	bufferevent_setwatermark(bev, EV_WRITE, 5, 0);
	bufferevent_trigger(bev, EV_WRITE, 0);
	CHECK_INT_EQ(s.writes, 4);

	/* BEV_TRIG_DEFER_CALLBACKS: nothing now, the callbacks run from the loop. */
	bufferevent_trigger(bev, EV_READ | EV_WRITE, BEV_TRIG_DEFER_CALLBACKS | BEV_TRIG_IGNORE_WATERMARKS);
	bufferevent_trigger_event(bev, BEV_EVENT_ERROR, BEV_TRIG_DEFER_CALLBACKS);
	CHECK_INT_EQ(s.reads, 3);
	CHECK_INT_EQ(s.writes, 4);
	CHECK_INT_EQ(s.events, 2);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s.reads, 4);
	CHECK_INT_EQ(s.writes, 5);
	CHECK_INT_EQ(s.events, 3);
	CHECK_INT_EQ(s.what, BEV_EVENT_ERROR);

	/* No callbacks installed: triggers do nothing. */
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_trigger(bev, EV_READ | EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS);
	bufferevent_trigger_event(bev, BEV_EVENT_EOF, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s.reads + s.writes + s.events, 4 + 5 + 3);

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_deferred(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);

	/* Everything waits for the loop. */
	bufferevent_trigger(bev, EV_READ, 0);
	bufferevent_trigger(bev, EV_WRITE, 0);
	bufferevent_trigger_event(bev, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
	bufferevent_trigger_event(bev, BEV_EVENT_CONNECTED, 0);
	EVUTIL_SET_SOCKET_ERROR(ETIMEDOUT);
	bufferevent_trigger_event(bev, BEV_EVENT_ERROR | BEV_EVENT_WRITING, 0);
	EVUTIL_SET_SOCKET_ERROR(0);
	CHECK_INT_EQ(s.norder, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	/* CONNECTED first, then read, then write, then the other event bits, merged into a
	 * single call, with the error number as it was when the last one was reported. */
	CHECK_STR_EQ(s.order, "crwe");
	CHECK_INT_EQ(s.events, 2);
	CHECK_INT_EQ(s.what, BEV_EVENT_EOF | BEV_EVENT_READING | BEV_EVENT_ERROR | BEV_EVENT_WRITING);
	CHECK_INT_EQ(s.err, ETIMEDOUT);
	/* Triggering the same callback twice before the loop runs calls it once. */
	s.reads = 0;
	bufferevent_trigger(bev, EV_READ, 0);
	bufferevent_trigger(bev, EV_READ, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(s.reads, 1);

	/* Real I/O: data is read and the callback still comes from the loop. */
	s.reads = 0;
	s.drain = 1;
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(write(fds[1], "deferred", 8), 8);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(s.total_read, 8);

	/* A reset reported through a deferred event callback keeps its errno: unread data
	 * in the peer's queue makes its close a reset on a Unix socket. */
	memset(s.order, 0, sizeof(s.order));
	s.norder = 0;
	s.events = 0;
	CHECK_INT_EQ(bufferevent_write(bev, "unread", 6), 0);
	run_for(base, 30);
	evutil_closesocket(fds[1]);
	CHECK(run_until(base, &s.events, 2000));
	CHECK_INT_EQ(s.what, BEV_EVENT_ERROR | BEV_EVENT_READING);
	CHECK_INT_EQ(s.err, ECONNRESET);

	bufferevent_free(bev);
	event_base_free(base);
}

static void test_unlock_callbacks_needs_defer(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;

	make_pair(fds);
	/* libevent refuses UNLOCK_CALLBACKS without DEFER_CALLBACKS (and logs a warning). */
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_UNLOCK_CALLBACKS);
	CHECK(bev == NULL);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_UNLOCK_CALLBACKS | BEV_OPT_DEFER_CALLBACKS);
	CHECK(bev != NULL);
	if (bev)
		bufferevent_free(bev);
	evutil_closesocket(fds[0]);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_flush_socket(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);
	bufferevent_write(bev, "abc", 3);
	/* A socket bufferevent has nothing to flush by hand: 0, and nothing happens. */
	CHECK_INT_EQ(bufferevent_flush(bev, EV_WRITE, BEV_FLUSH), 0);
	CHECK_INT_EQ(bufferevent_flush(bev, EV_READ | EV_WRITE, BEV_NORMAL), 0);
	CHECK_INT_EQ(bufferevent_flush(bev, EV_WRITE, BEV_FINISHED), 0);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 3);
	CHECK_INT_EQ(s.reads + s.writes + s.events, 0);
	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_max_single(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	char data[100], buf[200];
	size_t got = 0;
	ssize_t n;

	memset(&s, 0, sizeof(s));
	memset(data, 'm', sizeof(data));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);

	/* Defaults: 16 KiB each way, which is also how much may move now without a rate
	 * limit. */
	CHECK_INT_EQ(bufferevent_get_max_single_read(bev), 16384);
	CHECK_INT_EQ(bufferevent_get_max_single_write(bev), 16384);
	CHECK_INT_EQ(bufferevent_get_max_to_read(bev), 16384);
	CHECK_INT_EQ(bufferevent_get_max_to_write(bev), 16384);

	CHECK_INT_EQ(bufferevent_set_max_single_read(bev, 10), 0);
	CHECK_INT_EQ(bufferevent_get_max_single_read(bev), 10);
	CHECK_INT_EQ(bufferevent_get_max_to_read(bev), 10);
	CHECK_INT_EQ(bufferevent_set_max_single_write(bev, 10), 0);
	CHECK_INT_EQ(bufferevent_get_max_single_write(bev), 10);
	CHECK_INT_EQ(bufferevent_get_max_to_write(bev), 10);
	/* Large limits are allowed. */
	CHECK_INT_EQ(bufferevent_set_max_single_write(bev, 1 << 20), 0);
	CHECK_INT_EQ(bufferevent_get_max_single_write(bev), 1 << 20);
	/* 0 means the default again; so does a value beyond EV_SSIZE_MAX. */
	CHECK_INT_EQ(bufferevent_set_max_single_write(bev, 0), 0);
	CHECK_INT_EQ(bufferevent_get_max_single_write(bev), 16384);
	CHECK_INT_EQ(bufferevent_set_max_single_write(bev, (size_t)EV_SSIZE_MAX + 1), 0);
	CHECK_INT_EQ(bufferevent_get_max_single_write(bev), 16384);
	CHECK_INT_EQ(bufferevent_set_max_single_write(bev, 10), 0);

	/* Reads: each read callback sees at most 10 new bytes. */
	s.drain = 1;
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(write(fds[1], data, sizeof(data)), (int)sizeof(data));
	for (int i = 0; i < 200 && s.total_read < sizeof(data); i++)
		event_base_loop(base, EVLOOP_ONCE);
	CHECK_UINT_EQ(s.total_read, sizeof(data));
	CHECK_UINT_EQ(s.max_read_chunk, 10);
	CHECK(s.reads >= 10);

	/* Writes: at most 10 bytes leave per write, so with a write low watermark of 95 the
	 * first write callback sees 90 bytes still queued. */
	bufferevent_setwatermark(bev, EV_WRITE, 95, 0);
	CHECK_INT_EQ(bufferevent_write(bev, data, sizeof(data)), 0);
	CHECK(run_until(base, &s.writes, 2000));
	CHECK_UINT_EQ(s.out_len_first_write, 90);
	run_for(base, 100);
	while (got < sizeof(buf) && (n = read(fds[1], buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	CHECK_UINT_EQ(got, sizeof(data));

	CHECK_INT_EQ(bufferevent_set_max_single_read(bev, 0), 0);
	CHECK_INT_EQ(bufferevent_get_max_single_read(bev), 16384);
	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

int main(void)
{
	test_trigger_immediate();
	test_deferred();
	test_unlock_callbacks_needs_defer();
	test_flush_socket();
	test_max_single();
	return check_report();
}
