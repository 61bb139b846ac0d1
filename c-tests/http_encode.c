/* Percent-encoding and query strings: evhttp_encode_uri and evhttp_uriencode (which
 * characters stay, upper-case escapes, space as '+', explicit lengths with embedded
 * NULs), evhttp_decode_uri (a '+' is a space only after a '?') and evhttp_uridecode
 * (decode_plus everywhere or nowhere, size_out counting decoded NULs, bad escapes kept),
 * evhttp_htmlescape, and evhttp_parse_query / evhttp_parse_query_str: pairs in order,
 * values decoded and keys not, duplicates kept, and each refused form (which leaves the
 * list empty). */
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void check_encode(int line, const char *src, ev_ssize_t len, int plus,
    const char *want)
{
	char *got = evhttp_uriencode(src, len, plus);
	CHECK_STR_EQ(got, want);
	if (!got || strcmp(got, want) != 0)
		fprintf(stderr, "     (case at line %d)\n", line);
	free(got);
}
#define ENC(src, len, plus, want) check_encode(__LINE__, src, len, plus, want)

static void test_encode(void)
{
	char all[256], *got;
	size_t i;

	/* Unreserved characters stay; everything else is %XX in upper case. */
	ENC("abcXYZ019-._~", -1, 0, "abcXYZ019-._~");
	ENC("a b", -1, 0, "a%20b");
	ENC("a b", -1, 1, "a+b");
	ENC("a+b", -1, 0, "a%2Bb");
	ENC("a+b", -1, 1, "a%2Bb");
	ENC("/path?x=1&y=2#f", -1, 0, "%2Fpath%3Fx%3D1%26y%3D2%23f");
	ENC(":@!$'()*,;", -1, 0, "%3A%40%21%24%27%28%29%2A%2C%3B");
	ENC("%", -1, 0, "%25");
	ENC("\x01\x7f\x80\xff", -1, 0, "%01%7F%80%FF");
	ENC("\"<>\\^`{|}", -1, 0, "%22%3C%3E%5C%5E%60%7B%7C%7D");
	ENC("", -1, 0, "");
	ENC("", -1, 1, "");
	/* An explicit length: only that many bytes, NULs included. */
	ENC("abc", 2, 0, "ab");
	ENC("abc", 0, 0, "");
	ENC("a\0b c", 5, 0, "a%00b%20c");
	ENC("a\0b c", 5, 1, "a%00b+c");
	ENC("\0", 1, 0, "%00");

	/* evhttp_encode_uri is uriencode(s, -1, 0). */
	got = evhttp_encode_uri("a b+c/d");
	CHECK_STR_EQ(got, "a%20b%2Bc%2Fd");
	free(got);

	/* Every byte: 66 stay as they are, the other 190 become three characters. */
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	got = evhttp_uriencode(all, 256, 0);
	REQUIRE(got != NULL);
	CHECK_UINT_EQ(strlen(got), 66 + 190 * 3);
	CHECK(strncmp(got, "%00%01%02", 9) == 0);
	CHECK(strstr(got, "%2C-.%2F0123456789%3A") != NULL);
	CHECK(strstr(got, "%40ABCDEFGHIJKLMNOPQRSTUVWXYZ%5B%5C%5D%5E_%60abc") != NULL);
	CHECK(strstr(got, "xyz%7B%7C%7D~%7F%80") != NULL);
	free(got);
}

static void check_decode(int line, const char *src, int plus, const char *want,
    size_t want_len)
{
	size_t n = 12345;
	char *got = evhttp_uridecode(src, plus, &n);
	int ok = got && n == want_len && memcmp(got, want, want_len + 1) == 0;
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "     (case at line %d: \"%s\" gave \"%s\", %zu bytes)\n", line,
		    src, got ? got : "(null)", n);
	free(got);
}
#define DEC(src, plus, want) check_decode(__LINE__, src, plus, want, strlen(want))
#define DECN(src, plus, want, n) check_decode(__LINE__, src, plus, want, n)

