/* SPDX-License-Identifier: BSD-3-Clause */
/* resolv.conf and hosts files as the resolver applies them: the EVDNS_ERROR_* codes,
 * the default server 127.0.0.1 and DNS_OPTION_NAMESERVERS_NO_DEFAULT, name servers
 * in file order with duplicates dropped, option classes, and evdns_base_load_hosts
 * seen through evdns_getaddrinfo. */
#include "dns_support.h"

struct gai_result {
	int calls;
	int err;
	char first[64];
	int count;
};

static void gai_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct gai_result *g = arg;
	struct evutil_addrinfo *ai;
	g->calls++;
	g->err = err;
	g->count = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		if (g->count++ == 0) {
			if (ai->ai_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
				    g->first, sizeof(g->first));
			else
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
				    g->first, sizeof(g->first));
		}
	}
	if (res)
		evutil_freeaddrinfo(res);
}

static void lookup_host(struct evdns_base *dns, const char *name, int family,
    struct gai_result *g)
{
	struct evutil_addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	memset(g, 0, sizeof(*g));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	/* Answered from the hosts table inside the call. */
	(void)evdns_getaddrinfo(dns, name, "80", &hints, gai_cb, g);
}

static char *addr_text(struct evdns_base *dns, int idx, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	char ip[64];
	int len = evdns_base_get_nameserver_addr(dns, idx, (struct sockaddr *)&ss, sizeof(ss));
	if (len <= 0) {
		snprintf(out, cap, "none");
		return out;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(sin->sin_port));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	}
	return out;
}

int main(void)
{
	struct event_base *base;
	struct evdns_base *dns;
	struct gai_result g;
	char text[128];
	const char *path, *hosts;

	(void)ds_result_cb;
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);

	/* A missing file: error 1, and the default server. */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS,
	    "/nonexistent/resolv.conf"), EVDNS_ERROR_FAILED_TO_OPEN_FILE);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	CHECK_STR_EQ(addr_text(dns, 0, text, sizeof(text)), "127.0.0.1:53");
	evdns_base_free(dns, 0);

	/* ... but not with DNS_OPTION_NAMESERVERS_NO_DEFAULT. */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns,
	    DNS_OPTION_NAMESERVERS | DNS_OPTION_NAMESERVERS_NO_DEFAULT,
	    "/nonexistent/resolv.conf"), EVDNS_ERROR_FAILED_TO_OPEN_FILE);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	evdns_base_free(dns, 0);

	/* A file without servers: error 6 and the default server. */
	path = ds_write_file("empty.conf", "# nothing\noptions rotate\n");
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL, path),
	    EVDNS_ERROR_NO_NAMESERVERS_CONFIGURED);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	evdns_base_free(dns, 0);
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns,
	    DNS_OPTIONS_ALL | DNS_OPTION_NAMESERVERS_NO_DEFAULT, path), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	evdns_base_free(dns, 0);

	/* Servers: the first is the ring's head, each later one is linked just after
	 * it (libevent's order); a duplicate and a bad address are skipped; a port may
	 * be given. */
	path = ds_write_file("servers.conf",
	    "nameserver 127.0.0.11\n"
	    "nameserver 127.0.0.12:5353\n"
	    "nameserver bogus\n"
	    "nameserver 127.0.0.11\n"
	    "unknown directive here\n"
	    "nameserver [::1]:53\n");
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, DNS_OPTION_NAMESERVERS, path), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 3);
	CHECK_STR_EQ(addr_text(dns, 0, text, sizeof(text)), "127.0.0.11:53");
	CHECK_STR_EQ(addr_text(dns, 1, text, sizeof(text)), "[::1]:53");
	CHECK_STR_EQ(addr_text(dns, 2, text, sizeof(text)), "127.0.0.12:5353");
	CHECK_STR_EQ(addr_text(dns, 3, text, sizeof(text)), "none");
#ifdef DNS_CNAME_CALLBACK /* 2.2 */
	CHECK(evdns_base_get_nameserver_fd(dns, 0) >= 0);
	CHECK(evdns_base_get_nameserver_fd(dns, 0) != evdns_base_get_nameserver_fd(dns, 1));
	CHECK_INT_EQ(evdns_base_get_nameserver_fd(dns, 3), -1);
#endif
	evdns_base_free(dns, 0);

	/* Without DNS_OPTION_NAMESERVERS the servers are ignored. */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, DNS_OPTION_SEARCH, path), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	evdns_base_free(dns, 0);

	/* Hosts: NULL gives the localhost entries only. */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_load_hosts(dns, NULL), 0);
	lookup_host(dns, "localhost", AF_INET, &g);
	CHECK_INT_EQ(g.calls, 1);
	CHECK_INT_EQ(g.err, 0);
	CHECK_STR_EQ(g.first, "127.0.0.1");
	lookup_host(dns, "localhost", AF_INET6, &g);
	CHECK_INT_EQ(g.err, 0);
	CHECK_STR_EQ(g.first, "::1");
	evdns_base_free(dns, 0);

	/* A hosts file; names are matched without regard to case; a missing file is -1
	 * with the localhost entries. */
	hosts = ds_write_file("hosts",
	    "10.1.2.3   alpha alpha.local # comment beta\n"
	    "# 10.9.9.9 commented\n"
	    "2001:db8::7 alpha\n"
	    "notanaddress gamma\n"
	    "10.4.5.6 Delta\n");
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_load_hosts(dns, hosts), 0);
	lookup_host(dns, "ALPHA.local", AF_INET, &g);
	CHECK_INT_EQ(g.calls, 1);
	CHECK_STR_EQ(g.first, "10.1.2.3");
	lookup_host(dns, "alpha", AF_INET6, &g);
	CHECK_STR_EQ(g.first, "2001:db8::7");
	lookup_host(dns, "delta", AF_INET, &g);
	CHECK_STR_EQ(g.first, "10.4.5.6");
	evdns_base_clear_host_addresses(dns);
	CHECK_INT_EQ(evdns_base_load_hosts(dns, "/nonexistent/hosts"), -1);
	lookup_host(dns, "localhost", AF_INET, &g);
	CHECK_STR_EQ(g.first, "127.0.0.1");
	evdns_base_free(dns, 0);

	event_base_free(base);
	return check_report();
}
