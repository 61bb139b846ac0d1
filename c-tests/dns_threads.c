/* evdns with threading enabled (evthread_use_pthreads): four threads start lookups
 * (evdns_base_resolve_ipv4 and evdns_getaddrinfo) on one evdns_base while the main
 * thread runs its loop; every callback runs once, on the loop's thread, with the right
 * answer; the base is freed cleanly afterwards. dns_threads_cancel.c builds this
 * program with THREADS_CANCEL: the threads also cancel requests they started. */
// test: link event_core event_extra event_pthreads
// test: timeout 60
#include <event2/thread.h>

#include "dns_support.h"

#ifndef THREADS_CANCEL
#define THREADS_CANCEL 0
#endif
#define THREADS 4
#define PER_THREAD 150

static struct event_base *base;
static struct evdns_base *dns;
static struct ds_server srv;
static pthread_t loop_thread;
static int resolve_done, resolve_ok, wrong_thread;
static int gai_done, gai_ok;
static int cancel_done, cancelled;

static void resolve_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	(void)type;
	(void)ttl;
	(void)arg;
	if (!pthread_equal(pthread_self(), loop_thread))
		DS_ATOMIC_ADD(wrong_thread, 1);
	if (result == DNS_ERR_NONE && count == 1 && memcmp(addresses, "\xc0\x00\x02\x01", 4) == 0)
		DS_ATOMIC_ADD(resolve_ok, 1);
	DS_ATOMIC_ADD(resolve_done, 1);
}

static void gai_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	(void)arg;
	if (err == 0 && res && res->ai_family == AF_INET &&
	    ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr == htonl(0xc0000201))
		DS_ATOMIC_ADD(gai_ok, 1);
	if (res)
		evutil_freeaddrinfo(res);
	DS_ATOMIC_ADD(gai_done, 1);
}

static void cancel_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	(void)type;
	(void)count;
	(void)ttl;
	(void)addresses;
	(void)arg;
	if (result == DNS_ERR_CANCEL)
		DS_ATOMIC_ADD(cancelled, 1);
	DS_ATOMIC_ADD(cancel_done, 1);
}

static void *worker(void *arg)
{
	struct evutil_addrinfo hints;
	int i;
	(void)arg;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	for (i = 0; i < PER_THREAD; i++) {
		char name[64];
		snprintf(name, sizeof(name), "n%d-%lu.test", i, (unsigned long)pthread_self() % 1000);
		if (!evdns_base_resolve_ipv4(dns, name, 0, resolve_cb, NULL))
			DS_ATOMIC_ADD(resolve_done, 1000000);	/* makes the count wrong */
		if (i % 3 == 0 && !evdns_getaddrinfo(dns, name, "80", &hints, gai_cb, NULL))
			DS_ATOMIC_ADD(gai_done, 1000000);
		if (THREADS_CANCEL && i % 10 == 0) {
			struct evdns_request *req =
			    evdns_base_resolve_ipv4(dns, "silent.test", 0, cancel_cb, NULL);
			if (req)
				evdns_cancel_request(dns, req);
		}
		if (i % 16 == 0)
			ds_sleep_ms(1);
	}
	return NULL;
}

static int handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *m, void *arg)
{
	(void)s;
	(void)arg;
	if (strcmp(q->lname, "silent.test") == 0)
		return 0;
	ds_reply_start(m, q, 0);
	if (q->qtype == DS_TYPE_A)
		ds_add_a(m, NULL, 60, "192.0.2.1");
	return 1;
}

int main(void)
{
	pthread_t th[THREADS];
	int i;
	const int total = THREADS * PER_THREAD;
	const int total_gai = THREADS * ((PER_THREAD + 2) / 3);
	const int total_cancel = THREADS_CANCEL ? THREADS * ((PER_THREAD + 9) / 10) : 0;
	double end;

	signal(SIGPIPE, SIG_IGN);
	REQUIRE(evthread_use_pthreads() == 0);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	ds_server_start(&srv);
	srv.handler = handler;
	dns = ds_base_for(base, &srv);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "1") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "3") == 0);
	REQUIRE(evdns_base_set_option(dns, "max-inflight:", "1000") == 0);
	loop_thread = pthread_self();

	for (i = 0; i < THREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, worker, NULL) == 0);
	end = ds_now() + 20;
	while (ds_now() < end && (DS_ATOMIC_GET(resolve_done) < total ||
	    DS_ATOMIC_GET(gai_done) < total_gai || DS_ATOMIC_GET(cancel_done) < total_cancel))
		ds_run_for(base, 0.02);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	ds_run_for(base, 0.2);

	CHECK_INT_EQ(DS_ATOMIC_GET(resolve_done), total);
	CHECK_INT_EQ(DS_ATOMIC_GET(resolve_ok), total);
	CHECK_INT_EQ(DS_ATOMIC_GET(gai_done), total_gai);
	CHECK_INT_EQ(DS_ATOMIC_GET(gai_ok), total_gai);
	CHECK_INT_EQ(DS_ATOMIC_GET(cancel_done), total_cancel);
	CHECK_INT_EQ(DS_ATOMIC_GET(cancelled), total_cancel);
	CHECK_INT_EQ(DS_ATOMIC_GET(wrong_thread), 0);
	if (DS_ATOMIC_GET(resolve_done) != total || DS_ATOMIC_GET(gai_done) != total_gai)
		fprintf(stderr, "     the server saw %d queries\n", DS_ATOMIC_GET(srv.udp_queries));

	evdns_base_free(dns, 0);
	ds_server_stop(&srv);
	event_base_free(base);
	return check_report();
}
