/* URI parsing and building: evhttp_uri_parse and evhttp_uri_parse_with_flags (with and
 * without EVHTTP_URI_NONCONFORMANT) over absolute URIs, relative references, IPv6 and
 * IPvFuture hosts, ports (absent, empty, 0, 65535, too large, not numeric), userinfo,
 * empty and absent parts; every getter; the setters with valid values, refused values
 * (each leaves the old value) and NULL; evhttp_uri_join round trips, the size limit and
 * what cannot be joined. Shared by libevent 2.1 and 2.2 (hosts keep their brackets). */
#include <event2/http.h>
#include <event2/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define CHECK_OPT_STR(a, b) do { \
	const char *want_ = (b); \
	if (want_ == NULL) \
		CHECK((a) == NULL); \
	else \
		CHECK_STR_EQ((a), want_); \
} while (0)

/* Parses src and checks every part; joined is what evhttp_uri_join gives back (NULL:
 * same as src). */
static void check_uri(int line, const char *src, unsigned flags, const char *scheme,
    const char *userinfo, const char *host, int port, const char *path, const char *query,
    const char *fragment, const char *joined)
{
	unsigned failed_before = check_failed_;
	struct evhttp_uri *uri = evhttp_uri_parse_with_flags(src, flags);
	char buf[512];

	CHECK(uri != NULL);
	if (uri) {
		CHECK_OPT_STR(evhttp_uri_get_scheme(uri), scheme);
		CHECK_OPT_STR(evhttp_uri_get_userinfo(uri), userinfo);
		CHECK_OPT_STR(evhttp_uri_get_host(uri), host);
		CHECK_INT_EQ(evhttp_uri_get_port(uri), port);
		CHECK_OPT_STR(evhttp_uri_get_path(uri), path);
		CHECK_OPT_STR(evhttp_uri_get_query(uri), query);
		CHECK_OPT_STR(evhttp_uri_get_fragment(uri), fragment);
		CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
		CHECK_STR_EQ(buf, joined ? joined : src);
		evhttp_uri_free(uri);
	}
	if (check_failed_ != failed_before)
		fprintf(stderr, "     (case at line %d: \"%s\", flags %u)\n", line, src, flags);
}

#define URI_OK(src, flags, scheme, userinfo, host, port, path, query, fragment, joined) \
	check_uri(__LINE__, src, flags, scheme, userinfo, host, port, path, query, fragment, \
	    joined)

static void check_bad(int line, const char *src, unsigned flags)
{
	struct evhttp_uri *uri = evhttp_uri_parse_with_flags(src, flags);
	CHECK(uri == NULL);
	if (uri) {
		fprintf(stderr, "     (case at line %d: \"%s\" parsed with flags %u)\n", line,
		    src, flags);
		evhttp_uri_free(uri);
	}
}

#define URI_BAD(src, flags) check_bad(__LINE__, src, flags)

static const unsigned NC = EVHTTP_URI_NONCONFORMANT;

