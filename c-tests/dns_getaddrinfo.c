/* evdns_getaddrinfo: numeric hosts and ports (answered inside the call, NULL returned),
 * AI_PASSIVE and a NULL node, socket types, AI_NUMERICSERV with a service name, service
 * names ("http"), hosts-file entries (evdns_base_load_hosts of a file written here, and
 * the built-in localhost of evdns_base_load_hosts(base, NULL)), lookups against the fake
 * server (A then AAAA order for AF_UNSPEC, one family, CNAME with AI_CANONNAME,
 * NXDOMAIN, NODATA, a missing AAAA, a timeout), getaddrinfo-allow-skew (one family
 * answered, the other silent), evdns_getaddrinfo_cancel (one call with
 * EVUTIL_EAI_CANCEL). Every result list is freed with evutil_freeaddrinfo. */
// test: timeout 30
#include "dns_support.h"

#include <netdb.h>

static struct event_base *base;
static struct ds_server srv;

struct gai {
	int calls;
	int err;
	int n;
	char text[16][80];	/* "family socktype address port" of each result */
	char canon[256];
};

static void gai_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct gai *g = arg;
	struct evutil_addrinfo *ai;
	g->calls++;
	g->err = err;
	g->n = 0;
	g->canon[0] = 0;
	if (res && res->ai_canonname)
		snprintf(g->canon, sizeof(g->canon), "%s", res->ai_canonname);
	for (ai = res; ai; ai = ai->ai_next) {
		char host[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;
		const char *st = ai->ai_socktype == SOCK_STREAM ? "tcp" :
		    ai->ai_socktype == SOCK_DGRAM ? "udp" : "other";
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
			CHECK_INT_EQ(ai->ai_addrlen, sizeof(*sin));
			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;
			CHECK_INT_EQ(ai->ai_addrlen, sizeof(*sin6));
			inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
			port = ntohs(sin6->sin6_port);
		}
		if (g->n < 16)
			snprintf(g->text[g->n], sizeof(g->text[0]), "%s %s %s %u",
			    ai->ai_family == AF_INET ? "v4" : "v6", st, host, port);
		g->n++;
	}
	if (res)
		evutil_freeaddrinfo(res);
}

static struct evutil_addrinfo hints_of(int family, int socktype, int flags)
{
	struct evutil_addrinfo h;
	memset(&h, 0, sizeof(h));
	h.ai_family = family;
	h.ai_socktype = socktype;
	h.ai_flags = flags;
	return h;
}

/* A lookup that must be answered inside the call. */
static void now(struct evdns_base *dns, const char *node, const char *serv,
    const struct evutil_addrinfo *hints, struct gai *g)
{
	memset(g, 0, sizeof(*g));
	CHECK(evdns_getaddrinfo(dns, node, serv, hints, gai_cb, g) == NULL);
	CHECK_INT_EQ(g->calls, 1);
}

/* A lookup that must go to the server, answered later from the loop. */
static void later(struct evdns_base *dns, const char *node, const char *serv,
    const struct evutil_addrinfo *hints, struct gai *g)
{
	memset(g, 0, sizeof(*g));
	CHECK(evdns_getaddrinfo(dns, node, serv, hints, gai_cb, g) != NULL);
	CHECK_INT_EQ(g->calls, 0);
	CHECK(ds_run_until(base, &g->calls, 1, 4));
	CHECK_INT_EQ(g->calls, 1);
}

