/* The 1.x evdns API (dns_compat.h) on event_init()'s base against the fake server:
 * evdns_init, evdns_get_global_base, the nameserver calls, evdns_set_option, the
 * resolve calls (A, AAAA, reverse v4/v6), the search list calls, evdns_shutdown with
 * pending requests, and evdns_init again afterwards. */
#include "dns_support.h"

#include <event2/dns_compat.h>
#include <event2/event_compat.h>

static struct ds_result pending_result;

static void zone(struct ds_server *s)
{
	char rev[128];
	ds_zone_add(s, "www.test", DS_TYPE_A, 120, "192.0.2.7");
	ds_zone_add(s, "www.test", DS_TYPE_AAAA, 130, "2001:db8::7");
	ds_zone_add(s, "short.corp.test", DS_TYPE_A, 60, "192.0.2.8");
	ds_reverse_name("192.0.2.7", rev, sizeof(rev));
	ds_zone_add(s, rev, DS_TYPE_PTR, 90, "www.test");
	ds_reverse_name("2001:db8::7", rev, sizeof(rev));
	ds_zone_add(s, rev, DS_TYPE_PTR, 91, "www6.test");
}

int main(void)
{
	struct event_base *base;
	struct ds_server s;
	struct ds_result r;
	struct in_addr in4;
	struct in6_addr in6;

	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	ds_server_start(&s);
	zone(&s);

	CHECK(evdns_get_global_base() == NULL);
	base = event_init();
	REQUIRE(base != NULL);
	CHECK_INT_EQ(evdns_init(), 0);
	REQUIRE(evdns_get_global_base() != NULL);

	/* Whatever /etc/resolv.conf gave, start from nothing. */
	CHECK_INT_EQ(evdns_clear_nameservers_and_suspend(), 0);
	CHECK_INT_EQ(evdns_count_nameservers(), 0);
	CHECK_INT_EQ(evdns_nameserver_add(inet_addr("127.0.0.1")), 0);
	CHECK_INT_EQ(evdns_count_nameservers(), 1);
	CHECK_INT_EQ(evdns_clear_nameservers_and_suspend(), 0);
	CHECK_INT_EQ(evdns_count_nameservers(), 0);
	CHECK_INT_EQ(evdns_nameserver_ip_add(s.addr), 0);
	CHECK_INT_EQ(evdns_count_nameservers(), 1);
	CHECK_INT_EQ(evdns_count_nameservers(), evdns_base_count_nameservers(evdns_get_global_base()));
	CHECK_INT_EQ(evdns_resume(), 0);
	CHECK_INT_EQ(evdns_set_option("timeout:", "0.3", DNS_OPTIONS_ALL), 0);
	CHECK_INT_EQ(evdns_set_option("attempts:", "2", DNS_OPTIONS_ALL), 0);
	/* Unknown options are ignored, as in resolv.conf. */
	CHECK_INT_EQ(evdns_set_option("no-such-option:", "1", DNS_OPTIONS_ALL), 0);

	memset(&r, 0, sizeof(r));
	CHECK_INT_EQ(evdns_resolve_ipv4("www.test", 0, ds_result_cb, &r), 0);
	CHECK_INT_EQ(r.calls, 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_IPv4_A);
	CHECK_INT_EQ(r.count, 1);
	CHECK_INT_EQ(r.ttl, 120);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.7");

	memset(&r, 0, sizeof(r));
	CHECK_INT_EQ(evdns_resolve_ipv6("www.test", 0, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_IPv6_AAAA);
	CHECK_INT_EQ(r.ttl, 130);
	CHECK_STR_EQ(r.addrs[0], "2001:db8::7");

	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET, "192.0.2.7", &in4);
	CHECK_INT_EQ(evdns_resolve_reverse(&in4, 0, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_PTR);
	CHECK_INT_EQ(r.ttl, 90);
	CHECK_STR_EQ(r.addrs[0], "www.test");

	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET6, "2001:db8::7", &in6);
	CHECK_INT_EQ(evdns_resolve_reverse_ipv6(&in6, 0, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_PTR);
	CHECK_STR_EQ(r.addrs[0], "www6.test");

	/* NXDOMAIN. */
	memset(&r, 0, sizeof(r));
	CHECK_INT_EQ(evdns_resolve_ipv4("missing.test", 0, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);

	/* Search list: "short" has fewer dots than ndots (1), so short.corp.test is tried. */
	evdns_search_add("corp.test");
	evdns_search_ndots_set(1);
	memset(&r, 0, sizeof(r));
	CHECK_INT_EQ(evdns_resolve_ipv4("short", 0, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.8");
	/* DNS_QUERY_NO_SEARCH asks the name alone. */
	memset(&r, 0, sizeof(r));
	CHECK_INT_EQ(evdns_resolve_ipv4("short", DNS_QUERY_NO_SEARCH, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	/* Cleared: the name alone again. */
	evdns_search_clear();
	memset(&r, 0, sizeof(r));
	CHECK_INT_EQ(evdns_resolve_ipv4("short", 0, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	pthread_mutex_lock(&s.lock);
	CHECK(strcasecmp(s.last_name, "short") == 0);
	pthread_mutex_unlock(&s.lock);

	/* evdns_shutdown(1) fails what is pending, and forgets the global base. */
	DS_ATOMIC_SET(s.silent, 1);
	memset(&pending_result, 0, sizeof(pending_result));
	CHECK_INT_EQ(evdns_resolve_ipv4("www.test", 0, ds_result_cb, &pending_result), 0);
	ds_run_for(base, 0.05);
	evdns_shutdown(1);
	CHECK(evdns_get_global_base() == NULL);
	CHECK(ds_run_until(base, &pending_result.calls, 1, 2));
	CHECK_INT_EQ(pending_result.result, DNS_ERR_SHUTDOWN);
	ds_run_for(base, 0.7);
	CHECK_INT_EQ(pending_result.calls, 1);

	/* And it can start again. */
	DS_ATOMIC_SET(s.silent, 0);
	CHECK_INT_EQ(evdns_init(), 0);
	REQUIRE(evdns_get_global_base() != NULL);
	CHECK_INT_EQ(evdns_clear_nameservers_and_suspend(), 0);
	CHECK_INT_EQ(evdns_nameserver_ip_add(s.addr), 0);
	CHECK_INT_EQ(evdns_resume(), 0);
	memset(&r, 0, sizeof(r));
	CHECK_INT_EQ(evdns_resolve_ipv4("www.test", 0, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.7");
	evdns_shutdown(0);

	ds_server_stop(&s);
	event_base_free(base);
	return check_report();
}
