/* The 1.x global resolver beyond evdns_init: evdns_resolv_conf_parse and
 * evdns_nameserver_ip_add create it when there is none, evdns_add_server_port serves on
 * event_init's base, evdns_getaddrinfo with a NULL base uses the global resolver (and
 * fails at once, with EVUTIL_EAI_FAIL, when there is none), and evdns_shutdown forgets
 * it. */
#include "dns_support.h"

#include <event2/dns_compat.h>
#include <event2/dns_struct.h>
#include <event2/event_compat.h>

static int served;

static void server_cb(struct evdns_server_request *req, void *arg)
{
	int i;
	(void)arg;
	served++;
	for (i = 0; i < req->nquestions; i++) {
		struct in_addr a;
		if (req->questions[i]->type != EVDNS_TYPE_A)
			continue;
		a.s_addr = htonl(0x0a000001);
		evdns_server_request_add_a_reply(req, req->questions[i]->name, 1, &a, 30);
	}
	evdns_server_request_respond(req, 0);
}

struct gai_result {
	int calls;
	int err;
	struct evutil_addrinfo *ai;
};

static void gai_cb(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct gai_result *r = arg;
	r->calls++;
	r->err = err;
	r->ai = ai;
}

int main(void)
{
	struct event_base *base;
	struct ds_server s;
	struct ds_result r;
	struct gai_result g;
	struct evutil_addrinfo hints;
	struct evdns_server_port *port;
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);
	char text[256];
	const char *conf;
	evutil_socket_t fd;

	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	ds_server_start(&s);
	ds_zone_add(&s, "www.test", DS_TYPE_A, 120, "192.0.2.7");

	base = event_init();
	REQUIRE(base != NULL);
	CHECK(evdns_get_global_base() == NULL);

	/* evdns_getaddrinfo with no resolver at all: EVUTIL_EAI_FAIL inside the call. */
	memset(&g, 0, sizeof(g));
	CHECK(evdns_getaddrinfo(NULL, "www.test", "80", NULL, gai_cb, &g) == NULL);
	CHECK_INT_EQ(g.calls, 1);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_FAIL);

	/* resolv.conf parsing makes the global resolver. */
	snprintf(text, sizeof(text), "nameserver %s\noptions timeout:0.3 attempts:2\n", s.addr);
	conf = ds_write_file("resolv.conf", text);
	CHECK_INT_EQ(evdns_resolv_conf_parse(DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC, conf), 0);
	REQUIRE(evdns_get_global_base() != NULL);
	CHECK_INT_EQ(evdns_count_nameservers(), 1);

	memset(&r, 0, sizeof(r));
	CHECK_INT_EQ(evdns_resolve_ipv4("www.test", 0, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "192.0.2.7");

	/* evdns_getaddrinfo with a NULL base: the global resolver. */
	memset(&g, 0, sizeof(g));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_INET;
	hints.ai_socktype = SOCK_STREAM;
	CHECK(evdns_getaddrinfo(NULL, "www.test", "80", &hints, gai_cb, &g) != NULL);
	CHECK(ds_run_until(base, &g.calls, 1, 3));
	CHECK_INT_EQ(g.err, 0);
	REQUIRE(g.ai != NULL);
	CHECK_INT_EQ(g.ai->ai_family, AF_INET);
	CHECK_INT_EQ(ntohl(((struct sockaddr_in *)g.ai->ai_addr)->sin_addr.s_addr), 0xc0000207);
	CHECK_INT_EQ(ntohs(((struct sockaddr_in *)g.ai->ai_addr)->sin_port), 80);
	evutil_freeaddrinfo(g.ai);

	/* A server port on the current base, made the only name server. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(fd >= 0);
	REQUIRE(evutil_make_socket_nonblocking(fd) == 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	port = evdns_add_server_port(fd, 0, server_cb, NULL);
	REQUIRE(port != NULL);
	CHECK_INT_EQ(evdns_clear_nameservers_and_suspend(), 0);
	snprintf(text, sizeof(text), "127.0.0.1:%d", ntohs(sin.sin_port));
	CHECK_INT_EQ(evdns_nameserver_ip_add(text), 0);
	CHECK_INT_EQ(evdns_resume(), 0);
	memset(&r, 0, sizeof(r));
	CHECK_INT_EQ(evdns_resolve_ipv4("anything.test", DNS_QUERY_NO_SEARCH, ds_result_cb, &r), 0);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], "10.0.0.1");
	CHECK_INT_EQ(served, 1);

	/* After evdns_shutdown there is no global resolver; the name-server functions
	 * make a new one (empty), as libevent's do. */
	evdns_shutdown(0);
	CHECK(evdns_get_global_base() == NULL);
	memset(&g, 0, sizeof(g));
	CHECK(evdns_getaddrinfo(NULL, "www.test", "80", NULL, gai_cb, &g) == NULL);
	CHECK_INT_EQ(g.err, EVUTIL_EAI_FAIL);
	CHECK_INT_EQ(evdns_nameserver_ip_add(s.addr), 0);
	REQUIRE(evdns_get_global_base() != NULL);
	CHECK_INT_EQ(evdns_count_nameservers(), 1);
	evdns_shutdown(0);

	evdns_close_server_port(port);
	evutil_closesocket(fd);
	ds_server_stop(&s);
	event_base_free(base);
	return check_report();
}
