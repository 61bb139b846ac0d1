/* evdns_base_resolv_conf_parse of files this program writes, observed through
 * evdns_base_count_nameservers, evdns_base_get_nameserver_addr, the names the fake
 * server is asked (search list, ndots) and how requests time out (timeout:,
 * attempts:): which DNS_OPTION_* flag lets which line take effect, nameservers with and
 * without a port, IPv6 ones, duplicates, search/domain, options on one line, unknown
 * and comment lines, the EVDNS_ERROR_* returns (missing file, a directory, no
 * nameserver), the default 127.0.0.1 and DNS_OPTION_NAMESERVERS_NO_DEFAULT, and
 * DNS_OPTION_HOSTSFILE observed through evdns_getaddrinfo; evdns_base_new with
 * EVDNS_BASE_INITIALIZE_NAMESERVERS (and NAMESERVERS_NO_DEFAULT) on the system's file. */
// test: timeout 30
#include "dns_support.h"

#define NS DNS_OPTION_NAMESERVERS
#define SEARCH DNS_OPTION_SEARCH
#define MISC DNS_OPTION_MISC

static struct event_base *base;
static struct ds_server srv;

static struct evdns_base *fresh(void)
{
	struct evdns_base *dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	return dns;
}

/* Text of nameserver idx ("127.0.0.1:53", "[::1]:53"), or "" when there is none. */
static const char *ns_text(struct evdns_base *dns, int idx)
{
	static char out[128];
	struct sockaddr_storage ss;
	int len = evdns_base_get_nameserver_addr(dns, idx, (struct sockaddr *)&ss, sizeof(ss));
	char host[INET6_ADDRSTRLEN];
	out[0] = 0;
	if (len <= 0)
		return out;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		CHECK_INT_EQ(len, sizeof(struct sockaddr_in));
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, sizeof(out), "%s:%u", host, ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		CHECK_INT_EQ(len, sizeof(struct sockaddr_in6));
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(out, sizeof(out), "[%s]:%u", host, ntohs(sin6->sin6_port));
	}
	return out;
}

/* 1 when some nameserver of dns has the text `want`. */
static int has_ns(struct evdns_base *dns, const char *want)
{
	int i, n = evdns_base_count_nameservers(dns);
	for (i = 0; i < n; i++)
		if (strcmp(ns_text(dns, i), want) == 0)
			return 1;
	return 0;
}

