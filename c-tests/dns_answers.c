/* What evdns makes of well-formed answers from the fake server: the TTL handed to the
 * callback (the smallest of the records used; for NXDOMAIN and NODATA the SOA's TTL or
 * minimum, whichever is smaller), records of other types skipped, CNAMEs followed to
 * the addresses (and reported with DNS_CNAME_CALLBACK where the headers have it), PTR
 * names, the response codes (FORMERR, SERVFAIL retried then DNS_ERR_TIMEOUT, NOTIMPL and
 * REFUSED reissued to another nameserver), and the 0x20 case randomization of query
 * names (randomize-case:). */
// test: per-backend
// test: timeout 30
#include "dns_support.h"

static struct event_base *base;
static struct ds_server srv;

static int rcode_handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *m,
    void *arg)
{
	int rcode;
	(void)arg;
	if (sscanf(q->lname, "rcode-%d.test", &rcode) == 1) {
		ds_reply_start(m, q, (unsigned)rcode);
		return 1;
	}
	if (strcmp(q->lname, "mixed.test") == 0 && q->qtype == DS_TYPE_A) {
		ds_reply_start(m, q, 0);
		ds_add_rr(m, DS_ANSWER, NULL, DS_TYPE_MX, 60, "\x00\x0a\x02mx\x04test\x00", 11);
		ds_add_aaaa(m, NULL, 60, "2001:db8::5");
		ds_add_a(m, NULL, 60, "192.0.2.5");
		return 1;
	}
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, m);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

static int resolve4(struct evdns_base *dns, const char *name, int flags, struct ds_result *r)
{
	memset(r, 0, sizeof(*r));
	REQUIRE(evdns_base_resolve_ipv4(dns, name, flags, ds_result_cb, r) != NULL);
	return ds_run_until(base, &r->calls, 1, 4);
}