static void test_numeric(struct evdns_base *dns)
{
	struct evutil_addrinfo h;
	struct gai g;
	int before = DS_ATOMIC_GET(srv.queries);

	h = hints_of(AF_UNSPEC, SOCK_STREAM, 0);
	now(dns, "192.0.2.33", "8080", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.33 8080");

	now(dns, "2001:db8::33", "443", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.text[0], "v6 tcp 2001:db8::33 443");

	/* No socket type: one result per type (TCP, UDP). */
	h = hints_of(AF_INET, 0, 0);
	now(dns, "192.0.2.33", "53", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 2);
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.33 53");
	CHECK_STR_EQ(g.text[1], "v4 udp 192.0.2.33 53");

	/* A NULL hints pointer. */
	now(dns, "192.0.2.34", "1", NULL, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK(g.n >= 1);
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.34 1");

	/* AI_NUMERICHOST with a name: refused at once. */
	h = hints_of(AF_UNSPEC, SOCK_STREAM, EVUTIL_AI_NUMERICHOST);
	now(dns, "www.test", "80", &h, &g);
	CHECK(g.err != 0);
	CHECK_INT_EQ(g.n, 0);

	/* NULL node: the wildcard address with AI_PASSIVE, loopback without. */
	h = hints_of(AF_INET, SOCK_STREAM, EVUTIL_AI_PASSIVE);
	now(dns, NULL, "8000", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.text[0], "v4 tcp 0.0.0.0 8000");
	h = hints_of(AF_INET, SOCK_STREAM, 0);
	now(dns, NULL, "8000", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_STR_EQ(g.text[0], "v4 tcp 127.0.0.1 8000");
	h = hints_of(AF_INET6, SOCK_STREAM, EVUTIL_AI_PASSIVE);
	now(dns, NULL, "8000", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_STR_EQ(g.text[0], "v6 tcp :: 8000");
	h = hints_of(AF_INET6, SOCK_STREAM, 0);
	now(dns, NULL, "8000", &h, &g);
	CHECK_STR_EQ(g.text[0], "v6 tcp ::1 8000");
	h = hints_of(AF_UNSPEC, SOCK_STREAM, EVUTIL_AI_PASSIVE);
	now(dns, NULL, "8000", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 2);
	/* NULL node and NULL service. */
	now(dns, NULL, NULL, &h, &g);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_NONAME);
	CHECK_INT_EQ(g.n, 0);

	/* Service names. */
	h = hints_of(AF_INET, SOCK_STREAM, 0);
	if (getservbyname("http", "tcp")) {
		now(dns, "192.0.2.35", "http", &h, &g);
		CHECK_INT_EQ(g.err, 0);
		CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.35 80");
	} else {
		printf("skip: no /etc/services entry for http\n");
	}
	/* A service name with AI_NUMERICSERV: refused inside the call, also for a name that
	 * would need a lookup. */
	h = hints_of(AF_INET, SOCK_STREAM, EVUTIL_AI_NUMERICSERV);
	now(dns, "192.0.2.35", "http", &h, &g);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_NONAME);
	now(dns, "www.test", "http", &h, &g);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_NONAME);
	now(dns, "192.0.2.35", "no-such-service-name", &h, &g);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_NONAME);

	/* None of that asked the server. */
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.queries), before);
}

static void test_hosts(void)
{
	struct evdns_base *dns = ds_base_for(base, &srv);
	struct evutil_addrinfo h;
	struct gai g;
	const char *f;
	int before;

	f = ds_write_file("hosts",
	    "# comment line\n"
	    "192.0.2.50   alpha.example alpha   # trailing comment\n"
	    "2001:db8::50 alpha.example\n"
	    "192.0.2.51\tBeta.Example\n"
	    "192.0.2.52   beta.example\n"
	    "not-an-address gamma.example\n"
	    "\n");
	CHECK_INT_EQ(evdns_base_load_hosts(dns, f), 0);
	before = DS_ATOMIC_GET(srv.queries);

	h = hints_of(AF_UNSPEC, SOCK_STREAM, 0);
	now(dns, "alpha.example", "80", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 2);
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.50 80");
	CHECK_STR_EQ(g.text[1], "v6 tcp 2001:db8::50 80");
	now(dns, "alpha", "81", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.50 81");
	/* Case-insensitive, every entry in file order. */
	now(dns, "BETA.example", "82", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 2);
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.51 82");
	CHECK_STR_EQ(g.text[1], "v4 tcp 192.0.2.52 82");
	h = hints_of(AF_INET6, SOCK_STREAM, 0);
	now(dns, "alpha.example", "83", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.text[0], "v6 tcp 2001:db8::50 83");
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.queries), before);

	/* A name in the hosts file only as v4, asked for v6: the hosts file still decides,
	 * inside the call, with no address (libevent answers 0 and an empty list). */
	now(dns, "beta.example", "84", &h, &g);
	CHECK(g.err == 0 || g.err == EVUTIL_EAI_NODATA || g.err == EVUTIL_EAI_NONAME);
	CHECK_INT_EQ(g.n, 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.queries), before);
	/* The bad line named nothing. */
	h = hints_of(AF_INET, SOCK_STREAM, 0);
	later(dns, "gamma.example", "85", &h, &g);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_NONAME);
	evdns_base_free(dns, 0);

	/* evdns_base_load_hosts(base, NULL): localhost only. */
	dns = ds_base_for(base, &srv);
	CHECK_INT_EQ(evdns_base_load_hosts(dns, NULL), 0);
	before = DS_ATOMIC_GET(srv.queries);
	h = hints_of(AF_INET, SOCK_STREAM, 0);
	now(dns, "localhost", "80", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_STR_EQ(g.text[0], "v4 tcp 127.0.0.1 80");
	h = hints_of(AF_INET6, SOCK_STREAM, 0);
	now(dns, "localhost", "80", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_STR_EQ(g.text[0], "v6 tcp ::1 80");
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.queries), before);
	evdns_base_free(dns, 0);

	/* A missing file fails, and still gives localhost. */
	dns = ds_base_for(base, &srv);
	{
		char path[256];
		snprintf(path, sizeof(path), "%s/no-hosts-here", ds_tmpdir_get());
		CHECK(evdns_base_load_hosts(dns, path) != 0);
	}
	h = hints_of(AF_INET, SOCK_STREAM, 0);
	now(dns, "localhost", "80", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_STR_EQ(g.text[0], "v4 tcp 127.0.0.1 80");
	evdns_base_free(dns, 0);
}

