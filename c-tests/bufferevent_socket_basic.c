/* Socket bufferevents on a connected socketpair: the state of a new one, reading and
 * writing through the input and output evbuffers, enable/disable, setfd/getfd, priorities,
 * moving to another base, and the reference count. */
// test: per-backend
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_compat.h>
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

struct state {
	int reads;
	int writes;
	int events;
	short last_what;
	size_t out_len_in_writecb;
	struct bufferevent *last_bev;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	s->reads++;
	s->last_bev = bev;
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	s->writes++;
	s->out_len_in_writecb = evbuffer_get_length(bufferevent_get_output(bev));
	s->last_bev = bev;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	s->events++;
	s->last_what = what;
	s->last_bev = bev;
}

/* Runs the loop in 10 ms slices until *flag becomes nonzero or ms have passed. */

static size_t read_all(evutil_socket_t fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	return got;
}

static void test_new_defaults(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	bufferevent_data_cb rcb = read_cb, wcb = write_cb;
	bufferevent_event_cb ecb = event_cb;
	void *arg = &rcb;
	size_t lo = 99, hi = 99;

	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], 0);
	REQUIRE(bev != NULL);
	CHECK_INT_EQ(bufferevent_getfd(bev), fds[0]);
	CHECK(bufferevent_get_base(bev) == base);
	/* Writing is on from the start, reading is not. */
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
	CHECK(bufferevent_get_input(bev) != NULL);
	CHECK(bufferevent_get_output(bev) != NULL);
	CHECK(bufferevent_get_input(bev) != bufferevent_get_output(bev));
	CHECK(EVBUFFER_INPUT(bev) == bufferevent_get_input(bev));
	CHECK(EVBUFFER_OUTPUT(bev) == bufferevent_get_output(bev));
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 0);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 0);
	bufferevent_getcb(bev, &rcb, &wcb, &ecb, &arg);
	CHECK(rcb == NULL);
	CHECK(wcb == NULL);
	CHECK(ecb == NULL);
	CHECK(arg == NULL);
	CHECK_INT_EQ(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
	CHECK_UINT_EQ(lo, 0);
	CHECK_UINT_EQ(hi, 0);
	lo = hi = 99;
	CHECK_INT_EQ(bufferevent_getwatermark(bev, EV_WRITE, &lo, &hi), 0);
	CHECK_UINT_EQ(lo, 0);
	CHECK_UINT_EQ(hi, 0);
	/* Exactly one direction must be asked for. */
	CHECK_INT_EQ(bufferevent_getwatermark(bev, EV_READ | EV_WRITE, &lo, &hi), -1);
	CHECK_INT_EQ(bufferevent_getwatermark(bev, 0, &lo, &hi), -1);
	/* NULL outputs are allowed. */
	CHECK_INT_EQ(bufferevent_getwatermark(bev, EV_READ, NULL, NULL), 0);
	bufferevent_getcb(bev, NULL, NULL, NULL, NULL);
	CHECK(bufferevent_get_underlying(bev) == NULL);
	/* One priority by default: the bufferevent uses priority 0. */
	CHECK_INT_EQ(bufferevent_get_priority(bev), 0);
	/* No options: freeing does not close the socket. */
	bufferevent_free(bev);
	run_for(base, 1);
	CHECK(fd_is_open(fds[0]));
	evutil_closesocket(fds[0]);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_setcb_getcb(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	bufferevent_data_cb rcb, wcb;
	bufferevent_event_cb ecb;
	void *arg;

	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);
	bufferevent_getcb(bev, &rcb, &wcb, &ecb, &arg);
	CHECK(rcb == read_cb);
	CHECK(wcb == write_cb);
	CHECK(ecb == event_cb);
	CHECK(arg == &s);
	/* Only the pointers asked for are written. */
	rcb = NULL;
	arg = NULL;
	bufferevent_getcb(bev, &rcb, NULL, NULL, &arg);
	CHECK(rcb == read_cb);
	CHECK(arg == &s);
	bufferevent_setcb(bev, NULL, write_cb, NULL, NULL);
	bufferevent_getcb(bev, &rcb, &wcb, &ecb, &arg);
	CHECK(rcb == NULL);
	CHECK(wcb == write_cb);
	CHECK(ecb == NULL);
	CHECK(arg == NULL);
	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_read_write(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	struct evbuffer *tmp;
	char buf[64];
	size_t n;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);

	/* Reading is off: incoming bytes stay in the socket. */
	CHECK_INT_EQ(write(fds[1], "hello", 5), 5);
	run_for(base, 30);
	CHECK_INT_EQ(s.reads, 0);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 0);

	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK(s.last_bev == bev);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 5);
	/* bufferevent_read takes at most what is there. */
	n = bufferevent_read(bev, buf, sizeof(buf));
	CHECK_UINT_EQ(n, 5);
	CHECK_MEM_EQ(buf, "hello", 5);
	CHECK_UINT_EQ(bufferevent_read(bev, buf, sizeof(buf)), 0);

	/* bufferevent_read can take part of the input. */
	s.reads = 0;
	CHECK_INT_EQ(write(fds[1], "abcdef", 6), 6);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(bufferevent_read(bev, buf, 2), 2);
	CHECK_MEM_EQ(buf, "ab", 2);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 4);

	/* bufferevent_read_buffer moves all of the input. */
	tmp = evbuffer_new();
	REQUIRE(tmp != NULL);
	evbuffer_add(tmp, "X", 1);
	CHECK_INT_EQ(bufferevent_read_buffer(bev, tmp), 0);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 0);
	CHECK_UINT_EQ(evbuffer_get_length(tmp), 5);
	CHECK_MEM_EQ(evbuffer_pullup(tmp, -1), "Xcdef", 5);
	evbuffer_drain(tmp, 5);

	/* Writing: the data is queued, sent from the loop, and the write callback runs once
	 * the output buffer is empty. */
	CHECK_INT_EQ(bufferevent_write(bev, "world", 5), 0);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 5);
	CHECK_INT_EQ(s.writes, 0);
	CHECK(run_until(base, &s.writes, 2000));
	CHECK_INT_EQ(s.writes, 1);
	CHECK_UINT_EQ(s.out_len_in_writecb, 0);
	n = read_all(fds[1], buf, sizeof(buf));
	CHECK_UINT_EQ(n, 5);
	CHECK_MEM_EQ(buf, "world", 5);

	/* bufferevent_write_buffer empties the source buffer. */
	s.writes = 0;
	evbuffer_add(tmp, "0123456789", 10);
	CHECK_INT_EQ(bufferevent_write_buffer(bev, tmp), 0);
	CHECK_UINT_EQ(evbuffer_get_length(tmp), 0);
	CHECK(run_until(base, &s.writes, 2000));
	n = read_all(fds[1], buf, sizeof(buf));
	CHECK_UINT_EQ(n, 10);
	CHECK_MEM_EQ(buf, "0123456789", 10);

	/* Adding to the output evbuffer directly works like bufferevent_write. */
	s.writes = 0;
	evbuffer_add_printf(bufferevent_get_output(bev), "n=%d", 42);
	CHECK(run_until(base, &s.writes, 2000));
	n = read_all(fds[1], buf, sizeof(buf));
	CHECK_UINT_EQ(n, 4);
	CHECK_MEM_EQ(buf, "n=42", 4);

	/* A zero-length write is accepted and sends nothing. */
	CHECK_INT_EQ(bufferevent_write(bev, "", 0), 0);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 0);

	CHECK_INT_EQ(s.events, 0);
	evbuffer_free(tmp);
	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_enable_disable(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	char buf[16];

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);

	CHECK_INT_EQ(bufferevent_disable(bev, EV_WRITE), 0);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), 0);
	/* With writing off, queued output stays queued. */
	CHECK_INT_EQ(bufferevent_write(bev, "abc", 3), 0);
	run_for(base, 30);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 3);
	CHECK_INT_EQ(s.writes, 0);
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), -1);
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK);

	CHECK_INT_EQ(bufferevent_enable(bev, EV_WRITE), 0);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
	CHECK(run_until(base, &s.writes, 2000));
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 0);
	CHECK_UINT_EQ(read_all(fds[1], buf, sizeof(buf)), 3);

	/* Turning writing on with nothing queued still runs the write callback once from
	 * the loop (the socket is writable and the output is at the low watermark). */
	s.writes = 0;
	CHECK_INT_EQ(bufferevent_disable(bev, EV_WRITE), 0);
	CHECK_INT_EQ(bufferevent_enable(bev, EV_WRITE), 0);
	CHECK_INT_EQ(s.writes, 0);
	CHECK(run_until(base, &s.writes, 2000));
	run_for(base, 30);
	CHECK_INT_EQ(s.writes, 1);

	/* Enabling both and disabling one at a time. */
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ | EV_WRITE), 0);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
	CHECK_INT_EQ(bufferevent_disable(bev, EV_READ), 0);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
	/* Enabling what is enabled already is harmless. */
	CHECK_INT_EQ(bufferevent_enable(bev, EV_WRITE), 0);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_WRITE);

	/* Reading off: data waits in the socket; turning it on again delivers it. */
	CHECK_INT_EQ(write(fds[1], "xyz", 3), 3);
	run_for(base, 30);
	CHECK_INT_EQ(s.reads, 0);
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 3);

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_setfd(void)
{
	struct event_base *base = new_base();
	evutil_socket_t a[2], b[2];
	struct bufferevent *bev;
	struct state s;
	char buf[16];

	memset(&s, 0, sizeof(s));
	make_pair(a);
	make_pair(b);
	bev = bufferevent_socket_new(base, -1, 0);
	REQUIRE(bev != NULL);
	CHECK_INT_EQ(bufferevent_getfd(bev), -1);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);

	CHECK_INT_EQ(bufferevent_setfd(bev, a[0]), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), a[0]);
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK_INT_EQ(write(a[1], "one", 3), 3);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(bufferevent_read(bev, buf, sizeof(buf)), 3);

	/* Switching sockets keeps the enabled directions and does not close the old one. */
	CHECK_INT_EQ(bufferevent_setfd(bev, b[0]), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), b[0]);
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
	CHECK(fd_is_open(a[0]));
	s.reads = 0;
	CHECK_INT_EQ(write(a[1], "old", 3), 3);
	CHECK_INT_EQ(write(b[1], "new", 3), 3);
	CHECK(run_until(base, &s.reads, 2000));
	run_for(base, 20);
	CHECK_UINT_EQ(bufferevent_read(bev, buf, sizeof(buf)), 3);
	CHECK_MEM_EQ(buf, "new", 3);
	/* The old socket was left alone: its data is still there. */
	CHECK_INT_EQ(read(a[0], buf, sizeof(buf)), 3);
	CHECK_MEM_EQ(buf, "old", 3);

	/* Writes go to the new socket. */
	s.writes = 0;
	CHECK_INT_EQ(bufferevent_write(bev, "out", 3), 0);
	CHECK(run_until(base, &s.writes, 2000));
	CHECK_UINT_EQ(read_all(b[1], buf, sizeof(buf)), 3);
	CHECK_MEM_EQ(buf, "out", 3);

	/* Setting -1 leaves it without a socket. */
	CHECK_INT_EQ(bufferevent_disable(bev, EV_READ | EV_WRITE), 0);
	CHECK_INT_EQ(bufferevent_setfd(bev, -1), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), -1);

	bufferevent_free(bev);
	run_for(base, 1);
	CHECK(fd_is_open(b[0]));
	evutil_closesocket(a[0]);
	evutil_closesocket(a[1]);
	evutil_closesocket(b[0]);
	evutil_closesocket(b[1]);
	event_base_free(base);
}

