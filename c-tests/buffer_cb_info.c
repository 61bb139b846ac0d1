/* Change callbacks run at once (not deferred): the evbuffer_cb_info each operation
 * reports (orig_size, n_added, n_deleted), no call when nothing changed or an
 * operation failed, several callbacks (newest first), removal with evbuffer_remove_cb
 * and evbuffer_remove_cb_entry, disabling and enabling with cb_clear_flags and
 * cb_set_flags, a callback that drains the buffer it watches (nested call), one that
 * removes itself, and freeing a buffer that has callbacks. */
#include <event2/buffer.h>
#include <event2/util.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

#define MAX_CALLS 32

struct log {
	int calls;
	struct evbuffer *bufs[MAX_CALLS];
	struct evbuffer_cb_info info[MAX_CALLS];
	size_t len_then[MAX_CALLS];
	int order[MAX_CALLS];
};

static int call_seq;

static void log_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct log *l = arg;
	if (l->calls < MAX_CALLS) {
		l->bufs[l->calls] = buf;
		l->info[l->calls] = *info;
		l->len_then[l->calls] = evbuffer_get_length(buf);
		l->order[l->calls] = ++call_seq;
	}
	l->calls++;
}

static void reset(struct log *l)
{
	memset(l, 0, sizeof(*l));
}

/* Nonzero when the last call logged had these values. */
static int last_is(const struct log *l, size_t orig, size_t added, size_t deleted)
{
	const struct evbuffer_cb_info *i;
	if (l->calls < 1 || l->calls > MAX_CALLS)
		return 0;
	i = &l->info[l->calls - 1];
	return i->orig_size == orig && i->n_added == added && i->n_deleted == deleted &&
	    l->len_then[l->calls - 1] == orig + added - deleted;
}

static void test_info(void)
{
	struct evbuffer *buf = evbuffer_new(), *other = evbuffer_new();
	struct evbuffer_cb_entry *ent;
	struct evbuffer_iovec v[1];
	struct log l, lo;
	char out[16];
	int sv[2];

	REQUIRE(buf && other);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	reset(&l);
	reset(&lo);
	ent = evbuffer_add_cb(buf, log_cb, &l);
	REQUIRE(ent != NULL);
	REQUIRE(evbuffer_add_cb(other, log_cb, &lo) != NULL);
	/* Registering calls nothing. */
	CHECK_INT_EQ(l.calls, 0);

	CHECK_INT_EQ(evbuffer_add(buf, "hello", 5), 0);
	CHECK_INT_EQ(l.calls, 1);
	CHECK(l.bufs[0] == buf);
	CHECK(last_is(&l, 0, 5, 0));
	CHECK_INT_EQ(evbuffer_prepend(buf, ">>", 2), 0);
	CHECK(last_is(&l, 5, 2, 0));
	CHECK_INT_EQ(evbuffer_drain(buf, 3), 0);
	CHECK(last_is(&l, 7, 0, 3));
	CHECK_INT_EQ(evbuffer_remove(buf, out, 2), 2);
	CHECK(last_is(&l, 4, 0, 2));
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%d", 12345), 5);
	CHECK(last_is(&l, 2, 5, 0));
	CHECK_INT_EQ(evbuffer_add_reference(buf, "ref", 3, NULL, NULL), 0);
	CHECK(last_is(&l, 7, 3, 0));
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 4, v, 1), 1);
	CHECK_INT_EQ(l.calls, 6);
	memcpy(v[0].iov_base, "resv", 4);
	v[0].iov_len = 4;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK(last_is(&l, 10, 4, 0));
	CHECK_INT_EQ(l.calls, 7);

	/* Nothing changed: no call. */
	CHECK_INT_EQ(evbuffer_add(buf, "", 0), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, "", 0), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, 5), 5);
	CHECK(evbuffer_pullup(buf, -1) != NULL);
	CHECK_INT_EQ(evbuffer_expand(buf, 1000), 0);
	CHECK_INT_EQ(evbuffer_reserve_space(buf, 4, v, 1), 1);
	v[0].iov_len = 0;
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 1), 0);
	CHECK_INT_EQ(evbuffer_commit_space(buf, v, 0), 0);
	CHECK_INT_EQ(evbuffer_add_buffer(buf, other), 0);
	CHECK_INT_EQ(l.calls, 7);
	CHECK_INT_EQ(lo.calls, 0);
	/* Failed operations: no call. */
	CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "x", 1), -1);
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_freeze(buf, 1), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 1), -1);
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 1), 0);
	CHECK_INT_EQ(l.calls, 7);

	/* Moving data: each buffer hears of its own side. */
	CHECK_UINT_EQ(evbuffer_get_length(buf), 14);
	CHECK_INT_EQ(evbuffer_add(other, "abc", 3), 0);
	CHECK(last_is(&lo, 0, 3, 0));
	CHECK_INT_EQ(evbuffer_add_buffer(buf, other), 0);
	CHECK(last_is(&l, 14, 3, 0));
	CHECK(last_is(&lo, 3, 0, 3));
	CHECK_INT_EQ(evbuffer_remove_buffer(buf, other, 6), 6);
	CHECK(last_is(&l, 17, 0, 6));
	CHECK(last_is(&lo, 0, 6, 0));
	CHECK_INT_EQ(evbuffer_prepend_buffer(buf, other), 0);
	CHECK(last_is(&l, 11, 6, 0));
	CHECK(last_is(&lo, 6, 0, 6));
	CHECK_INT_EQ(evbuffer_remove_buffer(buf, other, 100), 17);
	CHECK(last_is(&l, 17, 0, 17));
	CHECK(last_is(&lo, 0, 17, 0));
	/* Sharing tells only the receiving side. */
	lo.calls = 0;
	CHECK_INT_EQ(evbuffer_add_buffer_reference(buf, other), 0);
	CHECK(last_is(&l, 0, 17, 0));
	CHECK_INT_EQ(lo.calls, 0);
	CHECK_INT_EQ(l.calls, 12);

	/* Reading from and writing to a socket. */
	CHECK_INT_EQ(write(sv[1], "socket", 6), 6);
	CHECK_INT_EQ(evbuffer_read(buf, sv[0], -1), 6);
	CHECK(last_is(&l, 17, 6, 0));
	CHECK_INT_EQ(evbuffer_write_atmost(buf, sv[0], 10), 10);
	CHECK(last_is(&l, 23, 0, 10));
	CHECK_INT_EQ(l.calls, 14);

	/* A line: the text and then its end of line are removed, one call each. */
	CHECK_INT_EQ(evbuffer_drain(buf, 100), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "ab\r\nc", 5), 0);
	l.calls = 0;
	{
		char *line = evbuffer_readln(buf, NULL, EVBUFFER_EOL_CRLF);
		CHECK_STR_EQ(line, "ab");
		free(line);
	}
	CHECK_INT_EQ(l.calls, 2);
	CHECK(l.info[0].orig_size == 5 && l.info[0].n_deleted == 2 && l.info[0].n_added == 0);
	CHECK(last_is(&l, 3, 0, 2));

	/* A removed callback is not called any more. */
	CHECK_INT_EQ(evbuffer_remove_cb_entry(buf, ent), 0);
	l.calls = 0;
	CHECK_INT_EQ(evbuffer_add(buf, "more", 4), 0);
	CHECK_INT_EQ(l.calls, 0);

	evbuffer_free(buf);
	evbuffer_free(other);
	evutil_closesocket(sv[0]);
	evutil_closesocket(sv[1]);
}

