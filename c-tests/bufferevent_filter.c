/* Filtering bufferevents on top of pairs: input and output filters (rot13, uppercase,
 * length-prefixed framing that answers BEV_NEED_MORE, a line buffer, a filter that fails
 * with BEV_ERROR), the modes and limits the filters are called with, bufferevent_flush
 * with BEV_NORMAL, BEV_FLUSH and BEV_FINISHED, events passed up from the underlying
 * bufferevent, two filters stacked, bufferevent_get_underlying, the free_context callback,
 * BEV_OPT_CLOSE_ON_FREE freeing the underlying bufferevent (or, without it, handing it
 * back with its callbacks cleared), and callbacks the program sets on the underlying
 * bufferevent replacing the filter's. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <ctype.h>
#include <stdlib.h>

#include "check.h"

/* ---- filters ---- */

struct fctx {
	int calls;
	int modes_seen; /* bit (1 << mode) for each mode a filter was called with */
	ev_ssize_t last_limit;
	enum bufferevent_flush_mode last_mode;
	int freed;
};

static void note(struct fctx *c, ev_ssize_t limit, enum bufferevent_flush_mode mode)
{
	c->calls++;
	c->modes_seen |= 1 << mode;
	c->last_limit = limit;
	c->last_mode = mode;
}

static void free_ctx(void *arg)
{
	((struct fctx *)arg)->freed++;
}

/* Copies src to dst with a byte transformation, respecting the limit. */
static enum bufferevent_filter_result transform(struct evbuffer *src, struct evbuffer *dst,
    ev_ssize_t limit, int (*fn)(int))
{
	size_t n = evbuffer_get_length(src);
	unsigned char *p;
	if (limit >= 0 && (size_t)limit < n)
		n = (size_t)limit;
	if (n == 0)
		return BEV_NEED_MORE;
	p = malloc(n);
	evbuffer_remove(src, p, n);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)fn(p[i]);
	evbuffer_add(dst, p, n);
	free(p);
	return BEV_OK;
}

static int rot13(int c)
{
	if (c >= 'a' && c <= 'z')
		return 'a' + (c - 'a' + 13) % 26;
	if (c >= 'A' && c <= 'Z')
		return 'A' + (c - 'A' + 13) % 26;
	return c;
}

static int upper(int c)
{
	return toupper(c);
}

static enum bufferevent_filter_result rot13_filter(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t limit, enum bufferevent_flush_mode mode, void *arg)
{
	note(arg, limit, mode);
	return transform(src, dst, limit, rot13);
}

static enum bufferevent_filter_result upper_filter(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t limit, enum bufferevent_flush_mode mode, void *arg)
{
	note(arg, limit, mode);
	return transform(src, dst, limit, upper);
}

/* Output: each chunk becomes a frame, a 2-byte big-endian length and the bytes. */
static enum bufferevent_filter_result frame_filter(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t limit, enum bufferevent_flush_mode mode, void *arg)
{
	size_t n = evbuffer_get_length(src);
	unsigned char hdr[2];
	(void)limit;
	note(arg, limit, mode);
	if (n == 0)
		return BEV_NEED_MORE;
	if (n > 65535)
		n = 65535;
	hdr[0] = (unsigned char)(n >> 8);
	hdr[1] = (unsigned char)n;
	evbuffer_add(dst, hdr, 2);
	evbuffer_remove_buffer(src, dst, n);
	return BEV_OK;
}

/* Input: one complete frame per call; BEV_NEED_MORE until a whole frame is there. */
static enum bufferevent_filter_result deframe_filter(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t limit, enum bufferevent_flush_mode mode, void *arg)
{
	unsigned char hdr[2];
	size_t len;
	note(arg, limit, mode);
	if (evbuffer_copyout(src, hdr, 2) < 2)
		return BEV_NEED_MORE;
	len = ((size_t)hdr[0] << 8) | hdr[1];
	if (evbuffer_get_length(src) < 2 + len)
		return BEV_NEED_MORE;
	evbuffer_drain(src, 2);
	evbuffer_remove_buffer(src, dst, len);
	return BEV_OK;
}

