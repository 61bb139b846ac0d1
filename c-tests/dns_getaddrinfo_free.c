/* Freeing an evdns_base while evdns_getaddrinfo lookups are pending, without
 * fail_requests: the program's callbacks are not called, the skew timer of a request
 * that has half its answer does not touch the freed base, a bufferevent waiting for its
 * host name is released, and evdns_getaddrinfo_cancel on a finished request is
 * refused. Also: a second bufferevent_socket_connect_hostname while the first lookup
 * is pending is refused (libevent runs both). */
// test: evrs-only libevent 2.1 runs the skew timer on the freed base and leaks the rest
#include "dns_support.h"

#include <event2/bufferevent.h>

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
	if (ai)
		evutil_freeaddrinfo(ai);
}

static int event_calls;

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	(void)arg;
	event_calls++;
}

static int handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *reply, void *arg)
{
	(void)arg;
	if (strncmp(q->lname, "silent", 6) == 0)
		return 0;
	if (strncmp(q->lname, "v6timeout", 9) == 0 && q->qtype == DS_TYPE_AAAA)
		return 0;
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, reply);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

int main(void)
{
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_server s;
	struct gai_result r1, r2, r3;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct bufferevent *bev;

	(void)ds_result_cb;
	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	ds_server_start(&s);
	s.handler = handler;
	ds_zone_add(&s, "v6timeout.test", DS_TYPE_A, 60, "192.0.2.3");
	ds_zone_add(&s, "www.test", DS_TYPE_A, 60, "192.0.2.4");

	base = event_base_new();
	REQUIRE(base != NULL);

	/* A finished request can no longer be cancelled. */
	dns = ds_base_for(base, &s);
	memset(&r1, 0, sizeof(r1));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_INET;
	req = evdns_getaddrinfo(dns, "www.test", "80", &hints, gai_cb, &r1);
	REQUIRE(req != NULL);
	CHECK(ds_run_until(base, &r1.calls, 1, 3));
	CHECK_INT_EQ(r1.err, 0);
	evdns_getaddrinfo_cancel(req);
	ds_run_for(base, 0.1);
	CHECK_INT_EQ(r1.calls, 1);

	/* One lookup at a time per bufferevent. */
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, NULL);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_INET, "silent.test", 80), 0);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_INET, "www.test", 80), -1);
	ds_run_for(base, 0.05);
	bufferevent_free(bev);
	ds_run_for(base, 0.05);
	CHECK_INT_EQ(event_calls, 0);

	/* Pending lookups, one with its A answer in and the skew timer running. */
	REQUIRE(evdns_base_set_option(dns, "getaddrinfo-allow-skew:", "0.3") == 0);
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	memset(&r3, 0, sizeof(r3));
	hints.ai_family = PF_UNSPEC;
	CHECK(evdns_getaddrinfo(dns, "v6timeout.test", "80", &hints, gai_cb, &r1) != NULL);
	CHECK(evdns_getaddrinfo(dns, "silent.test", "80", &hints, gai_cb, &r2) != NULL);
	hints.ai_family = PF_INET6;
	CHECK(evdns_getaddrinfo(dns, "silent.test", "80", &hints, gai_cb, &r3) != NULL);
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, NULL);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_INET, "silent.test", 80), 0);
	ds_run_for(base, 0.1);
	evdns_base_free(dns, 0);
	ds_run_for(base, 0.6);
	CHECK_INT_EQ(r1.calls, 0);
	CHECK_INT_EQ(r2.calls, 0);
	CHECK_INT_EQ(r3.calls, 0);
	CHECK_INT_EQ(event_calls, 0);
	/* The bufferevent heard back quietly and is the program's alone again. */
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), EVUTIL_EAI_CANCEL);
	bufferevent_free(bev);
	ds_run_for(base, 0.05);

	ds_server_stop(&s);
	event_base_free(base);
	return check_report();
}
