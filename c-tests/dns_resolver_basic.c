/* SPDX-License-Identifier: BSD-3-Clause */
/* The resolver's answers over UDP from a fake server on 127.0.0.1: A, AAAA and PTR
 * with their TTLs, NXDOMAIN and NODATA with the SOA minimum, CNAME callbacks, cancel,
 * the name server table, option values and error strings. */
#include "dns_support.h"

#ifdef DNS_CNAME_CALLBACK
static int cname_calls;
static char cname_seen[256];
static int a_calls;

static void cname_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	(void)count;
	(void)ttl;
	(void)arg;
	if (result == DNS_ERR_NONE && type == DNS_CNAME) {
		cname_calls++;
		snprintf(cname_seen, sizeof(cname_seen), "%s", (const char *)addresses);
	} else if (result == DNS_ERR_NONE && type == DNS_IPv4_A) {
		a_calls++;
	}
}

#endif

struct freer {
	struct evdns_base *dns;
	int calls;
	int result;
};

/* Frees the base from inside its own callback. */
static void free_base_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct freer *f = arg;
	(void)type;
	(void)count;
	(void)ttl;
	(void)addresses;
	f->calls++;
	f->result = result;
	if (f->dns) {
		evdns_base_free(f->dns, 1);
		f->dns = NULL;
	}
}

/* Answers from the zone, except names starting with "slow", which get nothing. */
static int ignore_slow(struct ds_server *srv, const struct ds_query *q, struct ds_msg *reply,
    void *arg)
{
	(void)arg;
	if (strncmp(q->lname, "slow", 4) == 0)
		return 0;
	pthread_mutex_lock(&srv->lock);
	ds_zone_answer(srv, q, reply);
	pthread_mutex_unlock(&srv->lock);
	return 1;
}