/* Output: passes on whole lines only, unless flushing. */
static enum bufferevent_filter_result line_filter(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t limit, enum bufferevent_flush_mode mode, void *arg)
{
	struct evbuffer_ptr p;
	note(arg, limit, mode);
	if (mode != BEV_NORMAL) {
		if (evbuffer_get_length(src) == 0)
			return BEV_NEED_MORE;
		evbuffer_add_buffer(dst, src);
		return BEV_OK;
	}
	p = evbuffer_search(src, "\n", 1, NULL);
	if (p.pos < 0)
		return BEV_NEED_MORE;
	evbuffer_remove_buffer(src, dst, (size_t)p.pos + 1);
	return BEV_OK;
}

/* Input: fails on '!', passes anything else. */
static enum bufferevent_filter_result bang_filter(struct evbuffer *src,
    struct evbuffer *dst, ev_ssize_t limit, enum bufferevent_flush_mode mode, void *arg)
{
	note(arg, limit, mode);
	if (evbuffer_search(src, "!", 1, NULL).pos >= 0)
		return BEV_ERROR;
	evbuffer_add_buffer(dst, src);
	return BEV_OK;
}

/* ---- callbacks ---- */

struct state {
	int reads;
	int writes;
	int events;
	short what;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	((struct state *)arg)->reads++;
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	((struct state *)arg)->writes++;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct state *s = arg;
	(void)bev;
	s->events++;
	s->what = what;
}

static void user_read_cb(struct bufferevent *bev, void *arg)
{
	read_cb(bev, arg);
}

static size_t len_of(struct evbuffer *b)
{
	return evbuffer_get_length(b);
}

