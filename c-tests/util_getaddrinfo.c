/* evutil_getaddrinfo, evutil_freeaddrinfo and evutil_gai_strerror, with loopback and
 * numeric names only: numeric hosts, a missing host (loopback or wildcard), services,
 * hints defaults, the EVUTIL_AI_* flags, and the EVUTIL_EAI_* errors. The lists are
 * freed while counting memory functions are installed, which must balance. */
#include <event2/event.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"

static long live_blocks;

static void *count_malloc(size_t size)
{
	void *p = malloc(size);
	if (p)
		live_blocks++;
	return p;
}

static void *count_realloc(void *p, size_t size)
{
	void *q = realloc(p, size);
	if (!p && q)
		live_blocks++;
	return q;
}

static void count_free(void *p)
{
	if (p)
		live_blocks--;
	free(p);
}

static struct evutil_addrinfo hints_of(int family, int socktype, int protocol, int flags)
{
	struct evutil_addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_protocol = protocol;
	hints.ai_flags = flags;
	return hints;
}

static struct evutil_addrinfo *find_protocol(struct evutil_addrinfo *ai, int protocol)
{
	for (; ai; ai = ai->ai_next)
		if (ai->ai_protocol == protocol)
			return ai;
	return NULL;
}

static struct evutil_addrinfo *find_family(struct evutil_addrinfo *ai, int family)
{
	for (; ai; ai = ai->ai_next)
		if (ai->ai_family == family)
			return ai;
	return NULL;
}

static int list_length(const struct evutil_addrinfo *ai)
{
	int n = 0;
	for (; ai; ai = ai->ai_next)
		n++;
	return n;
}

/* Checks one answer against "address:port" (or "[address]:port"). */
static void check_answer(const struct evutil_addrinfo *ai, const char *want, int socktype, int protocol)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	REQUIRE(ai != NULL);
	REQUIRE(evutil_parse_sockaddr_port(want, (struct sockaddr *)&ss, &len) == 0);
	CHECK_INT_EQ(ai->ai_family, ss.ss_family);
	CHECK(ai->ai_addr != NULL);
	if (!ai->ai_addr)
		return;
	CHECK_INT_EQ(ai->ai_addr->sa_family, ai->ai_family);
	CHECK_UINT_EQ(ai->ai_addrlen, (size_t)len);
	CHECK_INT_EQ(evutil_sockaddr_cmp(ai->ai_addr, (struct sockaddr *)&ss, 1), 0);
	if (socktype)
		CHECK_INT_EQ(ai->ai_socktype, socktype);
	if (protocol)
		CHECK_INT_EQ(ai->ai_protocol, protocol);
}

static int is_loopback(const struct evutil_addrinfo *ai)
{
	if (ai->ai_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr) >> 24) == 127;
	if (ai->ai_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
	return 0;
}

