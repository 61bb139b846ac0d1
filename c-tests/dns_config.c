/* Resolver configuration calls: evdns_err_to_string's texts; the nameserver calls'
 * return codes (unparsable 4, duplicate 3), default port 53, IPv6 and sockaddr forms;
 * evdns_base_set_option with bad values; bind-to: taken (libevent applies it only to
 * nameservers that are not loopback ones); the search list calls; a lookup
 * with no nameserver waits for one (and evdns_base_resume); max-inflight: (requests beyond it wait their turn); the log callback hears
 * about a failed nameserver; EVDNS_BASE_DISABLE_WHEN_INACTIVE lets the loop end when
 * nothing is pending, while a base without it keeps the loop running. */
// test: timeout 30
#include "dns_support.h"

static struct event_base *base;
static struct ds_server srv;
static int log_messages;

static void counting_log(int severity, const char *msg)
{
	(void)severity;
	(void)msg;
	log_messages++;
}

static void test_strings(void)
{
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_NONE), "no error");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_FORMAT), "misformatted query");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_SERVERFAILED), "server failed");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_NOTEXIST), "name does not exist");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_NOTIMPL), "query not implemented");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_REFUSED), "refused");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_TRUNCATED), "reply truncated or ill-formed");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_UNKNOWN), "unknown");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_TIMEOUT), "request timed out");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_SHUTDOWN), "dns subsystem shut down");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_CANCEL), "dns request canceled");
	CHECK_STR_EQ(evdns_err_to_string(DNS_ERR_NODATA), "no records in the reply");
	CHECK_STR_EQ(evdns_err_to_string(12345), "[Unknown error code]");
	CHECK_STR_EQ(evdns_err_to_string(-1), "[Unknown error code]");
}

static const char *ns_text(struct evdns_base *dns, int idx)
{
	static char out[128];
	struct sockaddr_storage ss;
	char host[INET6_ADDRSTRLEN];
	int len = evdns_base_get_nameserver_addr(dns, idx, (struct sockaddr *)&ss, sizeof(ss));
	out[0] = 0;
	if (len <= 0)
		return out;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, sizeof(out), "%s:%u", host, ntohs(sin->sin_port));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(out, sizeof(out), "[%s]:%u", host, ntohs(sin6->sin6_port));
	}
	return out;
}

static int has_ns(struct evdns_base *dns, const char *want)
{
	int i;
	for (i = 0; i < evdns_base_count_nameservers(dns); i++)
		if (strcmp(ns_text(dns, i), want) == 0)
			return 1;
	return 0;
}

static void test_nameserver_calls(void)
{
	struct evdns_base *dns = evdns_base_new(base, 0);
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	REQUIRE(dns != NULL);

	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "not-an-address"), 4);
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, ""), 4);
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "1.2.3.4:99999"), 4);
	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);

	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "127.0.0.1:5300"), 0);
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "127.0.0.1:5300"), 3);
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "127.0.0.1:5301"), 0);
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "127.0.0.3"), 0);
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "127.0.0.3:53"), 3);
	CHECK_INT_EQ(evdns_base_nameserver_add(dns, htonl(0x7f000004)), 0);
	CHECK_INT_EQ(evdns_base_nameserver_add(dns, htonl(0x7f000004)), 3);
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "[::1]"), 0);
	CHECK_INT_EQ(evdns_base_nameserver_ip_add(dns, "::1"), 3);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(5353);
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	CHECK_INT_EQ(evdns_base_nameserver_sockaddr_add(dns, (struct sockaddr *)&sin6,
	    sizeof(sin6), 0), 0);
	CHECK_INT_EQ(evdns_base_nameserver_sockaddr_add(dns, (struct sockaddr *)&sin6,
	    sizeof(sin6), 0), 3);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5302);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT_EQ(evdns_base_nameserver_sockaddr_add(dns, (struct sockaddr *)&sin,
	    sizeof(sin), 0), 0);

	CHECK_INT_EQ(evdns_base_count_nameservers(dns), 7);
	CHECK(has_ns(dns, "127.0.0.1:5300"));
	CHECK(has_ns(dns, "127.0.0.1:5301"));
	CHECK(has_ns(dns, "127.0.0.3:53"));
	CHECK(has_ns(dns, "127.0.0.4:53"));
	CHECK(has_ns(dns, "[::1]:53"));
	CHECK(has_ns(dns, "[::1]:5353"));
	CHECK(has_ns(dns, "127.0.0.1:5302"));
	evdns_base_free(dns, 0);
}

