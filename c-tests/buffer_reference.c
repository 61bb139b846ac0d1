/* Memory lent to an evbuffer with evbuffer_add_reference: the bytes are read in place
 * and never written, and the cleanup function runs exactly once with the original
 * pointer, length and argument - when the last lent byte is drained, when the buffer
 * is freed, after the bytes moved to another buffer and were drained there, after
 * every buffer sharing them let go - and never when adding them failed. */
#include <event2/buffer.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"

struct lent {
	int calls;
	const void *data;
	size_t len;
	void *extra;
};

static void note_cleanup(const void *data, size_t len, void *extra)
{
	struct lent *l = extra;
	l->calls++;
	l->data = data;
	l->len = len;
	l->extra = extra;
}

static void free_cleanup(const void *data, size_t len, void *extra)
{
	int *calls = extra;
	(void)len;
	(*calls)++;
	free((void *)data);
}

static int holds_str(struct evbuffer *buf, const char *want)
{
	size_t len = strlen(want);
	char tmp[256];
	if (evbuffer_get_length(buf) != len || len > sizeof(tmp))
		return 0;
	return evbuffer_copyout(buf, tmp, len) == (ev_ssize_t)len && memcmp(tmp, want, len) == 0;
}

static void test_drained(void)
{
	static const char text[] = "0123456789";
	struct evbuffer *buf = evbuffer_new();
	struct lent l = {0, NULL, 0, NULL};
	char out[8];

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_add_reference(buf, text, 10, note_cleanup, &l), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 10);
	/* The lent memory is the data itself. */
	CHECK(evbuffer_pullup(buf, 10) == (const unsigned char *)text);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 10);

	CHECK_INT_EQ(evbuffer_drain(buf, 3), 0);
	CHECK_INT_EQ(l.calls, 0);
	CHECK(evbuffer_pullup(buf, 1) == (const unsigned char *)text + 3);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 6), 6);
	CHECK_MEM_EQ(out, "345678", 6);
	CHECK_INT_EQ(l.calls, 0);
	/* The last byte goes: the cleanup runs, with what was lent. */
	CHECK_INT_EQ(evbuffer_drain(buf, 1), 0);
	CHECK_INT_EQ(l.calls, 1);
	CHECK(l.data == text);
	CHECK_UINT_EQ(l.len, 10);
	CHECK(l.extra == &l);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);

	/* Nothing more happens later. */
	CHECK_INT_EQ(evbuffer_add(buf, "abc", 3), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 3), 0);
	evbuffer_free(buf);
	CHECK_INT_EQ(l.calls, 1);
}

static void test_freed(void)
{
	static const char text[] = "freed with data";
	struct evbuffer *buf = evbuffer_new();
	struct lent l = {0, NULL, 0, NULL};
	int heap_calls = 0;
	char *heap = malloc(100);

	REQUIRE(buf != NULL && heap != NULL);
	memset(heap, 'h', 100);
	CHECK_INT_EQ(evbuffer_add(buf, "<", 1), 0);
	CHECK_INT_EQ(evbuffer_add_reference(buf, text, strlen(text), note_cleanup, &l), 0);
	CHECK_INT_EQ(evbuffer_add_reference(buf, heap, 100, free_cleanup, &heap_calls), 0);
	CHECK_INT_EQ(evbuffer_add(buf, ">", 1), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 1 + strlen(text) + 100 + 1);
	CHECK_INT_EQ(evbuffer_drain(buf, 5), 0);
	CHECK_INT_EQ(l.calls, 0);
	CHECK_INT_EQ(heap_calls, 0);
	/* Freeing the buffer gives every piece back (the heap one is freed there). */
	evbuffer_free(buf);
	CHECK_INT_EQ(l.calls, 1);
	CHECK(l.data == text);
	CHECK_UINT_EQ(l.len, strlen(text));
	CHECK_INT_EQ(heap_calls, 1);
}