/* Takes everything from an evbuffer as a NUL-terminated string (static storage). */
static const char *take_all(struct evbuffer *b)
{
	static char buf[256];
	int n = evbuffer_remove(b, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void test_transform_both_ways(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2], *filt;
	struct fctx ctx;
	struct state fs, ps;
	bufferevent_data_cb r;
	bufferevent_event_cb e;
	void *arg;

	REQUIRE(base != NULL);
	memset(&ctx, 0, sizeof(ctx));
	memset(&fs, 0, sizeof(fs));
	memset(&ps, 0, sizeof(ps));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	/* The filter takes over the underlying bufferevent's callbacks. */
	bufferevent_setcb(pair[0], user_read_cb, NULL, NULL, &ps);
	/* Both filters get the same context. */
	filt = bufferevent_filter_new(pair[0], rot13_filter, upper_filter, 0, NULL, &ctx);
	REQUIRE(filt != NULL);
	CHECK(bufferevent_get_underlying(filt) == pair[0]);
	CHECK(bufferevent_get_base(filt) == base);
	/* The program's callbacks are gone. What takes their place is the library's
	 * business: libevent shows internal functions, evrs shows none. */
	bufferevent_getcb(pair[0], &r, NULL, &e, &arg);
	CHECK(r != user_read_cb);
	CHECK(arg != &ps);
	/* The filter starts like any bufferevent: writing only. The underlying one is now
	 * enabled both ways. */
	CHECK_INT_EQ(bufferevent_get_enabled(filt), EV_WRITE);
	CHECK_INT_EQ(bufferevent_get_enabled(pair[0]), EV_READ | EV_WRITE);
	/* A filter has no fd of its own; it reports its underlying's (none for a pair). */
	CHECK_INT_EQ(bufferevent_getfd(filt), -1);
	CHECK_INT_EQ(bufferevent_priority_set(filt, 0), -1);
	CHECK_INT_EQ(bufferevent_base_set(base, filt), -1);
	bufferevent_setcb(filt, read_cb, write_cb, event_cb, &fs);
	bufferevent_setcb(pair[1], read_cb, NULL, event_cb, &ps);
	bufferevent_enable(pair[1], EV_READ);

	/* Output: filtered as it is written, and on the wire at once. */
	CHECK_INT_EQ(bufferevent_write(filt, "hello, world", 12), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(filt)), 0);
	CHECK_STR_EQ(take_all(bufferevent_get_input(pair[1])), "HELLO, WORLD");
	CHECK(ctx.calls >= 1);
	CHECK_INT_EQ(ctx.last_mode, BEV_NORMAL);
	/* No high watermark on the underlying output: no limit. */
	CHECK_INT_EQ(ctx.last_limit, -1);
	ctx.calls = 0;
	event_base_loop(base, EVLOOP_NONBLOCK);
	/* The filter's write callback ran once its output was passed on. */
	CHECK(fs.writes >= 1);

	/* Input: nothing is taken from the underlying bufferevent while the filter does not
	 * read. */
	bufferevent_write(pair[1], "uryyb", 5);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(fs.reads, 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(filt)), 0);
	bufferevent_enable(filt, EV_READ);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(fs.reads, 1);
	CHECK_STR_EQ(take_all(bufferevent_get_input(filt)), "hello");
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[0])), 0);
	CHECK(ctx.calls >= 1);
	/* No high watermark on the filter's input: no limit. */
	CHECK_INT_EQ(ctx.last_limit, -1);
	CHECK_INT_EQ(ctx.modes_seen, 1 << BEV_NORMAL);

	/* Events of the underlying bufferevent reach the filter's event callback. */
	CHECK_INT_EQ(bufferevent_flush(pair[1], EV_WRITE, BEV_FINISHED), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(fs.events, 1);
	CHECK_INT_EQ(fs.what, BEV_EVENT_EOF | BEV_EVENT_READING);

	/* Without CLOSE_ON_FREE the underlying bufferevent survives, with its callbacks
	 * cleared. */
	bufferevent_free(filt);
	event_base_loop(base, EVLOOP_NONBLOCK);
	bufferevent_getcb(pair[0], &r, NULL, &e, &arg);
	CHECK(r == NULL);
	CHECK(e == NULL);
	CHECK(arg == NULL);
	CHECK(bufferevent_pair_get_partner(pair[1]) == pair[0]);
	/* And it works on its own. */
	bufferevent_write(pair[1], "raw", 3);
	CHECK_STR_EQ(take_all(bufferevent_get_input(pair[0])), "raw");

	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void test_framing(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2], *filt;
	struct fctx ctx;
	struct state fs;
	unsigned char wire[64];

	REQUIRE(base != NULL);
	memset(&ctx, 0, sizeof(ctx));
	memset(&fs, 0, sizeof(fs));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	filt = bufferevent_filter_new(pair[0], deframe_filter, frame_filter,
	    BEV_OPT_CLOSE_ON_FREE, free_ctx, &ctx);
	REQUIRE(filt != NULL);
	bufferevent_setcb(filt, read_cb, NULL, event_cb, &fs);
	bufferevent_enable(filt, EV_READ);
	bufferevent_enable(pair[1], EV_READ);

	/* Output: one frame per write. */
	bufferevent_write(filt, "abc", 3);
	bufferevent_write(filt, "de", 2);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[1])), 9);
	evbuffer_remove(bufferevent_get_input(pair[1]), wire, 9);
	CHECK_MEM_EQ(wire, "\0\3abc\0\2de", 9);

	/* Input: a frame in pieces. Until it is complete the filter answers NEED_MORE and
	 * no read callback runs. */
	bufferevent_write(pair[1], "\0", 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	bufferevent_write(pair[1], "\5hel", 4);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(ctx.calls >= 2);
	CHECK_INT_EQ(fs.reads, 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(filt)), 0);
	/* The partial frame waits in the underlying input. */
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[0])), 5);
	bufferevent_write(pair[1], "lo", 2);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(fs.reads, 1);
	CHECK_STR_EQ(take_all(bufferevent_get_input(filt)), "hello");

	/* Two frames and a half at once: both whole frames come through. */
	bufferevent_write(pair[1], "\0\1x\0\2yz\0\3w", 10);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_STR_EQ(take_all(bufferevent_get_input(filt)), "xyz");
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[0])), 3);

	/* Flushing the read side calls the input filter with that mode; it still needs
	 * more, so nothing was produced and flush says 0. */
	ctx.modes_seen = 0;
	CHECK_INT_EQ(bufferevent_flush(filt, EV_READ, BEV_FLUSH), 0);
	CHECK(ctx.modes_seen & (1 << BEV_FLUSH));

	/* CLOSE_ON_FREE: freeing the filter frees the pair end below it, and the context
	 * is released once. */
	CHECK_INT_EQ(ctx.freed, 0);
	bufferevent_free(filt);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(ctx.freed, 1);
	CHECK(bufferevent_pair_get_partner(pair[1]) == NULL);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void test_flush_modes(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2], *filt;
	struct fctx ctx;
	struct state fs, ps;

	REQUIRE(base != NULL);
	memset(&ctx, 0, sizeof(ctx));
	memset(&fs, 0, sizeof(fs));
	memset(&ps, 0, sizeof(ps));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	filt = bufferevent_filter_new(pair[0], NULL, line_filter, BEV_OPT_CLOSE_ON_FREE, NULL,
	    &ctx);
	REQUIRE(filt != NULL);
	bufferevent_setcb(filt, NULL, write_cb, event_cb, &fs);
	bufferevent_setcb(pair[1], NULL, NULL, event_cb, &ps);
	bufferevent_enable(pair[1], EV_READ);

	/* Normal mode: only whole lines leave. */
	bufferevent_write(filt, "one\ntw", 6);
	CHECK_STR_EQ(take_all(bufferevent_get_input(pair[1])), "one\n");
	CHECK_UINT_EQ(len_of(bufferevent_get_output(filt)), 2);
	/* A BEV_NORMAL flush changes nothing: the filter still wants a newline. */
	CHECK_INT_EQ(bufferevent_flush(filt, EV_WRITE, BEV_NORMAL), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(filt)), 2);
	CHECK_INT_EQ(ctx.last_mode, BEV_NORMAL);
	/* BEV_FLUSH pushes the partial line out; flush reports that data moved. */
	CHECK_INT_EQ(bufferevent_flush(filt, EV_WRITE, BEV_FLUSH), 1);
	CHECK_INT_EQ(ctx.last_mode, BEV_FLUSH);
	CHECK_STR_EQ(take_all(bufferevent_get_input(pair[1])), "tw");
	/* The filter is called in flush modes even with nothing to filter. */
	ctx.calls = 0;
	CHECK_INT_EQ(bufferevent_flush(filt, EV_WRITE, BEV_FLUSH), 0);
	CHECK_INT_EQ(ctx.calls, 1);

	/* BEV_FINISHED reaches the filter and is passed down: the pair's partner gets EOF. */
	bufferevent_write(filt, "end", 3);
	CHECK_INT_EQ(bufferevent_flush(filt, EV_WRITE, BEV_FINISHED), 1);
	CHECK_INT_EQ(ctx.last_mode, BEV_FINISHED);
	CHECK(ctx.modes_seen & (1 << BEV_FINISHED));
	CHECK_STR_EQ(take_all(bufferevent_get_input(pair[1])), "end");
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(ps.events, 1);
	CHECK_INT_EQ(ps.what, BEV_EVENT_EOF | BEV_EVENT_READING);

	bufferevent_free(filt);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