static void test_bad_option_values(void)
{
	struct evdns_base *dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	CHECK_INT_EQ(evdns_base_set_option(dns, "timeout:", "abc"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "attempts:", "many"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "ndots:", "x"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "max-inflight:", "lots"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "bind-to:", "not-an-address"), -1);
	CHECK_INT_EQ(evdns_base_set_option(dns, "timeout:", "2.5"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "timeout", "1"), 0);	/* no colon */
	CHECK_INT_EQ(evdns_base_set_option(dns, "attempts:", "1"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "ndots:", "2"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "randomize-case:", "0"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "max-timeouts:", "5"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "getaddrinfo-allow-skew:", "0.5"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "initial-probe-timeout:", "3"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "so-rcvbuf:", "65536"), 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "so-sndbuf:", "65536"), 0);
	evdns_base_free(dns, 0);
}

static void test_bind_to(void)
{
	struct evdns_base *dns = evdns_base_new(base, 0);
	struct ds_result r = { 0 };
	unsigned short port = ds_free_port();
	char val[64];
	REQUIRE(dns != NULL);
	snprintf(val, sizeof(val), "127.0.0.1:%u", port);
	CHECK_INT_EQ(evdns_base_set_option(dns, "bind-to:", val), 0);
	REQUIRE(evdns_base_nameserver_ip_add(dns, srv.addr) == 0);
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	/* libevent binds only sockets to nameservers that are not loopback ones, so the
	 * port is not checked here: the option is taken and lookups work. */
	evdns_base_free(dns, 0);
}

static void test_max_inflight(void)
{
	struct evdns_base *dns = ds_base_for(base, &srv);
	struct ds_result r[5];
	int i, done = 0, before;

	memset(r, 0, sizeof(r));
	REQUIRE(evdns_base_set_option(dns, "max-inflight:", "2") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "1") == 0);
	DS_ATOMIC_SET(srv.silent, 1);
	before = DS_ATOMIC_GET(srv.udp_queries);
	for (i = 0; i < 5; i++)
		REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &r[i]) != NULL);
	ds_run_for(base, 0.1);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.udp_queries) - before, 2);
	/* As they time out the waiting ones go out; the server answers again. */
	DS_ATOMIC_SET(srv.silent, 0);
	for (i = 0; i < 5; i++) {
		CHECK(ds_run_until(base, &r[i].calls, 1, 4));
		done += r[i].calls;
	}
	CHECK_INT_EQ(done, 5);
	CHECK_INT_EQ(r[0].result, DNS_ERR_TIMEOUT);
	CHECK_INT_EQ(r[1].result, DNS_ERR_TIMEOUT);
	CHECK_INT_EQ(r[2].result, DNS_ERR_NONE);
	CHECK_INT_EQ(r[3].result, DNS_ERR_NONE);
	CHECK_INT_EQ(r[4].result, DNS_ERR_NONE);
	evdns_base_free(dns, 0);
}

static void test_log(void)
{
	struct evdns_base *dns = ds_base_for(base, &srv);
	struct ds_result r = { 0 };
	evdns_set_log_fn(counting_log);
	log_messages = 0;
	REQUIRE(evdns_base_set_option(dns, "attempts:", "1") == 0);
	DS_ATOMIC_SET(srv.silent, 1);
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_TIMEOUT);
	CHECK(log_messages > 0);
	DS_ATOMIC_SET(srv.silent, 0);
	evdns_base_free(dns, 0);
	ds_quiet_logs();
}

