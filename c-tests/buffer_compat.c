/* The compatibility interface of event2/buffer_compat.h: the EVBUFFER_LENGTH and
 * EVBUFFER_DATA macros, evbuffer_find (a pointer into the buffer, made contiguous up
 * to the match), evbuffer_readline (any run of CR and LF ends a line) and the legacy
 * evbuffer_setcb callback (old and new length; it replaces every other callback). */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"

static struct evbuffer *chunked(const char *text, size_t piece)
{
	struct evbuffer *buf = evbuffer_new();
	size_t len = strlen(text), at;

	REQUIRE(buf != NULL);
	for (at = 0; at < len; at += piece) {
		size_t n = len - at < piece ? len - at : piece;
		REQUIRE(evbuffer_add_reference(buf, text + at, n, NULL, NULL) == 0);
	}
	return buf;
}

static void test_macros(void)
{
	struct evbuffer *buf = evbuffer_new();
	unsigned char *data;

	REQUIRE(buf != NULL);
	CHECK_UINT_EQ(EVBUFFER_LENGTH(buf), 0);
	/* No data: no pointer. */
	CHECK(EVBUFFER_DATA(buf) == NULL);
	evbuffer_free(buf);

	buf = chunked("several small chunks", 3);
	CHECK_UINT_EQ(EVBUFFER_LENGTH(buf), 20);
	CHECK_UINT_EQ(EVBUFFER_LENGTH(buf), evbuffer_get_length(buf));
	/* The whole buffer, contiguous. */
	data = EVBUFFER_DATA(buf);
	REQUIRE(data != NULL);
	CHECK_MEM_EQ(data, "several small chunks", 20);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 20);
	CHECK(EVBUFFER_DATA(buf) == data);
	CHECK_INT_EQ(evbuffer_drain(buf, 8), 0);
	CHECK_UINT_EQ(EVBUFFER_LENGTH(buf), 12);
	CHECK_MEM_EQ(EVBUFFER_DATA(buf), "small chunks", 12);
	evbuffer_free(buf);
}

static void test_find(void)
{
	struct evbuffer *buf = chunked("the quick brown fox jumps", 4), *empty = evbuffer_new();
	unsigned char *p;

	REQUIRE(empty != NULL);
	/* A match across chunks: the buffer becomes contiguous up to its end. */
	p = evbuffer_find(buf, (const unsigned char *)"brown f", 7);
	REQUIRE(p != NULL);
	CHECK_MEM_EQ(p, "brown f", 7);
	CHECK(p == evbuffer_pullup(buf, 17) + 10);
	CHECK(evbuffer_get_contiguous_space(buf) >= 17);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 25);
	/* The first match wins; a match at the very start and at the very end. */
	p = evbuffer_find(buf, (const unsigned char *)"o", 1);
	REQUIRE(p != NULL);
	CHECK(p == evbuffer_pullup(buf, 13) + 12);
	p = evbuffer_find(buf, (const unsigned char *)"the", 3);
	CHECK(p == evbuffer_pullup(buf, 3));
	p = evbuffer_find(buf, (const unsigned char *)"jumps", 5);
	REQUIRE(p != NULL);
	CHECK(p == evbuffer_pullup(buf, -1) + 20);
	/* Not there, longer than the buffer, an empty buffer. */
	CHECK(evbuffer_find(buf, (const unsigned char *)"cat", 3) == NULL);
	CHECK(evbuffer_find(buf, (const unsigned char *)"the quick brown fox jumps!", 26) == NULL);
	CHECK(evbuffer_find(empty, (const unsigned char *)"a", 1) == NULL);
	/* An empty needle "matches" at 0, but no pointer to zero bytes is given. */
	CHECK(evbuffer_find(buf, (const unsigned char *)"x", 0) == NULL);
	/* Nothing was removed. */
	CHECK_UINT_EQ(evbuffer_get_length(buf), 25);
	CHECK_MEM_EQ(evbuffer_pullup(buf, -1), "the quick brown fox jumps", 25);
	evbuffer_free(buf);
	evbuffer_free(empty);
}

