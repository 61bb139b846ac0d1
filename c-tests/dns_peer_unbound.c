/* evdns against unbound: a static local zone example.test (with an SOA, so negative
 * answers carry a TTL) served on 127.0.0.1 and a free high port, from a configuration
 * file this program writes. A, AAAA, PTR v4/v6, a CNAME, NXDOMAIN and NODATA with the
 * SOA's negative TTL, evdns_getaddrinfo; and, where the headers have it (libevent 2.2),
 * the same questions over TCP with DNS_QUERY_USEVC. Without unbound installed it prints
 * a skip and passes. */
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

static void questions(struct evdns_base *dns, int flags)
{
	struct ds_result r;

	CHECK(resolve(dns, DNS_IPv4_A, "www.example.test", flags, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 1);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.41");
	CHECK_INT_EQ(r.ttl, 300);
	CHECK(resolve(dns, DNS_IPv6_AAAA, "www.example.test", flags, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "2001:db8::41");
	CHECK_INT_EQ(r.ttl, 300);
	CHECK(resolve(dns, DNS_PTR, "192.0.2.41", flags, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "www.example.test");
	CHECK(resolve(dns, DNS_PTR, "2001:db8::41", flags, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "www.example.test");
	/* Three addresses in one answer. */
	CHECK(resolve(dns, DNS_IPv4_A, "three.example.test", flags, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 3);
	CHECK_INT_EQ(r.ttl, 30);
	/* NXDOMAIN and NODATA: the SOA's minimum (120) is below its TTL (3600). */
	CHECK(resolve(dns, DNS_IPv4_A, "nope.example.test", flags, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	CHECK_INT_EQ(r.ttl, 120);
	CHECK(resolve(dns, DNS_IPv6_AAAA, "three.example.test", flags, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NODATA);
	CHECK_INT_EQ(r.ttl, 120);
}

static int gai_calls, gai_err, gai_n;

static void gai_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct evutil_addrinfo *ai;
	(void)arg;
	gai_calls++;
	gai_err = err;
	gai_n = 0;
	for (ai = res; ai; ai = ai->ai_next)
		gai_n++;
	if (res)
		evutil_freeaddrinfo(res);
}

int main(void)
{
	unsigned short port = ds_free_port();
	char conf[4096], nsaddr[64], *argv[6];
	const char *prog, *conf_path;
	struct evdns_base *dns;
	struct evutil_addrinfo hints;
	pid_t pid;
	double end;
	unsigned char buf[512];

	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	prog = ds_find_program("unbound");
	if (!prog) {
		printf("skip: unbound is not installed\n");
		CHECK(1);
		return check_report();
	}
	snprintf(conf, sizeof(conf),
	    "server:\n"
	    "  interface: 127.0.0.1\n"
	    "  port: %u\n"
	    "  do-ip6: no\n"
	    "  do-daemonize: no\n"
	    "  username: \"\"\n"
	    "  chroot: \"\"\n"
	    "  directory: \"%s\"\n"
	    "  pidfile: \"\"\n"
	    "  use-syslog: no\n"
	    "  logfile: \"\"\n"
	    "  verbosity: 0\n"
	    "  module-config: \"iterator\"\n"
	    "  num-threads: 1\n"
	    "  local-zone: \"example.test.\" static\n"
	    "  local-data: \"example.test. 3600 IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 120\"\n"
	    "  local-data: \"www.example.test. 300 IN A 192.0.2.41\"\n"
	    "  local-data: \"www.example.test. 300 IN AAAA 2001:db8::41\"\n"
	    "  local-data: \"three.example.test. 30 IN A 192.0.2.51\"\n"
	    "  local-data: \"three.example.test. 30 IN A 192.0.2.52\"\n"
	    "  local-data: \"three.example.test. 30 IN A 192.0.2.53\"\n"
	    "  local-data-ptr: \"192.0.2.41 300 www.example.test.\"\n"
	    "  local-data-ptr: \"2001:db8::41 300 www.example.test.\"\n"
	    "remote-control:\n"
	    "  control-enable: no\n",
	    port, ds_tmpdir_get());
	conf_path = ds_write_file("unbound.conf", conf);
	{
		static char path[4096], cpath[512];
		snprintf(path, sizeof(path), "%s", prog);
		snprintf(cpath, sizeof(cpath), "%s", conf_path);
		argv[0] = path;
		argv[1] = "-d";
		argv[2] = "-c";
		argv[3] = cpath;
		argv[4] = NULL;
	}
	pid = ds_spawn(argv);
	end = ds_now() + 8;
	while (ds_now() < end && ds_udp_ask(port, "www.example.test", DS_TYPE_A, buf, sizeof(buf), 100) <= 0) {
		int st;
		REQUIRE(waitpid(pid, &st, WNOHANG) == 0);
	}
	REQUIRE(ds_now() < end);

	base = event_base_new();
	REQUIRE(base != NULL);
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	snprintf(nsaddr, sizeof(nsaddr), "127.0.0.1:%u", port);
	REQUIRE(evdns_base_nameserver_ip_add(dns, nsaddr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "1") == 0);

	questions(dns, 0);
#ifdef DNS_QUERY_USEVC
	questions(dns, DNS_QUERY_USEVC);
#endif

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	CHECK(evdns_getaddrinfo(dns, "www.example.test", "80", &hints, gai_cb, NULL) != NULL);
	CHECK(ds_run_until(base, &gai_calls, 1, 4));
	CHECK_INT_EQ(gai_err, 0);
	CHECK_INT_EQ(gai_n, 2);
	CHECK(evdns_getaddrinfo(dns, "nope.example.test", "80", &hints, gai_cb, NULL) != NULL);
	CHECK(ds_run_until(base, &gai_calls, 2, 4));
	CHECK_INT_EQ(gai_err, EVUTIL_EAI_NONAME);

	evdns_base_free(dns, 0);
	event_base_free(base);
	ds_reap(pid);
	return check_report();
}
