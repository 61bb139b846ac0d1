/* DNS over TCP (libevent 2.2): a truncated (TC) UDP answer is asked again over TCP;
 * ignore-tc and DNS_QUERY_IGNTC keep UDP and report DNS_ERR_TRUNCATED; DNS_QUERY_USEVC
 * and use-vc ask over TCP at once; a TCP answer sent one byte at a time is put together;
 * two queries share one connection; tcp-idle-timeout closes an idle connection; a
 * server that closes the connection after each answer is reconnected to;
 * edns-udp-size adds an OPT record and allows larger UDP answers;
 * evdns_base_get_nameserver_fd is the socket the queries come from. */
// test: requires 2.2
// test: timeout 30
#include "dns_support.h"

static struct event_base *base;
static struct ds_server srv;

static struct evdns_base *new_dns(void)
{
	struct evdns_base *dns = ds_base_for(base, &srv);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "1") == 0);
	return dns;
}

static int lookup(struct evdns_base *dns, const char *name, int flags, struct ds_result *r)
{
	memset(r, 0, sizeof(*r));
	REQUIRE(evdns_base_resolve_ipv4(dns, name, flags, ds_result_cb, r) != NULL);
	return ds_run_until(base, &r->calls, 1, 4);
}

static void reset_counts(void)
{
	DS_ATOMIC_SET(srv.udp_queries, 0);
	DS_ATOMIC_SET(srv.tcp_queries, 0);
	DS_ATOMIC_SET(srv.tcp_accepts, 0);
	DS_ATOMIC_SET(srv.tcp_closes, 0);
}

