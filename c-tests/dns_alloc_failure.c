/* Running out of memory is reported, never fatal, in evdns: with a malloc that fails,
 * evdns_base_new returns NULL, evdns_base_nameserver_ip_add fails, the resolve calls
 * return NULL (no callback), evdns_getaddrinfo calls back with EVUTIL_EAI_MEMORY inside
 * the call and returns NULL (also for a numeric host), evdns_base_resolv_conf_parse
 * and evdns_base_load_hosts return an error, evdns_base_search_add adds nothing. Once
 * malloc works again everything goes on, and lookups started before keep working. */
#include "dns_support.h"

static struct event_base *base;
static struct ds_server srv;

static void *failing_malloc(size_t n)
{
	(void)n;
	errno = ENOMEM;
	return NULL;
}

static void *failing_realloc(void *p, size_t n)
{
	(void)p;
	(void)n;
	errno = ENOMEM;
	return NULL;
}

static void failing_mem(void)
{
	event_set_mem_functions(failing_malloc, failing_realloc, free);
}

static void working_mem(void)
{
	event_set_mem_functions(malloc, realloc, free);
}

static int gai_calls, gai_err;

static void gai_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	(void)arg;
	gai_calls++;
	gai_err = err;
	if (res)
		evutil_freeaddrinfo(res);
}

int main(void)
{
	struct evdns_base *dns;
	struct ds_result r = { 0 }, pending = { 0 }, never = { 0 };
	struct evutil_addrinfo hints;
	const char *conf, *hosts;
	struct in_addr in;

	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	ds_server_start(&srv);
	ds_zone_add(&srv, "www.test", DS_TYPE_A, 60, "192.0.2.1");
	conf = ds_write_file("resolv.conf", "nameserver 127.0.0.1:5300\nsearch a.test\n");
	hosts = ds_write_file("hosts", "192.0.2.9 fromhosts.test\n");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;

	/* No base at all. */
	failing_mem();
	dns = evdns_base_new(base, 0);
	working_mem();
	CHECK(dns == NULL);

	dns = ds_base_for(base, &srv);
	/* A lookup in flight while memory runs out. */
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &pending) != NULL);

	failing_mem();
	CHECK(evdns_base_nameserver_ip_add(dns, "127.0.0.1:5301") != 0);
	CHECK(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &never) == NULL);
	CHECK(evdns_base_resolve_ipv6(dns, "www.test", 0, ds_result_cb, &never) == NULL);
	inet_pton(AF_INET, "192.0.2.1", &in);
	CHECK(evdns_base_resolve_reverse(dns, &in, 0, ds_result_cb, &never) == NULL);
	gai_calls = 0;
	CHECK(evdns_getaddrinfo(dns, "www.test", "80", &hints, gai_cb, NULL) == NULL);
	CHECK_INT_EQ(gai_calls, 1);
	CHECK_INT_EQ(gai_err, EVUTIL_EAI_MEMORY);
	gai_calls = 0;
	CHECK(evdns_getaddrinfo(dns, "192.0.2.5", "80", &hints, gai_cb, NULL) == NULL);
	CHECK_INT_EQ(gai_calls, 1);
	CHECK_INT_EQ(gai_err, EVUTIL_EAI_MEMORY);
	CHECK(evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS | DNS_OPTION_SEARCH, conf) != 0);
	CHECK(evdns_base_load_hosts(dns, hosts) != 0);
	evdns_base_search_add(dns, "b.test");
	working_mem();

	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	ds_run_for(base, 0.3);
	CHECK_INT_EQ(never.calls, 0);

	/* The lookup from before finished normally. */
	CHECK(ds_run_until(base, &pending.calls, 1, 3));
	CHECK_INT_EQ(pending.result, DNS_ERR_NONE);
	CHECK_STR_EQ(pending.addrs[0], "192.0.2.1");

	/* Everything works again: the search domain was not added. */
	ds_server_names(&srv);
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.1");
	CHECK(strstr(ds_server_names(&srv), "b.test") == NULL);
	CHECK_INT_EQ(evdns_base_load_hosts(dns, hosts), 0);
	gai_calls = 0;
	CHECK(evdns_getaddrinfo(dns, "fromhosts.test", "80", &hints, gai_cb, NULL) == NULL);
	CHECK_INT_EQ(gai_calls, 1);
	CHECK_INT_EQ(gai_err, 0);

	evdns_base_free(dns, 0);
	ds_server_stop(&srv);
	event_base_free(base);
	return check_report();
}