static void test_uridecode(void)
{
	DEC("a%20b", 0, "a b");
	DEC("%41%62%2f%2F", 0, "Ab//");
	/* decode_plus applies everywhere, or nowhere. */
	DEC("a+b?c+d", 0, "a+b?c+d");
	DEC("a+b?c+d", 1, "a b?c d");
	DEC("a+b", 7, "a b");
	/* Escapes that are not two hex digits stay as they are. */
	DEC("%", 0, "%");
	DEC("%4", 0, "%4");
	DEC("a%4", 0, "a%4");
	DEC("%zz", 0, "%zz");
	DEC("%4g%g4", 0, "%4g%g4");
	DEC("%%41", 0, "%A");
	DEC("%2541", 0, "%41");
	DEC("100%", 0, "100%");
	DEC("", 1, "");
	/* Decoded NULs and high bytes: size_out counts them all. */
	DECN("a%00b", 0, "a\0b", 3);
	DECN("%00", 0, "\0", 1);
	DEC("%ff%FE%80", 0, "\xff\xfe\x80");
	/* size_out may be NULL. */
	{
		char *got = evhttp_uridecode("x%41", 0, NULL);
		CHECK_STR_EQ(got, "xA");
		free(got);
	}
}

static void test_decode_uri(void)
{
	/* The deprecated evhttp_decode_uri decodes '+' only after a '?'. */
	static const char *const cases[][2] = {
		{"a+b?c+d", "a+b?c d"},
		{"a+b", "a+b"},
		{"?+", "? "},
		{"%3F+", "?+"},
		{"a%20b?x=%41+1", "a b?x=A 1"},
		{"%", "%"},
		{"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = evhttp_decode_uri(cases[i][0]);
		CHECK_STR_EQ(got, cases[i][1]);
		free(got);
	}
}

static void test_htmlescape(void)
{
	static const char *const cases[][2] = {
		{"plain text", "plain text"},
		{"<a href=\"x\">'&'</a>", "&lt;a href=&quot;x&quot;&gt;&#039;&amp;&#039;&lt;/a&gt;"},
		{"&amp;", "&amp;amp;"},
		{"", ""},
		{"\x01\xff/%", "\x01\xff/%"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = evhttp_htmlescape(cases[i][0]);
		CHECK_STR_EQ(got, cases[i][1]);
		free(got);
	}
}

/* Checks that headers hold exactly the pairs in want (key, value, key, value, ...). */
static void check_pairs(int line, struct evkeyvalq *headers, const char *const *want, int n)
{
	struct evkeyval *kv;
	int i = 0, ok = 1;
	TAILQ_FOREACH(kv, headers, next) {
		if (i >= n || strcmp(kv->key, want[2 * i]) != 0 ||
		    strcmp(kv->value, want[2 * i + 1]) != 0)
			ok = 0;
		i++;
	}
	CHECK(ok && i == n);
	if (!ok || i != n) {
		fprintf(stderr, "     (case at line %d) got:", line);
		TAILQ_FOREACH(kv, headers, next)
			fprintf(stderr, " [%s]=[%s]", kv->key, kv->value);
		fprintf(stderr, "\n");
	}
}

#define PAIRS(headers, ...) do { \
	static const char *const want_[] = {__VA_ARGS__}; \
	check_pairs(__LINE__, headers, want_, (int)(sizeof(want_) / sizeof(want_[0]) / 2)); \
} while (0)

static void check_query_fails(int line, int whole, const char *s)
{
	struct evkeyvalq q;
	int r = whole ? evhttp_parse_query(s, &q) : evhttp_parse_query_str(s, &q);
	CHECK_INT_EQ(r, -1);
	/* A refused query leaves no pairs. */
	CHECK(TAILQ_EMPTY(&q));
	if (r != -1 || !TAILQ_EMPTY(&q))
		fprintf(stderr, "     (case at line %d: \"%s\")\n", line, s);
	evhttp_clear_headers(&q);
}
#define QUERY_FAILS(whole, s) check_query_fails(__LINE__, whole, s)

static void test_parse_query(void)
{
	struct evkeyvalq q;

	/* The list need not be initialised first: parsing starts it empty. */
	memset(&q, 0xa5, sizeof(q));
	CHECK_INT_EQ(evhttp_parse_query("http://h/p?a=1&b=two&c=", &q), 0);
	PAIRS(&q, "a", "1", "b", "two", "c", "");
	CHECK_STR_EQ(evhttp_find_header(&q, "b"), "two");
	evhttp_clear_headers(&q);

	/* Values are decoded, '+' included; keys are not. */
	CHECK_INT_EQ(evhttp_parse_query("/p?k%41=%41+b%2Bc&x=a%20b", &q), 0);
	PAIRS(&q, "k%41", "A b+c", "x", "a b");
	evhttp_clear_headers(&q);

	/* Duplicates are all kept in order; find gives the first. */
	CHECK_INT_EQ(evhttp_parse_query("/?a=1&a=2&A=3", &q), 0);
	PAIRS(&q, "a", "1", "a", "2", "A", "3");
	CHECK_STR_EQ(evhttp_find_header(&q, "a"), "1");
	evhttp_clear_headers(&q);

	/* '=' after the first belongs to the value; a trailing '&' is ignored. */
	CHECK_INT_EQ(evhttp_parse_query("/?a==b=&c=d&", &q), 0);
	PAIRS(&q, "a", "=b=", "c", "d");
	evhttp_clear_headers(&q);

	/* No query, or an empty one: no pairs and no error. */
	CHECK_INT_EQ(evhttp_parse_query("http://h/p", &q), 0);
	CHECK(TAILQ_EMPTY(&q));
	CHECK_INT_EQ(evhttp_parse_query("/p?", &q), 0);
	CHECK(TAILQ_EMPTY(&q));
	CHECK_INT_EQ(evhttp_parse_query("/p?#a=b", &q), 0);
	CHECK(TAILQ_EMPTY(&q));
	/* The fragment is not part of the query. */
	CHECK_INT_EQ(evhttp_parse_query("/p?a=b#c=d", &q), 0);
	PAIRS(&q, "a", "b");
	evhttp_clear_headers(&q);

	/* evhttp_parse_query parses a whole URI, strictly. */
	QUERY_FAILS(1, "/p a?x=1");
	QUERY_FAILS(1, "/p?x=a b");
	QUERY_FAILS(1, "1a:b?x=1");
	/* A pair without '=', an empty key, or an empty pair fails the whole query. */
	QUERY_FAILS(1, "/p?a=1&b");
	QUERY_FAILS(1, "/p?a");
	QUERY_FAILS(1, "/p?=1");
	QUERY_FAILS(1, "/p?a=1&&b=2");
	QUERY_FAILS(1, "/p?&a=1");
	QUERY_FAILS(1, "/p?a=1&=2");

	/* evhttp_parse_query_str takes the query alone, with no checking of its
	 * characters. */
	CHECK_INT_EQ(evhttp_parse_query_str("a=1&b=x y&c=%zz", &q), 0);
	PAIRS(&q, "a", "1", "b", "x y", "c", "%zz");
	evhttp_clear_headers(&q);
	CHECK_INT_EQ(evhttp_parse_query_str("", &q), 0);
	CHECK(TAILQ_EMPTY(&q));
	/* A '?' or '#' is just part of a key or value here. */
	CHECK_INT_EQ(evhttp_parse_query_str("?a=1#b", &q), 0);
	PAIRS(&q, "?a", "1#b");
	evhttp_clear_headers(&q);
	QUERY_FAILS(0, "a");
	QUERY_FAILS(0, "a=1&b");
	QUERY_FAILS(0, "=");
	QUERY_FAILS(0, "&");
	QUERY_FAILS(0, "a=1&&b=1");
}

int main(void)
{
	test_encode();
	test_uridecode();
	test_decode_uri();
	test_htmlescape();
	test_parse_query();
	return check_report();
}