static void test_absolute(void)
{
	URI_OK("http://www.example.com:8080/path/to?x=1&y=2#frag", 0, "http", NULL,
	    "www.example.com", 8080, "/path/to", "x=1&y=2", "frag", NULL);
	URI_OK("http://user:pass@host/", 0, "http", "user:pass", "host", -1, "/", NULL, NULL,
	    NULL);
	URI_OK("https://host", 0, "https", NULL, "host", -1, "", NULL, NULL, NULL);
	URI_OK("http://host/", 0, "http", NULL, "host", -1, "/", NULL, NULL, NULL);
	/* The scheme and host keep their case. */
	URI_OK("HTTP://Host.Example/", 0, "HTTP", NULL, "Host.Example", -1, "/", NULL, NULL,
	    NULL);
	URI_OK("ftp://10.0.0.1:21/pub/file.txt", 0, "ftp", NULL, "10.0.0.1", 21,
	    "/pub/file.txt", NULL, NULL, NULL);
	/* Scheme characters: a letter, then letters, digits, + - . */
	URI_OK("a+b-c.d9://h/", 0, "a+b-c.d9", NULL, "h", -1, "/", NULL, NULL, NULL);
	/* An empty query and an empty fragment are present, not absent. */
	URI_OK("http://h/p?#", 0, "http", NULL, "h", -1, "/p", "", "", NULL);
	URI_OK("http://h?q", 0, "http", NULL, "h", -1, "", "q", NULL, NULL);
	URI_OK("http://h#f", 0, "http", NULL, "h", -1, "", NULL, "f", NULL);
	/* '?' may appear in a query and in a fragment; '/' and ':' and '@' in a path. */
	URI_OK("http://h/a:b@c/d?q?r/s#f?g/h", 0, "http", NULL, "h", -1, "/a:b@c/d", "q?r/s",
	    "f?g/h", NULL);
	/* Percent escapes are kept as they are. */
	URI_OK("http://h/a%20b?c%3Dd#%41", 0, "http", NULL, "h", -1, "/a%20b", "c%3Dd", "%41",
	    NULL);
	/* Sub-delimiters in a path. */
	URI_OK("http://h/!$&'()*+,;=", 0, "http", NULL, "h", -1, "/!$&'()*+,;=", NULL, NULL,
	    NULL);
	/* Not http: no authority. */
	URI_OK("mailto:user@example.com", 0, "mailto", NULL, NULL, -1, "user@example.com",
	    NULL, NULL, NULL);
	URI_OK("urn:isbn:0451450523", 0, "urn", NULL, NULL, -1, "isbn:0451450523", NULL, NULL,
	    NULL);
	URI_OK("foo:", 0, "foo", NULL, NULL, -1, "", NULL, NULL, NULL);
	/* An empty authority: the host is the empty string. */
	URI_OK("file:///etc/passwd", 0, "file", NULL, "", -1, "/etc/passwd", NULL, NULL, NULL);
	URI_OK("http://", 0, "http", NULL, "", -1, "", NULL, NULL, NULL);
}

static void test_ports(void)
{
	URI_OK("http://h:80/", 0, "http", NULL, "h", 80, "/", NULL, NULL, NULL);
	URI_OK("http://h:0/", 0, "http", NULL, "h", 0, "/", NULL, NULL, NULL);
	URI_OK("http://h:65535", 0, "http", NULL, "h", 65535, "", NULL, NULL, NULL);
	URI_OK("http://h:00080/", 0, "http", NULL, "h", 80, "/", NULL, NULL, "http://h:80/");
	/* An empty port is allowed, and means no port. */
	URI_OK("http://h:/", 0, "http", NULL, "h", -1, "/", NULL, NULL, "http://h/");
	URI_BAD("http://h:65536/", 0);
	URI_BAD("http://h:99999999999999999999/", 0);
	URI_BAD("http://h:8a/", 0);
	URI_BAD("http://h:-1/", 0);
	URI_BAD("http://h:+80/", 0);
	URI_BAD("http://h: 80/", 0);
	/* A port with no host. */
	URI_OK("http://:8080/x", 0, "http", NULL, "", 8080, "/x", NULL, NULL, NULL);
}

