/* Addresses as text: evutil_inet_pton, evutil_inet_pton_scope, evutil_inet_ntop,
 * evutil_parse_sockaddr_port, and the ordering of evutil_sockaddr_cmp. Good, boundary
 * and malformed input, including libevent's lenient corners. */
#include <event2/util.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "check.h"

struct v4_case {
	const char *text;
	uint32_t value; /* host order */
	int ok;
};

static const struct v4_case v4_cases[] = {
	{ "1.2.3.4", 0x01020304u, 1 },
	{ "255.255.255.255", 0xffffffffu, 1 },
	{ "0.0.0.0", 0, 1 },
	{ "176.192.208.244", 0xb0c0d0f4u, 1 },
	{ "01.02.03.004", 0x01020304u, 1 }, /* decimal, not octal */
	{ " 1.2.3.4", 0x01020304u, 1 },     /* scanf skips leading blanks */
	{ "256.0.0.0", 0, 0 },
	{ "1.2.3.256", 0, 0 },
	{ "ABC", 0, 0 },
	{ "1.2.3.4.5", 0, 0 },
	{ "1.2.3", 0, 0 },
	{ "1.2.3.4 ", 0, 0 },
	{ "1.2.3.4x", 0, 0 },
	{ "1..2.3", 0, 0 },
	{ "", 0, 0 },
	{ ".", 0, 0 },
	{ "0x1.2.3.4", 0, 0 },
	{ NULL, 0, 0 },
};

struct v6_case {
	const char *text;
	const char *printed; /* NULL: does not parse */
};

