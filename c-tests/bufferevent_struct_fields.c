/* The public fields of struct bufferevent (event2/bufferevent_struct.h), which programs
 * written for libevent 1.4 read directly: ev_base, input, output, wm_read, wm_write,
 * readcb, writecb, errorcb, cbarg, enabled, timeout_read and timeout_write must hold the
 * live values, the same that the accessor functions return, for socket, pair and filter
 * bufferevents; callbacks written into the fields are the ones called. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_compat.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static void rcb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
}

static void wcb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
}

static void ecb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	*(short *)arg = what;
}

/* Checks that the fields agree with the accessors. */
static void check_fields(struct bufferevent *bev)
{
	bufferevent_data_cb r, w;
	bufferevent_event_cb e;
	void *arg;
	size_t lo, hi;

	CHECK(bev->ev_base == bufferevent_get_base(bev));
	CHECK(bev->input == bufferevent_get_input(bev));
	CHECK(bev->output == bufferevent_get_output(bev));
	bufferevent_getcb(bev, &r, &w, &e, &arg);
	CHECK(bev->readcb == r);
	CHECK(bev->writecb == w);
	CHECK(bev->errorcb == e);
	CHECK(bev->cbarg == arg);
	CHECK_INT_EQ(bev->enabled, bufferevent_get_enabled(bev));
	bufferevent_getwatermark(bev, EV_READ, &lo, &hi);
	CHECK_UINT_EQ(bev->wm_read.low, lo);
	CHECK_UINT_EQ(bev->wm_read.high, hi);
	bufferevent_getwatermark(bev, EV_WRITE, &lo, &hi);
	CHECK_UINT_EQ(bev->wm_write.low, lo);
	CHECK_UINT_EQ(bev->wm_write.high, hi);
}

static void exercise(struct bufferevent *bev, struct event_base *base)
{
	struct timeval rt = {3, 250000}, wt = {7, 5};
	short what = 0;

	/* Fresh: no callbacks, writing enabled, no watermarks, no timeouts. */
	CHECK(bev->ev_base == base);
	CHECK(bev->input != NULL);
	CHECK(bev->output != NULL);
	CHECK(bev->readcb == NULL);
	CHECK(bev->writecb == NULL);
	CHECK(bev->errorcb == NULL);
	CHECK(bev->cbarg == NULL);
	CHECK_INT_EQ(bev->enabled, EV_WRITE);
	CHECK_UINT_EQ(bev->wm_read.low, 0);
	CHECK_UINT_EQ(bev->wm_read.high, 0);
	CHECK_UINT_EQ(bev->wm_write.low, 0);
	CHECK_UINT_EQ(bev->wm_write.high, 0);
	CHECK(!evutil_timerisset(&bev->timeout_read));
	CHECK(!evutil_timerisset(&bev->timeout_write));
	check_fields(bev);

	bufferevent_setcb(bev, rcb, wcb, ecb, &what);
	CHECK(bev->readcb == rcb);
	CHECK(bev->writecb == wcb);
	CHECK(bev->errorcb == ecb);
	CHECK(bev->cbarg == &what);
	check_fields(bev);

	bufferevent_setwatermark(bev, EV_READ, 10, 100);
	CHECK_UINT_EQ(bev->wm_read.low, 10);
	CHECK_UINT_EQ(bev->wm_read.high, 100);
	CHECK_UINT_EQ(bev->wm_write.low, 0);
	bufferevent_setwatermark(bev, EV_WRITE, 20, 200);
	CHECK_UINT_EQ(bev->wm_write.low, 20);
	CHECK_UINT_EQ(bev->wm_write.high, 200);
	CHECK_UINT_EQ(bev->wm_read.low, 10);
	check_fields(bev);
	/* Both directions at once. */
	bufferevent_setwatermark(bev, EV_READ | EV_WRITE, 1, 2);
	CHECK_UINT_EQ(bev->wm_read.low, 1);
	CHECK_UINT_EQ(bev->wm_read.high, 2);
	CHECK_UINT_EQ(bev->wm_write.low, 1);
	CHECK_UINT_EQ(bev->wm_write.high, 2);
	check_fields(bev);
	bufferevent_setwatermark(bev, EV_READ | EV_WRITE, 0, 0);

	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(bev->enabled, EV_READ | EV_WRITE);
	bufferevent_disable(bev, EV_WRITE);
	CHECK_INT_EQ(bev->enabled, EV_READ);
	check_fields(bev);
	bufferevent_disable(bev, EV_READ);
	CHECK_INT_EQ(bev->enabled, 0);
	check_fields(bev);

	CHECK_INT_EQ(bufferevent_set_timeouts(bev, &rt, &wt), 0);
	CHECK_INT_EQ(bev->timeout_read.tv_sec, 3);
	CHECK_INT_EQ(bev->timeout_read.tv_usec, 250000);
	CHECK_INT_EQ(bev->timeout_write.tv_sec, 7);
	CHECK_INT_EQ(bev->timeout_write.tv_usec, 5);
	/* NULL clears that direction only. */
	CHECK_INT_EQ(bufferevent_set_timeouts(bev, NULL, &wt), 0);
	CHECK(!evutil_timerisset(&bev->timeout_read));
	CHECK_INT_EQ(bev->timeout_write.tv_sec, 7);
	CHECK_INT_EQ(bufferevent_set_timeouts(bev, NULL, NULL), 0);
	CHECK(!evutil_timerisset(&bev->timeout_write));
	/* The old whole-seconds setter; 0 means none. */
	bufferevent_settimeout(bev, 4, 0);
	CHECK_INT_EQ(bev->timeout_read.tv_sec, 4);
	CHECK_INT_EQ(bev->timeout_read.tv_usec, 0);
	CHECK(!evutil_timerisset(&bev->timeout_write));
	bufferevent_settimeout(bev, 0, 9);
	CHECK(!evutil_timerisset(&bev->timeout_read));
	CHECK_INT_EQ(bev->timeout_write.tv_sec, 9);
	bufferevent_settimeout(bev, 0, 0);
	CHECK(!evutil_timerisset(&bev->timeout_write));

	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	CHECK(bev->readcb == NULL);
	CHECK(bev->errorcb == NULL);
	CHECK(bev->cbarg == NULL);
	check_fields(bev);
}