static void test_hosts(void)
{
	/* IPv6 literals keep their brackets (in libevent 2.1 always; in 2.2 unless
	 * EVHTTP_URI_HOST_STRIP_BRACKETS is given). */
	URI_OK("http://[::1]:8080/x", 0, "http", NULL, "[::1]", 8080, "/x", NULL, NULL, NULL);
	URI_OK("http://[::1]/", 0, "http", NULL, "[::1]", -1, "/", NULL, NULL, NULL);
	URI_OK("http://[2001:db8::7]", 0, "http", NULL, "[2001:db8::7]", -1, "", NULL, NULL,
	    NULL);
	URI_OK("http://[::ffff:192.0.2.1]:1/", 0, "http", NULL, "[::ffff:192.0.2.1]", 1, "/",
	    NULL, NULL, NULL);
	URI_OK("http://u@[fe80::1]:2/", 0, "http", "u", "[fe80::1]", 2, "/", NULL, NULL, NULL);
	/* IPvFuture. */
	URI_OK("http://[v7.abc:def]/", 0, "http", NULL, "[v7.abc:def]", -1, "/", NULL, NULL,
	    NULL);
	URI_OK("http://[vAF.x]/", 0, "http", NULL, "[vAF.x]", -1, "/", NULL, NULL, NULL);
	URI_BAD("http://[v.x]/", 0);
	URI_BAD("http://[v7]/", 0);
	/* The part after the dot may be empty. */
	URI_OK("http://[v7.]/", 0, "http", NULL, "[v7.]", -1, "/", NULL, NULL, NULL);
	URI_BAD("http://[vg.x]/", 0);
	/* Bad IPv6 literals and unbalanced brackets. */
	URI_BAD("http://[1:2:3]/", 0);
	URI_BAD("http://[::1/", 0);
	URI_BAD("http://::1]/", 0);
	URI_BAD("http://[]/", 0);
	URI_BAD("http://[::1]x/", 0);
	URI_BAD("http://[::1]:x/", 0);
	URI_BAD("http://[0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef]/", 0);
	/* Host characters. */
	URI_OK("http://a-b.c_d~e!$&'()*+,;=/", 0, "http", NULL, "a-b.c_d~e!$&'()*+,;=", -1,
	    "/", NULL, NULL, NULL);
	URI_OK("http://%41b%2e/", 0, "http", NULL, "%41b%2e", -1, "/", NULL, NULL, NULL);
	URI_BAD("http://ho st/", 0);
	URI_BAD("http://ho\"st/", 0);
	URI_BAD("http://h%zz/", 0);
	URI_BAD("http://a:b:c/", 0);
	URI_BAD("http://h<>/", 0);
}

static void test_userinfo(void)
{
	URI_OK("http://a:b:c@h/", 0, "http", "a:b:c", "h", -1, "/", NULL, NULL, NULL);
	URI_OK("http://@h/", 0, "http", "", "h", -1, "/", NULL, NULL, NULL);
	URI_OK("http://u@/", 0, "http", "u", "", -1, "/", NULL, NULL, NULL);
	URI_OK("http://u%20x;y=z@h:1/", 0, "http", "u%20x;y=z", "h", 1, "/", NULL, NULL, NULL);
	/* Only the first '@' ends the userinfo; a second one is not a host character. */
	URI_BAD("http://a@b@c/", 0);
	URI_BAD("http://us er@h/", 0);
	URI_BAD("http://u%2@h/", 0);
	URI_BAD("http://u[x]@h/", 0);
}

static void test_relative(void)
{
	URI_OK("/just/a/path?q=1#f", 0, NULL, NULL, NULL, -1, "/just/a/path", "q=1", "f",
	    NULL);
	URI_OK("relative/path", 0, NULL, NULL, NULL, -1, "relative/path", NULL, NULL, NULL);
	URI_OK("./a:b", 0, NULL, NULL, NULL, -1, "./a:b", NULL, NULL, NULL);
	URI_OK("", 0, NULL, NULL, NULL, -1, "", NULL, NULL, NULL);
	URI_OK("?q", 0, NULL, NULL, NULL, -1, "", "q", NULL, NULL);
	URI_OK("#", 0, NULL, NULL, NULL, -1, "", NULL, "", NULL);
	URI_OK("*", 0, NULL, NULL, NULL, -1, "*", NULL, NULL, NULL);
	/* A network-path reference: authority without a scheme. */
	URI_OK("//h:9/p", 0, NULL, NULL, "h", 9, "/p", NULL, NULL, NULL);
	/* A single letter is a scheme. */
	URI_OK("a:b/c:d", 0, "a", NULL, NULL, -1, "b/c:d", NULL, NULL, NULL);
	/* Without a scheme, the first segment may not hold a colon... */
	URI_BAD("1http://h/", 0);
	URI_BAD("-x:y", 0);
	URI_BAD(":", 0);
	URI_BAD(":x", 0);
	/* ...but after a slash it may. */
	URI_OK("a/b:c", 0, NULL, NULL, NULL, -1, "a/b:c", NULL, NULL, NULL);
}

