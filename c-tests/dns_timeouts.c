/* evdns timeouts and nameserver health against the fake server: a silent server gives
 * `attempts` transmissions then DNS_ERR_TIMEOUT after about timeout x attempts; a server
 * that stops answering is marked down and the other one used, then probed back up;
 * evdns_cancel_request calls back once with DNS_ERR_CANCEL; evdns_base_free(base, 1)
 * fails pending requests with DNS_ERR_SHUTDOWN (and with 0 drops them silently);
 * evdns_base_clear_nameservers_and_suspend + resume moves pending requests to the new
 * nameserver. */
// test: timeout 30
#include "dns_support.h"

/* Answers "*.test" names from the server's own address list; counts them apart from the
 * health probes (libevent probes with other names). */
struct counting {
	const char *answer;
	int test_queries;
};

static int counting_handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *m,
    void *arg)
{
	struct counting *c = arg;
	size_t n = strlen(q->lname);
	(void)s;
	ds_reply_start(m, q, 0);
	if (n > 5 && strcmp(q->lname + n - 5, ".test") == 0) {
		DS_ATOMIC_ADD(c->test_queries, 1);
		if (q->qtype == DS_TYPE_A)
			ds_add_a(m, NULL, 60, c->answer);
	} else {
		m->b[3] |= 3;	/* NXDOMAIN: good enough for a probe */
	}
	return 1;
}

static void test_silent_server(void)
{
	struct event_base *base = event_base_new();
	struct ds_server s;
	struct evdns_base *dns;
	struct ds_result r = { 0 };
	double started, took;

	ds_server_start(&s);
	s.silent = 1;
	dns = ds_base_for(base, &s);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.2") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "3") == 0);
	started = ds_now();
	REQUIRE(evdns_base_resolve_ipv4(dns, "nobody.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	took = ds_now() - started;
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.result, DNS_ERR_TIMEOUT);
	CHECK_INT_EQ(r.count, 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.udp_queries), 3);
	CHECK(took >= 0.55);
	CHECK(took < 2.0);
	if (took < 0.55 || took >= 2.0)
		fprintf(stderr, "     timeout took %.3f s\n", took);
	/* Nothing more comes later. */
	ds_run_for(base, 0.3);
	CHECK_INT_EQ(r.calls, 1);

	/* attempts:1 gives one transmission. */
	{
		struct ds_result r1 = { 0 };
		int before = DS_ATOMIC_GET(s.udp_queries);
		REQUIRE(evdns_base_set_option(dns, "attempts:", "1") == 0);
		started = ds_now();
		REQUIRE(evdns_base_resolve_ipv4(dns, "nobody2.test", 0, ds_result_cb, &r1) != NULL);
		CHECK(ds_run_until(base, &r1.calls, 1, 5));
		took = ds_now() - started;
		CHECK_INT_EQ(r1.result, DNS_ERR_TIMEOUT);
		/* The request itself was sent once; a health probe may have joined it. */
		CHECK(DS_ATOMIC_GET(s.udp_queries) - before >= 1);
		CHECK(took < 1.0);
	}
	evdns_base_free(dns, 0);
	ds_server_stop(&s);
	event_base_free(base);
}

static int lookup_once(struct event_base *base, struct evdns_base *dns, const char *name,
    struct ds_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!evdns_base_resolve_ipv4(dns, name, 0, ds_result_cb, r))
		return 0;
	return ds_run_until(base, &r->calls, 1, 5);
}