static void test_socket(void)
{
	struct event_base *base = event_base_new();
	struct event_base *other = event_base_new();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	short what = 0;
	char buf[8];

	REQUIRE(base && other);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	exercise(bev, base);

	/* Data lands in the evbuffer the input field points to. */
	bufferevent_setcb(bev, NULL, NULL, ecb, &what);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	CHECK_INT_EQ(write(fds[1], "abc", 3), 3);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_UINT_EQ(evbuffer_get_length(bev->input), 3);
	CHECK_INT_EQ(evbuffer_remove(bev->input, buf, sizeof(buf)), 3);

	/* Reading is switched off by EOF; the field shows it. */
	shutdown(fds[1], SHUT_WR);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_INT_EQ(what, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK_INT_EQ(bev->enabled, EV_WRITE);

	/* Moving to another base updates ev_base. */
	CHECK_INT_EQ(bufferevent_base_set(other, bev), 0);
	CHECK(bev->ev_base == other);

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
	event_base_free(other);
}

static void test_pair(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2];

	REQUIRE(base != NULL);
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	exercise(pair[0], base);
	exercise(pair[1], base);
	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void test_filter(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2], *filt;

	REQUIRE(base != NULL);
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	filt = bufferevent_filter_new(pair[0], NULL, NULL, BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
	REQUIRE(filt != NULL);
	exercise(filt, base);
	/* The filter switched the underlying bufferevent on in both directions. */
	CHECK_INT_EQ(pair[0]->enabled, EV_READ | EV_WRITE);
	check_fields(pair[0]);
	bufferevent_free(filt);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void count_reads(struct bufferevent *bev, void *arg)
{
	char buf[8];

	while (bufferevent_read(bev, buf, sizeof(buf)) > 0)
		;
	*(int *)arg += 1;
}

/* A callback and argument stored straight into the fields, as libevent 1.4 programs do
 * instead of calling bufferevent_setcb, are the ones called and reported. */
static void test_fields_written(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	bufferevent_data_cb r, w;
	bufferevent_event_cb e;
	void *arg;
	int reads = 0;

	REQUIRE(base != NULL);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	evutil_make_socket_nonblocking(fds[0]);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bev->readcb = count_reads;
	bev->cbarg = &reads;
	bufferevent_getcb(bev, &r, &w, &e, &arg);
	CHECK(r == count_reads);
	CHECK(arg == &reads);
	CHECK_INT_EQ(bufferevent_enable(bev, EV_READ), 0);
	CHECK_INT_EQ(write(fds[1], "abc", 3), 3);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_INT_EQ(reads, 1);
	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

int main(void)
{
	test_fields_written();
	test_socket();
	test_pair();
	test_filter();
	return check_report();
}