static void test_nonconformant(void)
{
	/* Characters a strict parse refuses. */
	URI_BAD("http://h/p a", 0);
	URI_BAD("http://h/p?a b", 0);
	URI_BAD("http://h/p#f#g", 0);
	URI_BAD("http://h/p%zz", 0);
	URI_BAD("http://h/p[1]", 0);
	URI_BAD("/a\"b", 0);
	URI_BAD("/a{b}", 0);
	URI_BAD("/a|b", 0);
	URI_BAD("/a\\b", 0);
	URI_BAD("/a^b", 0);
	URI_BAD("/a`b", 0);
	URI_BAD("/a\x7f", 0);
	URI_BAD("/a\x80", 0);
	URI_BAD("/a<b>", 0);
	/* NONCONFORMANT: the path runs to '?' or '#', the query to '#', the fragment to
	 * the end, whatever the characters. */
	URI_OK("http://h/p a", NC, "http", NULL, "h", -1, "/p a", NULL, NULL, NULL);
	URI_OK("http://h/p?a b#c d#e", NC, "http", NULL, "h", -1, "/p", "a b", "c d#e", NULL);
	URI_OK("http://h/p%zz[1]{}|\"<>", NC, "http", NULL, "h", -1, "/p%zz[1]{}|\"<>", NULL,
	    NULL, NULL);
	URI_OK("/a\x80\x7f?\x01", NC, NULL, NULL, NULL, -1, "/a\x80\x7f", "\x01", NULL, NULL);
	/* The authority is still checked. */
	URI_BAD("http://ho st/", NC);
	URI_BAD("http://h:x/", NC);
	URI_BAD("1a:b", NC);
}

static void test_getters_on_new(void)
{
	struct evhttp_uri *uri = evhttp_uri_new();
	char buf[64];

	REQUIRE(uri != NULL);
	CHECK(evhttp_uri_get_scheme(uri) == NULL);
	CHECK(evhttp_uri_get_userinfo(uri) == NULL);
	CHECK(evhttp_uri_get_host(uri) == NULL);
	CHECK_INT_EQ(evhttp_uri_get_port(uri), -1);
	CHECK(evhttp_uri_get_path(uri) == NULL);
	CHECK(evhttp_uri_get_query(uri) == NULL);
	CHECK(evhttp_uri_get_fragment(uri) == NULL);
	/* An empty URI joins to the empty string. */
	memset(buf, 'x', sizeof(buf));
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "");
	CHECK(evhttp_uri_join(uri, buf, 1) == buf);
	CHECK(evhttp_uri_join(uri, buf, 0) == NULL);
	CHECK(evhttp_uri_join(uri, NULL, 10) == NULL);
	evhttp_uri_free(uri);
}

