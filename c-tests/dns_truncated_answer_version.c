/* SPDX-License-Identifier: BSD-3-Clause */
/* A UDP answer with TC set, as each libevent version handles it: 2.1 has no DNS over
 * TCP and reports DNS_ERR_TRUNCATED; 2.2 asks the same server again over TCP and
 * reports the full answer. The loaded library's version decides, so a build with
 * 2.1's binary interface must answer as 2.1 does. */
#include "dns_support.h"

int main(void)
{
	struct ds_server s;
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_result r;
	int i;
	int is_2_1 = event_get_version_number() < 0x02020000;

	ds_quiet_logs();
	ds_server_start(&s);
	for (i = 0; i < 40; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.0.2.%d", i + 1);
		ds_zone_add(&s, "many.test", DS_TYPE_A, 60, ip);
	}
	base = event_base_new();
	REQUIRE(base != NULL);
	dns = ds_base_for(base, &s);

	DS_ATOMIC_SET(s.udp_truncate, 1);
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "many.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(DS_ATOMIC_GET(s.udp_queries), 1);
	if (is_2_1) {
		CHECK_INT_EQ(r.result, DNS_ERR_TRUNCATED);
		CHECK_INT_EQ(r.count, 0);
		CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_queries), 0);
	} else {
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		CHECK_INT_EQ(r.count, 40);
		CHECK_INT_EQ(DS_ATOMIC_GET(s.tcp_queries), 1);
	}

	evdns_base_free(dns, 0);
	event_base_free(base);
	ds_server_stop(&s);
	return check_report();
}