static const struct v6_case v6_cases[] = {
	{ "::", "::" },
	{ "0:0:0:0:0:0:0:0", "::" },
	{ "::1", "::1" },
	{ "::1.2.3.4", "::1.2.3.4" },
	{ "ffff:1::", "ffff:1::" },
	{ "ffff:0000::", "ffff::" },
	{ "ffff::1234", "ffff::1234" },
	{ "0102::1.2.3.4", "102::102:304" },
	{ "::9:c0a8:1:1", "::9:c0a8:1:1" },
	{ "::ffff:1.2.3.4", "::ffff:1.2.3.4" },
	{ "FFFF::", "ffff::" },
	{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
	{ "1:0:0:2:0:0:0:3", "1:0:0:2::3" },
	{ "1:0:0:2:0:0:3:4", "1::2:0:0:3:4" },
	{ "1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7" },
	{ "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0" },
	{ "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304" },
	{ "::0.0.0.1", "::1" },
	{ "::0.1.0.0", "::1:0" },
	{ "fe80::1", "fe80::1" },
	{ "foobar.", NULL },
	{ "foobar", NULL },
	{ "fo:obar", NULL },
	{ "ffff", NULL },
	{ "fffff::", NULL },
	{ "::1.0.1.1000", NULL },
	{ "1:2:33333:4::", NULL },
	{ "1:2:3:4:5:6:7:8:9", NULL },
	{ "1:2:3:4:5:6:7:8::", NULL },
	{ "1:2:3:4:5:6:7:1.2.3.4", NULL },
	{ "1::2::3", NULL },
	{ ":::1", NULL },
	{ ":1::", NULL },
	{ ":", NULL },
	{ "", NULL },
	{ ".1.2.3.4", NULL },
	{ "::1.2.3", NULL },
	{ "fe80::1%lo", NULL },
	{ "1.2.3.4", NULL },
	{ NULL, NULL },
};

static void test_ipv4(void)
{
	const struct v4_case *c;
	char printed[INET_ADDRSTRLEN];
	char huge[1001];
	struct in_addr in;
	int i;

	for (c = v4_cases; c->text; ++c) {
		in.s_addr = 0xdeadbeef;
		int r = evutil_inet_pton(AF_INET, c->text, &in);
		CHECK_INT_EQ(r, c->ok);
		if (r == 1) {
			CHECK_UINT_EQ(ntohl(in.s_addr), c->value);
		} else {
			/* A failed parse leaves the output alone. */
			CHECK_UINT_EQ(in.s_addr, 0xdeadbeef);
			if (c->ok)
				fprintf(stderr, "     (%s)\n", c->text);
		}
	}

	in.s_addr = htonl(0x01020304);
	CHECK(evutil_inet_ntop(AF_INET, &in, printed, sizeof(printed)) == printed);
	CHECK_STR_EQ(printed, "1.2.3.4");
	in.s_addr = htonl(0xffffffff);
	CHECK(evutil_inet_ntop(AF_INET, &in, printed, sizeof(printed)) == printed);
	CHECK_STR_EQ(printed, "255.255.255.255");

	/* "1.2.3.4" needs 8 bytes with its terminator. */
	in.s_addr = htonl(0x01020304);
	CHECK(evutil_inet_ntop(AF_INET, &in, printed, 8) == printed);
	CHECK(evutil_inet_ntop(AF_INET, &in, printed, 7) == NULL);
	CHECK(evutil_inet_ntop(AF_INET, &in, printed, 0) == NULL);

	/* Long input is just malformed. */
	memset(huge, '1', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	CHECK_INT_EQ(evutil_inet_pton(AF_INET, huge, &in), 0);
	for (i = 0; i + 2 < (int)sizeof(huge) - 1; i += 2)
		memcpy(huge + i, "1.", 2);
	CHECK_INT_EQ(evutil_inet_pton(AF_INET, huge, &in), 0);
}

static void test_ipv6(void)
{
	const struct v6_case *c;
	char printed[128], huge[1001];
	struct in6_addr in6, check;

	for (c = v6_cases; c->text; ++c) {
		memset(&in6, 0xab, sizeof(in6));
		int r = evutil_inet_pton(AF_INET6, c->text, &in6);
		CHECK_INT_EQ(r, c->printed ? 1 : 0);
		if (r != (c->printed ? 1 : 0))
			fprintf(stderr, "     (%s)\n", c->text);
		if (r != 1) {
			memset(&check, 0xab, sizeof(check));
			CHECK_MEM_EQ(&in6, &check, sizeof(in6));
			continue;
		}
		/* The system parser agrees on every canonical address. */
		if (inet_pton(AF_INET6, c->text, &check) == 1)
			CHECK_MEM_EQ(&in6, &check, sizeof(in6));
		CHECK(evutil_inet_ntop(AF_INET6, &in6, printed, sizeof(printed)) == printed);
		CHECK_STR_EQ(printed, c->printed);
	}

	/* Buffer sizes: "::1" needs 4 bytes. */
	CHECK_INT_EQ(evutil_inet_pton(AF_INET6, "::1", &in6), 1);
	CHECK(evutil_inet_ntop(AF_INET6, &in6, printed, 4) == printed);
	CHECK_STR_EQ(printed, "::1");
	CHECK(evutil_inet_ntop(AF_INET6, &in6, printed, 2) == NULL);
	CHECK(evutil_inet_ntop(AF_INET6, &in6, printed, 0) == NULL);
	CHECK_INT_EQ(evutil_inet_pton(AF_INET6, "1111:2222:3333:4444:5555:6666:7777:8888", &in6), 1);
	CHECK(evutil_inet_ntop(AF_INET6, &in6, printed, 40) == printed);
	CHECK_STR_EQ(printed, "1111:2222:3333:4444:5555:6666:7777:8888");
	CHECK(evutil_inet_ntop(AF_INET6, &in6, printed, 20) == NULL);

	memset(huge, 'f', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	CHECK_INT_EQ(evutil_inet_pton(AF_INET6, huge, &in6), 0);
	memset(huge, ':', sizeof(huge) - 1);
	CHECK_INT_EQ(evutil_inet_pton(AF_INET6, huge, &in6), 0);

	/* Families other than IPv4 and IPv6. */
	CHECK_INT_EQ(evutil_inet_pton(AF_UNIX, "1.2.3.4", &in6), -1);
	CHECK(evutil_inet_ntop(AF_UNIX, &in6, printed, sizeof(printed)) == NULL);
}

static void test_scope(void)
{
	struct in6_addr in6, want;
	struct in_addr in;
	unsigned index = 99;
	unsigned lo = if_nametoindex("lo");
	char zone[1001];

	inet_pton(AF_INET6, "2001:db8::", &want);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "2001:DB8::", &in6, &index), 1);
	CHECK_MEM_EQ(&in6, &want, sizeof(want));
	CHECK_UINT_EQ(index, 0);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "2001:DB8::%0", &in6, &index), 1);
	CHECK_UINT_EQ(index, 0);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "2001:DB8::%1", &in6, &index), 1);
	CHECK_MEM_EQ(&in6, &want, sizeof(want));
	CHECK_UINT_EQ(index, 1);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "2001:DB8::%12345", &in6, &index), 1);
	CHECK_UINT_EQ(index, 12345);
	index = 99;
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "2001:DB8::%does-not-exist", &in6, &index), 0);
	CHECK_UINT_EQ(index, 0);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "2001:DB8::%1x", &in6, &index), 0);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "foobar.", &in6, &index), 0);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "foobar%1", &in6, &index), 0);
	memset(zone, 'z', sizeof(zone) - 1);
	zone[sizeof(zone) - 1] = '\0';
	memcpy(zone, "fe80::1%", 8);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, zone, &in6, &index), 0);
	if (lo) {
		CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET6, "fe80::1%lo", &in6, &index), 1);
		CHECK_UINT_EQ(index, lo);
		inet_pton(AF_INET6, "fe80::1", &want);
		CHECK_MEM_EQ(&in6, &want, sizeof(want));
	}

	/* Other families parse as evutil_inet_pton does, zone or not. */
	index = 99;
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET, "1.2.3.4", &in, &index), 1);
	CHECK_UINT_EQ(ntohl(in.s_addr), 0x01020304);
	CHECK_UINT_EQ(index, 0);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_INET, "1.2.3.4%1", &in, &index), 0);
	CHECK_INT_EQ(evutil_inet_pton_scope(AF_UNIX, "1.2.3.4", &in, &index), -1);
}