static void test_setters(void)
{
	struct evhttp_uri *uri = evhttp_uri_new();
	char buf[256];

	REQUIRE(uri != NULL);
	CHECK_INT_EQ(evhttp_uri_set_scheme(uri, "http"), 0);
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "example.com"), 0);
	CHECK_INT_EQ(evhttp_uri_set_port(uri, 8080), 0);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/a/b"), 0);
	CHECK_INT_EQ(evhttp_uri_set_query(uri, "x=1&y=2"), 0);
	CHECK_INT_EQ(evhttp_uri_set_fragment(uri, "top"), 0);
	CHECK_INT_EQ(evhttp_uri_set_userinfo(uri, "me:secret"), 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://me:secret@example.com:8080/a/b?x=1&y=2#top");

	/* Refused values leave the old ones. */
	CHECK_INT_EQ(evhttp_uri_set_scheme(uri, "1http"), -1);
	CHECK_INT_EQ(evhttp_uri_set_scheme(uri, ""), -1);
	CHECK_INT_EQ(evhttp_uri_set_scheme(uri, "ht tp"), -1);
	CHECK_INT_EQ(evhttp_uri_set_scheme(uri, "http:"), -1);
	CHECK_STR_EQ(evhttp_uri_get_scheme(uri), "http");
	CHECK_INT_EQ(evhttp_uri_set_userinfo(uri, "a b"), -1);
	CHECK_INT_EQ(evhttp_uri_set_userinfo(uri, "a@b"), -1);
	CHECK_INT_EQ(evhttp_uri_set_userinfo(uri, "a%4"), -1);
	CHECK_STR_EQ(evhttp_uri_get_userinfo(uri), "me:secret");
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "ex ample"), -1);
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "[::1"), -1);
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "[1:2]"), -1);
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "a:b"), -1);
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "a/b"), -1);
	CHECK_STR_EQ(evhttp_uri_get_host(uri), "example.com");
	CHECK_INT_EQ(evhttp_uri_set_port(uri, -2), -1);
	CHECK_INT_EQ(evhttp_uri_get_port(uri), 8080);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/a b"), -1);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/a?b"), -1);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/a#b"), -1);
	CHECK_STR_EQ(evhttp_uri_get_path(uri), "/a/b");
	CHECK_INT_EQ(evhttp_uri_set_query(uri, "a#b"), -1);
	CHECK_INT_EQ(evhttp_uri_set_query(uri, "a b"), -1);
	CHECK_STR_EQ(evhttp_uri_get_query(uri), "x=1&y=2");
	CHECK_INT_EQ(evhttp_uri_set_fragment(uri, "x#y"), -1);
	CHECK_INT_EQ(evhttp_uri_set_fragment(uri, "x y"), -1);
	CHECK_STR_EQ(evhttp_uri_get_fragment(uri), "top");

	/* Other accepted values. */
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "[::1]"), 0);
	CHECK_STR_EQ(evhttp_uri_get_host(uri), "[::1]");
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "[v1.x]"), 0);
	CHECK_INT_EQ(evhttp_uri_set_host(uri, ""), 0);
	CHECK_STR_EQ(evhttp_uri_get_host(uri), "");
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "h"), 0);
	CHECK_INT_EQ(evhttp_uri_set_port(uri, -1), 0);
	CHECK_INT_EQ(evhttp_uri_get_port(uri), -1);
	CHECK_INT_EQ(evhttp_uri_set_port(uri, 0), 0);
	CHECK_INT_EQ(evhttp_uri_get_port(uri), 0);
	/* Only negative ports below -1 are refused: the range is not checked. */
	CHECK_INT_EQ(evhttp_uri_set_port(uri, 70000), 0);
	CHECK_INT_EQ(evhttp_uri_get_port(uri), 70000);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://me:secret@h:70000/a/b?x=1&y=2#top");
	CHECK_INT_EQ(evhttp_uri_set_query(uri, "a?b/c:d@e"), 0);
	CHECK_INT_EQ(evhttp_uri_set_fragment(uri, "f?g"), 0);
	CHECK_INT_EQ(evhttp_uri_set_query(uri, ""), 0);
	CHECK_INT_EQ(evhttp_uri_set_fragment(uri, ""), 0);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, ""), 0);
	CHECK_INT_EQ(evhttp_uri_set_port(uri, -1), 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://me:secret@h?#");

	/* NULL clears each part. */
	CHECK_INT_EQ(evhttp_uri_set_userinfo(uri, NULL), 0);
	CHECK_INT_EQ(evhttp_uri_set_query(uri, NULL), 0);
	CHECK_INT_EQ(evhttp_uri_set_fragment(uri, NULL), 0);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, NULL), 0);
	CHECK(evhttp_uri_get_userinfo(uri) == NULL);
	CHECK(evhttp_uri_get_query(uri) == NULL);
	CHECK(evhttp_uri_get_fragment(uri) == NULL);
	CHECK(evhttp_uri_get_path(uri) == NULL);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://h");
	CHECK_INT_EQ(evhttp_uri_set_host(uri, NULL), 0);
	CHECK(evhttp_uri_get_host(uri) == NULL);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "x"), 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http:x");
	CHECK_INT_EQ(evhttp_uri_set_scheme(uri, NULL), 0);
	CHECK(evhttp_uri_get_scheme(uri) == NULL);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "x");

	/* With a host, a path that does not start with '/' cannot be joined. */
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "h"), 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == NULL);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/x"), 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "//h/x");

	/* A NONCONFORMANT URI takes paths, queries and fragments a strict one refuses. */
	evhttp_uri_set_flags(uri, EVHTTP_URI_NONCONFORMANT);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/a b"), 0);
	CHECK_INT_EQ(evhttp_uri_set_query(uri, "q r"), 0);
	CHECK_INT_EQ(evhttp_uri_set_fragment(uri, "f#g"), 0);
	/* ... but not a '?' or '#' in the path, nor a '#' in the query. */
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/a?b"), -1);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/a#b"), -1);
	CHECK_INT_EQ(evhttp_uri_set_query(uri, "a#b"), -1);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "//h/a b?q r#f#g");
	/* Back to strict: the setters check again. */
	evhttp_uri_set_flags(uri, 0);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/c d"), -1);
	CHECK_STR_EQ(evhttp_uri_get_path(uri), "/a b");
	evhttp_uri_free(uri);
}