/* A high watermark on the underlying output caps what the output filter may add, and
 * one on the filter's input caps the input filter. */
static void test_limits(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2], *filt;
	struct fctx in_ctx, out_ctx;

	REQUIRE(base != NULL);
	memset(&in_ctx, 0, sizeof(in_ctx));
	memset(&out_ctx, 0, sizeof(out_ctx));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	filt = bufferevent_filter_new(pair[0], NULL, upper_filter, BEV_OPT_CLOSE_ON_FREE, NULL,
	    &out_ctx);
	REQUIRE(filt != NULL);
	/* pair[1] does not read, so the underlying output fills up. */
	bufferevent_setwatermark(pair[0], EV_WRITE, 0, 8);
	bufferevent_write(filt, "abcdefghijkl", 12);
	CHECK_INT_EQ(out_ctx.last_limit, 8);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[0])), 8);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(filt)), 4);
	/* When the receiver reads, the rest follows. */
	bufferevent_enable(pair[1], EV_READ);
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(filt)), 0);
	CHECK_STR_EQ(take_all(bufferevent_get_input(pair[1])), "ABCDEFGHIJKL");
	/* A flush ignores the high watermark and passes no limit. */
	bufferevent_disable(pair[1], EV_READ);
	bufferevent_write(pair[0], "12345678", 8);
	bufferevent_write(filt, "mn", 2);
	CHECK_UINT_EQ(len_of(bufferevent_get_output(filt)), 2);
	CHECK_INT_EQ(bufferevent_flush(filt, EV_WRITE, BEV_FLUSH), 1);
	CHECK_INT_EQ(out_ctx.last_limit, -1);
	/* The flush goes on down: the pair moves it to its partner even though that one is
	 * not reading. */
	CHECK_UINT_EQ(len_of(bufferevent_get_output(pair[0])), 0);
	CHECK_STR_EQ(take_all(bufferevent_get_input(pair[1])), "12345678MN");
	bufferevent_free(filt);
	bufferevent_free(pair[1]);

	/* Input side. */
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	filt = bufferevent_filter_new(pair[0], rot13_filter, NULL, BEV_OPT_CLOSE_ON_FREE, NULL,
	    &in_ctx);
	REQUIRE(filt != NULL);
	bufferevent_setwatermark(filt, EV_READ, 0, 5);
	bufferevent_enable(filt, EV_READ);
	bufferevent_write(pair[1], "nopqrstuvw", 10);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(in_ctx.last_limit, 5);
	CHECK_STR_EQ(take_all(bufferevent_get_input(filt)), "abcde");
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_STR_EQ(take_all(bufferevent_get_input(filt)), "fghij");
	bufferevent_free(filt);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void test_error_filter(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2], *filt;
	struct fctx ctx;
	struct state fs;

	REQUIRE(base != NULL);
	memset(&ctx, 0, sizeof(ctx));
	memset(&fs, 0, sizeof(fs));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	filt = bufferevent_filter_new(pair[0], bang_filter, NULL, BEV_OPT_CLOSE_ON_FREE, NULL,
	    &ctx);
	REQUIRE(filt != NULL);
	bufferevent_setcb(filt, read_cb, NULL, event_cb, &fs);
	bufferevent_enable(filt, EV_READ);
	bufferevent_write(pair[1], "fine", 4);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(fs.reads, 1);
	CHECK_STR_EQ(take_all(bufferevent_get_input(filt)), "fine");
	/* BEV_ERROR: nothing is passed up and the read callback does not run. libevent
	 * does not report it to the event callback either; the bytes stay below. */
	bufferevent_write(pair[1], "bad!", 4);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(ctx.calls >= 2);
	CHECK_INT_EQ(fs.reads, 1);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(filt)), 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(pair[0])), 4);
	CHECK_INT_EQ(fs.events, 0);
	bufferevent_free(filt);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

