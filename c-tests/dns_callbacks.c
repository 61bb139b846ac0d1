/* What evdns callbacks may do: start new lookups (a chain of 50, each started from the
 * previous one's callback), cancel another pending request, cancel another
 * evdns_getaddrinfo request, and free the evdns_base (with and without failing the
 * other pending requests) from inside a callback. Each callback runs exactly once;
 * nothing runs after the base is gone except the DNS_ERR_SHUTDOWN calls. Callbacks run
 * from the loop, never inside the resolve call. */
// test: timeout 30
#include "dns_support.h"

static struct event_base *base;
static struct ds_server srv;

/* ---- a chain of lookups ---- */
static int chain_left, chain_ok, chain_calls;
static struct evdns_base *chain_dns;

static void chain_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	(void)type;
	(void)ttl;
	(void)addresses;
	(void)arg;
	chain_calls++;
	if (result == DNS_ERR_NONE && count == 1)
		chain_ok++;
	if (--chain_left > 0) {
		int before = chain_calls;
		REQUIRE(evdns_base_resolve_ipv4(chain_dns, "www.test", 0, chain_cb, NULL) != NULL);
		CHECK_INT_EQ(chain_calls, before);	/* not called inside the call */
	}
}

static void test_chain(void)
{
	chain_dns = ds_base_for(base, &srv);
	chain_left = 50;
	REQUIRE(evdns_base_resolve_ipv4(chain_dns, "www.test", 0, chain_cb, NULL) != NULL);
	CHECK_INT_EQ(chain_calls, 0);
	CHECK(ds_run_until(base, &chain_calls, 50, 5));
	CHECK_INT_EQ(chain_ok, 50);
	evdns_base_free(chain_dns, 0);
}

/* ---- cancelling another request from a callback ---- */
struct pair {
	struct evdns_base *dns;
	struct evdns_request *victim;
	struct ds_result victim_result;
	int first_calls;
};

static void first_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct pair *p = arg;
	(void)result;
	(void)type;
	(void)count;
	(void)ttl;
	(void)addresses;
	p->first_calls++;
	evdns_cancel_request(p->dns, p->victim);
}

static void test_cancel_other(void)
{
	struct pair p;
	memset(&p, 0, sizeof(p));
	p.dns = ds_base_for(base, &srv);
	/* The victim's name is never answered; the first is. */
	p.victim = evdns_base_resolve_ipv4(p.dns, "silent.test", 0, ds_result_cb, &p.victim_result);
	REQUIRE(p.victim != NULL);
	REQUIRE(evdns_base_resolve_ipv4(p.dns, "www.test", 0, first_cb, &p) != NULL);
	CHECK(ds_run_until(base, &p.victim_result.calls, 1, 3));
	CHECK_INT_EQ(p.first_calls, 1);
	CHECK_INT_EQ(p.victim_result.result, DNS_ERR_CANCEL);
	ds_run_for(base, 1.0);
	CHECK_INT_EQ(p.victim_result.calls, 1);
	evdns_base_free(p.dns, 0);
}

/* ---- cancelling another getaddrinfo from a getaddrinfo callback ---- */
struct gai_pair {
	struct evdns_getaddrinfo_request *victim;
	int first_calls, first_err;
	int victim_calls, victim_err;
};

static void gai_victim_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct gai_pair *g = arg;
	g->victim_calls++;
	g->victim_err = err;
	if (res)
		evutil_freeaddrinfo(res);
}

static void gai_first_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct gai_pair *g = arg;
	g->first_calls++;
	g->first_err = err;
	if (res)
		evutil_freeaddrinfo(res);
	evdns_getaddrinfo_cancel(g->victim);
}

static void test_gai_cancel_other(void)
{
	struct evdns_base *dns = ds_base_for(base, &srv);
	struct evutil_addrinfo hints;
	struct gai_pair g;
	memset(&g, 0, sizeof(g));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	g.victim = evdns_getaddrinfo(dns, "silent.test", "80", &hints, gai_victim_cb, &g);
	REQUIRE(g.victim != NULL);
	REQUIRE(evdns_getaddrinfo(dns, "www.test", "80", &hints, gai_first_cb, &g) != NULL);
	CHECK(ds_run_until(base, &g.victim_calls, 1, 3));
	CHECK_INT_EQ(g.first_calls, 1);
	CHECK_INT_EQ(g.first_err, 0);
	CHECK_INT_EQ(g.victim_err, EVUTIL_EAI_CANCEL);
	ds_run_for(base, 1.0);
	CHECK_INT_EQ(g.victim_calls, 1);
	evdns_base_free(dns, 0);
}

/* ---- freeing the base from a callback ---- */
struct freeing {
	struct evdns_base *dns;
	int fail_requests;
	int calls;
	struct ds_result others[3];
};

static void freeing_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct freeing *f = arg;
	(void)result;
	(void)type;
	(void)count;
	(void)ttl;
	(void)addresses;
	f->calls++;
	evdns_base_free(f->dns, f->fail_requests);
	f->dns = NULL;
}

static void test_free_in_callback(int fail_requests)
{
	struct freeing f;
	int i;
	memset(&f, 0, sizeof(f));
	f.fail_requests = fail_requests;
	f.dns = ds_base_for(base, &srv);
	for (i = 0; i < 3; i++)
		REQUIRE(evdns_base_resolve_ipv4(f.dns, "silent.test", 0, ds_result_cb, &f.others[i]) != NULL);
	REQUIRE(evdns_base_resolve_ipv4(f.dns, "www.test", 0, freeing_cb, &f) != NULL);
	CHECK(ds_run_until(base, &f.calls, 1, 3));
	ds_run_for(base, 1.0);
	CHECK_INT_EQ(f.calls, 1);
	for (i = 0; i < 3; i++) {
		if (fail_requests) {
			CHECK_INT_EQ(f.others[i].calls, 1);
			CHECK_INT_EQ(f.others[i].result, DNS_ERR_SHUTDOWN);
		} else {
			CHECK_INT_EQ(f.others[i].calls, 0);
		}
	}
}

static int handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *m, void *arg)
{
	(void)arg;
	if (strcmp(q->lname, "silent.test") == 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, m);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	ds_server_start(&srv);
	ds_zone_add(&srv, "www.test", DS_TYPE_A, 60, "192.0.2.1");
	srv.handler = handler;

	test_chain();
	test_cancel_other();
	test_gai_cancel_other();
	test_free_in_callback(1);
	test_free_in_callback(0);

	ds_server_stop(&srv);
	event_base_free(base);
	return check_report();
}