struct port_case {
	const char *text;
	int family; /* 0: rejected */
	const char *address;
	int port;
};

static const struct port_case port_cases[] = {
	{ "[ffff::1]:1000", AF_INET6, "ffff::1", 1000 },
	{ "[ffff::1]", AF_INET6, "ffff::1", 0 },
	{ "[ffff::1]:65535", AF_INET6, "ffff::1", 65535 },
	{ "::1", AF_INET6, "::1", 0 },
	{ "1:2::1", AF_INET6, "1:2::1", 0 },
	{ "192.168.0.1:50", AF_INET, "192.168.0.1", 50 },
	{ "1.2.3.4", AF_INET, "1.2.3.4", 0 },
	{ "1.2.3.4:1", AF_INET, "1.2.3.4", 1 },
	{ "[ffff::1", 0, NULL, 0 },
	{ "[ffff::1]:65599", 0, NULL, 0 },
	{ "[ffff::1]:65536", 0, NULL, 0 },
	{ "[ffff::1]:0", 0, NULL, 0 },
	{ "[ffff::1]:-1", 0, NULL, 0 },
	{ "[::1]:", 0, NULL, 0 },
	{ "[]", 0, NULL, 0 },
	{ "[1.2.3.4]:80", 0, NULL, 0 },
	{ "1.2.3.4:", 0, NULL, 0 },
	{ "1.2.3.4:0", 0, NULL, 0 },
	{ "1.2.3.4:99999", 0, NULL, 0 },
	{ "1.2.3.4:x", 0, NULL, 0 },
	{ "1.2.3.4:80:90", 0, NULL, 0 },
	{ "1.2.3:80", 0, NULL, 0 },
	{ "localhost:80", 0, NULL, 0 },
	{ "", 0, NULL, 0 },
	{ ":80", 0, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

static void test_parse_sockaddr_port(void)
{
	const struct port_case *c;
	struct sockaddr_storage ss;
	unsigned char *bytes = (unsigned char *)&ss;
	char huge[1001];
	int len, i, all_zero;

	for (c = port_cases; c->text; ++c) {
		len = sizeof(ss);
		memset(&ss, 0xaa, sizeof(ss));
		int r = evutil_parse_sockaddr_port(c->text, (struct sockaddr *)&ss, &len);
		CHECK_INT_EQ(r, c->family ? 0 : -1);
		if (r != (c->family ? 0 : -1))
			fprintf(stderr, "     (%s)\n", c->text);
		if (r != 0 || !c->family) {
			CHECK_INT_EQ(len, (int)sizeof(ss));
			continue;
		}
		if (c->family == AF_INET) {
			struct sockaddr_in want;
			memset(&want, 0, sizeof(want));
			want.sin_family = AF_INET;
			want.sin_port = htons(c->port);
			inet_pton(AF_INET, c->address, &want.sin_addr);
			CHECK_INT_EQ(len, (int)sizeof(want));
			CHECK_MEM_EQ(&ss, &want, sizeof(want));
		} else {
			struct sockaddr_in6 want;
			memset(&want, 0, sizeof(want));
			want.sin6_family = AF_INET6;
			want.sin6_port = htons(c->port);
			inet_pton(AF_INET6, c->address, &want.sin6_addr);
			CHECK_INT_EQ(len, (int)sizeof(want));
			CHECK_MEM_EQ(&ss, &want, sizeof(want));
		}
		/* The whole output buffer is cleared, not just the address. */
		all_zero = 1;
		for (i = len; i < (int)sizeof(ss); ++i)
			all_zero &= bytes[i] == 0;
		CHECK(all_zero);
	}

	/* The output must be large enough. */
	len = sizeof(struct sockaddr_in);
	CHECK_INT_EQ(evutil_parse_sockaddr_port("1.2.3.4:80", (struct sockaddr *)&ss, &len), 0);
	CHECK_INT_EQ(len, (int)sizeof(struct sockaddr_in));
	len = sizeof(struct sockaddr_in) - 1;
	CHECK_INT_EQ(evutil_parse_sockaddr_port("1.2.3.4:80", (struct sockaddr *)&ss, &len), -1);
	CHECK_INT_EQ(len, (int)sizeof(struct sockaddr_in) - 1);
	len = sizeof(struct sockaddr_in);
	CHECK_INT_EQ(evutil_parse_sockaddr_port("[::1]:80", (struct sockaddr *)&ss, &len), -1);
	len = 0;
	CHECK_INT_EQ(evutil_parse_sockaddr_port("1.2.3.4", (struct sockaddr *)&ss, &len), -1);
	len = -5;
	CHECK_INT_EQ(evutil_parse_sockaddr_port("1.2.3.4", (struct sockaddr *)&ss, &len), -1);

	/* A zone gives the scope id. */
	if (if_nametoindex("lo")) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		len = sizeof(ss);
		CHECK_INT_EQ(evutil_parse_sockaddr_port("[fe80::1%lo]:8080", (struct sockaddr *)&ss, &len), 0);
		CHECK_UINT_EQ(sin6->sin6_scope_id, if_nametoindex("lo"));
		CHECK_INT_EQ(ntohs(sin6->sin6_port), 8080);
	}

	/* Overlong input of every shape. */
	memset(huge, '1', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	len = sizeof(ss);
	CHECK_INT_EQ(evutil_parse_sockaddr_port(huge, (struct sockaddr *)&ss, &len), -1);
	huge[0] = '[';
	CHECK_INT_EQ(evutil_parse_sockaddr_port(huge, (struct sockaddr *)&ss, &len), -1);
	huge[500] = ']';
	CHECK_INT_EQ(evutil_parse_sockaddr_port(huge, (struct sockaddr *)&ss, &len), -1);
	memset(huge, ' ', 200);
	memcpy(huge + 200, "1.2.3.4:80", 11);
	CHECK_INT_EQ(evutil_parse_sockaddr_port(huge, (struct sockaddr *)&ss, &len), -1);
	CHECK_INT_EQ(len, (int)sizeof(ss));
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static struct sockaddr_storage parsed(const char *text)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	REQUIRE(evutil_parse_sockaddr_port(text, (struct sockaddr *)&ss, &len) == 0);
	return ss;
}

static void test_sockaddr_cmp(void)
{
	struct sockaddr_storage a = parsed("1.2.3.4:80"), a_other_port = parsed("1.2.3.4:81"),
				b = parsed("1.2.3.5:80"), c = parsed("200.1.1.1:80"),
				v6 = parsed("[::1]:80"), v6_other_port = parsed("[::1]:443"),
				v6_b = parsed("[::2]:80"), v6_c = parsed("[1::]:80");
	struct sockaddr_un un1, un2;
	const struct sockaddr_storage *all[] = { &a, &a_other_port, &b, &c, &v6, &v6_other_port, &v6_b, &v6_c };
	size_t i, j;
#define SA(x) ((const struct sockaddr *)(x))

	CHECK_INT_EQ(evutil_sockaddr_cmp(SA(&a), SA(&a), 1), 0);
	CHECK_INT_EQ(evutil_sockaddr_cmp(SA(&a), SA(&a_other_port), 0), 0);
	CHECK(evutil_sockaddr_cmp(SA(&a), SA(&a_other_port), 1) != 0);
	CHECK(evutil_sockaddr_cmp(SA(&a), SA(&b), 0) != 0);
	CHECK_INT_EQ(evutil_sockaddr_cmp(SA(&v6), SA(&v6), 1), 0);
	CHECK_INT_EQ(evutil_sockaddr_cmp(SA(&v6), SA(&v6_other_port), 0), 0);
	CHECK(evutil_sockaddr_cmp(SA(&v6), SA(&v6_other_port), 1) != 0);
	/* IPv6 addresses order by their bytes. */
	CHECK(evutil_sockaddr_cmp(SA(&v6), SA(&v6_b), 1) < 0);
	CHECK(evutil_sockaddr_cmp(SA(&v6_c), SA(&v6_b), 1) > 0);
	/* Families order by number: AF_INET before AF_INET6. */
	CHECK(evutil_sockaddr_cmp(SA(&a), SA(&v6), 1) < 0);
	CHECK(evutil_sockaddr_cmp(SA(&v6), SA(&a), 0) > 0);

	/* A consistent order: antisymmetric, and zero only for equal addresses. */
	for (i = 0; i < sizeof(all) / sizeof(all[0]); ++i) {
		for (j = 0; j < sizeof(all) / sizeof(all[0]); ++j) {
			int ij = evutil_sockaddr_cmp(SA(all[i]), SA(all[j]), 1);
			int ji = evutil_sockaddr_cmp(SA(all[j]), SA(all[i]), 1);
			CHECK_INT_EQ(sign(ij), -sign(ji));
			CHECK_INT_EQ(ij == 0, i == j);
		}
	}

	/* Other families are never equal, not even to themselves. */
	memset(&un1, 0, sizeof(un1));
	un1.sun_family = AF_UNIX;
	strcpy(un1.sun_path, "/tmp/x");
	un2 = un1;
	CHECK_INT_EQ(evutil_sockaddr_cmp(SA(&un1), SA(&un2), 1), 1);
	CHECK(evutil_sockaddr_cmp(SA(&un1), SA(&a), 1) != 0);
#undef SA
}

int main(void)
{
	test_ipv4();
	test_ipv6();
	test_scope();
	test_parse_sockaddr_port();
	test_sockaddr_cmp();
	return check_report();
}
