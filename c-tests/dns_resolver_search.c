/* SPDX-License-Identifier: BSD-3-Clause */
/* The search list and ndots: which names are asked, in which order, and when the
 * raw name goes first or last; DNS_QUERY_NO_SEARCH; the list from resolv.conf. */
#include "dns_support.h"

static void resolve_and_wait(struct event_base *base, struct evdns_base *dns, const char *name,
    int flags, struct ds_result *r)
{
	memset(r, 0, sizeof(*r));
	REQUIRE(evdns_base_resolve_ipv4(dns, name, flags, ds_result_cb, r) != NULL);
	CHECK(ds_run_until(base, &r->calls, 1, 5));
}

int main(void)
{
	struct ds_server s;
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_result r;
	char conf[512];
	const char *path;

	ds_quiet_logs();
	ds_server_start(&s);
	ds_zone_add(&s, "found.b.test", DS_TYPE_A, 60, "10.1.1.1");
	ds_zone_add(&s, "x.y", DS_TYPE_A, 60, "10.2.2.2");
	base = event_base_new();
	REQUIRE(base != NULL);
	dns = ds_base_for(base, &s);
	REQUIRE(evdns_base_set_option(dns, "randomize-case:", "0") == 0);

	/* Each domain added goes before the earlier ones, as in libevent. */
	evdns_base_search_add(dns, "b.test");
	evdns_base_search_add(dns, ".a.test"); /* leading dots are dropped */

	/* Fewer dots than ndots (1): the search names first, the raw name last. */
	ds_server_names(&s);
	resolve_and_wait(base, dns, "host", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_STR_EQ(ds_server_names(&s), "host.a.test host.b.test host");

	/* The search stops at the first answer. */
	resolve_and_wait(base, dns, "found", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "10.1.1.1");
	CHECK_STR_EQ(ds_server_names(&s), "found.a.test found.b.test");

	/* Enough dots: the raw name first, then the search names. */
	resolve_and_wait(base, dns, "q.r", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_STR_EQ(ds_server_names(&s), "q.r q.r.a.test q.r.b.test");
	resolve_and_wait(base, dns, "x.y", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(ds_server_names(&s), "x.y");

	/* DNS_QUERY_NO_SEARCH: the name alone. */
	resolve_and_wait(base, dns, "host", DNS_QUERY_NO_SEARCH, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_STR_EQ(ds_server_names(&s), "host");

	/* ndots 2: "q.r" now has too few dots. */
	evdns_base_search_ndots_set(dns, 2);
	resolve_and_wait(base, dns, "q.r", 0, &r);
	CHECK_STR_EQ(ds_server_names(&s), "q.r.a.test q.r.b.test q.r");
	CHECK_INT_EQ(evdns_base_set_option(dns, "ndots:", "0"), 0);
	resolve_and_wait(base, dns, "host", 0, &r);
	CHECK_STR_EQ(ds_server_names(&s), "host host.a.test host.b.test");

	/* A reverse lookup never searches. */
	{
		struct in_addr in;
		inet_pton(AF_INET, "10.0.0.9", &in);
		memset(&r, 0, sizeof(r));
		REQUIRE(evdns_base_resolve_reverse(dns, &in, 0, ds_result_cb, &r) != NULL);
		CHECK(ds_run_until(base, &r.calls, 1, 5));
		CHECK_STR_EQ(ds_server_names(&s), "9.0.0.10.in-addr.arpa");
	}

	/* Cleared: the name alone. */
	evdns_base_search_clear(dns);
	resolve_and_wait(base, dns, "host", 0, &r);
	CHECK_STR_EQ(ds_server_names(&s), "host");
	evdns_base_free(dns, 0);

	/* From resolv.conf: "search" replaces the list; a later "options ndots" holds. */
	snprintf(conf, sizeof(conf),
	    "domain ignored.test\n"
	    "search one.test two.test\n"
	    "options ndots:2 timeout:0.3 attempts:1 rotate\n"
	    "nameserver %s\n", s.addr);
	path = ds_write_file("resolv.conf", conf);
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL, path), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	REQUIRE(evdns_base_set_option(dns, "randomize-case:", "0") == 0);
	ds_server_names(&s);
	resolve_and_wait(base, dns, "a.b", 0, &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_STR_EQ(ds_server_names(&s), "a.b.one.test a.b.two.test a.b");
	evdns_base_free(dns, 0);

	/* Without DNS_OPTION_SEARCH the search lines are ignored. */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC,
	    path), 0);
	REQUIRE(evdns_base_set_option(dns, "randomize-case:", "0") == 0);
	resolve_and_wait(base, dns, "a.b", 0, &r);
	CHECK_STR_EQ(ds_server_names(&s), "a.b");
	evdns_base_free(dns, 0);

	event_base_free(base);
	ds_server_stop(&s);
	return check_report();
}
