/* SPDX-License-Identifier: BSD-3-Clause */
/* Lookups started and cancelled from several threads while the loop runs in another:
 * every callback runs exactly once, from the loop, with its answer. */
// test: evrs-only libevent 2.1 can fail an assertion in request_finished when a request is cancelled from another thread while its answer arrives
// test: link event_core event_extra event_pthreads
// test: timeout 60
#include "dns_support.h"

#include <event2/thread.h>

#define THREADS 4
#define PER_THREAD 200

struct shared {
	struct evdns_base *dns;
	pthread_t loop_thread;
	int answered;
	int cancelled;
	int wrong;
	int outside_loop;
};

static struct shared sh;

struct one {
	int cancel_me;
};

static void cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct one *o = arg;
	(void)type;
	(void)ttl;
	if (!pthread_equal(pthread_self(), sh.loop_thread))
		DS_ATOMIC_ADD(sh.outside_loop, 1);
	if (result == DNS_ERR_NONE && count == 1 &&
	    ((unsigned char *)addresses)[0] == 10)
		DS_ATOMIC_ADD(sh.answered, 1);
	else if (result == DNS_ERR_CANCEL && o->cancel_me)
		DS_ATOMIC_ADD(sh.cancelled, 1);
	else if (result == DNS_ERR_NONE && o->cancel_me)
		DS_ATOMIC_ADD(sh.answered, 1); /* answered before the cancel */
	else
		DS_ATOMIC_ADD(sh.wrong, 1);
}

static void *worker(void *arg)
{
	struct one *ones = arg;
	int i;
	for (i = 0; i < PER_THREAD; i++) {
		struct evdns_request *req;
		ones[i].cancel_me = (i % 4 == 3);
		req = evdns_base_resolve_ipv4(sh.dns, "host.test", DNS_QUERY_NO_SEARCH, cb, &ones[i]);
		if (!req) {
			DS_ATOMIC_ADD(sh.wrong, 1);
			continue;
		}
		if (ones[i].cancel_me)
			evdns_cancel_request(sh.dns, req);
	}
	return NULL;
}

int main(void)
{
	struct ds_server s;
	struct event_base *base;
	pthread_t threads[THREADS];
	static struct one ones[THREADS][PER_THREAD];
	int i, done_target = THREADS * PER_THREAD;
	int total;

	ds_quiet_logs();
	REQUIRE(evthread_use_pthreads() == 0);
	ds_server_start(&s);
	ds_zone_add(&s, "host.test", DS_TYPE_A, 60, "10.0.0.1");
	base = event_base_new();
	REQUIRE(base != NULL);
	sh.dns = ds_base_for(base, &s);
	REQUIRE(evdns_base_set_option(sh.dns, "timeout:", "2") == 0);
	REQUIRE(evdns_base_set_option(sh.dns, "max-inflight:", "16") == 0);
	sh.loop_thread = pthread_self();

	for (i = 0; i < THREADS; i++)
		REQUIRE(pthread_create(&threads[i], NULL, worker, ones[i]) == 0);
	{
		double end = ds_now() + 20;
		do {
			struct timeval tick = { 0, 5000 };
			event_base_loopexit(base, &tick);
			event_base_dispatch(base);
			total = DS_ATOMIC_GET(sh.answered) + DS_ATOMIC_GET(sh.cancelled) +
			    DS_ATOMIC_GET(sh.wrong);
		} while (total < done_target && ds_now() < end);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	ds_run_for(base, 0.3);

	CHECK_INT_EQ(DS_ATOMIC_GET(sh.answered) + DS_ATOMIC_GET(sh.cancelled), done_target);
	CHECK_INT_EQ(DS_ATOMIC_GET(sh.wrong), 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(sh.outside_loop), 0);
	CHECK(DS_ATOMIC_GET(sh.cancelled) > 0);

	evdns_base_free(sh.dns, 0);
	event_base_free(base);
	ds_server_stop(&s);
	return check_report();
}