static void test_moved(void)
{
	static const char text[] = "travelling bytes";
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new(), *c = evbuffer_new();
	struct lent l = {0, NULL, 0, NULL};

	REQUIRE(a && b && c);
	CHECK_INT_EQ(evbuffer_add_reference(a, text, strlen(text), note_cleanup, &l), 0);
	/* Moved whole to another buffer: the first one can go away. */
	CHECK_INT_EQ(evbuffer_add_buffer(b, a), 0);
	evbuffer_free(a);
	CHECK_INT_EQ(l.calls, 0);
	CHECK(holds_str(b, "travelling bytes"));
	/* Moved again, in front of other data. */
	CHECK_INT_EQ(evbuffer_add(c, "!", 1), 0);
	CHECK_INT_EQ(evbuffer_prepend_buffer(c, b), 0);
	CHECK(holds_str(c, "travelling bytes!"));
	CHECK_INT_EQ(evbuffer_drain(c, 11), 0);
	CHECK_INT_EQ(l.calls, 0);
	/* Drained in its last home. */
	CHECK_INT_EQ(evbuffer_drain(c, 5), 0);
	CHECK_INT_EQ(l.calls, 1);
	CHECK(l.data == text);
	CHECK_UINT_EQ(l.len, strlen(text));
	CHECK(holds_str(c, "!"));
	evbuffer_free(b);
	evbuffer_free(c);
	CHECK_INT_EQ(l.calls, 1);

	/* Moving part of a lent piece copies that part; the rest stays lent. */
	a = evbuffer_new();
	b = evbuffer_new();
	REQUIRE(a && b);
	l.calls = 0;
	CHECK_INT_EQ(evbuffer_add_reference(a, text, strlen(text), note_cleanup, &l), 0);
	CHECK_INT_EQ(evbuffer_remove_buffer(a, b, 4), 4);
	CHECK(holds_str(b, "trav"));
	CHECK(holds_str(a, "elling bytes"));
	CHECK_INT_EQ(l.calls, 0);
	/* Moving the rest (all there is) hands over the piece itself. */
	CHECK_INT_EQ(evbuffer_remove_buffer(a, b, 100), 12);
	CHECK(holds_str(b, "travelling bytes"));
	evbuffer_free(a);
	CHECK_INT_EQ(l.calls, 0);
	CHECK_INT_EQ(evbuffer_drain(b, 100), 0);
	CHECK_INT_EQ(l.calls, 1);
	evbuffer_free(b);
	CHECK_INT_EQ(l.calls, 1);
}

static void test_shared(void)
{
	static const char text[] = "shared lent";
	struct evbuffer *src = evbuffer_new(), *copy = evbuffer_new();
	struct lent l = {0, NULL, 0, NULL};

	REQUIRE(src && copy);
	CHECK_INT_EQ(evbuffer_add_reference(src, text, strlen(text), note_cleanup, &l), 0);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(copy, src), 0);
	CHECK(holds_str(copy, "shared lent"));
	/* The source lets go first: the copy still uses the memory. */
	CHECK_INT_EQ(evbuffer_drain(src, 100), 0);
	CHECK_INT_EQ(l.calls, 0);
	evbuffer_free(src);
	CHECK_INT_EQ(l.calls, 0);
	CHECK(holds_str(copy, "shared lent"));
	CHECK_INT_EQ(evbuffer_drain(copy, 6), 0);
	CHECK_INT_EQ(l.calls, 0);
	evbuffer_free(copy);
	CHECK_INT_EQ(l.calls, 1);
	CHECK(l.data == text);

	/* The copy lets go first. */
	src = evbuffer_new();
	copy = evbuffer_new();
	REQUIRE(src && copy);
	l.calls = 0;
	CHECK_INT_EQ(evbuffer_add_reference(src, text, strlen(text), note_cleanup, &l), 0);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(copy, src), 0);
	evbuffer_free(copy);
	CHECK_INT_EQ(l.calls, 0);
	CHECK(holds_str(src, "shared lent"));
	CHECK_INT_EQ(evbuffer_drain(src, 100), 0);
	CHECK_INT_EQ(l.calls, 1);
	evbuffer_free(src);
	CHECK_INT_EQ(l.calls, 1);
}

static void test_never_written(void)
{
	char lent[16];
	struct evbuffer *buf = evbuffer_new();
	struct lent l = {0, NULL, 0, NULL};
	unsigned char *p;

	REQUIRE(buf != NULL);
	memcpy(lent, "ABCDEFGHIJKLMNOP", 16);
	CHECK_INT_EQ(evbuffer_add_reference(buf, lent, 8, note_cleanup, &l), 0);
	/* Neither appending nor prepending writes into the lent memory, even though it
	 * has bytes after the lent part. */
	CHECK_INT_EQ(evbuffer_add(buf, "12345678", 8), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, "xy", 2), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 4), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, "zw", 2), 0);
	CHECK(holds_str(buf, "zwCDEFGH12345678"));
	p = evbuffer_pullup(buf, -1);
	REQUIRE(p != NULL);
	CHECK_MEM_EQ(p, "zwCDEFGH12345678", 16);
	CHECK_MEM_EQ(lent, "ABCDEFGHIJKLMNOP", 16);
	/* The whole lent piece was copied away: it is given back. */
	CHECK_INT_EQ(l.calls, 1);
	CHECK(l.data == lent);
	CHECK_UINT_EQ(l.len, 8);
	evbuffer_free(buf);
	CHECK_INT_EQ(l.calls, 1);
}