static void test_readline(void)
{
	struct evbuffer *buf = chunked("first\nsecond\r\nthird\r\rfourth\n\n\nrest", 2);
	static const char *const want[] = {"first", "second", "third", "fourth"};
	char *line;
	int i;

	for (i = 0; i < 4; i++) {
		line = evbuffer_readline(buf);
		CHECK_STR_EQ(line, want[i]);
		free(line);
	}
	/* No line end: NULL, and the rest stays. */
	CHECK(evbuffer_readline(buf) == NULL);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 4);
	CHECK_INT_EQ(evbuffer_add(buf, "\r", 1), 0);
	line = evbuffer_readline(buf);
	CHECK_STR_EQ(line, "rest");
	free(line);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK(evbuffer_readline(buf) == NULL);
	evbuffer_free(buf);
}

struct legacy {
	int calls;
	struct evbuffer *buf;
	size_t old_len, new_len;
};

static void legacy_cb(struct evbuffer *buf, size_t old_len, size_t new_len, void *arg)
{
	struct legacy *l = arg;
	l->calls++;
	l->buf = buf;
	l->old_len = old_len;
	l->new_len = new_len;
}

static void modern_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	int *calls = arg;
	(void)buf;
	(void)info;
	(*calls)++;
}

static void test_setcb(void)
{
	struct evbuffer *buf = evbuffer_new(), *other = evbuffer_new();
	struct legacy a = {0, NULL, 0, 0}, b = {0, NULL, 0, 0};
	int modern = 0;
	char out[8];

	REQUIRE(buf && other);
	CHECK_INT_EQ(evbuffer_setcb(buf, legacy_cb, &a), 0);
	CHECK_INT_EQ(a.calls, 0);
	CHECK_INT_EQ(evbuffer_add(buf, "hello", 5), 0);
	CHECK_INT_EQ(a.calls, 1);
	CHECK(a.buf == buf);
	CHECK_UINT_EQ(a.old_len, 0);
	CHECK_UINT_EQ(a.new_len, 5);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 2), 2);
	CHECK_INT_EQ(a.calls, 2);
	CHECK_UINT_EQ(a.old_len, 5);
	CHECK_UINT_EQ(a.new_len, 3);
	/* No change, no call. */
	CHECK_INT_EQ(evbuffer_add(buf, "", 0), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 0), 0);
	CHECK_INT_EQ(a.calls, 2);
	/* Moving data out reports the shrink. */
	CHECK_INT_EQ(evbuffer_add_buffer(other, buf), 0);
	CHECK_INT_EQ(a.calls, 3);
	CHECK_UINT_EQ(a.old_len, 3);
	CHECK_UINT_EQ(a.new_len, 0);

	/* A second evbuffer_setcb replaces the first... */
	CHECK_INT_EQ(evbuffer_setcb(buf, legacy_cb, &b), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "xy", 2), 0);
	CHECK_INT_EQ(a.calls, 3);
	CHECK_INT_EQ(b.calls, 1);
	CHECK_UINT_EQ(b.new_len, 2);
	/* ...and works alongside callbacks added later... */
	REQUIRE(evbuffer_add_cb(buf, modern_cb, &modern) != NULL);
	CHECK_INT_EQ(evbuffer_add(buf, "z", 1), 0);
	CHECK_INT_EQ(b.calls, 2);
	CHECK_INT_EQ(modern, 1);
	CHECK_UINT_EQ(b.old_len, 2);
	CHECK_UINT_EQ(b.new_len, 3);
	/* ...but setting it again removes those too. */
	CHECK_INT_EQ(evbuffer_setcb(buf, legacy_cb, &a), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 1), 0);
	CHECK_INT_EQ(modern, 1);
	CHECK_INT_EQ(b.calls, 2);
	CHECK_INT_EQ(a.calls, 4);
	CHECK_UINT_EQ(a.old_len, 3);
	CHECK_UINT_EQ(a.new_len, 2);
	CHECK_INT_EQ(evbuffer_remove_cb(buf, modern_cb, &modern), -1);

	/* NULL removes every callback. */
	REQUIRE(evbuffer_add_cb(buf, modern_cb, &modern) != NULL);
	CHECK_INT_EQ(evbuffer_setcb(buf, NULL, NULL), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "w", 1), 0);
	CHECK_INT_EQ(a.calls, 4);
	CHECK_INT_EQ(modern, 1);
	/* On a buffer without callbacks, NULL is fine too. */
	CHECK_INT_EQ(evbuffer_setcb(other, NULL, NULL), 0);
	evbuffer_free(buf);
	evbuffer_free(other);
	CHECK_INT_EQ(a.calls, 4);
}

int main(void)
{
	test_macros();
	test_find();
	test_readline();
	test_setcb();
	return check_report();
}
