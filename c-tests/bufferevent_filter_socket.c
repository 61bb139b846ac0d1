/* A filtering bufferevent stacked on a socket bufferevent: length-prefixed frames both
 * ways over a socketpair (frames split across reads give BEV_NEED_MORE), many frames of
 * assorted sizes, getfd through the filter, the filter's own read timeout, EOF from the
 * socket reaching the filter's event callback, and BEV_OPT_CLOSE_ON_FREE on both levels
 * closing the socket. */
// test: per-backend
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

struct fctx {
	int need_more;
	int freed;
};

static void free_ctx(void *arg)
{
	((struct fctx *)arg)->freed++;
}

static enum bufferevent_filter_result frame_filter(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t limit, enum bufferevent_flush_mode mode, void *arg)
{
	size_t n = evbuffer_get_length(src);
	unsigned char hdr[2];
	(void)limit;
	(void)mode;
	(void)arg;
	if (n == 0)
		return BEV_NEED_MORE;
	if (n > 1000)
		n = 1000;
	hdr[0] = (unsigned char)(n >> 8);
	hdr[1] = (unsigned char)n;
	evbuffer_add(dst, hdr, 2);
	evbuffer_remove_buffer(src, dst, n);
	return BEV_OK;
}

static enum bufferevent_filter_result deframe_filter(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t limit, enum bufferevent_flush_mode mode, void *arg)
{
	struct fctx *c = arg;
	unsigned char hdr[2];
	size_t len;
	(void)limit;
	(void)mode;
	if (evbuffer_copyout(src, hdr, 2) < 2) {
		c->need_more++;
		return BEV_NEED_MORE;
	}
	len = ((size_t)hdr[0] << 8) | hdr[1];
	if (evbuffer_get_length(src) < 2 + len) {
		c->need_more++;
		return BEV_NEED_MORE;
	}
	evbuffer_drain(src, 2);
	evbuffer_remove_buffer(src, dst, len);
	return BEV_OK;
}

struct state {
	int reads;
	int events;
	short what;
	struct evbuffer *got;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct state *s = arg;
	s->reads++;
	evbuffer_add_buffer(s->got, bufferevent_get_input(bev));
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->events++;
	s->what = what;
}

static size_t read_all(evutil_socket_t fd, struct evbuffer *into)
{
	size_t got = 0;
	int n;
	while ((n = evbuffer_read(into, fd, 65536)) > 0)
		got += (size_t)n;
	return got;
}

/* A write event on the raw peer that drains an evbuffer into the socket. */
struct feeder {
	struct evbuffer *out;
	struct event *ev;
};

static void feed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct feeder *f = arg;
	(void)what;
	if (evbuffer_write(f->out, fd) < 0 || evbuffer_get_length(f->out) == 0)
		event_del(f->ev);
}

