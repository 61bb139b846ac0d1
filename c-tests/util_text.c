/* evutil's text helpers: ASCII-only case-insensitive comparison, evutil_strtoll
 * (strtoll's contract), and evutil_snprintf/evutil_vsnprintf (always terminated,
 * returning the full length). */
#include <event2/util.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <wchar.h>

#include "check.h"

static int call_vsnprintf(char *buf, size_t len, const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = evutil_vsnprintf(buf, len, format, ap);
	va_end(ap);
	return r;
}

static void test_strcasecmp(void)
{
	CHECK_INT_EQ(evutil_ascii_strcasecmp("ABC", "ABC"), 0);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("ABC", "abc"), 0);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("ABC", "abcd"), -1);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("ABC", "abb"), 1);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("ABCd", "abc"), 1);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("", ""), 0);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("", "a"), -1);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("a", ""), 1);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("Content-Length", "content-length"), 0);
	/* '[' sits between 'Z' and 'a': compared after lower-casing. */
	CHECK_INT_EQ(evutil_ascii_strcasecmp("[", "A"), -1);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("@", "`"), -1);
	/* Only ASCII letters fold; other bytes compare as (signed) chars. */
	CHECK(evutil_ascii_strcasecmp("\xc4", "\xe4") != 0);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("\xc4", "\xc4"), 0);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("\x80", "a"), -1);
}

static void test_strncasecmp(void)
{
	const char unterminated[3] = { 'a', 'B', 'c' };

	CHECK_INT_EQ(evutil_ascii_strncasecmp("Libevent", "LibEvEnT", 100), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("Libevent", "LibEvEnT", 4), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("Libevent", "LibEXXXX", 4), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("Libevent", "LibE", 4), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("Libe", "LibEvEnT", 4), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("Lib", "LibEvEnT", 4), -1);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("abc", "def", 99), -1);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("Z", "qrst", 1), 1);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("abc", "xyz", 0), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("abcX", "ABCY", 3), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("abcX", "ABCY", 4), -1);
	/* At most n bytes are read: no terminator needed within them. */
	CHECK_INT_EQ(evutil_ascii_strncasecmp(unterminated, "ABC!", 3), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp(unterminated, "ABD", 3), -1);
}

static void test_strtoll(void)
{
	const char *s;
	char *end;

	CHECK(evutil_strtoll("5000000000", NULL, 10) == INT64_C(5000000000));
	CHECK(evutil_strtoll("-5000000000", NULL, 10) == INT64_C(-5000000000));

	s = " 99999stuff";
	CHECK(evutil_strtoll(s, &end, 10) == 99999);
	CHECK(end == s + 6);

	s = "foo";
	end = NULL;
	CHECK(evutil_strtoll(s, &end, 10) == 0);
	CHECK(end == s);

	s = "   -";
	CHECK(evutil_strtoll(s, &end, 10) == 0);
	CHECK(end == s);

	s = "\t\n+12x";
	CHECK(evutil_strtoll(s, &end, 10) == 12);
	CHECK(end == s + 5);

	s = "0x7fffffffffffffff";
	CHECK(evutil_strtoll(s, &end, 16) == INT64_MAX);
	CHECK(end == s + strlen(s));
	CHECK(evutil_strtoll(s, NULL, 0) == INT64_MAX);

	/* "0x" without hex digits is the number 0, ending at the 'x'. */
	s = "0xg";
	CHECK(evutil_strtoll(s, &end, 16) == 0);
	CHECK(end == s + 1);

	CHECK(evutil_strtoll("077", NULL, 0) == 63);
	CHECK(evutil_strtoll("077", NULL, 10) == 77);
	CHECK(evutil_strtoll("777", NULL, 8) == 511);
	CHECK(evutil_strtoll("1010", NULL, 2) == 10);
	CHECK(evutil_strtoll("zZ", NULL, 36) == 35 * 36 + 35);

	s = "9223372036854775807";
	errno = 0;
	CHECK(evutil_strtoll(s, &end, 10) == INT64_MAX);
	CHECK_INT_EQ(errno, 0);
	CHECK(evutil_strtoll("-9223372036854775808", NULL, 10) == INT64_MIN);

	/* Out of range: clamped, ERANGE, and every digit consumed. */
	s = "9223372036854775808";
	errno = 0;
	CHECK(evutil_strtoll(s, &end, 10) == INT64_MAX);
	CHECK_INT_EQ(errno, ERANGE);
	CHECK(end == s + strlen(s));
	s = "-99999999999999999999999999";
	errno = 0;
	CHECK(evutil_strtoll(s, &end, 10) == INT64_MIN);
	CHECK_INT_EQ(errno, ERANGE);
	CHECK(end == s + strlen(s));

	/* Bases outside 0 and 2..36. */
	errno = 0;
	CHECK(evutil_strtoll("10", NULL, 1) == 0);
	CHECK_INT_EQ(errno, EINVAL);
	errno = 0;
	CHECK(evutil_strtoll("10", NULL, 37) == 0);
	CHECK_INT_EQ(errno, EINVAL);
	errno = 0;
	CHECK(evutil_strtoll("10", NULL, -5) == 0);
	CHECK_INT_EQ(errno, EINVAL);
}