static void test_numeric(void)
{
	struct evutil_addrinfo hints, *ai = NULL;

	/* As a pton, without ambiguity once the socket type is given. */
	hints = hints_of(PF_UNSPEC, SOCK_STREAM, 0, 0);
	CHECK_INT_EQ(evutil_getaddrinfo("1.2.3.4", "8080", &hints, &ai), 0);
	check_answer(ai, "1.2.3.4:8080", SOCK_STREAM, IPPROTO_TCP);
	CHECK(ai && ai->ai_next == NULL);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	/* The protocol implies the socket type. */
	hints = hints_of(PF_UNSPEC, 0, IPPROTO_UDP, 0);
	CHECK_INT_EQ(evutil_getaddrinfo("1001:b0b::f00f", "4321", &hints, &ai), 0);
	check_answer(ai, "[1001:b0b::f00f]:4321", SOCK_DGRAM, IPPROTO_UDP);
	CHECK(ai && ai->ai_next == NULL);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	/* Neither given: a TCP and a UDP answer (at least). */
	hints = hints_of(PF_UNSPEC, 0, 0, EVUTIL_AI_NUMERICHOST);
	CHECK_INT_EQ(evutil_getaddrinfo("1.2.3.4", NULL, &hints, &ai), 0);
	check_answer(find_protocol(ai, IPPROTO_TCP), "1.2.3.4", SOCK_STREAM, IPPROTO_TCP);
	check_answer(find_protocol(ai, IPPROTO_UDP), "1.2.3.4", SOCK_DGRAM, IPPROTO_UDP);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	/* No hints at all. */
	CHECK_INT_EQ(evutil_getaddrinfo("127.0.0.1", "80", NULL, &ai), 0);
	check_answer(find_protocol(ai, IPPROTO_TCP), "127.0.0.1:80", SOCK_STREAM, IPPROTO_TCP);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	/* No service: port 0. */
	hints = hints_of(PF_INET6, SOCK_STREAM, 0, 0);
	CHECK_INT_EQ(evutil_getaddrinfo("::1", NULL, &hints, &ai), 0);
	check_answer(ai, "::1", SOCK_STREAM, IPPROTO_TCP);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	/* The flags of the hints are echoed in each answer. */
	hints = hints_of(PF_INET, SOCK_STREAM, 0, EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV);
	CHECK_INT_EQ(evutil_getaddrinfo("10.0.0.1", "65535", &hints, &ai), 0);
	check_answer(ai, "10.0.0.1:65535", SOCK_STREAM, IPPROTO_TCP);
	CHECK(ai && ai->ai_flags == (EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV));
	evutil_freeaddrinfo(ai);
	ai = NULL;

	/* The canonical name of a numeric host is itself. */
	hints = hints_of(PF_INET, SOCK_STREAM, 0, EVUTIL_AI_CANONNAME);
	CHECK_INT_EQ(evutil_getaddrinfo("127.0.0.1", "80", &hints, &ai), 0);
	check_answer(ai, "127.0.0.1:80", SOCK_STREAM, IPPROTO_TCP);
	CHECK(ai && ai->ai_canonname != NULL);
	if (ai && ai->ai_canonname)
		CHECK_STR_EQ(ai->ai_canonname, "127.0.0.1");
	evutil_freeaddrinfo(ai);
	ai = NULL;
}

static void test_missing_host(void)
{
	struct evutil_addrinfo hints, *ai = NULL, *a;

	/* As if for bind. */
	hints = hints_of(PF_INET, 0, IPPROTO_TCP, EVUTIL_AI_PASSIVE);
	CHECK_INT_EQ(evutil_getaddrinfo(NULL, "9999", &hints, &ai), 0);
	check_answer(ai, "0.0.0.0:9999", SOCK_STREAM, IPPROTO_TCP);
	CHECK(ai && ai->ai_next == NULL);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	/* As if for connect. */
	hints.ai_flags = 0;
	CHECK_INT_EQ(evutil_getaddrinfo(NULL, "9998", &hints, &ai), 0);
	check_answer(ai, "127.0.0.1:9998", SOCK_STREAM, IPPROTO_TCP);
	CHECK(ai && ai->ai_next == NULL);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	hints.ai_family = PF_INET6;
	CHECK_INT_EQ(evutil_getaddrinfo(NULL, "9997", &hints, &ai), 0);
	check_answer(ai, "[::1]:9997", SOCK_STREAM, IPPROTO_TCP);
	CHECK(ai && ai->ai_next == NULL);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	hints.ai_flags = EVUTIL_AI_PASSIVE;
	CHECK_INT_EQ(evutil_getaddrinfo(NULL, "9996", &hints, &ai), 0);
	check_answer(ai, "[::]:9996", SOCK_STREAM, IPPROTO_TCP);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	/* Either family: one answer of each. */
	hints.ai_family = PF_UNSPEC;
	CHECK_INT_EQ(evutil_getaddrinfo(NULL, "9996", &hints, &ai), 0);
	CHECK_INT_EQ(list_length(ai), 2);
	a = find_family(ai, PF_INET6);
	check_answer(a, "[::]:9996", SOCK_STREAM, IPPROTO_TCP);
	a = find_family(ai, PF_INET);
	check_answer(a, "0.0.0.0:9996", SOCK_STREAM, IPPROTO_TCP);
	evutil_freeaddrinfo(ai);
	ai = NULL;
}

