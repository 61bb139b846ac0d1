/* evutil calls given NULL pointers or impossible values answer with an error instead
 * of crashing; plus the few places where evrs deliberately differs from libevent:
 * evutil_inet_ntop refuses a buffer one byte short (libevent returns the address
 * truncated), evutil_secure_rng_set_urandom_device_file reports success, and a
 * monotonic timer works before it is configured. */
// test: evrs-only libevent dereferences NULL in these calls and differs on purpose in a few
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "check.h"

/* Passes a format that the compiler cannot see. */
static int format_through(char *buf, size_t len, const char *format, ...)
{
	va_list ap;
	int r;

	va_start(ap, format);
	r = evutil_vsnprintf(buf, len, format, ap);
	va_end(ap);
	return r;
}

static void test_text(void)
{
	char buf[16];
	char *end = buf;

	CHECK_INT_EQ(evutil_ascii_strcasecmp(NULL, "a"), -1);
	CHECK_INT_EQ(evutil_ascii_strcasecmp("a", NULL), 1);
	CHECK_INT_EQ(evutil_ascii_strcasecmp(NULL, NULL), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp(NULL, "a", 1), -1);
	CHECK_INT_EQ(evutil_ascii_strncasecmp("a", NULL, 1), 1);
	CHECK_INT_EQ(evutil_ascii_strncasecmp(NULL, NULL, 5), 0);
	CHECK_INT_EQ(evutil_ascii_strncasecmp(NULL, "a", 0), 0);

	errno = 0;
	CHECK(evutil_strtoll(NULL, &end, 10) == 0);
	CHECK(end == NULL);
	CHECK_INT_EQ(errno, EINVAL);
	CHECK(evutil_strtoll(NULL, NULL, 10) == 0);

	CHECK_INT_EQ(evutil_snprintf(NULL, 10, "%d", 1), -1);
	CHECK_INT_EQ(format_through(buf, sizeof(buf), NULL), -1);
	CHECK_INT_EQ(format_through(NULL, 0, NULL), 0);
}

static void test_addresses(void)
{
	struct in_addr in;
	struct in6_addr in6;
	struct sockaddr_storage ss;
	char buf[64];
	int len = sizeof(ss);
	unsigned index;

	in.s_addr = htonl(0x7f000001);
	CHECK(evutil_inet_ntop(AF_INET, NULL, buf, sizeof(buf)) == NULL);
	CHECK(evutil_inet_ntop(AF_INET, &in, NULL, sizeof(buf)) == NULL);
	CHECK(evutil_inet_ntop(AF_INET6, NULL, buf, sizeof(buf)) == NULL);

	/* "::1" with its terminator needs 4 bytes; 3 are refused, not truncated. */
	REQUIRE(evutil_inet_pton(AF_INET6, "::1", &in6) == 1);
	memset(buf, 'x', sizeof(buf));
	CHECK(evutil_inet_ntop(AF_INET6, &in6, buf, 3) == NULL);
	CHECK_INT_EQ(buf[0], 'x');

	CHECK_INT_EQ(evutil_inet_pton(AF_INET, NULL, &in), -1);
	CHECK_INT_EQ(evutil_inet_pton(AF_INET, "1.2.3.4", NULL), -1);
	CHECK_INT_EQ(evutil_inet_pton(AF_INET6, NULL, &in6), -1);

	index = 99;
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, NULL, &in6, &index), -1);
	CHECK_UINT_EQ(index, 0);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "::1", NULL, &index), -1);
	/* The index is optional. */
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "fe80::1%2", &in6, NULL), 1);

	CHECK_INT_EQ(evutil_parse_sockaddr_port(NULL, (struct sockaddr *)&ss, &len), -1);
	CHECK_INT_EQ(evutil_parse_sockaddr_port("1.2.3.4:80", NULL, &len), -1);
	CHECK_INT_EQ(evutil_parse_sockaddr_port("1.2.3.4:80", (struct sockaddr *)&ss, NULL), -1);
	CHECK_INT_EQ(len, (int)sizeof(ss));

	REQUIRE(evutil_parse_sockaddr_port("1.2.3.4:80", (struct sockaddr *)&ss, &len) == 0);
	CHECK_INT_EQ(evutil_sockaddr_cmp(NULL, (struct sockaddr *)&ss, 1), -1);
	CHECK_INT_EQ(evutil_sockaddr_cmp((struct sockaddr *)&ss, NULL, 1), -1);
	CHECK_INT_EQ(evutil_sockaddr_cmp(NULL, NULL, 0), -1);
}

