/* evdns_getaddrinfo with threads: the loop runs in its own thread while the main
 * thread starts lookups (answered, NXDOMAIN, never answered) and cancels the ones that
 * are never answered; every callback comes exactly once, with the expected outcome. */
// test: link event_core event_extra event_pthreads
#include "dns_support.h"

#include <event2/thread.h>

#define N 60

struct slot {
	int calls;
	int err;
	int naddrs;
};

static struct slot slots[N];
static int done_count;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;

static void gai_cb(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct slot *s = arg;
	struct evutil_addrinfo *a;
	pthread_mutex_lock(&done_lock);
	s->calls++;
	s->err = err;
	for (a = ai; a; a = a->ai_next)
		s->naddrs++;
	done_count++;
	pthread_mutex_unlock(&done_lock);
	if (ai)
		evutil_freeaddrinfo(ai);
}

static int handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *reply, void *arg)
{
	(void)arg;
	if (strncmp(q->lname, "silent", 6) == 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, reply);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

static void *loop_main(void *arg)
{
	event_base_loop(arg, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static int done_now(void)
{
	int n;
	pthread_mutex_lock(&done_lock);
	n = done_count;
	pthread_mutex_unlock(&done_lock);
	return n;
}

int main(void)
{
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_server s;
	struct evutil_addrinfo hints;
	pthread_t loop;
	double end;
	int i;

	(void)ds_result_cb;
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(evthread_use_pthreads() == 0);
	ds_quiet_logs();
	ds_server_start(&s);
	s.handler = handler;
	ds_zone_add(&s, "www.test", DS_TYPE_A, 60, "192.0.2.7");
	ds_zone_add(&s, "www.test", DS_TYPE_AAAA, 60, "2001:db8::7");

	base = event_base_new();
	REQUIRE(base != NULL);
	dns = ds_base_for(base, &s);
	REQUIRE(pthread_create(&loop, NULL, loop_main, base) == 0);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	for (i = 0; i < N; i++) {
		struct evdns_getaddrinfo_request *req;
		const char *name = i % 3 == 0 ? "www.test" : i % 3 == 1 ? "nosuch.test" : "silent.test";
		req = evdns_getaddrinfo(dns, name, "80", &hints, gai_cb, &slots[i]);
		CHECK(req != NULL);
		if (i % 3 == 2 && req)
			evdns_getaddrinfo_cancel(req);
	}

	end = ds_now() + 5;
	while (done_now() < N && ds_now() < end)
		ds_sleep_ms(5);
	CHECK_INT_EQ(done_now(), N);
	ds_sleep_ms(900);
	for (i = 0; i < N; i++) {
		CHECK_INT_EQ(slots[i].calls, 1);
		if (i % 3 == 0) {
			CHECK_INT_EQ(slots[i].err, 0);
			CHECK_INT_EQ(slots[i].naddrs, 2);
		} else if (i % 3 == 1) {
			CHECK_INT_EQ(slots[i].err, EVUTIL_EAI_NONAME);
		} else {
			CHECK_INT_EQ(slots[i].err, EVUTIL_EAI_CANCEL);
		}
	}

	event_base_loopbreak(base);
	pthread_join(loop, NULL);
	evdns_base_free(dns, 0);
	ds_server_stop(&s);
	event_base_free(base);
	return check_report();
}
