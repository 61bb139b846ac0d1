/* Adding, prepending, draining, removing, copying out and pulling up bytes, with
 * empty buffers, zero lengths, sizes past the end and sizes near SIZE_MAX; printf,
 * iovecs, freezing, and the compat macros and functions. */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int add_formatted(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	return n;
}

static void test_empty(void)
{
	struct evbuffer *buf = evbuffer_new();
	char out[8] = "xxxxxxx";

	REQUIRE(buf != NULL);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 0);
	CHECK_INT_EQ(evbuffer_drain(buf, 10), 0);
	CHECK_INT_EQ(evbuffer_remove(buf, out, sizeof(out)), 0);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, sizeof(out)), 0);
	CHECK(evbuffer_pullup(buf, -1) == NULL);
	CHECK(evbuffer_pullup(buf, 1) == NULL);
	CHECK(EVBUFFER_DATA(buf) == NULL);
	CHECK_UINT_EQ(EVBUFFER_LENGTH(buf), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "", 0), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_INT_EQ(evbuffer_prepend(buf, "", 0), 0);
	CHECK(evbuffer_readline(buf) == NULL);
	CHECK(evbuffer_find(buf, (const unsigned char *)"a", 1) == NULL);
	evbuffer_free(buf);
}

static void test_add_remove(void)
{
	struct evbuffer *buf = evbuffer_new();
	char out[64];
	unsigned char *p;
	int i;

	CHECK_INT_EQ(evbuffer_add(buf, "hello", 5), 0);
	CHECK_INT_EQ(evbuffer_add(buf, " world", 6), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 11);
	CHECK_INT_EQ(evbuffer_prepend(buf, ">> ", 3), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 14);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, sizeof(out)), 14);
	CHECK_MEM_EQ(out, ">> hello world", 14);
	/* copyout leaves the data where it was */
	CHECK_UINT_EQ(evbuffer_get_length(buf), 14);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, 2), 2);
	CHECK_MEM_EQ(out, ">>", 2);
	CHECK_INT_EQ(evbuffer_drain(buf, 3), 0);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 5), 5);
	CHECK_MEM_EQ(out, "hello", 5);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 6);
	p = evbuffer_pullup(buf, -1);
	REQUIRE(p != NULL);
	CHECK_MEM_EQ(p, " world", 6);
	CHECK(evbuffer_pullup(buf, 7) == NULL);
	CHECK(evbuffer_pullup(buf, 0) == NULL);
	/* draining more than there is empties the buffer */
	CHECK_INT_EQ(evbuffer_drain(buf, 1000), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);

	/* many pieces: pullup makes them contiguous, in order */
	for (i = 0; i < 2000; i++) {
		char c = (char)('a' + i % 26);
		CHECK_INT_EQ(evbuffer_add(buf, &c, 1), 0);
	}
	for (i = 0; i < 100; i++)
		CHECK_INT_EQ(evbuffer_prepend(buf, "0123456789", 10), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 3000);
	p = evbuffer_pullup(buf, 2500);
	REQUIRE(p != NULL);
	CHECK(evbuffer_get_contiguous_space(buf) >= 2500);
	CHECK_MEM_EQ(p, "0123456789", 10);
	CHECK_MEM_EQ(p + 990, "0123456789", 10);
	CHECK(p[1000] == 'a' && p[1025] == 'z' && p[2499] == (unsigned char)('a' + 1499 % 26));
	p = EVBUFFER_DATA(buf);
	REQUIRE(p != NULL);
	CHECK(p[2999] == (unsigned char)('a' + 1999 % 26));
	CHECK_UINT_EQ(evbuffer_get_contiguous_space(buf), 3000);
	evbuffer_free(buf);
}

static void test_huge_sizes(void)
{
	struct evbuffer *buf = evbuffer_new();
	char c = 'x';

	CHECK_INT_EQ(evbuffer_add(buf, &c, 1), 0);
	/* Sizes that would overflow the length are refused, not wrapped. */
	CHECK_INT_EQ(evbuffer_add(buf, &c, SIZE_MAX), -1);
	CHECK_INT_EQ(evbuffer_expand(buf, SIZE_MAX), -1);
	CHECK_INT_EQ(evbuffer_expand(buf, SIZE_MAX / 2), -1);
	CHECK(evbuffer_pullup(buf, 2) == NULL);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 1);
	CHECK_INT_EQ(evbuffer_expand(buf, 100000), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 1);
	CHECK_INT_EQ(evbuffer_drain(buf, SIZE_MAX), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	evbuffer_free(buf);
}

