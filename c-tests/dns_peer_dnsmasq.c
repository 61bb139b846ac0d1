/* evdns against a real DNS server: dnsmasq on 127.0.0.1 and a free high port, isolated
 * (-C /dev/null --no-resolv --no-hosts), authoritative for example.test (--local), with
 * zone data from an --addn-hosts file and --host-record/--ptr-record/--cname options.
 * Resolves A, AAAA, PTR (IPv4 and IPv6), a CNAME, NXDOMAIN and NODATA, checks the TTLs
 * handed to the callbacks, a search domain with ndots, evdns_getaddrinfo through it, and
 * many lookups at once. Without dnsmasq installed it prints a skip and passes (.ci/run
 * installs it). */
// test: timeout 30
#include "dns_support.h"

static struct event_base *base;

static int resolve(struct evdns_base *dns, int type, const char *what, int flags,
    struct ds_result *r)
{
	struct evdns_request *req = NULL;
	memset(r, 0, sizeof(*r));
	if (type == DNS_IPv4_A) {
		req = evdns_base_resolve_ipv4(dns, what, flags, ds_result_cb, r);
	} else if (type == DNS_IPv6_AAAA) {
		req = evdns_base_resolve_ipv6(dns, what, flags, ds_result_cb, r);
	} else {
		struct in_addr in4;
		struct in6_addr in6;
		if (inet_pton(AF_INET, what, &in4) == 1)
			req = evdns_base_resolve_reverse(dns, &in4, flags, ds_result_cb, r);
		else if (inet_pton(AF_INET6, what, &in6) == 1)
			req = evdns_base_resolve_reverse_ipv6(dns, &in6, flags, ds_result_cb, r);
	}
	REQUIRE(req != NULL);
	return ds_run_until(base, &r->calls, 1, 4);
}

struct gai {
	int calls;
	int err;
	int n;
	char text[8][64];
};

static void gai_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct gai *g = arg;
	struct evutil_addrinfo *ai;
	g->calls++;
	g->err = err;
	g->n = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		char host[INET6_ADDRSTRLEN] = "?";
		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, host,
			    sizeof(host));
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, host,
			    sizeof(host));
		if (g->n < 8)
			snprintf(g->text[g->n], sizeof(g->text[0]), "%s", host);
		g->n++;
	}
	if (res)
		evutil_freeaddrinfo(res);
}