static void test_ttls(struct evdns_base *dns)
{
	struct ds_result r;
	struct in_addr in;

	CHECK(resolve4(dns, "two.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 2);
	CHECK_INT_EQ(r.ttl, 50);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.1");
	CHECK_STR_EQ(r.addrs[1], "192.0.2.2");

	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv6(dns, "two.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 4));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_IPv6_AAAA);
	CHECK_INT_EQ(r.count, 1);
	CHECK_INT_EQ(r.ttl, 7);
	CHECK_STR_EQ(r.addrs[0], "2001:db8::2");

	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET, "192.0.2.1", &in);
	REQUIRE(evdns_base_resolve_reverse(dns, &in, 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 4));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_PTR);
	CHECK_INT_EQ(r.count, 1);
	CHECK_INT_EQ(r.ttl, 999);
	CHECK_STR_EQ(r.addrs[0], "two.test");

	/* Negative answers: min(SOA TTL 3600, SOA minimum). */
	srv.soa_minimum = 300;
	CHECK(resolve4(dns, "missing.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_INT_EQ(r.ttl, 300);
	CHECK(resolve4(dns, "six.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NODATA);
	CHECK_INT_EQ(r.ttl, 300);
	srv.soa_minimum = 86400;
	CHECK(resolve4(dns, "missing.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_INT_EQ(r.ttl, 3600);

	/* A record of another type in the answer is skipped. */
	CHECK(resolve4(dns, "mixed.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 1);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.5");
}

struct cname_seen {
	int calls;
	int a_calls;
	int cname_calls;
	char addr[64];
	char cname[256];
	int last_result;
};

static void cname_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct cname_seen *c = arg;
	(void)ttl;
	c->calls++;
	c->last_result = result;
	if (result != DNS_ERR_NONE)
		return;
	if (type == DNS_IPv4_A && count > 0) {
		c->a_calls++;
		inet_ntop(AF_INET, addresses, c->addr, sizeof(c->addr));
#ifdef DNS_CNAME_CALLBACK
	} else if (type == DNS_CNAME) {
		c->cname_calls++;
		CHECK_INT_EQ(count, 1);
		snprintf(c->cname, sizeof(c->cname), "%s", (const char *)addresses);
#endif
	}
}

static void test_cname(struct evdns_base *dns)
{
	struct ds_result r;
	struct cname_seen c;

	CHECK(resolve4(dns, "alias.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 2);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.1");
	/* The TTL is the addresses' (the CNAME record's own TTL is not counted). */
	CHECK_INT_EQ(r.ttl, 50);

	/* Without DNS_CNAME_CALLBACK: one call. */
	memset(&c, 0, sizeof(c));
	REQUIRE(evdns_base_resolve_ipv4(dns, "alias.test", 0, cname_cb, &c) != NULL);
	CHECK(ds_run_until(base, &c.calls, 1, 4));
	ds_run_for(base, 0.05);
	CHECK_INT_EQ(c.calls, 1);
	CHECK_INT_EQ(c.a_calls, 1);

#ifdef DNS_CNAME_CALLBACK
	/* With it: the addresses, then the CNAME's target. */
	memset(&c, 0, sizeof(c));
	REQUIRE(evdns_base_resolve_ipv4(dns, "alias.test", DNS_CNAME_CALLBACK, cname_cb, &c) != NULL);
	CHECK(ds_run_until(base, &c.calls, 2, 4));
	ds_run_for(base, 0.05);
	CHECK_INT_EQ(c.calls, 2);
	CHECK_INT_EQ(c.a_calls, 1);
	CHECK_INT_EQ(c.cname_calls, 1);
	CHECK_STR_EQ(c.addr, "192.0.2.1");
	CHECK(strcasecmp(c.cname, "two.test") == 0);
	/* No CNAME in the answer: one call only. */
	memset(&c, 0, sizeof(c));
	REQUIRE(evdns_base_resolve_ipv4(dns, "two.test", DNS_CNAME_CALLBACK, cname_cb, &c) != NULL);
	CHECK(ds_run_until(base, &c.calls, 1, 4));
	ds_run_for(base, 0.1);
	CHECK_INT_EQ(c.calls, 1);
	CHECK_INT_EQ(c.cname_calls, 0);
#endif
}

static void test_rcodes(void)
{
	struct evdns_base *dns;
	struct ds_server other;
	struct ds_result r;
	int before;
	double t0;

	dns = ds_base_for(base, &srv);
	CHECK(resolve4(dns, "rcode-1.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_FORMAT);
	evdns_base_free(dns, 0);

	/* SERVFAIL counts as a timeout: retried at once, then DNS_ERR_TIMEOUT. */
	dns = ds_base_for(base, &srv);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "2") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "3") == 0);
	before = DS_ATOMIC_GET(srv.udp_queries);
	t0 = ds_now();
	CHECK(resolve4(dns, "rcode-2.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_TIMEOUT);
	CHECK(ds_now() - t0 < 1.5);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.udp_queries) - before, 3);
	evdns_base_free(dns, 0);

	dns = ds_base_for(base, &srv);
	CHECK(resolve4(dns, "rcode-4.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTIMPL);
	evdns_base_free(dns, 0);
	dns = ds_base_for(base, &srv);
	CHECK(resolve4(dns, "rcode-5.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_REFUSED);
	evdns_base_free(dns, 0);
	dns = ds_base_for(base, &srv);
	CHECK(resolve4(dns, "rcode-9.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_UNKNOWN);
	evdns_base_free(dns, 0);

	/* REFUSED from one server: the request is reissued to the other, which answers. */
	ds_server_start(&other);
	ds_zone_add(&other, "rcode-5.test", DS_TYPE_A, 60, "192.0.2.55");
	dns = ds_base_for(base, &srv);
	REQUIRE(evdns_base_nameserver_ip_add(dns, other.addr) == 0);
	{
		int i, ok = 0;
		for (i = 0; i < 4; i++) {
			CHECK(resolve4(dns, "rcode-5.test", 0, &r));
			if (r.result == DNS_ERR_NONE && strcmp(r.addrs[0], "192.0.2.55") == 0)
				ok++;
		}
		CHECK_INT_EQ(ok, 4);
	}
	evdns_base_free(dns, 0);
	ds_server_stop(&other);
}

static void test_case(void)
{
	static const char name[] = "abcdefghijklmnopqrstuvwxyzabcdefghij.test";
	struct evdns_base *dns;
	struct ds_result r;
	int i, mixed = 0;

	ds_zone_add(&srv, name, DS_TYPE_A, 60, "192.0.2.77");
	/* On by default: the letters' case is random, and the answer is still taken. */
	dns = ds_base_for(base, &srv);
	for (i = 0; i < 3; i++) {
		ds_server_names(&srv);
		CHECK(resolve4(dns, name, 0, &r));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		CHECK_STR_EQ(r.addrs[0], "192.0.2.77");
		pthread_mutex_lock(&srv.lock);
		CHECK(strcasecmp(srv.last_name, name) == 0);
		mixed += strcmp(srv.last_name, name) != 0;
		pthread_mutex_unlock(&srv.lock);
	}
	CHECK(mixed >= 2);
	/* Off: sent as given. */
	REQUIRE(evdns_base_set_option(dns, "randomize-case:", "0") == 0);
	CHECK(resolve4(dns, "Two.Test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	pthread_mutex_lock(&srv.lock);
	CHECK_STR_EQ(srv.last_name, "Two.Test");
	pthread_mutex_unlock(&srv.lock);
	evdns_base_free(dns, 0);
}

int main(void)
{
	struct evdns_base *dns;
	char rev[64];

	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	ds_server_start(&srv);
	ds_zone_add(&srv, "two.test", DS_TYPE_A, 100, "192.0.2.1");
	ds_zone_add(&srv, "two.test", DS_TYPE_A, 50, "192.0.2.2");
	ds_zone_add(&srv, "two.test", DS_TYPE_AAAA, 7, "2001:db8::2");
	ds_zone_add(&srv, "six.test", DS_TYPE_AAAA, 60, "2001:db8::6");
	ds_zone_add(&srv, "alias.test", DS_TYPE_CNAME, 10, "two.test");
	ds_reverse_name("192.0.2.1", rev, sizeof(rev));
	ds_zone_add(&srv, rev, DS_TYPE_PTR, 999, "two.test");
	/* mixed.test: an A query is answered with MX and AAAA records before the A. */
	srv.handler = rcode_handler;

	dns = ds_base_for(base, &srv);
	test_ttls(dns);
	test_cname(dns);
	evdns_base_free(dns, 0);
	test_rcodes();
	test_case();

	ds_server_stop(&srv);
	event_base_free(base);
	return check_report();
}