static void test_nameservers(void)
{
	struct evdns_base *dns;
	const char *f;
	struct sockaddr_in small;
	char text[512];

	f = ds_write_file("ns1.conf",
	    "nameserver 192.0.2.1\n"
	    "nameserver 192.0.2.2:5353\n"
	    "nameserver ::1\n"
	    "nameserver [2001:db8::53]:5300\n"
	    "nameserver 192.0.2.1\n"		/* duplicate */
	    "nameserver\n"			/* no address */
	    "nameserver not-an-address\n"
	    "# nameserver 192.0.2.99\n"
	    "; nameserver 192.0.2.98\n"
	    "\tnameserver\t192.0.2.3\t\n"	/* tabs */
	    "bogus line here\n"
	    "\n"
	    "nameserver 192.0.2.4 trailing words");
	dns = fresh();
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, NS, f), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 6);
	CHECK(has_ns(dns, "192.0.2.1:53"));
	CHECK(has_ns(dns, "192.0.2.2:5353"));
	CHECK(has_ns(dns, "[::1]:53"));
	CHECK(has_ns(dns, "[2001:db8::53]:5300"));
	CHECK(has_ns(dns, "192.0.2.3:53"));
	CHECK(has_ns(dns, "192.0.2.4:53"));
	CHECK(!has_ns(dns, "192.0.2.99:53"));
	CHECK(!has_ns(dns, "192.0.2.98:53"));
	/* Out of range, and a buffer too small: the size it needs, nothing copied. */
	CHECK(evdns_base_get_nameserver_addr(dns, 6, (struct sockaddr *)&small, sizeof(small)) < 0);
	{
		int i, need = 0;
		for (i = 0; i < 6; i++) {
			struct sockaddr_storage ss;
			evdns_base_get_nameserver_addr(dns, i, (struct sockaddr *)&ss, sizeof(ss));
			if (ss.ss_family == AF_INET6) {
				memset(&small, 0xab, sizeof(small));
				need = evdns_base_get_nameserver_addr(dns, i, (struct sockaddr *)&small,
				    sizeof(small));
				break;
			}
		}
		CHECK_INT_EQ(need, sizeof(struct sockaddr_in6));
		CHECK_UINT_EQ(((unsigned char *)&small)[0], 0xab);
	}
	/* A second parse adds to the list (no duplicates). */
	f = ds_write_file("ns2.conf", "nameserver 192.0.2.5\nnameserver 192.0.2.2:5353\n");
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, NS, f), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 7);
	evdns_base_free(dns, 0);

	/* Without DNS_OPTION_NAMESERVERS the nameserver lines are ignored, and no default. */
	dns = fresh();
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, SEARCH | MISC, f), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	evdns_base_free(dns, 0);

	/* No nameserver in the file: 127.0.0.1 by default, and error 6. */
	f = ds_write_file("none.conf", "options ndots:1\nsearch example.test\n");
	dns = fresh();
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, NS, f), EVDNS_ERROR_NO_NAMESERVERS_CONFIGURED);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	CHECK_STR_EQ(ns_text(dns, 0), "127.0.0.1:53");
	evdns_base_free(dns, 0);
	/* ... unless DNS_OPTION_NAMESERVERS_NO_DEFAULT. */
	dns = fresh();
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, NS | DNS_OPTION_NAMESERVERS_NO_DEFAULT, f), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	evdns_base_free(dns, 0);
	/* An empty file, no flags. */
	f = ds_write_file("empty.conf", "");
	dns = fresh();
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, 0, f), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	evdns_base_free(dns, 0);

	/* A missing file: error 1, and the default nameserver. */
	snprintf(text, sizeof(text), "%s/does-not-exist.conf", ds_tmpdir_get());
	dns = fresh();
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, NS, text), EVDNS_ERROR_FAILED_TO_OPEN_FILE);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	CHECK_STR_EQ(ns_text(dns, 0), "127.0.0.1:53");
	evdns_base_free(dns, 0);
	dns = fresh();
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, NS | DNS_OPTION_NAMESERVERS_NO_DEFAULT, text),
	    EVDNS_ERROR_FAILED_TO_OPEN_FILE);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	evdns_base_free(dns, 0);
	dns = fresh();
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, MISC, text), EVDNS_ERROR_FAILED_TO_OPEN_FILE);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	evdns_base_free(dns, 0);

	/* A directory opens but cannot be read as a file. */
	dns = fresh();
	{
		int r = evdns_base_resolv_conf_parse(dns, NS | DNS_OPTION_NAMESERVERS_NO_DEFAULT,
		    ds_tmpdir_get());
		CHECK(r == EVDNS_ERROR_FAILED_TO_STAT_FILE || r == EVDNS_ERROR_SHORT_READ_FROM_FILE ||
		    r == EVDNS_ERROR_FAILED_TO_OPEN_FILE);
		CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
	}
	evdns_base_free(dns, 0);
}

/* Resolves `name` (A) and returns the names the server was asked, in order. */
static const char *asked(struct evdns_base *dns, const char *name)
{
	struct ds_result r = { 0 };
	ds_server_names(&srv);
	REQUIRE(evdns_base_resolve_ipv4(dns, name, 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	return ds_server_names(&srv);
}

static struct evdns_base *parsed(int flags, const char *text)
{
	static int serial;
	char name[32], full[1024];
	struct evdns_base *dns = fresh();
	snprintf(name, sizeof(name), "search%d.conf", serial++);
	snprintf(full, sizeof(full), "nameserver %s\n%s", srv.addr, text);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, flags, ds_write_file(name, full)), 0);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	return dns;
}