static void test_failover_and_probe(void)
{
	struct event_base *base = event_base_new();
	struct ds_server a, b;
	struct counting ca = { "10.0.0.1", 0 }, cb = { "10.0.0.2", 0 };
	struct evdns_base *dns;
	struct ds_result r;
	char name[64];
	int i, from_b, a_before, from_a, failed;

	ds_server_start(&a);
	ds_server_start(&b);
	a.handler = counting_handler;
	a.handler_arg = &ca;
	b.handler = counting_handler;
	b.handler_arg = &cb;

	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, a.addr) == 0);
	REQUIRE(evdns_base_nameserver_ip_add(dns, b.addr) == 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 2);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.2") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "3") == 0);
	REQUIRE(evdns_base_set_option(dns, "max-timeouts:", "2") == 0);
	REQUIRE(evdns_base_set_option(dns, "initial-probe-timeout:", "1.5") == 0);

	/* Both answer: both get used. */
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "up%d.test", i);
		CHECK(lookup_once(base, dns, name, &r));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	}
	CHECK(DS_ATOMIC_GET(ca.test_queries) > 0);
	CHECK(DS_ATOMIC_GET(cb.test_queries) > 0);

	/* A stops answering: with a retransmission left, every lookup still succeeds,
	 * through B. */
	DS_ATOMIC_SET(a.silent, 1);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "failover%d.test", i);
		CHECK(lookup_once(base, dns, name, &r));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		CHECK_STR_EQ(r.addrs[0], "10.0.0.2");
	}

	/* A request that runs out of attempts on A marks A down (libevent charges a timeout
	 * to the server it retransmits to, so only the final one is sure to count). */
	REQUIRE(evdns_base_set_option(dns, "attempts:", "1") == 0);
	failed = 0;
	for (i = 0; i < 4 && !failed; i++) {
		snprintf(name, sizeof(name), "lost%d.test", i);
		CHECK(lookup_once(base, dns, name, &r));
		if (r.result == DNS_ERR_TIMEOUT)
			failed = 1;
		else
			CHECK_STR_EQ(r.addrs[0], "10.0.0.2");
	}
	CHECK(failed);

	/* A is down now: new lookups go to B only, at once (no timeout to wait for). A
	 * answers again, but is not asked until a probe finds it up. */
	REQUIRE(evdns_base_set_option(dns, "timeout:", "1") == 0);
	DS_ATOMIC_SET(a.silent, 0);
	a_before = DS_ATOMIC_GET(ca.test_queries);
	from_b = 0;
	for (i = 0; i < 5; i++) {
		double t0 = ds_now();
		snprintf(name, sizeof(name), "down%d.test", i);
		CHECK(lookup_once(base, dns, name, &r));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		from_b += strcmp(r.addrs[0], "10.0.0.2") == 0;
		CHECK(ds_now() - t0 < 0.5);
	}
	CHECK_INT_EQ(from_b, 5);
	CHECK_INT_EQ(DS_ATOMIC_GET(ca.test_queries), a_before);

	/* The probe (after initial-probe-timeout, maybe a later one) finds A up. */
	{
		int probes = DS_ATOMIC_GET(a.queries) - DS_ATOMIC_GET(ca.test_queries);
		int target = probes + 1;
		int got = 0;
		double end = ds_now() + 6;
		while (ds_now() < end && !got) {
			ds_run_for(base, 0.05);
			got = DS_ATOMIC_GET(a.queries) - DS_ATOMIC_GET(ca.test_queries) >= target;
		}
		CHECK(got);
		ds_run_for(base, 0.1);	/* the probe's answer is read */
	}
	from_a = 0;
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "back%d.test", i);
		CHECK(lookup_once(base, dns, name, &r));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		from_a += strcmp(r.addrs[0], "10.0.0.1") == 0;
	}
	CHECK(from_a > 0);

	evdns_base_free(dns, 0);
	ds_server_stop(&a);
	ds_server_stop(&b);
	event_base_free(base);
}

static void test_cancel(void)
{
	struct event_base *base = event_base_new();
	struct ds_server s;
	struct evdns_base *dns;
	struct ds_result r = { 0 }, other = { 0 };
	struct evdns_request *req;

	ds_server_start(&s);
	ds_zone_add(&s, "www.test", DS_TYPE_A, 60, "192.0.2.7");
	DS_ATOMIC_SET(s.silent, 1);
	dns = ds_base_for(base, &s);
	req = evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &r);
	REQUIRE(req != NULL);
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &other) != NULL);
	ds_run_for(base, 0.05);
	CHECK_INT_EQ(r.calls, 0);
	evdns_cancel_request(dns, req);
	CHECK(ds_run_until(base, &r.calls, 1, 2));
	CHECK_INT_EQ(r.result, DNS_ERR_CANCEL);
	CHECK_INT_EQ(r.count, 0);
	/* The other request is untouched and completes when the server answers. */
	CHECK_INT_EQ(other.calls, 0);
	DS_ATOMIC_SET(s.silent, 0);
	CHECK(ds_run_until(base, &other.calls, 1, 3));
	CHECK_INT_EQ(other.result, DNS_ERR_NONE);
	CHECK_STR_EQ(other.addrs[0], "192.0.2.7");
	/* No second call for the cancelled one, also after its timeout would have fired. */
	ds_run_for(base, 0.8);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(other.calls, 1);
	evdns_base_free(dns, 0);
	ds_server_stop(&s);
	event_base_free(base);
}

