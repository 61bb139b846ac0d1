/* Formatted appends with evbuffer_add_printf and evbuffer_add_vprintf: the return
 * value, an empty format, output much longer than a chunk, NUL bytes in the output,
 * appending after existing data, a va_list passed on, a frozen end, and a format that
 * the C library cannot convert. */
#include <event2/buffer.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "check.h"

static int holds(struct evbuffer *buf, const void *want, size_t len)
{
	char *tmp;
	int ok;

	if (evbuffer_get_length(buf) != len)
		return 0;
	tmp = malloc(len + 1);
	if (!tmp)
		return 0;
	ok = evbuffer_copyout(buf, tmp, len) == (ev_ssize_t)len && memcmp(tmp, want, len) == 0;
	free(tmp);
	return ok;
}

static int holds_str(struct evbuffer *buf, const char *want)
{
	return holds(buf, want, strlen(want));
}

static int via_vprintf(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	return n;
}

static void test_basic(void)
{
	struct evbuffer *buf = evbuffer_new();

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%s=%d", "answer", 42), 9);
	CHECK(holds_str(buf, "answer=42"));
	/* An empty format adds nothing and says so. */
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%s", ""), 0);
	CHECK_INT_EQ(via_vprintf(buf, "%s", ""), 0);
	CHECK(holds_str(buf, "answer=42"));
	/* Appends go after what is there. */
	CHECK_INT_EQ(evbuffer_add_printf(buf, ";%c%%%x;%05u;%.3f;%-3s|", 'z', 255u, 7u, 1.5, "a"), 22);
	CHECK(holds_str(buf, "answer=42;z%ff;00007;1.500;a  |"));
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%zu %lld %ld", (size_t)123456789, -5LL, 0L), 14);
	CHECK(holds_str(buf, "answer=42;z%ff;00007;1.500;a  |123456789 -5 0"));
	/* The same through a va_list. */
	CHECK_INT_EQ(evbuffer_drain(buf, evbuffer_get_length(buf)), 0);
	CHECK_INT_EQ(via_vprintf(buf, "[%d,%d,%s]", 1, -2, "three"), 12);
	CHECK(holds_str(buf, "[1,-2,three]"));
	CHECK_INT_EQ(via_vprintf(buf, "%s", "+"), 1);
	CHECK(holds_str(buf, "[1,-2,three]+"));
	/* A NUL byte produced by the format is part of the data. */
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%c%s", 0, "after"), 6);
	CHECK(holds(buf, "[1,-2,three]+\0after", 19));
	/* Data added by printf can be taken out like any other. */
	{
		char out[32];
		CHECK_INT_EQ(evbuffer_remove(buf, out, 13), 13);
		CHECK_MEM_EQ(out, "[1,-2,three]+", 13);
	}
	CHECK(holds(buf, "\0after", 6));
	evbuffer_free(buf);
}

static void test_long(void)
{
	static char big[100001];
	struct evbuffer *buf = evbuffer_new();
	char *want;
	size_t i;

	REQUIRE(buf != NULL);
	for (i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	big[100000] = '\0';

	/* Longer than any first chunk: 5000 and 100000 bytes. */
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%.5000s", big), 5000);
	CHECK(holds(buf, big, 5000));
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%s", big), 100000);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 105000);
	want = malloc(105000);
	REQUIRE(want != NULL);
	memcpy(want, big, 5000);
	memcpy(want + 5000, big, 100000);
	CHECK(holds(buf, want, 105000));
	free(want);

	/* Padding can make a short argument long. */
	CHECK_INT_EQ(evbuffer_drain(buf, 105000), 0);
	CHECK_INT_EQ(evbuffer_add(buf, "x", 1), 0);
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%6000d", 7), 6000);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 6001);
	{
		unsigned char *p = evbuffer_pullup(buf, -1);
		int ok = p != NULL && p[0] == 'x' && p[6000] == '7';
		for (i = 1; ok && i < 6000; i++)
			ok = p[i] == ' ';
		CHECK(ok);
	}
	/* Through a va_list, a long one right after data that nearly fills a chunk. */
	CHECK_INT_EQ(evbuffer_drain(buf, 6001), 0);
	CHECK_INT_EQ(evbuffer_add(buf, big, 4000), 0);
	CHECK_INT_EQ(via_vprintf(buf, "%s|%s", big + 99000, big + 99990), 1011);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 5011);
	{
		char tail[12];
		struct evbuffer_ptr p;
		REQUIRE(evbuffer_ptr_set(buf, &p, 4999, EVBUFFER_PTR_SET) == 0);
		CHECK_INT_EQ(evbuffer_copyout_from(buf, &p, tail, 12), 12);
		CHECK_MEM_EQ(tail, "d|uvwxyzabcd", 12);
	}
	evbuffer_free(buf);
}

static void test_failures(void)
{
	struct evbuffer *buf = evbuffer_new();
	static const wchar_t bad[] = {0xD800, 0x41, 0};

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_add(buf, "keep", 4), 0);
	/* A frozen end refuses the text. */
	CHECK_INT_EQ(evbuffer_freeze(buf, 0), 0);
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%d", 5), -1);
	CHECK_INT_EQ(via_vprintf(buf, "%s", "no"), -1);
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%s", ""), -1);
	CHECK(holds_str(buf, "keep"));
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 0), 0);
	/* A frozen front does not matter for appending. */
	CHECK_INT_EQ(evbuffer_freeze(buf, 1), 0);
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%d", 5), 1);
	CHECK_INT_EQ(evbuffer_unfreeze(buf, 1), 0);
	CHECK(holds_str(buf, "keep5"));
	/* A wide character that cannot be converted in the C locale makes the C
	 * library fail: nothing is added. */
	CHECK_INT_EQ(evbuffer_add_printf(buf, "%ls", bad), -1);
	CHECK(holds_str(buf, "keep5"));
	evbuffer_free(buf);
}

int main(void)
{
	test_basic();
	test_long();
	test_failures();
	return check_report();
}
