/* SPDX-License-Identifier: BSD-3-Clause */
/* Probing a server that is down (libevent 2.2 options): probes start after
 * initial-probe-timeout, each failed probe multiplies the wait by
 * probe-backoff-factor up to about max-probe-timeout, and an answer brings the
 * server back. While every server is down, lookups still go to one of them. */
// test: requires 2.2
// test: timeout 60
#include "dns_support.h"

static int probes_seen(struct ds_server *s)
{
	static int total;
	const char *names = ds_server_names(s);
	const char *p = names;
	while ((p = strstr(p, "google.com")) != NULL) {
		total++;
		p += 10;
	}
	return total;
}

int main(void)
{
	struct ds_server s;
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_result r;
	double start;

	ds_quiet_logs();
	ds_server_start(&s);
	ds_zone_add(&s, "host.test", DS_TYPE_A, 60, "10.0.0.1");
	base = event_base_new();
	REQUIRE(base != NULL);
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, s.addr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.1") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "1") == 0);
	REQUIRE(evdns_base_set_option(dns, "initial-probe-timeout:", "0.3") == 0);
	REQUIRE(evdns_base_set_option(dns, "probe-backoff-factor:", "2") == 0);
	REQUIRE(evdns_base_set_option(dns, "max-probe-timeout:", "1") == 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "probe-backoff-factor:", "x"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "max-probe-timeout:", ""), 0); /* strtol: 0, clipped to 1 */

	/* The server stops answering: the lookup times out and the server is down. */
	DS_ATOMIC_SET(s.silent, 1);
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "host.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_TIMEOUT);
	start = ds_now();
	ds_server_names(&s);

	/* Waits of 0.3, 0.6 and 1.2 s, then 1.2 s again: as in libevent the wait stops
	 * growing once its whole seconds reach max-probe-timeout, and is cut to it only
	 * when they exceed it. Each probe takes 0.1 s to fail: probes at +0.3, +1.0,
	 * +2.3, +3.6, +4.9. */
	ds_run_for(base, 0.65 - (ds_now() - start));
	CHECK_INT_EQ(probes_seen(&s), 1);
	ds_run_for(base, 1.65 - (ds_now() - start));
	CHECK_INT_EQ(probes_seen(&s), 2);
	ds_run_for(base, 2.95 - (ds_now() - start));
	CHECK_INT_EQ(probes_seen(&s), 3);
	ds_run_for(base, 4.25 - (ds_now() - start));
	CHECK_INT_EQ(probes_seen(&s), 4);

	/* Still down, but the only server: a lookup goes to it anyway. */
	DS_ATOMIC_SET(s.queries, 0);
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "host.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_TIMEOUT);
	CHECK(DS_ATOMIC_GET(s.queries) >= 1);

	/* The next probe is answered: the server is up, and lookups succeed. */
	DS_ATOMIC_SET(s.silent, 0);
	ds_run_for(base, 1.3);
	CHECK(probes_seen(&s) >= 5);
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "host.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	/* No more probes once it is up. */
	probes_seen(&s);
	{
		int before = probes_seen(&s);
		ds_run_for(base, 1.5);
		CHECK_INT_EQ(probes_seen(&s), before);
	}

	evdns_base_free(dns, 0);
	event_base_free(base);
	ds_server_stop(&s);
	return check_report();
}