static void test_truncated_retry(void)
{
	struct evdns_base *dns = new_dns();
	struct ds_result r;

	reset_counts();
	DS_ATOMIC_SET(srv.udp_truncate, 1);
	CHECK(lookup(dns, "big.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 3);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.1");
	CHECK_STR_EQ(r.addrs[2], "192.0.2.3");
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.udp_queries), 1);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_queries), 1);

	/* DNS_QUERY_IGNTC: the truncated answer is the answer. */
	reset_counts();
	CHECK(lookup(dns, "big.test", DNS_QUERY_IGNTC, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_TRUNCATED);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_queries), 0);
	evdns_base_free(dns, 0);

	/* ignore-tc for the whole base; its value must be empty. */
	dns = new_dns();
	CHECK(evdns_base_set_option(dns, "ignore-tc:", "1") != 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "ignore-tc:", ""), 0);
	reset_counts();
	CHECK(lookup(dns, "big.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_TRUNCATED);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.udp_queries), 1);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_queries), 0);
	evdns_base_free(dns, 0);
	DS_ATOMIC_SET(srv.udp_truncate, 0);
	ds_run_for(base, 0.05);
}

static void test_usevc(void)
{
	struct evdns_base *dns = new_dns();
	struct ds_result r, r2;

	reset_counts();
	CHECK(lookup(dns, "big.test", DNS_QUERY_USEVC, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 3);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.udp_queries), 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_queries), 1);
	/* A second one, sequential, and two at once: one connection for all. */
	CHECK(lookup(dns, "www.test", DNS_QUERY_USEVC, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.10");
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	REQUIRE(evdns_base_resolve_ipv4(dns, "www.test", DNS_QUERY_USEVC, ds_result_cb, &r) != NULL);
	REQUIRE(evdns_base_resolve_ipv4(dns, "big.test", DNS_QUERY_USEVC, ds_result_cb, &r2) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 4));
	CHECK(ds_run_until(base, &r2.calls, 1, 4));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r2.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.10");
	CHECK_INT_EQ(r2.count, 3);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_queries), 4);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_accepts), 1);
	/* NXDOMAIN over TCP. */
	CHECK(lookup(dns, "missing.test", DNS_QUERY_USEVC, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	evdns_base_free(dns, 0);
	ds_run_for(base, 0.1);

	/* use-vc for the whole base. */
	dns = new_dns();
	CHECK(evdns_base_set_option(dns, "use-vc:", "yes") != 0);
	CHECK_INT_EQ(evdns_base_set_option(dns, "use-vc:", ""), 0);
	reset_counts();
	CHECK(lookup(dns, "www.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.udp_queries), 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_queries), 1);
	/* AAAA and reverse over TCP too. */
	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv6(dns, "www.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 4));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "2001:db8::10");
	{
		struct in_addr in;
		inet_pton(AF_INET, "192.0.2.10", &in);
		memset(&r, 0, sizeof(r));
		REQUIRE(evdns_base_resolve_reverse(dns, &in, 0, ds_result_cb, &r) != NULL);
		CHECK(ds_run_until(base, &r.calls, 1, 4));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		CHECK_STR_EQ(r.addrs[0], "www.test");
	}
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.udp_queries), 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_accepts), 1);
	evdns_base_free(dns, 0);
	ds_run_for(base, 0.1);
}

static void test_pieces(void)
{
	struct evdns_base *dns = new_dns();
	struct ds_result r;

	DS_ATOMIC_SET(srv.tcp_chunk, 1);
	CHECK(lookup(dns, "big.test", DNS_QUERY_USEVC, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(r.count, 3);
	CHECK_STR_EQ(r.addrs[1], "192.0.2.2");
	CHECK(lookup(dns, "www.test", DNS_QUERY_USEVC, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.10");
	DS_ATOMIC_SET(srv.tcp_chunk, 0);
	evdns_base_free(dns, 0);
	ds_run_for(base, 0.1);
}

static void test_idle_timeout(void)
{
	struct evdns_base *dns = new_dns();
	struct ds_result r;
	double t0;

	CHECK_INT_EQ(evdns_base_set_option(dns, "tcp-idle-timeout:", "0.3"), 0);
	reset_counts();
	CHECK(lookup(dns, "www.test", DNS_QUERY_USEVC, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_closes), 0);
	t0 = ds_now();
	CHECK(ds_run_until(base, &srv.tcp_closes, 1, 3));
	CHECK(ds_now() - t0 < 2.0);
	/* The next query opens a new connection. */
	CHECK(lookup(dns, "www.test", DNS_QUERY_USEVC, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_accepts), 2);
	evdns_base_free(dns, 0);
	ds_run_for(base, 0.1);
}

static void test_server_closes(void)
{
	struct evdns_base *dns = new_dns();
	struct ds_result r;
	int i;

	DS_ATOMIC_SET(srv.tcp_close_after, 1);
	reset_counts();
	for (i = 0; i < 3; i++) {
		CHECK(lookup(dns, "www.test", DNS_QUERY_USEVC, &r));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		CHECK_STR_EQ(r.addrs[0], "192.0.2.10");
		ds_run_for(base, 0.05);
	}
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.tcp_queries), 3);
	CHECK(DS_ATOMIC_GET(srv.tcp_accepts) >= 2);
	DS_ATOMIC_SET(srv.tcp_close_after, 0);
	evdns_base_free(dns, 0);
	ds_run_for(base, 0.1);
}

static void test_edns_and_fd(void)
{
	struct evdns_base *dns = new_dns();
	struct ds_result r;
	struct sockaddr_in local;
	socklen_t sl = sizeof(local);
	int fd;

	CHECK(lookup(dns, "www.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	pthread_mutex_lock(&srv.lock);
	CHECK_INT_EQ(srv.last_had_opt, 0);
	pthread_mutex_unlock(&srv.lock);

	/* The UDP socket of nameserver 0; no nameserver 1. */
	fd = evdns_base_get_nameserver_fd(dns, 0);
	CHECK(fd >= 0);
	CHECK_INT_EQ(evdns_base_get_nameserver_fd(dns, 1), -1);
	if (fd >= 0) {
		int type = 0;
		socklen_t tl = sizeof(type);
		CHECK_INT_EQ(getsockname(fd, (struct sockaddr *)&local, &sl), 0);
		CHECK_INT_EQ(local.sin_family, AF_INET);
		CHECK(local.sin_port != 0);
		CHECK_INT_EQ(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl), 0);
		CHECK_INT_EQ(type, SOCK_DGRAM);
	}

	CHECK_INT_EQ(evdns_base_set_option(dns, "edns-udp-size:", "1232"), 0);
	CHECK(lookup(dns, "many.test", 0, &r));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK(r.count >= 1);
	pthread_mutex_lock(&srv.lock);
	CHECK_INT_EQ(srv.last_had_opt, 1);
	CHECK_INT_EQ(srv.last_opt_size, 1232);
	pthread_mutex_unlock(&srv.lock);
	evdns_base_free(dns, 0);
}

int main(void)
{
	char rev[128];
	int i;

	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	ds_server_start(&srv);
	ds_zone_add(&srv, "big.test", DS_TYPE_A, 60, "192.0.2.1");
	ds_zone_add(&srv, "big.test", DS_TYPE_A, 60, "192.0.2.2");
	ds_zone_add(&srv, "big.test", DS_TYPE_A, 60, "192.0.2.3");
	ds_zone_add(&srv, "www.test", DS_TYPE_A, 60, "192.0.2.10");
	ds_zone_add(&srv, "www.test", DS_TYPE_AAAA, 60, "2001:db8::10");
	ds_reverse_name("192.0.2.10", rev, sizeof(rev));
	ds_zone_add(&srv, rev, DS_TYPE_PTR, 60, "www.test");
	/* About 700 bytes of answers: more than 512. */
	for (i = 1; i <= 40; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.2.0.%d", i);
		ds_zone_add(&srv, "many.test", DS_TYPE_A, 60, ip);
	}

	test_truncated_retry();
	test_usevc();
	test_pieces();
	test_idle_timeout();
	test_server_closes();
	test_edns_and_fd();

	ds_server_stop(&srv);
	event_base_free(base);
	return check_report();
}
