/* SPDX-License-Identifier: BSD-3-Clause */
/* A nameserver that answers with the question's name in lower case (as some do, and as
 * libevent's search_lower case has its server do) while randomize-case is on: answers,
 * NXDOMAIN and the search list still work, every lookup ends without a timeout, and
 * the server is not asked again and again. */
// test: per-backend
#include "dns_support.h"

/* Answers from the zone, then lowers the case of the question echoed in the reply (the
 * answers point at it). */
static int folding_handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *reply,
    void *arg)
{
	size_t i;
	(void)arg;
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, reply);
	pthread_mutex_unlock(&s->lock);
	for (i = 12; i < q->question_end - 4 && i < reply->len; i++)
		reply->b[i] = (unsigned char)tolower(reply->b[i]);
	return 1;
}

int main(void)
{
	struct ds_server s;
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_result r[4];
	int round, queries;

	ds_quiet_logs();
	ds_server_start(&s);
	ds_zone_add(&s, "folded.example.test", DS_TYPE_A, 60, "10.0.0.9");
	ds_zone_add(&s, "host.b.example.test", DS_TYPE_A, 60, "10.0.0.10");
	s.handler = folding_handler;
	base = event_base_new();
	REQUIRE(base != NULL);
	/* Short timeouts (ds_base_for): a reply that is not taken fails the lookup. */
	dns = ds_base_for(base, &s);
	REQUIRE(evdns_base_set_option(dns, "randomize-case:", "1") == 0);
	evdns_base_search_add(dns, "a.example.test");
	evdns_base_search_add(dns, "b.example.test");

	for (round = 0; round < 4; round++) {
		memset(r, 0, sizeof(r));
		REQUIRE(evdns_base_resolve_ipv4(dns, "Folded.Example.TEST", DNS_QUERY_NO_SEARCH,
		    ds_result_cb, &r[0]) != NULL);
		REQUIRE(evdns_base_resolve_ipv4(dns, "missing.example.test", DNS_QUERY_NO_SEARCH,
		    ds_result_cb, &r[1]) != NULL);
		/* The search list is tried from the domain added last: host.b.example.test. */
		REQUIRE(evdns_base_resolve_ipv4(dns, "HOST", 0, ds_result_cb, &r[2]) != NULL);
		CHECK(ds_run_until(base, &r[0].calls, 1, 5));
		CHECK(ds_run_until(base, &r[1].calls, 1, 5));
		CHECK(ds_run_until(base, &r[2].calls, 1, 5));
		CHECK_INT_EQ(r[0].result, DNS_ERR_NONE);
		CHECK_INT_EQ(r[0].count, 1);
		CHECK_STR_EQ(r[0].addrs[0], "10.0.0.9");
		CHECK_INT_EQ(r[1].result, DNS_ERR_NOTEXIST);
		CHECK_INT_EQ(r[2].result, DNS_ERR_NONE);
		CHECK_STR_EQ(r[2].addrs[0], "10.0.0.10");
	}
	/* One query per lookup; at most one more for each lookup of the first round. */
	queries = DS_ATOMIC_GET(s.udp_queries);
	CHECK(queries >= 4 * 3);
	CHECK(queries <= 4 * 3 + 3);

	evdns_base_free(dns, 0);
	event_base_free(base);
	s.handler = NULL;
	ds_server_stop(&s);
	return check_report();
}