static void test_join_limits(void)
{
	const char *src = "http://h:1/p?q#f";
	struct evhttp_uri *uri = evhttp_uri_parse(src);
	char buf[64];
	size_t need = strlen(src) + 1;

	REQUIRE(uri != NULL);
	/* The limit counts the NUL. */
	memset(buf, 'z', sizeof(buf));
	CHECK(evhttp_uri_join(uri, buf, need - 1) == NULL);
	CHECK(evhttp_uri_join(uri, buf, need) == buf);
	CHECK_STR_EQ(buf, src);
	CHECK(evhttp_uri_join(uri, buf, 0) == NULL);
	CHECK(evhttp_uri_join(uri, NULL, sizeof(buf)) == NULL);
	CHECK(evhttp_uri_join(NULL, buf, sizeof(buf)) == NULL);
	evhttp_uri_free(uri);

	/* evhttp_uri_parse is parse_with_flags(0). */
	CHECK(evhttp_uri_parse("http://h/a b") == NULL);
}

/* Every URI that parses joins back to itself (for those without an empty port or a
 * port with leading zeros) and parses again to the same parts. */
static void test_round_trips(void)
{
	static const char *const uris[] = {
		"http://www.example.com:8080/path/to?x=1&y=2#frag",
		"https://u:p@[2001:db8::1]:443/a%2Fb?c=d&e#f",
		"//h/p",
		"/p?q",
		"p",
		"?",
		"#",
		"",
		"mailto:a@b",
		"x://[v1.a]:0",
		"http://h/?a?b#c?d",
	};
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		struct evhttp_uri *a = evhttp_uri_parse(uris[i]), *b;
		char buf1[256], buf2[256];
		CHECK(a != NULL);
		if (!a)
			continue;
		CHECK(evhttp_uri_join(a, buf1, sizeof(buf1)) == buf1);
		CHECK_STR_EQ(buf1, uris[i]);
		b = evhttp_uri_parse(buf1);
		CHECK(b != NULL);
		if (b) {
			CHECK(evhttp_uri_join(b, buf2, sizeof(buf2)) == buf2);
			CHECK_STR_EQ(buf2, buf1);
			CHECK_INT_EQ(evhttp_uri_get_port(b), evhttp_uri_get_port(a));
			evhttp_uri_free(b);
		}
		evhttp_uri_free(a);
	}
}

int main(void)
{
	test_absolute();
	test_ports();
	test_hosts();
	test_userinfo();
	test_relative();
	test_nonconformant();
	test_getters_on_new();
	test_setters();
	test_join_limits();
	test_round_trips();
	return check_report();
}