static void test_stacked(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2], *f1, *f2;
	struct fctx c1, c2;
	struct state fs;

	REQUIRE(base != NULL);
	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	memset(&fs, 0, sizeof(fs));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	f1 = bufferevent_filter_new(pair[0], rot13_filter, rot13_filter, BEV_OPT_CLOSE_ON_FREE,
	    free_ctx, &c1);
	REQUIRE(f1 != NULL);
	f2 = bufferevent_filter_new(f1, NULL, upper_filter, BEV_OPT_CLOSE_ON_FREE, free_ctx, &c2);
	REQUIRE(f2 != NULL);
	CHECK(bufferevent_get_underlying(f2) == f1);
	CHECK(bufferevent_get_underlying(f1) == pair[0]);
	CHECK(bufferevent_get_underlying(pair[0]) == NULL);
	bufferevent_setcb(f2, read_cb, NULL, event_cb, &fs);
	bufferevent_enable(f2, EV_READ);
	bufferevent_enable(pair[1], EV_READ);

	/* Down: uppercase, then rot13. */
	bufferevent_write(f2, "abc xyz", 7);
	CHECK_STR_EQ(take_all(bufferevent_get_input(pair[1])), "NOP KLM");
	/* Up: rot13, then unchanged. */
	bufferevent_write(pair[1], "uryyb", 5);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(fs.reads, 1);
	CHECK_STR_EQ(take_all(bufferevent_get_input(f2)), "hello");
	/* Events climb both levels. */
	bufferevent_flush(pair[1], EV_WRITE, BEV_FINISHED);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(fs.events, 1);
	CHECK_INT_EQ(fs.what, BEV_EVENT_EOF | BEV_EVENT_READING);

	/* Freeing the top frees the whole chain. */
	bufferevent_free(f2);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(c2.freed, 1);
	CHECK_INT_EQ(c1.freed, 1);
	CHECK(bufferevent_pair_get_partner(pair[1]) == NULL);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