static void test_several(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_cb_entry *ea, *eb, *ec;
	struct log a, b, c;

	REQUIRE(buf != NULL);
	reset(&a);
	reset(&b);
	reset(&c);
	ea = evbuffer_add_cb(buf, log_cb, &a);
	eb = evbuffer_add_cb(buf, log_cb, &b);
	ec = evbuffer_add_cb(buf, log_cb, &c);
	REQUIRE(ea && eb && ec);
	CHECK(ea != eb && eb != ec && ea != ec);

	CHECK_INT_EQ(evbuffer_add(buf, "12345", 5), 0);
	CHECK(a.calls == 1 && b.calls == 1 && c.calls == 1);
	CHECK(last_is(&a, 0, 5, 0) && last_is(&b, 0, 5, 0) && last_is(&c, 0, 5, 0));
	/* The most recently added callback runs first. */
	CHECK(c.order[0] < b.order[0] && b.order[0] < a.order[0]);

	/* Disabled: skipped, and it does not hear about the change later either. */
	CHECK_INT_EQ(evbuffer_cb_clear_flags(buf, eb, EVBUFFER_CB_ENABLED), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 2), 0);
	CHECK(a.calls == 2 && b.calls == 1 && c.calls == 2);
	CHECK(last_is(&a, 5, 0, 2));
	CHECK_INT_EQ(evbuffer_cb_set_flags(buf, eb, EVBUFFER_CB_ENABLED), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "6", 1), 0);
	CHECK_INT_EQ(b.calls, 2);
	CHECK(last_is(&b, 3, 1, 0));
	/* Setting flags that are already set, or clearing all flags. */
	CHECK_INT_EQ(evbuffer_cb_set_flags(buf, eb, EVBUFFER_CB_ENABLED), 0);
	CHECK_INT_EQ(evbuffer_cb_clear_flags(buf, ec, ~(ev_uint32_t)0), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "7", 1), 0);
	CHECK(a.calls == 4 && b.calls == 3 && c.calls == 3);
	CHECK_INT_EQ(evbuffer_cb_set_flags(buf, ec, EVBUFFER_CB_ENABLED), 0);

	/* Removing by function and argument: only the matching one goes. */
	CHECK_INT_EQ(evbuffer_remove_cb(buf, log_cb, &b), 0);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, log_cb, &b), -1);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, log_cb, NULL), -1);
	CHECK_INT_EQ(evbuffer_drain(buf, 1), 0);
	CHECK(a.calls == 5 && b.calls == 3 && c.calls == 4);
	CHECK(last_is(&c, 5, 0, 1));
	/* The same function and argument twice: one removal removes one of them. */
	REQUIRE(evbuffer_add_cb(buf, log_cb, &a) != NULL);
	CHECK_INT_EQ(evbuffer_add(buf, "8", 1), 0);
	CHECK_INT_EQ(a.calls, 7);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, log_cb, &a), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "9", 1), 0);
	CHECK_INT_EQ(a.calls, 8);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, log_cb, &a), 0);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, log_cb, &a), -1);
	CHECK_INT_EQ(evbuffer_remove_cb_entry(buf, ec), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "0", 1), 0);
	CHECK(a.calls == 8 && c.calls == 6);

	/* Freeing a buffer with callbacks calls none of them. */
	REQUIRE(evbuffer_add_cb(buf, log_cb, &a) != NULL);
	evbuffer_free(buf);
	CHECK_INT_EQ(a.calls, 8);
}