static void test_priority(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;

	memset(&s, 0, sizeof(s));
	REQUIRE(event_base_priority_init(base, 3) == 0);
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	/* The default is the middle priority (npriorities / 2). */
	CHECK_INT_EQ(bufferevent_get_priority(bev), 1);
	CHECK_INT_EQ(bufferevent_priority_set(bev, 2), 0);
	CHECK_INT_EQ(bufferevent_get_priority(bev), 2);
	CHECK_INT_EQ(bufferevent_priority_set(bev, 0), 0);
	CHECK_INT_EQ(bufferevent_get_priority(bev), 0);
	/* Out of range. */
	CHECK_INT_EQ(bufferevent_priority_set(bev, 3), -1);
	CHECK_INT_EQ(bufferevent_priority_set(bev, -1), -1);
	CHECK_INT_EQ(bufferevent_get_priority(bev), 0);

	/* Still works at the new priority. */
	bufferevent_setcb(bev, read_cb, NULL, NULL, &s);
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(write(fds[1], "p", 1), 1);
	CHECK(run_until(base, &s.reads, 2000));

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_base_set(void)
{
	struct event_base *base1 = new_base();
	struct event_base *base2 = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base1, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	CHECK_INT_EQ(bufferevent_base_set(base2, bev), 0);
	CHECK(bufferevent_get_base(bev) == base2);
	bufferevent_setcb(bev, read_cb, NULL, NULL, &s);
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK_INT_EQ(write(fds[1], "b", 1), 1);
	/* The old base does not drive it any more. */
	run_for(base1, 30);
	CHECK_INT_EQ(s.reads, 0);
	CHECK(run_until(base2, &s.reads, 2000));

	bufferevent_free(bev);
	run_for(base2, 1);
	evutil_closesocket(fds[1]);
	event_base_free(base1);
	event_base_free(base2);
}

static void test_refcount(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	bufferevent_data_cb rcb;
	bufferevent_event_cb ecb;
	void *arg;
	char buf[8];

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, &s);

	/* A balanced incref/decref does not destroy it. */
	bufferevent_incref(bev);
	CHECK_INT_EQ(bufferevent_decref(bev), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), fds[0]);

	/* lock/unlock on a bufferevent without a lock are harmless. */
	bufferevent_lock(bev);
	bufferevent_unlock(bev);
	CHECK_INT_EQ(bufferevent_getfd(bev), fds[0]);

	/* With an extra reference, free clears the callbacks but keeps the object. */
	bufferevent_incref(bev);
	bufferevent_free(bev);
	bufferevent_getcb(bev, &rcb, NULL, &ecb, &arg);
	CHECK(rcb == NULL);
	CHECK(ecb == NULL);
	CHECK(arg == NULL);
	/* No callback runs after free even though the socket has data. */
	CHECK_INT_EQ(write(fds[1], "zz", 2), 2);
	run_for(base, 30);
	CHECK_INT_EQ(s.reads, 0);
	CHECK_INT_EQ(s.events, 0);
	/* The last reference destroys it and, with CLOSE_ON_FREE, closes the socket. */
	CHECK_INT_EQ(bufferevent_decref(bev), 1);
	run_for(base, 1);
	CHECK(!fd_is_open(fds[0]));
	/* (The unread "zz" makes the peer see a reset rather than a clean EOF.) */
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), -1);
	CHECK_INT_EQ(errno, ECONNRESET);

	evutil_closesocket(fds[1]);
	event_base_free(base);
}

int main(void)
{
	test_new_defaults();
	test_setcb_getcb();
	test_read_write();
	test_enable_disable();
	test_setfd();
	test_priority();
	test_base_set();
	test_refcount();
	return check_report();
}