static void test_snprintf(void)
{
	char buf[16];
	uint64_t u64 = UINT64_C(200000000000);
	int64_t i64 = -INT64_C(200000000000);
	size_t size = 8000;
	wchar_t not_ascii[] = { 0xdcff, 0 };
	int r;

	r = evutil_snprintf(buf, sizeof(buf), "%d %d", 50, 100);
	CHECK_STR_EQ(buf, "50 100");
	CHECK_INT_EQ(r, 6);

	r = evutil_snprintf(buf, sizeof(buf), "longish %d", 1234567890);
	CHECK_STR_EQ(buf, "longish 1234567");
	CHECK_INT_EQ(r, 18);

	r = evutil_snprintf(buf, sizeof(buf), "%" PRIu64, u64);
	CHECK_STR_EQ(buf, "200000000000");
	CHECK_INT_EQ(r, 12);

	r = evutil_snprintf(buf, sizeof(buf), "%" PRId64, i64);
	CHECK_STR_EQ(buf, "-200000000000");
	CHECK_INT_EQ(r, 13);

	r = evutil_snprintf(buf, sizeof(buf), "%zu %s %c%%", size, "x", 'y');
	CHECK_STR_EQ(buf, "8000 x y%");
	CHECK_INT_EQ(r, 9);

	/* Exactly full, and one byte over. */
	r = evutil_snprintf(buf, sizeof(buf), "%s", "123456789012345");
	CHECK_STR_EQ(buf, "123456789012345");
	CHECK_INT_EQ(r, 15);
	r = evutil_snprintf(buf, sizeof(buf), "%s", "1234567890123456");
	CHECK_STR_EQ(buf, "123456789012345");
	CHECK_INT_EQ(r, 16);

	/* A one-byte buffer holds just the terminator. */
	memset(buf, 'x', sizeof(buf));
	r = evutil_snprintf(buf, 1, "%s", "abc");
	CHECK_INT_EQ(r, 3);
	CHECK_INT_EQ(buf[0], '\0');
	CHECK_INT_EQ(buf[1], 'x');

	/* An empty buffer is not touched, and the answer is 0. */
	memset(buf, 'x', sizeof(buf));
	r = evutil_snprintf(buf, 0, "%s", "abc");
	CHECK_INT_EQ(r, 0);
	CHECK_INT_EQ(buf[0], 'x');
	CHECK_INT_EQ(evutil_snprintf(NULL, 0, "%d", 12345), 0);

	/* A conversion error is passed on (a non-ASCII wide char in the C locale). */
	r = evutil_snprintf(buf, sizeof(buf), "%ls", not_ascii);
	CHECK(r < 0);
	CHECK(memchr(buf, '\0', sizeof(buf)) != NULL);

	/* The va_list form. */
	r = call_vsnprintf(buf, sizeof(buf), "%s-%d", "va", 42);
	CHECK_STR_EQ(buf, "va-42");
	CHECK_INT_EQ(r, 5);
	r = call_vsnprintf(buf, 4, "%s", "truncated");
	CHECK_STR_EQ(buf, "tru");
	CHECK_INT_EQ(r, 9);
	memset(buf, 'x', sizeof(buf));
	CHECK_INT_EQ(call_vsnprintf(buf, 0, "%s", "abc"), 0);
	CHECK_INT_EQ(buf[0], 'x');
}

int main(void)
{
	test_strcasecmp();
	test_strncasecmp();
	test_strtoll();
	test_snprintf();
	return check_report();
}