static void test_printf_iovec(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec iov[3];
	char big[6000];
	char out[64];
	unsigned char *p;

	CHECK_INT_EQ(evbuffer_add_printf(buf, "%d-%s-%c", 42, "abc", 'z'), 8);
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%s", ""), 0);
	CHECK_INT_EQ(add_formatted(buf, "[%05u]", 7u), 7);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, sizeof(out)), 15);
	CHECK_MEM_EQ(out, "42-abc-z[00007]", 15);
	evbuffer_drain(buf, 15);

	/* output longer than any first guess */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT_EQ(evbuffer_add_printf(buf, "<%s>", big), (int)sizeof(big) + 1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), sizeof(big) + 1);
	p = evbuffer_pullup(buf, -1);
	REQUIRE(p != NULL);
	CHECK(p[0] == '<' && p[1] == 'q' && p[sizeof(big) - 1] == 'q' && p[sizeof(big)] == '>');
	evbuffer_drain(buf, evbuffer_get_length(buf));

	iov[0].iov_base = (void *)"abc";
	iov[0].iov_len = 3;
	iov[1].iov_base = (void *)"";
	iov[1].iov_len = 0;
	iov[2].iov_base = (void *)"defgh";
	iov[2].iov_len = 5;
	CHECK_UINT_EQ(evbuffer_add_iovec(buf, iov, 3), 8);
	CHECK_UINT_EQ(evbuffer_add_iovec(buf, iov, 0), 0);
	CHECK_INT_EQ(evbuffer_copyout(buf, out, sizeof(out)), 8);
	CHECK_MEM_EQ(out, "abcdefgh", 8);
	evbuffer_free(buf);
}

static void test_freeze(void)
{
	struct evbuffer *buf = evbuffer_new();
	char out[16];

	evbuffer_add(buf, "abcdef", 6);
	CHECK_INT_EQ(evbuffer_freeze(buf, 1), 0);
	/* the front is frozen: nothing may leave or be put before it */
	CHECK_INT_EQ(evbuffer_drain(buf, 1), -1);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 2), -1);
	CHECK_INT_EQ(evbuffer_prepend(buf, "x", 1), -1);
	CHECK(evbuffer_readln(buf, NULL, EVBUFFER_EOL_ANY) == NULL);
	/* the end is still open */
	CHECK_INT_EQ(evbuffer_add(buf, "g\n", 2), 0);
	CHECK(evbuffer_readln(buf, NULL, EVBUFFER_EOL_LF) == NULL);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 8);
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 1), 0);

	CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "h", 1), -1);
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%d", 1), -1);
	CHECK_INT_EQ(evbuffer_prepend(buf, "x", 1), 0);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 2), 2);
	CHECK_MEM_EQ(out, "xa", 2);
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "h", 1), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 8);
	evbuffer_free(buf);
}

static void test_compat(void)
{
	struct evbuffer *buf = evbuffer_new();
	unsigned char *hit;
	char *line;

	evbuffer_add(buf, "first\r\n\r\nsecond\nthird", 21);
	hit = evbuffer_find(buf, (const unsigned char *)"sec", 3);
	REQUIRE(hit != NULL);
	CHECK_MEM_EQ(hit, "second", 6);
	CHECK(evbuffer_find(buf, (const unsigned char *)"fourth", 6) == NULL);
	line = evbuffer_readline(buf);
	CHECK_STR_EQ(line, "first");
	free(line);
	/* EOL_ANY takes the whole run of CR and LF */
	line = evbuffer_readline(buf);
	CHECK_STR_EQ(line, "second");
	free(line);
	CHECK(evbuffer_readline(buf) == NULL);
	CHECK_UINT_EQ(EVBUFFER_LENGTH(buf), 5);
	evbuffer_free(buf);
}

int main(void)
{
	test_empty();
	test_add_remove();
	test_huge_sizes();
	test_printf_iovec();
	test_freeze();
	test_compat();
	return check_report();
}