static void test_sockets_and_resolution(void)
{
	struct evutil_addrinfo *ai = NULL;

	errno = 0;
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, NULL), -1);
	CHECK_INT_EQ(errno, EINVAL);

	CHECK_INT_EQ(evutil_getaddrinfo("127.0.0.1", "80", NULL, NULL), EVUTIL_EAI_FAIL);
	CHECK_INT_EQ(evutil_getaddrinfo(NULL, NULL, NULL, &ai), EVUTIL_EAI_NONAME);
	CHECK(ai == NULL);
	evutil_freeaddrinfo(NULL);

	/* The portable spellings of two codes, used where the C library hides its own. */
	CHECK_STR_EQ(evutil_gai_strerror(-901), "address family for nodename not supported");
	CHECK_STR_EQ(evutil_gai_strerror(-907), "no address associated with nodename");
}

static void test_rng(void)
{
	char buf[16];

	evutil_secure_rng_get_bytes(NULL, 16);
	evutil_secure_rng_add_bytes(NULL, 16);
	/* The device file is only a fallback, recorded and reported as accepted. */
	CHECK_INT_EQ(evutil_secure_rng_set_urandom_device_file("/nonexistent/device"), 0);
	CHECK_INT_EQ(evutil_secure_rng_init(), 0);
	memset(buf, 0, sizeof(buf));
	evutil_secure_rng_get_bytes(buf, sizeof(buf));
	CHECK_INT_EQ(evutil_secure_rng_set_urandom_device_file(NULL), 0);
}

static void test_time(void)
{
	struct evutil_monotonic_timer *timer = evutil_monotonic_timer_new();
	struct timeval tv;
	struct tm tm;
	time_t zero = 0;
	char buf[64];

	REQUIRE(timer != NULL);
	/* Before evutil_configure_monotonic_time it reads the precise clock. */
	CHECK_INT_EQ(evutil_gettime_monotonic(timer, &tv), 0);
	CHECK_INT_EQ(evutil_gettime_monotonic(timer, NULL), -1);
	CHECK_INT_EQ(evutil_gettime_monotonic(NULL, &tv), -1);
	CHECK_INT_EQ(evutil_configure_monotonic_time(NULL, 0), -1);
	/* Unknown flags are ignored. */
	CHECK_INT_EQ(evutil_configure_monotonic_time(timer, 0x100), 0);
	evutil_monotonic_timer_free(timer);

	gmtime_r(&zero, &tm);
	CHECK_INT_EQ(evutil_date_rfc1123(NULL, 30, &tm), -1);
	CHECK_INT_EQ(evutil_date_rfc1123(NULL, 0, &tm), 0);
	/* No name for these weekdays and months. */
	memset(buf, 'x', sizeof(buf));
	tm.tm_wday = 7;
	CHECK_INT_EQ(evutil_date_rfc1123(buf, sizeof(buf), &tm), -1);
	CHECK_INT_EQ(buf[0], 'x');
	tm.tm_wday = -1;
	CHECK_INT_EQ(evutil_date_rfc1123(buf, sizeof(buf), &tm), -1);
	tm.tm_wday = 0;
	tm.tm_mon = 12;
	CHECK_INT_EQ(evutil_date_rfc1123(buf, sizeof(buf), &tm), -1);
	tm.tm_mon = -1;
	CHECK_INT_EQ(evutil_date_rfc1123(buf, sizeof(buf), &tm), -1);
	tm.tm_mon = 11;
	CHECK_INT_EQ(evutil_date_rfc1123(buf, sizeof(buf), &tm), 29);
	CHECK_STR_EQ(buf, "Sun, 01 Dec 1970 00:00:00 GMT");
}

int main(void)
{
	test_text();
	test_addresses();
	test_sockets_and_resolution();
	test_rng();
	test_time();
	return check_report();
}