static void test_free_with_pending(void)
{
	struct event_base *base = event_base_new();
	struct ds_server s;
	struct evdns_base *dns;
	struct ds_result r[3], quiet = { 0 };
	int i, total;

	memset(r, 0, sizeof(r));
	ds_server_start(&s);
	DS_ATOMIC_SET(s.silent, 1);

	/* fail_requests = 1: every pending request hears DNS_ERR_SHUTDOWN, once. */
	dns = ds_base_for(base, &s);
	for (i = 0; i < 3; i++)
		REQUIRE(evdns_base_resolve_ipv4(dns, "pending.test", 0, ds_result_cb, &r[i]) != NULL);
	ds_run_for(base, 0.05);
	evdns_base_free(dns, 1);
	ds_run_for(base, 0.5);
	total = 0;
	for (i = 0; i < 3; i++) {
		CHECK_INT_EQ(r[i].calls, 1);
		CHECK_INT_EQ(r[i].result, DNS_ERR_SHUTDOWN);
		total += r[i].calls;
	}
	CHECK_INT_EQ(total, 3);

	/* fail_requests = 0: pending requests are dropped without a call. */
	dns = ds_base_for(base, &s);
	REQUIRE(evdns_base_resolve_ipv4(dns, "pending.test", 0, ds_result_cb, &quiet) != NULL);
	ds_run_for(base, 0.05);
	evdns_base_free(dns, 0);
	ds_run_for(base, 0.8);
	CHECK_INT_EQ(quiet.calls, 0);

	ds_server_stop(&s);
	event_base_free(base);
}

static void test_suspend_resume(void)
{
	struct event_base *base = event_base_new();
	struct ds_server a, b;
	struct evdns_base *dns;
	struct ds_result r = { 0 }, later = { 0 };

	ds_server_start(&a);
	ds_server_start(&b);
	DS_ATOMIC_SET(a.silent, 1);
	ds_zone_add(&b, "moved.test", DS_TYPE_A, 60, "198.51.100.9");
	dns = ds_base_for(base, &a);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "1") == 0);
	REQUIRE(evdns_base_resolve_ipv4(dns, "moved.test", 0, ds_result_cb, &r) != NULL);
	ds_run_for(base, 0.05);
	CHECK_INT_EQ(DS_ATOMIC_GET(a.udp_queries), 1);

	CHECK_INT_EQ(evdns_base_clear_nameservers_and_suspend(dns), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	/* A request made while suspended waits too. */
	REQUIRE(evdns_base_resolve_ipv4(dns, "moved.test", 0, ds_result_cb, &later) != NULL);
	ds_run_for(base, 0.2);
	CHECK_INT_EQ(r.calls, 0);
	CHECK_INT_EQ(later.calls, 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(b.udp_queries), 0);

	REQUIRE(evdns_base_nameserver_ip_add(dns, b.addr) == 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	CHECK_INT_EQ(evdns_base_resume(dns), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK(ds_run_until(base, &later.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "198.51.100.9");
	CHECK_INT_EQ(later.result, DNS_ERR_NONE);
	CHECK_STR_EQ(later.addrs[0], "198.51.100.9");
	CHECK_INT_EQ(DS_ATOMIC_GET(a.udp_queries), 1);
	CHECK(DS_ATOMIC_GET(b.udp_queries) >= 2);
	ds_run_for(base, 0.3);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(later.calls, 1);

	evdns_base_free(dns, 0);
	ds_server_stop(&a);
	ds_server_stop(&b);
	event_base_free(base);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	test_silent_server();
	test_cancel();
	test_free_with_pending();
	test_suspend_resume();
	test_failover_and_probe();
	return check_report();
}
