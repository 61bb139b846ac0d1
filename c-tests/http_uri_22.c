/* URI flags that libevent 2.2 added: EVHTTP_URI_HOST_STRIP_BRACKETS (the host of an IPv6
 * or IPvFuture literal without its brackets, which evhttp_uri_join puts back, also
 * through evhttp_uri_set_host) and EVHTTP_URI_UNIX_SOCKET ("unix:PATH:" authorities,
 * evhttp_uri_get_unixsocket / evhttp_uri_set_unixsocket and how they join).
 *
 * Only Unix socket paths without a '/' are parsed here: libevent 2.2.1 takes the socket
 * path for the URI path too when the socket path has a slash in it
 * ("http://unix:/tmp/s:/x" gives the path "/tmp/s" instead of "/x"). */
// test: requires 2.2
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

static const unsigned STRIP = EVHTTP_URI_HOST_STRIP_BRACKETS;
static const unsigned UNIX = EVHTTP_URI_UNIX_SOCKET;

static void check_uri(int line, const char *src, unsigned flags, const char *userinfo,
    const char *host, const char *unixsocket, int port, const char *path,
    const char *query, const char *fragment, const char *joined)
{
	unsigned failed_before = check_failed_;
	struct evhttp_uri *uri = evhttp_uri_parse_with_flags(src, flags);
	char buf[512];

	CHECK(uri != NULL);
	if (uri) {
		CHECK_OPT_STR(evhttp_uri_get_userinfo(uri), userinfo);
		CHECK_OPT_STR(evhttp_uri_get_host(uri), host);
		CHECK_OPT_STR(evhttp_uri_get_unixsocket(uri), unixsocket);
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

#define URI_OK(src, flags, userinfo, host, unixsocket, port, path, query, fragment, \
    joined) \
	check_uri(__LINE__, src, flags, userinfo, host, unixsocket, port, path, query, \
	    fragment, joined)

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

static void test_strip_brackets(void)
{
	/* The host is given without brackets; joining puts them back. */
	URI_OK("http://[::1]:8080/x", STRIP, NULL, "::1", NULL, 8080, "/x", NULL, NULL, NULL);
	URI_OK("http://[2001:db8::7]", STRIP, NULL, "2001:db8::7", NULL, -1, "", NULL, NULL,
	    NULL);
	URI_OK("http://u@[fe80::1]/p?q#f", STRIP, "u", "fe80::1", NULL, -1, "/p", "q", "f",
	    NULL);
	URI_OK("http://[v7.abc]/", STRIP, NULL, "v7.abc", NULL, -1, "/", NULL, NULL, NULL);
	/* Other hosts are as without the flag. */
	URI_OK("http://h:1/", STRIP, NULL, "h", NULL, 1, "/", NULL, NULL, NULL);
	URI_OK("http://127.0.0.1/", STRIP, NULL, "127.0.0.1", NULL, -1, "/", NULL, NULL, NULL);
	/* Without the flag the brackets stay. */
	URI_OK("http://[::1]:8080/x", 0, NULL, "[::1]", NULL, 8080, "/x", NULL, NULL, NULL);
	/* Bad literals are refused either way. */
	URI_BAD("http://[::1/", STRIP);
	URI_BAD("http://[1:2:3]/", STRIP);
	URI_BAD("http://[]/", STRIP);
}

static void test_set_host_strip(void)
{
	struct evhttp_uri *uri = evhttp_uri_new();
	char buf[128];

	REQUIRE(uri != NULL);
	evhttp_uri_set_flags(uri, STRIP);
	CHECK_INT_EQ(evhttp_uri_set_scheme(uri, "http"), 0);
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "[::2]"), 0);
	CHECK_STR_EQ(evhttp_uri_get_host(uri), "::2");
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://[::2]");
	/* A refused host leaves the old one. */
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "[::2"), -1);
	CHECK_STR_EQ(evhttp_uri_get_host(uri), "::2");
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://[::2]");
	/* A plain host is joined without brackets. */
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "plain"), 0);
	CHECK_STR_EQ(evhttp_uri_get_host(uri), "plain");
	CHECK_INT_EQ(evhttp_uri_set_port(uri, 81), 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://plain:81");
	/* And a bracketed one again with them. */
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "[v1.x]"), 0);
	CHECK_STR_EQ(evhttp_uri_get_host(uri), "v1.x");
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://[v1.x]:81");
	evhttp_uri_free(uri);

	/* Without the flag, set_host keeps the brackets in the host. */
	uri = evhttp_uri_new();
	REQUIRE(uri != NULL);
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "[::3]"), 0);
	CHECK_STR_EQ(evhttp_uri_get_host(uri), "[::3]");
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "//[::3]");
	evhttp_uri_free(uri);
}

