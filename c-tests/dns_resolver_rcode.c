/* SPDX-License-Identifier: BSD-3-Clause */
/* Response codes as the resolver treats them: REFUSED marks the server down and the
 * query goes to another one; SERVFAIL counts as a timeout (retransmitted, then
 * DNS_ERR_TIMEOUT); FORMERR, NOTIMP with no other server, and unknown codes end the
 * lookup with their error. */
// test: timeout 60
#include "dns_support.h"

struct rcode_arg {
	unsigned rcode;
};

/* Every query gets the rcode in arg, with the question copied. */
static int rcode_handler(struct ds_server *srv, const struct ds_query *q, struct ds_msg *reply,
    void *arg)
{
	struct rcode_arg *a = arg;
	(void)srv;
	ds_reply_start(reply, q, a->rcode);
	return 1;
}

static void resolve_and_wait(struct event_base *base, struct evdns_base *dns, const char *name,
    struct ds_result *r)
{
	memset(r, 0, sizeof(*r));
	REQUIRE(evdns_base_resolve_ipv4(dns, name, DNS_QUERY_NO_SEARCH, ds_result_cb, r) != NULL);
	CHECK(ds_run_until(base, &r->calls, 1, 10));
}

int main(void)
{
	struct ds_server bad, good;
	struct rcode_arg arg;
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_result r;
	double start;

	ds_quiet_logs();
	ds_server_start(&bad);
	ds_server_start(&good);
	ds_zone_add(&good, "host.test", DS_TYPE_A, 60, "10.0.0.2");
	bad.handler_arg = &arg;
	bad.handler = rcode_handler;
	base = event_base_new();
	REQUIRE(base != NULL);

	/* REFUSED from the first server: answered by the other. */
	arg.rcode = 5;
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, bad.addr) == 0);
	REQUIRE(evdns_base_nameserver_ip_add(dns, good.addr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.3") == 0);
	resolve_and_wait(base, dns, "host.test", &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "10.0.0.2");
	CHECK_INT_EQ(DS_ATOMIC_GET(bad.queries), 1);
	evdns_base_free(dns, 0);

	/* With one server, REFUSED and NOTIMP are the result. */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, bad.addr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.3") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "2") == 0);
	arg.rcode = 5;
	resolve_and_wait(base, dns, "host.test", &r);
	CHECK_INT_EQ(r.result, DNS_ERR_REFUSED);
	arg.rcode = 4;
	resolve_and_wait(base, dns, "host.test", &r);
	CHECK_INT_EQ(r.result, DNS_ERR_NOTIMPL);
	arg.rcode = 1;
	resolve_and_wait(base, dns, "host.test", &r);
	CHECK_INT_EQ(r.result, DNS_ERR_FORMAT);
	arg.rcode = 9;
	resolve_and_wait(base, dns, "host.test", &r);
	CHECK_INT_EQ(r.result, DNS_ERR_UNKNOWN);

	/* SERVFAIL: sent again at once, "attempts" times in all, then a timeout. */
	arg.rcode = 2;
	DS_ATOMIC_SET(bad.queries, 0);
	start = ds_now();
	resolve_and_wait(base, dns, "host.test", &r);
	CHECK_INT_EQ(r.result, DNS_ERR_TIMEOUT);
	CHECK_INT_EQ(DS_ATOMIC_GET(bad.queries), 2);
	CHECK(ds_now() - start < 0.25);
	evdns_base_free(dns, 0);

	event_base_free(base);
	bad.handler = NULL;
	ds_server_stop(&bad);
	ds_server_stop(&good);
	return check_report();
}
