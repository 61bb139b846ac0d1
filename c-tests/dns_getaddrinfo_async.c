/* evdns_getaddrinfo against the fake server: answers given inside the call (numeric
 * hosts and ports, no host, AI_NUMERICHOST/AI_NUMERICSERV, bad family, service names,
 * the hosts table, localhost), A and AAAA lookups answered IPv4 first with
 * AI_CANONNAME, TCP and UDP entries when the hints name neither, NXDOMAIN, the
 * getaddrinfo-allow-skew timer when AAAA never comes, evdns_getaddrinfo_cancel, and
 * evdns_base_free(base, 1) with lookups pending. */
#include "dns_support.h"

struct gai_result {
	int calls;
	int err;
	struct evutil_addrinfo *ai;
};

static void gai_cb(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct gai_result *r = arg;
	r->calls++;
	r->err = err;
	r->ai = ai;
}

/* Drops AAAA questions for names starting with "v6timeout" and every question for
 * names starting with "silent"; answers the rest from the zone. */
static int handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *reply, void *arg)
{
	(void)arg;
	if (strncmp(q->lname, "silent", 6) == 0)
		return 0;
	if (strncmp(q->lname, "v6timeout", 9) == 0 && q->qtype == DS_TYPE_AAAA)
		return 0;
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, reply);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

static int count(const struct evutil_addrinfo *ai)
{
	int n = 0;
	for (; ai; ai = ai->ai_next)
		n++;
	return n;
}

/* "a.b.c.d:port" or "[v6]:port" of one answer. */
static const char *text_of(const struct evutil_addrinfo *ai)
{
	static char out[128];
	char ip[64];
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ai->ai_addr;
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(out, sizeof(out), "%s:%d", ip, ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(out, sizeof(out), "[%s]:%d", ip, ntohs(sin6->sin6_port));
	}
	return out;
}

static void reset(struct gai_result *r)
{
	if (r->ai)
		evutil_freeaddrinfo(r->ai);
	memset(r, 0, sizeof(*r));
}