static void test_search(void)
{
	struct evdns_base *dns;

	/* search + ndots:2 : fewer dots than ndots tries the list first, then the name. */
	dns = parsed(NS | SEARCH | MISC, "search a.test b.test\noptions ndots:2\n");
	CHECK_STR_EQ(asked(dns, "x.y"), "x.y.a.test x.y.b.test x.y");
	CHECK_STR_EQ(asked(dns, "x.y.z"), "x.y.z x.y.z.a.test x.y.z.b.test");
	CHECK_STR_EQ(asked(dns, "x"), "x.a.test x.b.test x");
	evdns_base_free(dns, 0);

	/* The default ndots is 1. */
	dns = parsed(NS | SEARCH, "search a.test\n");
	CHECK_STR_EQ(asked(dns, "x"), "x.a.test x");
	CHECK_STR_EQ(asked(dns, "x.y"), "x.y x.y.a.test");
	evdns_base_free(dns, 0);

	/* Without DNS_OPTION_SEARCH: no search list (and ndots: ignored). */
	dns = parsed(NS | MISC, "search a.test\noptions ndots:3\n");
	CHECK_STR_EQ(asked(dns, "x"), "x");
	evdns_base_free(dns, 0);

	/* "domain" is a one-entry list; the later line wins. */
	dns = parsed(NS | SEARCH, "search a.test b.test\ndomain c.test\n");
	CHECK_STR_EQ(asked(dns, "q"), "q.c.test q");
	evdns_base_free(dns, 0);
	dns = parsed(NS | SEARCH, "domain c.test\nsearch a.test b.test\n");
	CHECK_STR_EQ(asked(dns, "q"), "q.a.test q.b.test q");
	evdns_base_free(dns, 0);

	/* ndots:0 always asks the name first. */
	dns = parsed(NS | SEARCH, "search a.test\noptions ndots:0\n");
	CHECK_STR_EQ(asked(dns, "x"), "x x.a.test");
	evdns_base_free(dns, 0);

	/* Unknown options (rotate, which libevent does not implement) and unknown lines are
	 * skipped; the known options on the same line still apply. */
	dns = parsed(NS | SEARCH | MISC,
	    "sortlist 10.0.0.0/8\nlookup file bind\n"
	    "search a.test\noptions rotate no-such-option:3 ndots:2 debug\n");
	CHECK_STR_EQ(asked(dns, "x.y"), "x.y.a.test x.y");
	evdns_base_free(dns, 0);

	/* A search (or domain) line starts a new list with the default ndots (libevent
	 * keeps ndots with the list): ndots:2 before it is lost. */
	dns = parsed(NS | SEARCH | MISC, "options ndots:2\nsearch a.test\n");
	CHECK_STR_EQ(asked(dns, "x.y"), "x.y x.y.a.test");
	evdns_base_free(dns, 0);
}

