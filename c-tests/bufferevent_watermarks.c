/* Watermarks of socket bufferevents: the read high watermark stops reading from the socket
 * until the input is drained below it (and lowering or removing it takes effect at once),
 * the read low watermark holds the read callback back until enough bytes are in, and the
 * write low watermark holds the write callback back until the output has drained to it. */
// test: per-backend
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

struct state {
	int reads;
	int writes;
	int events;
	size_t max_in_len;
	size_t min_in_len;
	size_t max_out_len;
	size_t drained;
	int drain_in_readcb;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	s->reads++;
	if (len > s->max_in_len)
		s->max_in_len = len;
	if (s->reads == 1 || len < s->min_in_len)
		s->min_in_len = len;
	if (s->drain_in_readcb) {
		s->drained += len;
		evbuffer_drain(in, len);
	}
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	size_t len = evbuffer_get_length(bufferevent_get_output(bev));
	s->writes++;
	if (len > s->max_out_len)
		s->max_out_len = len;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	(void)what;
	s->events++;
}

/* Bytes waiting in the socket's receive queue. */
static int pending(evutil_socket_t fd)
{
	int n = -1;
	if (ioctl(fd, FIONREAD, &n) < 0)
		return -1;
	return n;
}

static size_t in_len(struct bufferevent *bev)
{
	return evbuffer_get_length(bufferevent_get_input(bev));
}

static void test_read_high_watermark(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	char data[1000];
	size_t lo, hi;

	memset(data, 'h', sizeof(data));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	/* No read callback here: with input at the high watermark libevent keeps
	 * rescheduling a read callback that does not drain. */
	bufferevent_setwatermark(bev, EV_READ, 0, 100);
	CHECK_INT_EQ(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
	CHECK_UINT_EQ(lo, 0);
	CHECK_UINT_EQ(hi, 100);
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(write(fds[1], data, sizeof(data)), (int)sizeof(data));

	/* Reads stop exactly at the high watermark; the rest stays in the socket. */
	run_for(base, 50);
	CHECK_UINT_EQ(in_len(bev), 100);
	CHECK_INT_EQ(pending(fds[0]), 900);
	/* Reading is still enabled: it is only paused. */
	CHECK_INT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);

	/* Draining below the watermark resumes reading, up to the watermark again. */
	evbuffer_drain(bufferevent_get_input(bev), 30);
	run_for(base, 50);
	CHECK_UINT_EQ(in_len(bev), 100);
	CHECK_INT_EQ(pending(fds[0]), 870);

	/* A lower watermark than what is buffered: nothing more is read... */
	bufferevent_setwatermark(bev, EV_READ, 0, 50);
	run_for(base, 30);
	CHECK_UINT_EQ(in_len(bev), 100);
	CHECK_INT_EQ(pending(fds[0]), 870);
	/* ...until the input falls below it. */
	evbuffer_drain(bufferevent_get_input(bev), 60);
	CHECK_UINT_EQ(in_len(bev), 40);
	run_for(base, 50);
	CHECK_UINT_EQ(in_len(bev), 50);
	CHECK_INT_EQ(pending(fds[0]), 860);

	/* Removing the high watermark (0) lets everything in. */
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	run_for(base, 50);
	CHECK_INT_EQ(pending(fds[0]), 0);
	CHECK_UINT_EQ(in_len(bev), 910);

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

/* With a read callback that drains, the callback never sees more than the high
 * watermark, and all the data arrives. */
static void test_read_high_watermark_callback(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	char data[5000];

	memset(&s, 0, sizeof(s));
	memset(data, 'c', sizeof(data));
	s.drain_in_readcb = 1;
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, &s);
	bufferevent_setwatermark(bev, EV_READ, 0, 128);
	bufferevent_enable(bev, EV_READ);
	CHECK_INT_EQ(write(fds[1], data, sizeof(data)), (int)sizeof(data));
	for (int i = 0; i < 300 && s.drained < sizeof(data); i++)
		run_for(base, 5);
	CHECK_UINT_EQ(s.drained, sizeof(data));
	CHECK(s.max_in_len <= 128);
	CHECK(s.reads >= (int)(sizeof(data) / 128));
	CHECK_INT_EQ(s.events, 0);
	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_read_low_watermark(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;

	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, &s);
	bufferevent_setwatermark(bev, EV_READ, 10, 0);
	bufferevent_enable(bev, EV_READ);

	/* Fewer bytes than the low watermark: read into the input, but no callback. */
	CHECK_INT_EQ(write(fds[1], "abcd", 4), 4);
	run_for(base, 50);
	CHECK_INT_EQ(s.reads, 0);
	CHECK_UINT_EQ(in_len(bev), 4);
	CHECK_INT_EQ(pending(fds[0]), 0);

	/* Reaching it runs the callback. */
	CHECK_INT_EQ(write(fds[1], "efghij", 6), 6);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_INT_EQ(s.reads, 1);
	CHECK_UINT_EQ(s.min_in_len, 10);

	/* Input that stays at or above the low watermark triggers it on each read. */
	s.drain_in_readcb = 1;
	s.reads = 0;
	CHECK_INT_EQ(write(fds[1], "k", 1), 1);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(s.drained, 11);
	CHECK_UINT_EQ(in_len(bev), 0);

	/* After draining, a short read does not call back again. */
	s.reads = 0;
	CHECK_INT_EQ(write(fds[1], "xyz", 3), 3);
	run_for(base, 50);
	CHECK_INT_EQ(s.reads, 0);
	CHECK_UINT_EQ(in_len(bev), 3);

	/* Lowering the watermark does not by itself run the callback; the next read does. */
	bufferevent_setwatermark(bev, EV_READ, 2, 0);
	run_for(base, 30);
	CHECK_INT_EQ(s.reads, 0);
	CHECK_INT_EQ(write(fds[1], "!", 1), 1);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(s.drained, 15);

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
}