int main(void)
{
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_server s;
	struct gai_result r, r2;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	const struct evutil_addrinfo *a;
	const char *hosts;
	double started;
	int i;

	(void)ds_result_cb;
	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	ds_server_start(&s);
	s.handler = handler;
	ds_zone_add(&s, "both.test", DS_TYPE_CNAME, 60, "both-canonical.test");
	ds_zone_add(&s, "both-canonical.test", DS_TYPE_A, 60, "192.0.2.1");
	ds_zone_add(&s, "both-canonical.test", DS_TYPE_AAAA, 60, "2001:db8::1");
	ds_zone_add(&s, "v4only.test", DS_TYPE_A, 60, "192.0.2.2");
	ds_zone_add(&s, "v6only.test", DS_TYPE_AAAA, 60, "2001:db8::2");
	ds_zone_add(&s, "v6timeout.test", DS_TYPE_A, 60, "192.0.2.3");
	ds_zone_add(&s, "two.test", DS_TYPE_A, 60, "192.0.2.4");
	ds_zone_add(&s, "two.test", DS_TYPE_A, 60, "192.0.2.5");

	base = event_base_new();
	REQUIRE(base != NULL);
	dns = ds_base_for(base, &s);
	REQUIRE(evdns_base_set_option(dns, "getaddrinfo-allow-skew:", "0.2") == 0);
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));

	/* A numeric host and a service name: answered inside the call, TCP and UDP. */
	req = evdns_getaddrinfo(dns, "1.2.3.4", "http", NULL, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 2);
	CHECK_STR_EQ(text_of(r.ai), "1.2.3.4:80");
	CHECK_INT_EQ(r.ai->ai_socktype, SOCK_STREAM);
	CHECK_INT_EQ(r.ai->ai_protocol, IPPROTO_TCP);
	CHECK_INT_EQ(r.ai->ai_next->ai_socktype, SOCK_DGRAM);
	CHECK_INT_EQ(r.ai->ai_next->ai_protocol, IPPROTO_UDP);
	CHECK(r.ai->ai_canonname == NULL);
	reset(&r);

	/* A numeric IPv6 host with a stream socket: one entry. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	req = evdns_getaddrinfo(dns, "f::f", "8008", &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 1);
	CHECK_STR_EQ(text_of(r.ai), "[f::f]:8008");
	CHECK_INT_EQ(r.ai->ai_protocol, IPPROTO_TCP);
	reset(&r);

	/* The protocol names the socket type. */
	hints.ai_socktype = 0;
	hints.ai_protocol = IPPROTO_UDP;
	req = evdns_getaddrinfo(dns, "5.6.7.8", NULL, &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 1);
	CHECK_STR_EQ(text_of(r.ai), "5.6.7.8:0");
	CHECK_INT_EQ(r.ai->ai_socktype, SOCK_DGRAM);
	reset(&r);

	/* No host, passive: the wildcard addresses, IPv4 first. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE;
	req = evdns_getaddrinfo(dns, NULL, "9090", &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 2);
	CHECK_STR_EQ(text_of(r.ai), "0.0.0.0:9090");
	CHECK_STR_EQ(text_of(r.ai->ai_next), "[::]:9090");
	reset(&r);

	/* No host, not passive, IPv6 only: the loopback. */
	hints.ai_flags = 0;
	hints.ai_family = PF_INET6;
	req = evdns_getaddrinfo(dns, NULL, "2", &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 1);
	CHECK_STR_EQ(text_of(r.ai), "[::1]:2");
	reset(&r);

	/* Neither host nor service. */
	req = evdns_getaddrinfo(dns, NULL, NULL, NULL, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.err, EVUTIL_EAI_NONAME);
	CHECK(r.ai == NULL);
	reset(&r);

	/* AI_NUMERICHOST with a name; AI_NUMERICSERV with a service name. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_UNSPEC;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST;
	req = evdns_getaddrinfo(dns, "www.google.com", "80", &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.err, EVUTIL_EAI_NONAME);
	reset(&r);
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	req = evdns_getaddrinfo(dns, "1.2.3.4", "http", &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.err, EVUTIL_EAI_NONAME);
	reset(&r);
	req = evdns_getaddrinfo(dns, "1.2.3.4", "no-such-service-name", NULL, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.err, EVUTIL_EAI_NONAME);
	reset(&r);

	/* A family libevent does not know. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNIX;
	req = evdns_getaddrinfo(dns, "1.2.3.4", "80", &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.err, EVUTIL_EAI_FAMILY);
	reset(&r);

	/* The hosts table: entries of the wanted family in file order, the name matched
	 * without case; a name there only in the other family gives an empty answer. */
	hosts = ds_write_file("hosts",
	    "# comment\n192.0.2.50 myhost alias\n2001:db8::50 myhost\n192.0.2.51 v4host\n");
	CHECK_INT_EQ(evdns_base_load_hosts(dns, hosts), 0);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	req = evdns_getaddrinfo(dns, "MyHost", "81", &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 2);
	CHECK_STR_EQ(text_of(r.ai), "192.0.2.50:81");
	CHECK_STR_EQ(text_of(r.ai->ai_next), "[2001:db8::50]:81");
	reset(&r);
	hints.ai_family = PF_INET6;
	req = evdns_getaddrinfo(dns, "v4host", "82", &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.err, 0);
	CHECK(r.ai == NULL);
	reset(&r);
	CHECK_INT_EQ(s.queries, 0);

	/* Without a hosts file, localhost is in the table. */
	CHECK_INT_EQ(evdns_base_load_hosts(dns, NULL), 0);
	hints.ai_family = PF_INET;
	req = evdns_getaddrinfo(dns, "LOCALHOST", "80", &hints, gai_cb, &r);
	CHECK(req == NULL);
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 1);
	CHECK_STR_EQ(text_of(r.ai), "127.0.0.1:80");
	reset(&r);
	CHECK_INT_EQ(s.queries, 0);

	/* A and AAAA through a CNAME: IPv4 first, the canonical name on the first. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_CANONNAME;
	req = evdns_getaddrinfo(dns, "both.test", "8000", &hints, gai_cb, &r);
	CHECK(req != NULL);
	CHECK_INT_EQ(r.calls, 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 2);
	CHECK_STR_EQ(text_of(r.ai), "192.0.2.1:8000");
	CHECK_STR_EQ(text_of(r.ai->ai_next), "[2001:db8::1]:8000");
	REQUIRE(r.ai->ai_canonname != NULL);
	CHECK_STR_EQ(r.ai->ai_canonname, "both-canonical.test");
	CHECK_INT_EQ(r.ai->ai_protocol, IPPROTO_TCP);
	reset(&r);

	/* One family only: the other's NODATA does not spoil the answer. */
	hints.ai_flags = 0;
	req = evdns_getaddrinfo(dns, "v4only.test", "8001", &hints, gai_cb, &r);
	CHECK(req != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 1);
	CHECK_STR_EQ(text_of(r.ai), "192.0.2.2:8001");
	CHECK(r.ai->ai_canonname == NULL);
	reset(&r);
	req = evdns_getaddrinfo(dns, "v6only.test", "8002", &hints, gai_cb, &r);
	CHECK(req != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 1);
	CHECK_STR_EQ(text_of(r.ai), "[2001:db8::2]:8002");
	reset(&r);

	/* Two addresses, no socket type: each address as TCP then UDP. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_INET;
	req = evdns_getaddrinfo(dns, "two.test", "53", &hints, gai_cb, &r);
	CHECK(req != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 4);
	for (i = 0, a = r.ai; a; a = a->ai_next, i++) {
		CHECK_INT_EQ(a->ai_family, AF_INET);
		CHECK_INT_EQ(a->ai_socktype, i % 2 ? SOCK_DGRAM : SOCK_STREAM);
	}
	CHECK_STR_EQ(text_of(r.ai), "192.0.2.4:53");
	CHECK_STR_EQ(text_of(r.ai->ai_next->ai_next), "192.0.2.5:53");
	reset(&r);

	/* NXDOMAIN, one family and both. */
	req = evdns_getaddrinfo(dns, "nosuchplace.test", "8005", &hints, gai_cb, &r);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.err, EVUTIL_EAI_NONAME);
	CHECK(r.ai == NULL);
	reset(&r);
	hints.ai_family = PF_UNSPEC;
	req = evdns_getaddrinfo(dns, "nosuchplace.test", "8006", &hints, gai_cb, &r);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.err, EVUTIL_EAI_NONAME);
	reset(&r);

	/* AAAA never answers: after the skew (0.2 s), well before the lookup's own
	 * timeout, the A answer is given alone. */
	hints.ai_socktype = SOCK_STREAM;
	started = ds_now();
	req = evdns_getaddrinfo(dns, "v6timeout.test", "8007", &hints, gai_cb, &r);
	CHECK(req != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK(ds_now() - started < 0.45);
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(count(r.ai) == 1);
	CHECK_STR_EQ(text_of(r.ai), "192.0.2.3:8007");
	reset(&r);
	ds_run_for(base, 0.8);
	CHECK_INT_EQ(r.calls, 0);

	/* Cancel: the callback comes once, later, with EVUTIL_EAI_CANCEL. */
	req = evdns_getaddrinfo(dns, "silent.test", "80", &hints, gai_cb, &r);
	REQUIRE(req != NULL);
	ds_run_for(base, 0.05);
	evdns_getaddrinfo_cancel(req);
	CHECK_INT_EQ(r.calls, 0);
	CHECK(ds_run_until(base, &r.calls, 1, 2));
	CHECK_INT_EQ(r.err, EVUTIL_EAI_CANCEL);
	CHECK(r.ai == NULL);
	ds_run_for(base, 0.8);
	CHECK_INT_EQ(r.calls, 1);
	reset(&r);

	/* Freeing the base with fail_requests: pending lookups fail (EAI_FAIL). */
	req = evdns_getaddrinfo(dns, "silent.test", "80", &hints, gai_cb, &r);
	CHECK(req != NULL);
	hints.ai_family = PF_INET;
	req = evdns_getaddrinfo(dns, "silent2.test", "80", &hints, gai_cb, &r2);
	CHECK(req != NULL);
	ds_run_for(base, 0.05);
	evdns_base_free(dns, 1);
	CHECK(ds_run_until(base, &r.calls, 1, 2));
	CHECK(ds_run_until(base, &r2.calls, 1, 2));
	CHECK_INT_EQ(r.err, EVUTIL_EAI_FAIL);
	CHECK_INT_EQ(r2.err, EVUTIL_EAI_FAIL);
	ds_run_for(base, 0.3);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r2.calls, 1);
	reset(&r);
	reset(&r2);

	ds_server_stop(&s);
	event_base_free(base);
	return check_report();
}