static void test_names(void)
{
	struct evutil_addrinfo hints, *ai = NULL, *a;
	int r;

	/* localhost resolves to loopback addresses only. */
	hints = hints_of(PF_UNSPEC, SOCK_STREAM, 0, 0);
	CHECK_INT_EQ(evutil_getaddrinfo("localhost", "80", &hints, &ai), 0);
	CHECK(ai != NULL);
	for (a = ai; a; a = a->ai_next) {
		CHECK(is_loopback(a));
		CHECK_INT_EQ(a->ai_socktype, SOCK_STREAM);
	}
	evutil_freeaddrinfo(ai);
	ai = NULL;

	hints = hints_of(PF_INET, SOCK_DGRAM, 0, EVUTIL_AI_CANONNAME);
	CHECK_INT_EQ(evutil_getaddrinfo("localhost", "53", &hints, &ai), 0);
	CHECK(ai && ai->ai_canonname != NULL);
	CHECK(ai && is_loopback(ai) && ai->ai_protocol == IPPROTO_UDP);
	evutil_freeaddrinfo(ai);
	ai = NULL;

	/* A symbolic service, where the system knows it. */
	hints = hints_of(PF_UNSPEC, SOCK_STREAM, 0, 0);
	r = evutil_getaddrinfo("1.2.3.4", "http", &hints, &ai);
	if (r == 0) {
		check_answer(ai, "1.2.3.4:80", SOCK_STREAM, IPPROTO_TCP);
		evutil_freeaddrinfo(ai);
		ai = NULL;
	} else {
		printf("no \"http\" service known here; checked only the failure\n");
		CHECK(ai == NULL);
	}

	/* With EVUTIL_AI_ADDRCONFIG, a loopback literal still resolves where the host has
	 * IPv4 configured. */
	hints = hints_of(AF_UNSPEC, SOCK_STREAM, 0, EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG);
	r = evutil_getaddrinfo("127.0.0.1", "80", &hints, &ai);
	if (r == 0) {
		check_answer(ai, "127.0.0.1:80", SOCK_STREAM, IPPROTO_TCP);
		CHECK(ai && ai->ai_next == NULL);
		evutil_freeaddrinfo(ai);
		ai = NULL;
	}
}