static void test_unix_socket(void)
{
	/* "unix:PATH:" in place of host and port. */
	URI_OK("http://unix:a:/p?q#f", UNIX, NULL, NULL, "a", -1, "/p", "q", "f", NULL);
	URI_OK("http://unix:a:", UNIX, NULL, NULL, "a", -1, "", NULL, NULL, NULL);
	URI_OK("http://unix:sock.s:/x", UNIX, NULL, NULL, "sock.s", -1, "/x", NULL, NULL, NULL);
	URI_OK("http://me:pw@unix:a:/p", UNIX, "me:pw", NULL, "a", -1, "/p", NULL, NULL, NULL);
	/* An empty socket path. */
	URI_OK("http://unix::/x", UNIX, NULL, NULL, "", -1, "/x", NULL, NULL, NULL);
	/* Without the closing colon it is not a URI. */
	URI_BAD("http://unix:a", UNIX);
	URI_BAD("http://unix:80/x", UNIX);
	/* Without the flag, "unix" is an ordinary host. */
	URI_OK("http://unix:80/x", 0, NULL, "unix", NULL, 80, "/x", NULL, NULL, NULL);
	URI_BAD("http://unix:a:/p", 0);
	/* Other hosts are as without the flag. */
	URI_OK("http://h:2/p", UNIX, NULL, "h", NULL, 2, "/p", NULL, NULL, NULL);
	URI_OK("http://[::1]/p", UNIX | STRIP, NULL, "::1", NULL, -1, "/p", NULL, NULL, NULL);
	/* Ordinary URIs have no socket. */
	URI_OK("http://h/", 0, NULL, "h", NULL, -1, "/", NULL, NULL, NULL);
}

static void test_set_unixsocket(void)
{
	struct evhttp_uri *uri = evhttp_uri_new();
	char buf[128];

	REQUIRE(uri != NULL);
	CHECK(evhttp_uri_get_unixsocket(uri) == NULL);
	CHECK_INT_EQ(evhttp_uri_set_scheme(uri, "http"), 0);
	CHECK_INT_EQ(evhttp_uri_set_host(uri, "plain"), 0);
	CHECK_INT_EQ(evhttp_uri_set_path(uri, "/p"), 0);
	CHECK_INT_EQ(evhttp_uri_set_unixsocket(uri, "/run/x.sock"), 0);
	CHECK_STR_EQ(evhttp_uri_get_unixsocket(uri), "/run/x.sock");
	/* The socket takes the place of the host when joining. */
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://unix:/run/x.sock:/p");
	CHECK_INT_EQ(evhttp_uri_set_userinfo(uri, "me"), 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://me@unix:/run/x.sock:/p");
	/* Cleared: the host is back. */
	CHECK_INT_EQ(evhttp_uri_set_unixsocket(uri, NULL), 0);
	CHECK(evhttp_uri_get_unixsocket(uri) == NULL);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://me@plain/p");
	/* A socket without a host. */
	CHECK_INT_EQ(evhttp_uri_set_host(uri, NULL), 0);
	CHECK_INT_EQ(evhttp_uri_set_userinfo(uri, NULL), 0);
	CHECK_INT_EQ(evhttp_uri_set_unixsocket(uri, "s"), 0);
	CHECK(evhttp_uri_join(uri, buf, sizeof(buf)) == buf);
	CHECK_STR_EQ(buf, "http://unix:s:/p");
	evhttp_uri_free(uri);
}

int main(void)
{
	test_strip_brackets();
	test_set_host_strip();
	test_unix_socket();
	test_set_unixsocket();
	return check_report();
}