static void test_server(struct evdns_base *dns)
{
	struct evutil_addrinfo h;
	struct gai g;

	h = hints_of(AF_UNSPEC, SOCK_STREAM, 0);
	later(dns, "www.test", "8080", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 3);
	/* IPv4 answers first, then IPv6, in answer order. */
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.1 8080");
	CHECK_STR_EQ(g.text[1], "v4 tcp 192.0.2.2 8080");
	CHECK_STR_EQ(g.text[2], "v6 tcp 2001:db8::1 8080");
	CHECK_INT_EQ(g.canon[0], 0);

	h = hints_of(AF_INET, SOCK_STREAM, 0);
	later(dns, "www.test", "1", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 2);
	h = hints_of(AF_INET6, SOCK_DGRAM, 0);
	later(dns, "www.test", "2", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.text[0], "v6 udp 2001:db8::1 2");
	/* No socket type: TCP and UDP per address. */
	h = hints_of(AF_INET, 0, 0);
	later(dns, "www.test", "3", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 4);

	/* Only an A record: AF_UNSPEC still succeeds with it. */
	h = hints_of(AF_UNSPEC, SOCK_STREAM, 0);
	later(dns, "v4only.test", "80", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.9 80");
	/* Only an AAAA. */
	later(dns, "v6only.test", "80", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.text[0], "v6 tcp 2001:db8::9 80");

	/* CNAME: the target's addresses, and its name with AI_CANONNAME. */
	h = hints_of(AF_INET, SOCK_STREAM, EVUTIL_AI_CANONNAME);
	later(dns, "alias.test", "80", &h, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 2);
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.1 80");
	CHECK(strcasecmp(g.canon, "www.test") == 0);

	/* NXDOMAIN. */
	h = hints_of(AF_UNSPEC, SOCK_STREAM, 0);
	later(dns, "missing.test", "80", &h, &g);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_NONAME);
	CHECK_INT_EQ(g.n, 0);
	/* The name exists with no address. */
	h = hints_of(AF_INET, SOCK_STREAM, 0);
	later(dns, "mailonly.test", "80", &h, &g);
	CHECK(g.err != 0);
	CHECK_INT_EQ(g.n, 0);

	/* A server that does not answer. */
	DS_ATOMIC_SET(srv.silent, 1);
	later(dns, "www.test", "80", &h, &g);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_FAIL);
	DS_ATOMIC_SET(srv.silent, 0);
}

/* One family answered, the other never: after getaddrinfo-allow-skew the answer comes
 * with what there is, long before the silent request would time out. */
static int skew_handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *m,
    void *arg)
{
	unsigned silent_type = *(unsigned *)arg;
	if (q->qtype == silent_type)
		return 0;
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, m);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