static void test_errors(void)
{
	struct evutil_addrinfo hints, *ai = NULL;
	char huge[1001];
	int r;

	/* A name where only numbers are allowed. */
	hints = hints_of(PF_UNSPEC, 0, 0, EVUTIL_AI_NUMERICHOST);
	CHECK_INT_EQ(evutil_getaddrinfo("localhost", "80", &hints, &ai), EVUTIL_EAI_NONAME);
	CHECK(ai == NULL);

	hints = hints_of(PF_UNSPEC, SOCK_STREAM, 0, EVUTIL_AI_NUMERICSERV);
	r = evutil_getaddrinfo("1.2.3.4", "http", &hints, &ai);
	CHECK(r == EVUTIL_EAI_SERVICE || r == EVUTIL_EAI_NONAME);
	CHECK(ai == NULL);

	/* Nothing to look up. */
	CHECK_INT_EQ(evutil_getaddrinfo(NULL, NULL, NULL, &ai), EVUTIL_EAI_NONAME);
	CHECK(ai == NULL);
	CHECK_INT_EQ(evutil_getaddrinfo("", "80", NULL, &ai), EVUTIL_EAI_NONAME);

	/* Bad hints. */
	hints = hints_of(12345, 0, 0, 0);
	CHECK_INT_EQ(evutil_getaddrinfo("1.2.3.4", "80", &hints, &ai), EVUTIL_EAI_FAMILY);
	hints = hints_of(PF_UNSPEC, 12345, 0, 0);
	CHECK_INT_EQ(evutil_getaddrinfo("1.2.3.4", "80", &hints, &ai), EVUTIL_EAI_SOCKTYPE);
	hints = hints_of(PF_UNSPEC, SOCK_STREAM, IPPROTO_UDP, 0);
	CHECK_INT_EQ(evutil_getaddrinfo("1.2.3.4", "80", &hints, &ai), EVUTIL_EAI_SOCKTYPE);
	hints = hints_of(PF_UNSPEC, 0, 0, 0x10000000);
	CHECK_INT_EQ(evutil_getaddrinfo("1.2.3.4", "80", &hints, &ai), EVUTIL_EAI_BADFLAGS);
	/* A canonical name needs a host. */
	hints = hints_of(PF_UNSPEC, 0, 0, EVUTIL_AI_CANONNAME);
	CHECK_INT_EQ(evutil_getaddrinfo(NULL, "80", &hints, &ai), EVUTIL_EAI_BADFLAGS);
	CHECK(ai == NULL);

	/* Malformed services and hosts of the wrong family. */
	hints = hints_of(PF_UNSPEC, SOCK_STREAM, 0, 0);
	CHECK(evutil_getaddrinfo("1.2.3.4", "-1", &hints, &ai) != 0);
	CHECK(evutil_getaddrinfo("1.2.3.4", "no-such-service-here", &hints, &ai) != 0);
	hints = hints_of(PF_INET6, SOCK_STREAM, 0, EVUTIL_AI_NUMERICHOST);
	CHECK(evutil_getaddrinfo("127.0.0.1", "80", &hints, &ai) != 0);
	hints = hints_of(PF_INET, SOCK_STREAM, 0, EVUTIL_AI_NUMERICHOST);
	CHECK(evutil_getaddrinfo("::1", "80", &hints, &ai) != 0);
	CHECK(evutil_getaddrinfo("1.2.3.4.5", "80", &hints, &ai) != 0);
	CHECK(ai == NULL);

	/* Overlong names (numeric-only, so nothing is looked up). */
	memset(huge, '1', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	hints = hints_of(PF_UNSPEC, SOCK_STREAM, 0, EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV);
	CHECK_INT_EQ(evutil_getaddrinfo(huge, "80", &hints, &ai), EVUTIL_EAI_NONAME);
	r = evutil_getaddrinfo("127.0.0.1", huge, &hints, &ai);
	CHECK(r == EVUTIL_EAI_NONAME || r == EVUTIL_EAI_SERVICE);
	CHECK(ai == NULL);
}

static void test_strerror(void)
{
	static const int codes[] = {
		EVUTIL_EAI_ADDRFAMILY, EVUTIL_EAI_AGAIN, EVUTIL_EAI_BADFLAGS, EVUTIL_EAI_FAIL,
		EVUTIL_EAI_FAMILY, EVUTIL_EAI_MEMORY, EVUTIL_EAI_NODATA, EVUTIL_EAI_NONAME,
		EVUTIL_EAI_SERVICE, EVUTIL_EAI_SOCKTYPE, EVUTIL_EAI_SYSTEM, EVUTIL_EAI_CANCEL,
	};
	size_t i, j;

	CHECK_STR_EQ(evutil_gai_strerror(0), "No error");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_CANCEL), "Request canceled");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_ADDRFAMILY), "address family for nodename not supported");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_AGAIN), "temporary failure in name resolution");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_BADFLAGS), "invalid value for ai_flags");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_FAIL), "non-recoverable failure in name resolution");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_FAMILY), "ai_family not supported");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_MEMORY), "memory allocation failure");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_NODATA), "no address associated with nodename");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_NONAME), "nodename nor servname provided, or not known");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_SERVICE), "servname not supported for ai_socktype");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_SOCKTYPE), "ai_socktype not supported");
	CHECK_STR_EQ(evutil_gai_strerror(EVUTIL_EAI_SYSTEM), "system error");

	/* The codes are distinct. */
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); ++i)
		for (j = i + 1; j < sizeof(codes) / sizeof(codes[0]); ++j)
			CHECK(codes[i] != codes[j]);

	/* Unknown codes still get a message. */
	CHECK(evutil_gai_strerror(12345) != NULL);
	CHECK(evutil_gai_strerror(-12345) != NULL);
	CHECK(evutil_gai_strerror(1) != NULL);
}

int main(void)
{
	/* Before anything is allocated. */
	event_set_mem_functions(count_malloc, count_realloc, count_free);

	test_numeric();
	test_missing_host();
	test_names();
	test_errors();
	CHECK_INT_EQ(live_blocks, 0);
	test_strerror();
	return check_report();
}