static void test_records(struct evdns_base *dns)
{
	struct ds_result r;

	/* From the --addn-hosts file; TTL from --local-ttl. */
	CHECK(resolve(dns, DNS_IPv4_A, "host1.example.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_IPv4_A);
	CHECK_INT_EQ(r.count, 1);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.11");
	CHECK_INT_EQ(r.ttl, 77);
	CHECK(resolve(dns, DNS_IPv6_AAAA, "HOST1.Example.Test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_IPv6_AAAA);
	CHECK_STR_EQ(r.addrs[0], "2001:db8::11");
	CHECK_INT_EQ(r.ttl, 77);
	/* Two addresses for one name. */
	CHECK(resolve(dns, DNS_IPv4_A, "multi.example.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 2);
	CHECK((strcmp(r.addrs[0], "192.0.2.31") == 0 && strcmp(r.addrs[1], "192.0.2.32") == 0) ||
	    (strcmp(r.addrs[0], "192.0.2.32") == 0 && strcmp(r.addrs[1], "192.0.2.31") == 0));

	/* --host-record with its own TTL. */
	CHECK(resolve(dns, DNS_IPv4_A, "rec.example.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.21");
	CHECK_INT_EQ(r.ttl, 1234);
	CHECK(resolve(dns, DNS_IPv6_AAAA, "rec.example.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "2001:db8::21");
	CHECK_INT_EQ(r.ttl, 1234);

	/* PTR: from the hosts file (IPv4 and IPv6), and an explicit --ptr-record. */
	CHECK(resolve(dns, DNS_PTR, "192.0.2.11", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.type, DNS_PTR);
	CHECK_STR_EQ(r.addrs[0], "host1.example.test");
	CHECK_INT_EQ(r.ttl, 77);
	CHECK(resolve(dns, DNS_PTR, "2001:db8::11", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "host1.example.test");
	CHECK(resolve(dns, DNS_PTR, "192.0.2.99", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "ptr.example.test");

	/* A CNAME to a hosts-file name: the target's address. */
	CHECK(resolve(dns, DNS_IPv4_A, "alias.example.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.11");
	CHECK(r.ttl <= 77);

	/* NXDOMAIN inside the local domain. */
	CHECK(resolve(dns, DNS_IPv4_A, "nope.example.test", DNS_QUERY_NO_SEARCH, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_INT_EQ(r.count, 0);
	/* dnsmasq sends no SOA for --local names: no negative TTL to report. */
	CHECK_INT_EQ(r.ttl, 0);
	/* NODATA: the name has an A record only. */
	CHECK(resolve(dns, DNS_IPv6_AAAA, "v4only.example.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NODATA);
	CHECK_INT_EQ(r.ttl, 0);
	CHECK_INT_EQ(r.count, 0);
	/* A reverse name nobody has. */
	CHECK(resolve(dns, DNS_PTR, "192.0.2.200", 0, &r));
	CHECK(r.result != DNS_ERR_NONE);
}

static void test_search(struct evdns_base *dns)
{
	struct ds_result r;
	evdns_base_search_clear(dns);
	evdns_base_search_add(dns, "example.test");
	evdns_base_search_ndots_set(dns, 1);
	/* No dot: the search domain is tried first. */
	CHECK(resolve(dns, DNS_IPv4_A, "v4only", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.12");
	/* Without search. */
	CHECK(resolve(dns, DNS_IPv4_A, "v4only", DNS_QUERY_NO_SEARCH, &r));
	CHECK(r.result != DNS_ERR_NONE);
	/* ndots:3: "rec.example" (one dot) goes through the list first:
	 * rec.example.example.test does not exist, then rec.example alone fails too. */
	evdns_base_search_ndots_set(dns, 3);
	CHECK(resolve(dns, DNS_IPv4_A, "rec.example", 0, &r));
	CHECK(r.result != DNS_ERR_NONE);
	/* A full name with fewer dots than ndots still resolves (tried after the list). */
	CHECK(resolve(dns, DNS_IPv4_A, "rec.example.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.21");
	evdns_base_search_clear(dns);
}

static void test_getaddrinfo(struct evdns_base *dns)
{
	struct evutil_addrinfo hints;
	struct gai g;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;

	memset(&g, 0, sizeof(g));
	CHECK(evdns_getaddrinfo(dns, "rec.example.test", "443", &hints, gai_cb, &g) != NULL);
	CHECK(ds_run_until(base, &g.calls, 1, 4));
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 2);
	CHECK_STR_EQ(g.text[0], "192.0.2.21");
	CHECK_STR_EQ(g.text[1], "2001:db8::21");

	memset(&g, 0, sizeof(g));
	CHECK(evdns_getaddrinfo(dns, "v4only.example.test", "80", &hints, gai_cb, &g) != NULL);
	CHECK(ds_run_until(base, &g.calls, 1, 4));
	CHECK_INT_EQ(g.err, 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.text[0], "192.0.2.12");

	memset(&g, 0, sizeof(g));
	CHECK(evdns_getaddrinfo(dns, "nope.example.test", "80", &hints, gai_cb, &g) != NULL);
	CHECK(ds_run_until(base, &g.calls, 1, 4));
	CHECK_INT_EQ(g.err, EVUTIL_EAI_NONAME);
	CHECK_INT_EQ(g.n, 0);
}

static int many_done;
static int many_ok;

static void many_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	(void)type;
	(void)ttl;
	(void)arg;
	many_done++;
	if (result == DNS_ERR_NONE && count == 1 &&
	    memcmp(addresses, "\xc0\x00\x02\x0b", 4) == 0)
		many_ok++;
}

static void test_many(struct evdns_base *dns)
{
	int i;
	for (i = 0; i < 200; i++)
		REQUIRE(evdns_base_resolve_ipv4(dns, "host1.example.test", 0, many_cb, NULL) != NULL);
	CHECK(ds_run_until(base, &many_done, 200, 8));
	CHECK_INT_EQ(many_ok, 200);
}

int main(void)
{
	unsigned short port = ds_free_port();
	const char *hosts;
	char addn[512], nsaddr[64];
	struct evdns_base *dns;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	if (!ds_find_program("dnsmasq")) {
		printf("skip: dnsmasq is not installed (apt-get install dnsmasq-base)\n");
		CHECK(1);
		return check_report();
	}
	hosts = ds_write_file("hosts",
	    "192.0.2.11 host1.example.test\n"
	    "2001:db8::11 host1.example.test\n"
	    "192.0.2.12 v4only.example.test\n"
	    "192.0.2.31 multi.example.test\n"
	    "192.0.2.32 multi.example.test\n");
	snprintf(addn, sizeof(addn), "--addn-hosts=%s", hosts);
	{
		const char *extra[] = {
			addn,
			"--local-ttl=77",
			"--local=/example.test/",
			"--host-record=rec.example.test,192.0.2.21,2001:db8::21,1234",
			"--ptr-record=99.2.0.192.in-addr.arpa,ptr.example.test",
			"--cname=alias.example.test,host1.example.test",
			NULL
		};
		pid = ds_dnsmasq_start(port, "host1.example.test", extra);
	}
	REQUIRE(pid > 0);

	base = event_base_new();
	REQUIRE(base != NULL);
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	snprintf(nsaddr, sizeof(nsaddr), "127.0.0.1:%u", port);
	REQUIRE(evdns_base_nameserver_ip_add(dns, nsaddr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "1") == 0);

	test_records(dns);
	test_search(dns);
	test_getaddrinfo(dns);
	test_many(dns);

	evdns_base_free(dns, 0);
	event_base_free(base);
	ds_reap(pid);
	return check_report();
}