struct drainer {
	int calls;
	struct evbuffer_cb_info info[8];
};

static void drain_when_big(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct drainer *d = arg;
	if (d->calls < 8)
		d->info[d->calls] = *info;
	d->calls++;
	if (evbuffer_get_length(buf) >= 10)
		evbuffer_drain(buf, evbuffer_get_length(buf));
}

static void test_callback_drains(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct drainer d;
	struct log l;

	REQUIRE(buf != NULL);
	memset(&d, 0, sizeof(d));
	reset(&l);
	/* Added first, so it runs after the drainer. */
	REQUIRE(evbuffer_add_cb(buf, log_cb, &l) != NULL);
	REQUIRE(evbuffer_add_cb(buf, drain_when_big, &d) != NULL);

	CHECK_INT_EQ(evbuffer_add(buf, "small", 5), 0);
	CHECK_INT_EQ(d.calls, 1);
	CHECK_INT_EQ(l.calls, 1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 5);

	/* The drain inside the callback runs the callbacks again, inside the first
	 * round: the logger hears of the drain before it hears of the add. */
	CHECK_INT_EQ(evbuffer_add(buf, "enough!", 7), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_INT_EQ(d.calls, 3);
	CHECK(d.info[1].orig_size == 5 && d.info[1].n_added == 7 && d.info[1].n_deleted == 0);
	CHECK(d.info[2].orig_size == 12 && d.info[2].n_added == 0 && d.info[2].n_deleted == 12);
	CHECK_INT_EQ(l.calls, 3);
	CHECK(l.info[1].orig_size == 12 && l.info[1].n_deleted == 12 && l.info[1].n_added == 0);
	CHECK(l.info[2].orig_size == 5 && l.info[2].n_added == 7 && l.info[2].n_deleted == 0);
	/* Both saw the buffer empty by the time they ran. */
	CHECK_UINT_EQ(l.len_then[1], 0);
	CHECK_UINT_EQ(l.len_then[2], 0);
	evbuffer_free(buf);
}

struct self_remover {
	int calls;
	struct evbuffer_cb_entry *me;
};

static void remove_self(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct self_remover *s = arg;
	(void)info;
	s->calls++;
	evbuffer_remove_cb_entry(buf, s->me);
}

static void remove_self_by_function(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct self_remover *s = arg;
	(void)info;
	s->calls++;
	CHECK_INT_EQ(evbuffer_remove_cb(buf, remove_self_by_function, arg), 0);
}

static void test_self_removal(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct self_remover s1 = {0, NULL}, s2 = {0, NULL};
	struct log before, after;

	REQUIRE(buf != NULL);
	reset(&before);
	reset(&after);
	REQUIRE(evbuffer_add_cb(buf, log_cb, &after) != NULL);
	s1.me = evbuffer_add_cb(buf, remove_self, &s1);
	REQUIRE(s1.me != NULL);
	REQUIRE(evbuffer_add_cb(buf, remove_self_by_function, &s2) != NULL);
	REQUIRE(evbuffer_add_cb(buf, log_cb, &before) != NULL);

	CHECK_INT_EQ(evbuffer_add(buf, "a", 1), 0);
	CHECK_INT_EQ(s1.calls, 1);
	CHECK_INT_EQ(s2.calls, 1);
	/* Callbacks on both sides of the removed ones still ran. */
	CHECK_INT_EQ(before.calls, 1);
	CHECK_INT_EQ(after.calls, 1);

	CHECK_INT_EQ(evbuffer_add(buf, "b", 1), 0);
	CHECK_INT_EQ(s1.calls, 1);
	CHECK_INT_EQ(s2.calls, 1);
	CHECK_INT_EQ(before.calls, 2);
	CHECK_INT_EQ(after.calls, 2);
	CHECK(last_is(&after, 1, 1, 0));
	CHECK_INT_EQ(evbuffer_remove_cb(buf, remove_self_by_function, &s2), -1);
	evbuffer_free(buf);
}

int main(void)
{
	test_info();
	test_several();
	test_callback_drains();
	test_self_removal();
	return check_report();
}