static void test_write_low_watermark(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *bev;
	struct state s;
	const size_t total = 4 << 20, low = 64 << 10;
	unsigned char *data = malloc(total), *got = malloc(total);
	size_t received = 0;
	size_t lo, hi;

	REQUIRE(data && got);
	for (size_t i = 0; i < total; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 11));
	memset(&s, 0, sizeof(s));
	make_pair(fds);
	bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, write_cb, event_cb, &s);
	bufferevent_setwatermark(bev, EV_WRITE, low, 0);
	CHECK_INT_EQ(bufferevent_getwatermark(bev, EV_WRITE, &lo, &hi), 0);
	CHECK_UINT_EQ(lo, low);
	CHECK_UINT_EQ(hi, 0);
	CHECK_INT_EQ(bufferevent_write(bev, data, total), 0);

	/* The peer does not read: the socket fills up, the output stays above the low
	 * watermark, and the write callback does not run. */
	run_for(base, 50);
	CHECK_INT_EQ(s.writes, 0);
	CHECK(evbuffer_get_length(bufferevent_get_output(bev)) > low);
	CHECK(evbuffer_get_length(bufferevent_get_output(bev)) < total);

	/* The peer reads everything; the write callback only ever sees output at or below
	 * the low watermark. */
	while (received < total) {
		ssize_t n = read(fds[1], got + received, total - received);
		if (n > 0) {
			received += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	}
	CHECK_UINT_EQ(received, total);
	CHECK(memcmp(data, got, total) == 0);
	run_for(base, 10);
	CHECK(s.writes >= 1);
	CHECK(s.max_out_len <= low);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 0);
	CHECK_INT_EQ(s.events, 0);

	bufferevent_free(bev);
	evutil_closesocket(fds[1]);
	event_base_free(base);
	free(data);
	free(got);
}

int main(void)
{
	test_read_high_watermark();
	test_read_high_watermark_callback();
	test_read_low_watermark();
	test_write_low_watermark();
	return check_report();
}