int main(void)
{
	struct ds_server s;
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_result r;
	struct in_addr in;
	struct in6_addr in6;
	struct sockaddr_storage ss;
	struct evdns_request *req;

	ds_count_allocations();
	ds_quiet_logs();
	ds_server_start(&s);
	ds_zone_add(&s, "www.example.com", DS_TYPE_A, 120, "10.0.0.1");
	ds_zone_add(&s, "www.example.com", DS_TYPE_A, 60, "10.0.0.2");
	ds_zone_add(&s, "v6.example.com", DS_TYPE_AAAA, 90, "2001:db8::5");
	ds_zone_add(&s, "4.3.2.1.in-addr.arpa", DS_TYPE_PTR, 77, "host.example.com");
	ds_zone_add(&s, "alias.example.com", DS_TYPE_CNAME, 50, "www.example.com");
	ds_zone_add(&s, "onlyv4.example.com", DS_TYPE_A, 50, "10.9.9.9");
	s.soa_minimum = 42;

	base = event_base_new();
	REQUIRE(base != NULL);
	dns = ds_base_for(base, &s);

	/* A: both addresses, the smaller TTL. */
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.example.com", 0, ds_result_cb, &r) != NULL);
	CHECK_INT_EQ(r.calls, 0); /* never inside the call */
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_IPv4_A);
	CHECK_INT_EQ(r.count, 2);
	CHECK_INT_EQ(r.ttl, 60);
	CHECK_STR_EQ(r.addrs[0], "10.0.0.1");
	CHECK_STR_EQ(r.addrs[1], "10.0.0.2");

	/* AAAA. */
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv6(dns, "v6.example.com", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_IPv6_AAAA);
	CHECK_INT_EQ(r.count, 1);
	CHECK_INT_EQ(r.ttl, 90);
	CHECK_STR_EQ(r.addrs[0], "2001:db8::5");

	/* PTR. */
	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET, "1.2.3.4", &in);
	REQUIRE(evdns_base_resolve_reverse(dns, &in, 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_PTR);
	CHECK_INT_EQ(r.ttl, 77);
	CHECK_STR_EQ(r.addrs[0], "host.example.com");

	/* Reverse IPv6 asks the nibble name; NXDOMAIN there. */
	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET6, "2001:db8::1", &in6);
	ds_server_names(&s);
	REQUIRE(evdns_base_resolve_reverse_ipv6(dns, &in6, 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_STR_EQ(ds_server_names(&s),
	    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");

	/* NXDOMAIN: the SOA minimum as TTL. */
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "nothere.example.com", DNS_QUERY_NO_SEARCH,
	    ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_INT_EQ(r.count, 0);
	CHECK_INT_EQ(r.ttl, 42);

	/* NODATA. */
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv6(dns, "onlyv4.example.com", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NODATA);

#ifdef DNS_CNAME_CALLBACK
	/* CNAME callback (2.2): the addresses, then the canonical name. */
	REQUIRE(evdns_base_resolve_ipv4(dns, "alias.example.com", DNS_CNAME_CALLBACK,
	    cname_cb, NULL) != NULL);
	CHECK(ds_run_until(base, &cname_calls, 1, 5));
	CHECK_INT_EQ(a_calls, 1);
	CHECK_STR_EQ(cname_seen, "www.example.com");
#endif

	/* Cancel: the callback runs once, later, with DNS_ERR_CANCEL. */
	DS_ATOMIC_SET(s.silent, 1);
	memset(&r, 0, sizeof(r));
	req = evdns_base_resolve_ipv4(dns, "www.example.com", 0, ds_result_cb, &r);
	REQUIRE(req != NULL);
	evdns_cancel_request(dns, req);
	CHECK_INT_EQ(r.calls, 0);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_CANCEL);
	ds_run_for(base, 0.5);
	CHECK_INT_EQ(r.calls, 1);
	DS_ATOMIC_SET(s.silent, 0);

	/* The name server table. */
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, s.addr), 3); /* already there */
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "not an address"), 4);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	memset(&ss, 0, sizeof(ss));
	CHECK_INT_EQ(evdns_base_get_nameserver_addr(dns, 0, (struct sockaddr *)&ss, sizeof(ss)),
	    (int)sizeof(struct sockaddr_in));
	CHECK_INT_EQ(((struct sockaddr_in *)&ss)->sin_port, htons(s.port));
	CHECK_INT_EQ(evdns_base_get_nameserver_addr(dns, 0, (struct sockaddr *)&ss, 2),
	    (int)sizeof(struct sockaddr_in));
	CHECK_INT_EQ(evdns_base_get_nameserver_addr(dns, 1, (struct sockaddr *)&ss, sizeof(ss)), -1);

	/* Options: values checked, unknown names ignored. */
	CHECK_INT_EQ(evdns_base_set_option(dns, "ndots:", "2"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "ndots", "x"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "timeout:", "-1"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "timeout:", "0.0001"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "max-timeouts:", "1000"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "max-inflight:", "0"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "randomize-case:", "0"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "bind-to:", "nonsense"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "no-such-option:", "1"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "max-inflight:", "64"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "timeout:", "0.3"), 0);

	/* With randomize-case off the name goes out as written. */
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "WWW.Example.COM", DNS_QUERY_NO_SEARCH,
	    ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	pthread_mutex_lock(&s.lock);
	CHECK_STR_EQ(s.last_name, "WWW.Example.COM");
	pthread_mutex_unlock(&s.lock);

	/* Error strings. */
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_NONE), "no error");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_TIMEOUT), "request timed out");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_CANCEL), "dns request canceled");
	CHECK_STR_EQ(evdns_err_to_string(12345), "[Unknown error code]");

	/* Freeing with fail_requests: the pending lookup gets DNS_ERR_SHUTDOWN, later. */
	DS_ATOMIC_SET(s.silent, 1);
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.example.com", 0, ds_result_cb, &r) != NULL);
	evdns_base_free(dns, 1);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_SHUTDOWN);

	/* Freeing without: the callback never runs. */
	dns = ds_base_for(base, &s);
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.example.com", 0, ds_result_cb, &r) != NULL);
	evdns_base_free(dns, 0);
	ds_run_for(base, 0.3);
	CHECK_INT_EQ(r.calls, 0);
	DS_ATOMIC_SET(s.silent, 0);

	/* A callback may free the base: the other pending lookup gets DNS_ERR_SHUTDOWN. */
	{
		struct freer f;
		dns = ds_base_for(base, &s);
		f.dns = dns;
		f.calls = 0;
		memset(&r, 0, sizeof(r));
		s.handler = ignore_slow;
		REQUIRE(evdns_base_resolve_ipv4(dns, "slow.example.com", 0, ds_result_cb, &r) != NULL);
		REQUIRE(evdns_base_resolve_ipv4(dns, "www.example.com", 0, free_base_cb, &f) != NULL);
		CHECK(ds_run_until(base, &f.calls, 1, 5));
		CHECK(ds_run_until(base, &r.calls, 1, 5));
		CHECK_INT_EQ(f.result, DNS_ERR_NONE);
		CHECK_INT_EQ(r.result, DNS_ERR_SHUTDOWN);
		s.handler = NULL;
	}

	event_base_free(base);
	/* Everything the resolver allocated went back (lookups, answers, handles,
	 * servers, dispatchers). */
	CHECK_INT_EQ(ds_live_blocks, 0);
	ds_server_stop(&s);
	return check_report();
}
