/* SPDX-License-Identifier: BSD-3-Clause */
/* DNS over TCP in the resolver (libevent 2.2): a truncated UDP answer asked again
 * over TCP unless ignore-tc / DNS_QUERY_IGNTC, use-vc / DNS_QUERY_USEVC, one
 * connection per server reused by several lookups, answers reassembled from small
 * pieces, the idle timeout closing the connection, and a server that hangs up. */
// test: requires 2.2
// test: timeout 60
#include "dns_support.h"

static void resolve_and_wait(struct event_base *base, struct evdns_base *dns, const char *name,
    int flags, struct ds_result *r)
{
	memset(r, 0, sizeof(*r));
	REQUIRE(evdns_base_resolve_ipv4(dns, name, flags, ds_result_cb, r) != NULL);
	CHECK(ds_run_until(base, &r->calls, 1, 5));
}

static void reset_counters(struct ds_server *s)
{
	DS_ATOMIC_SET(s->udp_queries, 0);
	DS_ATOMIC_SET(s->tcp_queries, 0);
	DS_ATOMIC_SET(s->tcp_accepts, 0);
	DS_ATOMIC_SET(s->tcp_closes, 0);
}

int main(void)
{
	struct ds_server s;
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_result r, r2;
	int i;

	ds_quiet_logs();
	ds_server_start(&s);
	for (i = 0; i < 40; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.0.1.%d", i + 1);
		ds_zone_add(&s, "big.test", DS_TYPE_A, 60, ip);
	}
	ds_zone_add(&s, "small.test", DS_TYPE_A, 30, "10.9.0.1");
	base = event_base_new();
	REQUIRE(base != NULL);
	dns = ds_base_for(base, &s);

	/* Truncated over UDP: asked again over TCP. */
	DS_ATOMIC_SET(s.udp_truncate, 1);
	reset_counters(&s);
	resolve_and_wait(base, dns, "big.test", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 40);
	CHECK_STR_EQ(r.addrs[7], "10.0.1.8");
	CHECK_INT_EQ(DS_ATOMIC_GET(s.udp_queries), 1);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_queries), 1);

	/* DNS_QUERY_IGNTC: the truncated answer is the result. */
	reset_counters(&s);
	resolve_and_wait(base, dns, "big.test", DNS_QUERY_IGNTC, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_TRUNCATED);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_queries), 0);
	DS_ATOMIC_SET(s.udp_truncate, 0);

	/* DNS_QUERY_USEVC: TCP only; the connection made above is reused, and answers
	 * arrive in 3-byte pieces. */
	reset_counters(&s);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "3") == 0); /* pieces come slowly */
	DS_ATOMIC_SET(s.tcp_chunk, 3);
	memset(&r2, 0, sizeof(r2));
	REQUIRE(evdns_base_resolve_ipv4(dns, "small.test", DNS_QUERY_USEVC, ds_result_cb, &r2) != NULL);
	resolve_and_wait(base, dns, "big.test", DNS_QUERY_USEVC, &r);
	CHECK(ds_run_until(base, &r2.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 40);
	CHECK_INT_EQ(r2.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r2.addrs[0], "10.9.0.1");
	CHECK_INT_EQ(r2.ttl, 30);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.udp_queries), 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_queries), 2);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_accepts), 0);
	DS_ATOMIC_SET(s.tcp_chunk, 0);
	evdns_base_free(dns, 0);
	ds_run_for(base, 0.2);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_open), 0);

	/* use-vc for every lookup; tcp-idle-timeout closes the idle connection. */
	dns = ds_base_for(base, &s);
	REQUIRE(evdns_base_set_option(dns, "use-vc", "") == 0);
	REQUIRE(evdns_base_set_option(dns, "tcp-idle-timeout:", "0.4") == 0);
	reset_counters(&s);
	resolve_and_wait(base, dns, "small.test", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	resolve_and_wait(base, dns, "small.test", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.udp_queries), 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_queries), 2);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_accepts), 1);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_closes), 0);
	CHECK(ds_run_until(base, &s.tcp_closes, 1, 3));
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_open), 0);

	/* The server hangs up after each answer: the next lookup connects again. */
	DS_ATOMIC_SET(s.tcp_close_after, 1);
	reset_counters(&s);
	resolve_and_wait(base, dns, "small.test", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	ds_run_for(base, 0.1);
	resolve_and_wait(base, dns, "small.test", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_accepts), 2);
	DS_ATOMIC_SET(s.tcp_close_after, 0);

	/* A silent server over TCP: DNS_ERR_TIMEOUT after the attempts. */
	DS_ATOMIC_SET(s.silent, 1);
	resolve_and_wait(base, dns, "small.test", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_TIMEOUT);
	DS_ATOMIC_SET(s.silent, 0);

	/* use-vc takes no value. */
	CHECK_INT_EQ(evdns_base_set_option(dns, "use-vc", "1"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "ignore-tc:", "yes"), -1);
	evdns_base_free(dns, 0);

	/* ignore-tc for every lookup. */
	dns = ds_base_for(base, &s);
	REQUIRE(evdns_base_set_option(dns, "ignore-tc:", "") == 0);
	DS_ATOMIC_SET(s.udp_truncate, 1);
	reset_counters(&s);
	resolve_and_wait(base, dns, "small.test", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_TRUNCATED);
	CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_queries), 0);
	DS_ATOMIC_SET(s.udp_truncate, 0);
	evdns_base_free(dns, 0);

	event_base_free(base);
	ds_server_stop(&s);
	return check_report();
}