static void test_skew(void)
{
	struct evdns_base *dns = ds_base_for(base, &srv);
	struct evutil_addrinfo h = hints_of(AF_UNSPEC, SOCK_STREAM, 0);
	static unsigned silent_type;
	struct gai g;
	double t0;

	REQUIRE(evdns_base_set_option(dns, "timeout:", "3") == 0);
	REQUIRE(evdns_base_set_option(dns, "getaddrinfo-allow-skew:", "0.3") == 0);
	srv.handler_arg = &silent_type;
	srv.handler = skew_handler;

	silent_type = DS_TYPE_AAAA;
	t0 = ds_now();
	later(dns, "www.test", "80", &h, &g);
	CHECK(ds_now() - t0 < 2.0);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 2);
	CHECK_STR_EQ(g.text[0], "v4 tcp 192.0.2.1 80");

	silent_type = DS_TYPE_A;
	t0 = ds_now();
	later(dns, "www.test", "80", &h, &g);
	CHECK(ds_now() - t0 < 2.0);
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.text[0], "v6 tcp 2001:db8::1 80");

	srv.handler = NULL;
	ds_run_for(base, 0.1);
	evdns_base_free(dns, 0);
}

static void test_cancel(struct evdns_base *dns)
{
	struct evutil_addrinfo h = hints_of(AF_UNSPEC, SOCK_STREAM, 0);
	struct gai g, other;
	struct evdns_getaddrinfo_request *req;

	/* Retransmissions reach the server once it answers again. */
	REQUIRE(evdns_base_set_option(dns, "attempts:", "3") == 0);
	DS_ATOMIC_SET(srv.silent, 1);
	memset(&g, 0, sizeof(g));
	memset(&other, 0, sizeof(other));
	req = evdns_getaddrinfo(dns, "www.test", "80", &h, gai_cb, &g);
	REQUIRE(req != NULL);
	REQUIRE(evdns_getaddrinfo(dns, "www.test", "81", &h, gai_cb, &other) != NULL);
	ds_run_for(base, 0.05);
	evdns_getaddrinfo_cancel(req);
	CHECK(ds_run_until(base, &g.calls, 1, 2));
	CHECK_INT_EQ(g.err, EVUTIL_EAI_CANCEL);
	CHECK_INT_EQ(g.n, 0);
	DS_ATOMIC_SET(srv.silent, 0);
	CHECK(ds_run_until(base, &other.calls, 1, 3));
	CHECK_INT_EQ(other.err, 0);
	CHECK_INT_EQ(other.n, 3);
	ds_run_for(base, 1.0);
	CHECK_INT_EQ(g.calls, 1);
	CHECK_INT_EQ(other.calls, 1);

	/* Cancelled right away, before the loop ran at all. */
	memset(&g, 0, sizeof(g));
	req = evdns_getaddrinfo(dns, "www.test", "80", &h, gai_cb, &g);
	REQUIRE(req != NULL);
	evdns_getaddrinfo_cancel(req);
	ds_run_for(base, 0.5);
	CHECK_INT_EQ(g.calls, 1);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_CANCEL);
}

int main(void)
{
	struct evdns_base *dns;

	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	ds_server_start(&srv);
	ds_zone_add(&srv, "www.test", DS_TYPE_A, 60, "192.0.2.1");
	ds_zone_add(&srv, "www.test", DS_TYPE_A, 60, "192.0.2.2");
	ds_zone_add(&srv, "www.test", DS_TYPE_AAAA, 60, "2001:db8::1");
	ds_zone_add(&srv, "v4only.test", DS_TYPE_A, 60, "192.0.2.9");
	ds_zone_add(&srv, "v6only.test", DS_TYPE_AAAA, 60, "2001:db8::9");
	ds_zone_add(&srv, "alias.test", DS_TYPE_CNAME, 60, "www.test");
	ds_zone_add(&srv, "mailonly.test", DS_TYPE_MX, 60, "mx.test");

	dns = ds_base_for(base, &srv);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "1") == 0);
	test_numeric(dns);
	test_server(dns);
	test_cancel(dns);
	evdns_base_free(dns, 0);
	test_skew();
	test_hosts();

	ds_server_stop(&srv);
	event_base_free(base);
	return check_report();
}