static const char *asked(struct evdns_base *dns, const char *name)
{
	struct ds_result r = { 0 };
	ds_server_names(&srv);
	REQUIRE(evdns_base_resolve_ipv4(dns, name, 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	return ds_server_names(&srv);
}

/* evdns_base_search_add puts each domain in front of the others (libevent's order:
 * the last one added is tried first); ndots_set; search_clear also resets ndots. */
static void test_search_api(void)
{
	struct evdns_base *dns = ds_base_for(base, &srv);
	evdns_base_search_add(dns, "a.test");
	evdns_base_search_add(dns, "b.test");
	evdns_base_search_add(dns, "c.test");
	CHECK_STR_EQ(asked(dns, "x"), "x.c.test x.b.test x.a.test x");
	evdns_base_search_ndots_set(dns, 0);
	CHECK_STR_EQ(asked(dns, "x"), "x x.c.test x.b.test x.a.test");
	evdns_base_search_clear(dns);
	CHECK_STR_EQ(asked(dns, "x"), "x");
	evdns_base_search_add(dns, "d.test");
	CHECK_STR_EQ(asked(dns, "x"), "x.d.test x");
	evdns_base_search_ndots_set(dns, 3);
	CHECK_STR_EQ(asked(dns, "x.y.z"), "x.y.z.d.test x.y.z");
	evdns_base_free(dns, 0);
}

/* A lookup on a base with no nameserver waits (no call, no timeout); once one is added
 * and evdns_base_resume is called it is sent and answered. Another one waiting when the
 * base is freed with fail_requests hears DNS_ERR_SHUTDOWN. */
static void test_no_nameserver(void)
{
	struct evdns_base *dns = evdns_base_new(base, 0);
	struct ds_result r = { 0 }, later = { 0 };
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.2") == 0);
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &r) != NULL);
	ds_run_for(base, 0.8);
	CHECK_INT_EQ(r.calls, 0);
	REQUIRE(evdns_base_nameserver_ip_add(dns, srv.addr) == 0);
	CHECK_INT_EQ(evdns_base_resume(dns), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.1");
	evdns_base_free(dns, 0);

	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &later) != NULL);
	ds_run_for(base, 0.2);
	CHECK_INT_EQ(later.calls, 0);
	evdns_base_free(dns, 1);
	ds_run_for(base, 0.1);
	CHECK_INT_EQ(later.calls, 1);
	CHECK_INT_EQ(later.result, DNS_ERR_SHUTDOWN);
}

static void exit_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static void test_disable_when_inactive(void)
{
	struct evdns_base *dns;
	struct ds_result r = { 0 };
	struct timeval tv = { 0, 300000 };
	struct event *guard;
	double t0;

	/* With the flag: nothing pending, so the loop has nothing to wait for. */
	dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, srv.addr) == 0);
	guard = evtimer_new(base, exit_cb, base);	/* ends a loop that would not end */
	REQUIRE(guard != NULL);
	t0 = ds_now();
	CHECK_INT_EQ(event_base_dispatch(base), 1);	/* no events */
	CHECK(ds_now() - t0 < 0.2);
	/* A lookup keeps it running until answered, then it ends by itself. */
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", 0, ds_result_cb, &r) != NULL);
	evtimer_add(guard, &tv);
	event_base_dispatch(base);
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	evtimer_del(guard);
	t0 = ds_now();
	CHECK_INT_EQ(event_base_dispatch(base), 1);
	CHECK(ds_now() - t0 < 0.2);
	evdns_base_free(dns, 0);

	/* Without it, the nameserver's socket keeps the loop waiting (the guard ends it). */
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, srv.addr) == 0);
	t0 = ds_now();
	evtimer_add(guard, &tv);
	CHECK_INT_EQ(event_base_dispatch(base), 0);
	CHECK(ds_now() - t0 >= 0.25);
	evdns_base_free(dns, 0);
	event_free(guard);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	ds_server_start(&srv);
	ds_zone_add(&srv, "www.test", DS_TYPE_A, 60, "192.0.2.1");

	test_strings();
	test_nameserver_calls();
	test_bad_option_values();
	test_bind_to();
	test_max_inflight();
	test_search_api();
	test_no_nameserver();
	test_log();
	test_disable_when_inactive();

	ds_server_stop(&srv);
	event_base_free(base);
	return check_report();
}