static void test_frames_over_socket(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *sock, *filt;
	struct fctx ctx;
	struct state s;
	struct evbuffer *raw = evbuffer_new(), *expect = evbuffer_new();
	struct feeder f;
	unsigned char buf[16];
	size_t total = 0;

	memset(&ctx, 0, sizeof(ctx));
	memset(&s, 0, sizeof(s));
	s.got = evbuffer_new();
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	sock = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(sock != NULL);
	filt = bufferevent_filter_new(sock, deframe_filter, frame_filter, BEV_OPT_CLOSE_ON_FREE,
	    free_ctx, &ctx);
	REQUIRE(filt != NULL);
	CHECK(bufferevent_get_underlying(filt) == sock);
	/* The filter reports the socket underneath. */
	CHECK_INT_EQ(bufferevent_getfd(filt), fds[0]);
	bufferevent_setcb(filt, read_cb, NULL, event_cb, &s);
	bufferevent_enable(filt, EV_READ);

	/* Down: frames appear on the raw socket once the loop has written them. */
	bufferevent_write(filt, "abc", 3);
	run_for(base, 30);
	CHECK_UINT_EQ(read_all(fds[1], raw), 5);
	evbuffer_remove(raw, buf, 5);
	CHECK_MEM_EQ(buf, "\0\3abc", 5);

	/* Up: a frame split over two writes. */
	CHECK_INT_EQ(write(fds[1], "\0\6fra", 5), 5);
	run_for(base, 30);
	CHECK_INT_EQ(s.reads, 0);
	CHECK(ctx.need_more >= 1);
	CHECK_INT_EQ(write(fds[1], "mes", 3), 3);
	CHECK(run_until(base, &s.reads, 2000));
	CHECK_UINT_EQ(evbuffer_get_length(s.got), 6);
	evbuffer_remove(s.got, buf, 6);
	CHECK_MEM_EQ(buf, "frames", 6);

	/* Many frames of assorted sizes, 200 KB in all, written as fast as the socket
	 * takes them. */
	for (int i = 0; total < 200000; i++) {
		unsigned char frame[1002];
		size_t len = (size_t)((i * 7919) % 1000) + 1;
		frame[0] = (unsigned char)(len >> 8);
		frame[1] = (unsigned char)len;
		for (size_t k = 0; k < len; k++)
			frame[2 + k] = (unsigned char)(i + k * 31);
		evbuffer_add(raw, frame, len + 2);
		evbuffer_add(expect, frame + 2, len);
		total += len;
	}
	f.out = raw;
	f.ev = event_new(base, fds[1], EV_WRITE | EV_PERSIST, feed_cb, &f);
	event_add(f.ev, NULL);
	for (int i = 0; i < 500 && evbuffer_get_length(s.got) < total; i++)
		run_for(base, 10);
	CHECK_UINT_EQ(evbuffer_get_length(s.got), total);
	CHECK(evbuffer_get_length(s.got) == total &&
	    memcmp(evbuffer_pullup(s.got, -1), evbuffer_pullup(expect, -1), total) == 0);
	evbuffer_drain(s.got, evbuffer_get_length(s.got));
	event_free(f.ev);

	/* EOF on the socket reaches the filter. */
	CHECK_INT_EQ(shutdown(fds[1], SHUT_WR), 0);
	CHECK(run_until(base, &s.events, 2000));
	CHECK_INT_EQ(s.what, BEV_EVENT_EOF | BEV_EVENT_READING);

	/* Freeing the filter frees the socket bufferevent, which closes the socket. */
	bufferevent_free(filt);
	run_for(base, 10);
	CHECK_INT_EQ(ctx.freed, 1);
	CHECK(fcntl(fds[0], F_GETFD) == -1);
	CHECK_INT_EQ(read(fds[1], buf, sizeof(buf)), 0);

	evutil_closesocket(fds[1]);
	evbuffer_free(raw);
	evbuffer_free(expect);
	evbuffer_free(s.got);
	event_base_free(base);
}

/* The filter has its own timeouts, separate from the socket's. */
static void test_filter_timeout(void)
{
	struct event_base *base = new_base();
	evutil_socket_t fds[2];
	struct bufferevent *sock, *filt;
	struct fctx ctx;
	struct state s;
	struct timeval tv = {0, 100000};

	memset(&ctx, 0, sizeof(ctx));
	memset(&s, 0, sizeof(s));
	s.got = evbuffer_new();
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	sock = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(sock != NULL);
	filt = bufferevent_filter_new(sock, deframe_filter, frame_filter, BEV_OPT_CLOSE_ON_FREE,
	    NULL, &ctx);
	REQUIRE(filt != NULL);
	bufferevent_setcb(filt, read_cb, NULL, event_cb, &s);
	CHECK_INT_EQ(bufferevent_set_timeouts(filt, &tv, NULL), 0);
	bufferevent_enable(filt, EV_READ);
	/* Incomplete frames are traffic for the socket, but not for the filter. */
	CHECK_INT_EQ(write(fds[1], "\0\11", 2), 2);
	CHECK(run_until(base, &s.events, 3000));
	CHECK_INT_EQ(s.what, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
	CHECK_INT_EQ(bufferevent_get_enabled(filt) & EV_READ, 0);
	CHECK_INT_EQ(s.reads, 0);
	bufferevent_free(filt);
	evutil_closesocket(fds[1]);
	evbuffer_free(s.got);
	event_base_free(base);
}

int main(void)
{
	test_frames_over_socket();
	test_filter_timeout();
	return check_report();
}