/* Callbacks the program sets on the underlying bufferevent replace the filter's: its
 * data then goes to the program, not through the filter, and freeing the filter leaves
 * the program's callbacks in place. */
static void test_setcb_on_underlying(void)
{
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2], *filt;
	struct fctx ctx;
	struct state fs, us;
	bufferevent_data_cb r;
	void *arg;

	REQUIRE(base != NULL);
	memset(&ctx, 0, sizeof(ctx));
	memset(&fs, 0, sizeof(fs));
	memset(&us, 0, sizeof(us));
	REQUIRE(bufferevent_pair_new(base, 0, pair) == 0);
	filt = bufferevent_filter_new(pair[0], rot13_filter, NULL, 0, NULL, &ctx);
	REQUIRE(filt != NULL);
	bufferevent_setcb(filt, read_cb, NULL, event_cb, &fs);
	bufferevent_enable(filt, EV_READ);
	bufferevent_write(pair[1], "uryyb", 5);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(fs.reads, 1);
	CHECK_STR_EQ(take_all(bufferevent_get_input(filt)), "hello");

	bufferevent_setcb(pair[0], read_cb, NULL, event_cb, &us);
	ctx.calls = 0;
	bufferevent_write(pair[1], "abc", 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT_EQ(us.reads, 1);
	CHECK_INT_EQ(fs.reads, 1);
	CHECK_INT_EQ(ctx.calls, 0);
	CHECK_UINT_EQ(len_of(bufferevent_get_input(filt)), 0);
	CHECK_STR_EQ(take_all(bufferevent_get_input(pair[0])), "abc");

	bufferevent_free(filt);
	event_base_loop(base, EVLOOP_NONBLOCK);
	bufferevent_getcb(pair[0], &r, NULL, NULL, &arg);
	CHECK(r == read_cb);
	CHECK(arg == &us);

	bufferevent_free(pair[0]);
	bufferevent_free(pair[1]);
	event_base_free(base);
}

int main(void)
{
	test_transform_both_ways();
	test_framing();
	test_flush_modes();
	test_limits();
	test_error_filter();
	test_stacked();
	test_setcb_on_underlying();
	return check_report();
}