static void test_pullup_releases(void)
{
	static const char a[] = "aaa", b[] = "bbbb", c[] = "ccccc";
	struct evbuffer *buf = evbuffer_new();
	struct lent la = {0, NULL, 0, NULL}, lb = {0, NULL, 0, NULL}, lc = {0, NULL, 0, NULL};
	unsigned char *p;

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_add_reference(buf, a, 3, note_cleanup, &la), 0);
	CHECK_INT_EQ(evbuffer_add_reference(buf, b, 4, note_cleanup, &lb), 0);
	CHECK_INT_EQ(evbuffer_add_reference(buf, c, 5, note_cleanup, &lc), 0);
	p = evbuffer_pullup(buf, 5);
	REQUIRE(p != NULL);
	CHECK_MEM_EQ(p, "aaabb", 5);
	/* The first piece was copied entirely; the last was not touched. */
	CHECK_INT_EQ(la.calls, 1);
	CHECK(lb.calls <= 1);
	CHECK_INT_EQ(lc.calls, 0);
	CHECK(holds_str(buf, "aaabbbbccccc"));
	CHECK_INT_EQ(evbuffer_drain(buf, 7), 0);
	CHECK_INT_EQ(lb.calls, 1);
	CHECK_INT_EQ(lc.calls, 0);
	CHECK(holds_str(buf, "ccccc"));
	evbuffer_free(buf);
	CHECK_INT_EQ(la.calls, 1);
	CHECK_INT_EQ(lb.calls, 1);
	CHECK_INT_EQ(lc.calls, 1);
}

static void test_edge_cases(void)
{
	static const char text[] = "no cleanup needed";
	struct evbuffer *buf = evbuffer_new();
	struct lent l = {0, NULL, 0, NULL};

	REQUIRE(buf != NULL);
	/* No cleanup function at all. */
	CHECK_INT_EQ(evbuffer_add_reference(buf, text, strlen(text), NULL, NULL), 0);
	CHECK(holds_str(buf, "no cleanup needed"));
	CHECK_INT_EQ(evbuffer_drain(buf, 3), 0);
	CHECK(holds_str(buf, "cleanup needed"));
	CHECK_INT_EQ(evbuffer_drain(buf, 100), 0);

	/* Nothing lent: the cleanup still runs once, at the latest when the buffer goes. */
	CHECK_INT_EQ(evbuffer_add_reference(buf, text, 0, note_cleanup, &l), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "after", 5), 0);
	CHECK(holds_str(buf, "after"));
	CHECK(l.calls <= 1);

	/* A frozen end refuses the piece and does not call its cleanup: the memory
	 * still belongs to the caller. */
	{
		struct lent refused = {0, NULL, 0, NULL};
		CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
		CHECK_INT_EQ(evbuffer_add_reference(buf, text, 5, note_cleanup, &refused), -1);
		CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
		CHECK(holds_str(buf, "after"));
		evbuffer_free(buf);
		CHECK_INT_EQ(refused.calls, 0);
	}
	CHECK_INT_EQ(l.calls, 1);
	CHECK(l.data == text);
	CHECK_UINT_EQ(l.len, 0);

	/* Many small pieces, each given back exactly once. */
	{
		static const char digits[] = "0123456789";
		struct lent many[10];
		int i, ok = 1;
		buf = evbuffer_new();
		REQUIRE(buf != NULL);
		memset(many, 0, sizeof(many));
		for (i = 0; i < 10; i++)
			ok &= evbuffer_add_reference(buf, digits + i, 1, note_cleanup, &many[i]) == 0;
		CHECK(ok);
		CHECK(holds_str(buf, "0123456789"));
		CHECK_INT_EQ(evbuffer_drain(buf, 4), 0);
		for (i = 0; i < 10; i++)
			ok &= many[i].calls == (i < 4);
		CHECK(ok);
		evbuffer_free(buf);
		for (i = 0; i < 10; i++)
			ok &= many[i].calls == 1 && many[i].data == digits + i && many[i].len == 1;
		CHECK(ok);
	}
}

int main(void)
{
	test_drained();
	test_freed();
	test_moved();
	test_shared();
	test_never_written();
	test_pullup_releases();
	test_edge_cases();
	return check_report();
}
