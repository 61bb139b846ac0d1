/* SPDX-License-Identifier: BSD-3-Clause */
/* The resolver's engine over UDP: retransmits and DNS_ERR_TIMEOUT, a server marked
 * down and probed back up, round robin over servers in libevent's ring order,
 * max-inflight with a waiting queue, and EVDNS_BASE_DISABLE_WHEN_INACTIVE. */
// test: timeout 60
#include "dns_support.h"

static int count_word(const char *list, const char *word)
{
	int n = 0;
	size_t len = strlen(word);
	const char *p = list;
	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == 0))
			n++;
		p += len;
	}
	return n;
}

int main(void)
{
	struct ds_server a, b, c;
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_result r, rs[3];
	double start, took;
	int i, total;

	ds_quiet_logs();
	ds_server_start(&a);
	ds_server_start(&b);
	ds_server_start(&c);
	ds_zone_add(&a, "host.test", DS_TYPE_A, 60, "10.0.0.1");
	ds_zone_add(&b, "host.test", DS_TYPE_A, 60, "10.0.0.2");
	ds_zone_add(&c, "host.test", DS_TYPE_A, 60, "10.0.0.3");
	base = event_base_new();
	REQUIRE(base != NULL);

	/* Retransmits: "attempts" sends, "timeout" apart, then DNS_ERR_TIMEOUT. */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, a.addr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout", "0.2") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "3") == 0);
	REQUIRE(evdns_base_set_option(dns, "initial-probe-timeout", "0.5") == 0);
	DS_ATOMIC_SET(a.silent, 1);
	DS_ATOMIC_SET(a.queries, 0);
	memset(&r, 0, sizeof(r));
	start = ds_now();
	REQUIRE(evdns_base_resolve_ipv4(dns, "host.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	took = ds_now() - start;
	CHECK_INT_EQ(r.result, DNS_ERR_TIMEOUT);
	CHECK_INT_EQ(DS_ATOMIC_GET(a.queries), 3);
	CHECK(took > 0.5 && took < 1.5);

	/* The server is now down: after initial-probe-timeout a probe goes to it, and
	 * when it answers (NXDOMAIN is good enough) it is back up. */
	ds_server_names(&a);
	DS_ATOMIC_SET(a.silent, 0);
	ds_run_for(base, 1.0);
	CHECK_INT_EQ(count_word(ds_server_names(&a), "google.com"), 1);
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "host.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	evdns_base_free(dns, 0);

	/* Round robin in libevent's ring order: a server is linked in just after the
	 * first one, so servers added as a, b, c are used as a, c, b. */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, a.addr) == 0);
	REQUIRE(evdns_base_nameserver_ip_add(dns, b.addr) == 0);
	REQUIRE(evdns_base_nameserver_ip_add(dns, c.addr) == 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 3);
	{
		const char *expect[6] = { "10.0.0.1", "10.0.0.3", "10.0.0.2",
			"10.0.0.1", "10.0.0.3", "10.0.0.2" };
		for (i = 0; i < 6; i++) {
			memset(&r, 0, sizeof(r));
			REQUIRE(evdns_base_resolve_ipv4(dns, "host.test", 0, ds_result_cb, &r) != NULL);
			CHECK(ds_run_until(base, &r.calls, 1, 5));
			CHECK_INT_EQ(r.result, DNS_ERR_NONE);
			CHECK_STR_EQ(r.addrs[0], expect[i]);
		}
	}

	/* A retransmit goes to the next server: with b silent, its queries are answered
	 * by another server after one timeout. */
	REQUIRE(evdns_base_set_option(dns, "timeout", "0.2") == 0);
	DS_ATOMIC_SET(b.silent, 1);
	total = 0;
	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		REQUIRE(evdns_base_resolve_ipv4(dns, "host.test", 0, ds_result_cb, &r) != NULL);
		CHECK(ds_run_until(base, &r.calls, 1, 5));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		if (r.result == DNS_ERR_NONE && strcmp(r.addrs[0], "10.0.0.2") != 0)
			total++;
	}
	CHECK_INT_EQ(total, 3);
	DS_ATOMIC_SET(b.silent, 0);
	evdns_base_free(dns, 0);

	/* max-inflight 1: the other lookups wait in a queue until the first ends. */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, a.addr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout", "0.3") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts", "1") == 0);
	REQUIRE(evdns_base_set_option(dns, "max-inflight:", "1") == 0);
	DS_ATOMIC_SET(a.silent, 1);
	DS_ATOMIC_SET(a.queries, 0);
	memset(rs, 0, sizeof(rs));
	for (i = 0; i < 3; i++)
		REQUIRE(evdns_base_resolve_ipv4(dns, "host.test", 0, ds_result_cb, &rs[i]) != NULL);
	ds_run_for(base, 0.15);
	CHECK_INT_EQ(DS_ATOMIC_GET(a.queries), 1);
	CHECK(ds_run_until(base, &rs[2].calls, 1, 5));
	CHECK_INT_EQ(DS_ATOMIC_GET(a.queries), 3);
	for (i = 0; i < 3; i++)
		CHECK_INT_EQ(rs[i].result, DNS_ERR_TIMEOUT);
	DS_ATOMIC_SET(a.silent, 0);
	evdns_base_free(dns, 0);

	/* EVDNS_BASE_DISABLE_WHEN_INACTIVE: an idle resolver does not keep the loop
	 * running; a lookup does, until it ends. */
	dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, a.addr) == 0);
	start = ds_now();
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK(ds_now() - start < 0.5);
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "host.test", 0, ds_result_cb, &r) != NULL);
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	evdns_base_free(dns, 0);

	event_base_free(base);
	ds_server_stop(&a);
	ds_server_stop(&b);
	ds_server_stop(&c);
	return check_report();
}