/* How many times a lookup to the silent server was sent, and how long it took. */
static int transmissions(struct evdns_base *dns, double *took)
{
	struct ds_result r = { 0 };
	int before = DS_ATOMIC_GET(srv.udp_queries);
	double t0 = ds_now();
	REQUIRE(evdns_base_resolve_ipv4(dns, "silence.test", DNS_QUERY_NO_SEARCH, ds_result_cb,
	    &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	*took = ds_now() - t0;
	CHECK_INT_EQ(r.result, DNS_ERR_TIMEOUT);
	return DS_ATOMIC_GET(srv.udp_queries) - before;
}

static void test_misc_options(void)
{
	struct evdns_base *dns;
	double took;

	DS_ATOMIC_SET(srv.silent, 1);
	/* timeout: and attempts: with DNS_OPTION_MISC. */
	dns = parsed(NS | MISC, "options timeout:0.2 attempts:2\n");
	CHECK_INT_EQ(transmissions(dns, &took), 2);
	CHECK(took >= 0.35 && took < 1.5);
	evdns_base_free(dns, 0);

	/* Separate lines, fractions. */
	dns = parsed(NS | MISC, "options attempts:3\noptions timeout:0.15\n");
	CHECK_INT_EQ(transmissions(dns, &took), 3);
	CHECK(took >= 0.4 && took < 1.5);
	evdns_base_free(dns, 0);

	/* Without DNS_OPTION_MISC, what was set before stays. */
	dns = fresh();
	REQUIRE(evdns_base_nameserver_ip_add(dns, srv.addr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.2") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "1") == 0);
	CHECK_INT_EQ(evdns_base_resolv_conf_parse(dns, NS | SEARCH,
	    ds_write_file("nomisc.conf", "options timeout:3 attempts:4\n")), 0);
	CHECK_INT_EQ(transmissions(dns, &took), 1);
	CHECK(took < 1.0);
	evdns_base_free(dns, 0);
	DS_ATOMIC_SET(srv.silent, 0);
}

static int gai_calls;
static int gai_err;
static char gai_addr[64];

static void gai_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	(void)arg;
	gai_calls++;
	gai_err = err;
	gai_addr[0] = 0;
	if (!err && res && res->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, gai_addr,
		    sizeof(gai_addr));
	if (res)
		evutil_freeaddrinfo(res);
}

/* The first name in /etc/hosts with an IPv4 address that is not localhost, so that the
 * lookup is not answered by the localhost rule. 0 when there is none. */
static int pick_hosts_entry(char *name, size_t ncap, char *addr, size_t acap)
{
	FILE *f = fopen("/etc/hosts", "r");
	char line[1024];
	int found = 0;
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save = NULL, *ip, *n;
		struct in_addr a;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		ip = strtok_r(line, " \t\r\n", &save);
		if (!ip || inet_pton(AF_INET, ip, &a) != 1)
			continue;
		while ((n = strtok_r(NULL, " \t\r\n", &save))) {
			if (strcasecmp(n, "localhost") == 0 || strncasecmp(n, "localhost.", 10) == 0 ||
			    strlen(n) >= ncap)
				continue;
			snprintf(name, ncap, "%s", n);
			snprintf(addr, acap, "%s", ip);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static void test_hostsfile(void)
{
	struct evdns_base *dns;
	struct evutil_addrinfo hints;
	char name[256], addr[64];
	struct evdns_getaddrinfo_request *req;

	if (!pick_hosts_entry(name, sizeof(name), addr, sizeof(addr))) {
		printf("skip: /etc/hosts has no IPv4 entry besides localhost\n");
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;

	/* With DNS_OPTION_HOSTSFILE: answered from /etc/hosts, inside the call. */
	dns = parsed(NS | DNS_OPTION_HOSTSFILE, "");
	gai_calls = 0;
	req = evdns_getaddrinfo(dns, name, "80", &hints, gai_cb, NULL);
	CHECK(req == NULL);
	CHECK_INT_EQ(gai_calls, 1);
	CHECK_INT_EQ(gai_err, 0);
	CHECK_STR_EQ(gai_addr, addr);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.queries) > 0, DS_ATOMIC_GET(srv.queries) > 0);
	evdns_base_free(dns, 0);

	/* Without it: asked to the server (which does not know the name). */
	dns = parsed(NS, "");
	gai_calls = 0;
	ds_server_names(&srv);
	req = evdns_getaddrinfo(dns, name, "80", &hints, gai_cb, NULL);
	CHECK(req != NULL);
	CHECK_INT_EQ(gai_calls, 0);
	CHECK(ds_run_until(base, &gai_calls, 1, 3));
	CHECK_INT_EQ(gai_err, EVUTIL_EAI_NONAME);
	CHECK(strlen(ds_server_names(&srv)) > 0);
	evdns_base_free(dns, 0);
}

/* The nameserver lines of /etc/resolv.conf with a plain IPv4 or IPv6 address, without
 * duplicates; -1 when the file cannot be read. */
static int system_nameservers(void)
{
	FILE *f = fopen("/etc/resolv.conf", "r");
	char line[512], seen[16][64];
	int n = 0, i;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *kw = strtok_r(line, " \t\r\n", &save), *addr;
		unsigned char buf[16];
		int dup = 0;
		if (!kw || strcmp(kw, "nameserver") != 0)
			continue;
		addr = strtok_r(NULL, " \t\r\n", &save);
		if (!addr || (inet_pton(AF_INET, addr, buf) != 1 && inet_pton(AF_INET6, addr, buf) != 1))
			continue;
		for (i = 0; i < n; i++)
			dup |= strcmp(seen[i], addr) == 0;
		if (!dup && n < 16)
			snprintf(seen[n++], sizeof(seen[0]), "%s", addr);
	}
	fclose(f);
	return n;
}

/* EVDNS_BASE_INITIALIZE_NAMESERVERS reads the system's /etc/resolv.conf: its nameservers,
 * or 127.0.0.1 when it names none, unless EVDNS_BASE_NAMESERVERS_NO_DEFAULT. */
static void test_system_config(void)
{
	int expected = system_nameservers();
	struct evdns_base *dns;
	if (expected < 0) {
		printf("skip: no /etc/resolv.conf\n");
		expected = 0;
	}
	dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), expected > 0 ? expected : 1);
	if (expected == 0)
		CHECK_STR_EQ(ns_text(dns, 0), "127.0.0.1:53");
	evdns_base_free(dns, 0);
	dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_NAMESERVERS_NO_DEFAULT);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), expected);
	evdns_base_free(dns, 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	ds_server_start(&srv);
	test_nameservers();
	test_search();
	test_misc_options();
	test_hostsfile();
	test_system_config();
	ds_server_stop(&srv);
	event_base_free(base);
	return check_report();
}
