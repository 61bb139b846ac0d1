/*
 * tls_handshake: full TLS handshakes per second through an evconnlistener, client and
 * server in one event base and one thread.
 *
 * The server listens on 127.0.0.1, port 0 (evconnlistener_new_bind) and wraps every
 * accepted descriptor in a TLS socket bufferevent (bufferevent_openssl_socket_new,
 * BUFFEREVENT_SSL_ACCEPTING), which it frees when BEV_EVENT_CONNECTED reports the
 * handshake done. The client keeps C handshakes going: each is a TLS socket
 * bufferevent made without a descriptor (BUFFEREVENT_SSL_CONNECTING) and connected
 * with bufferevent_socket_connect; on BEV_EVENT_CONNECTED it checks the session
 * (TLS 1.3, TLS_AES_128_GCM_SHA256, not resumed), frees the bufferevent and starts
 * the next. Settings are in tls_bench.h: an ECDSA P-256 certificate verified by the
 * client, X25519, no session cache and no tickets, so every handshake is a full one
 * and both builds do the same cryptography. A run ends when N client and N server
 * handshakes have completed. One untimed warm-up run of N / 10 comes first.
 *
 * Output: a '#' line with the library version, backend and OpenSSL version, then
 *   tls_handshake n=N concurrency=C runs=R handshakes_per_s=X cpu_us_per_handshake=U
 *   handshakes_total=T
 * with N over the median run time, the median user + system CPU time per handshake
 * (getrusage; both sides are this process), and the handshakes over all timed runs.
 * An error or end-of-file event on either side, a listener error or a run longer than
 * 300 s makes the program fail.
 *
 * The timed work is bench_run(), for callgrind's --toggle-collect. Uses only API
 * present in both libevent 2.1 and 2.2.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls_bench.h"

#define NOINLINE __attribute__((noinline))

#define PROG "tls_handshake"
#define RUN_ALARM_S 300

static struct event_base *base;
static struct tls_bench_contexts ctxs;
static struct evconnlistener *listener;
static struct sockaddr_in addr;

static int n_handshakes = 2000;
static int concurrency = 8;
static int target; /* handshakes of the current run */
static int started, clients_done, servers_done;

static void die(const char *what)
{
	tls_bench_die(PROG, what);
}

static void unexpected(const char *side, short what)
{
	fprintf(stderr, PROG ": %s: unexpected event 0x%x\n", side, (unsigned)what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* server side */

static void server_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (!(what & BEV_EVENT_CONNECTED))
		unexpected("server", what);
	servers_done++;
	bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct bufferevent *bev = bufferevent_openssl_socket_new(base, fd,
	    tls_bench_ssl(PROG, ctxs.server), BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);

	(void)l;
	(void)sa;
	(void)socklen;
	(void)arg;
	if (!bev)
		die("cannot make the server's TLS bufferevent");
	bufferevent_setcb(bev, NULL, NULL, server_event, NULL);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		die("bufferevent_enable failed");
}

static void on_listener_error(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	perror(PROG ": listener");
	exit(1);
}

/* client side */

static void start_client(void);

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (!(what & BEV_EVENT_CONNECTED))
		unexpected("client", what);
	tls_bench_check_session(PROG, bufferevent_openssl_get_ssl(bev));
	clients_done++;
	bufferevent_free(bev);
	if (started < target)
		start_client();
}

static void start_client(void)
{
	struct bufferevent *bev = bufferevent_openssl_socket_new(base, -1,
	    tls_bench_ssl(PROG, ctxs.client), BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);

	if (!bev)
		die("cannot make the client's TLS bufferevent");
	started++;
	bufferevent_setcb(bev, NULL, NULL, client_event, NULL);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		die("bufferevent_enable failed");
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		die("bufferevent_socket_connect failed");
}

static NOINLINE void bench_run(int n)
{
	int i;

	target = n;
	started = clients_done = servers_done = 0;
	for (i = 0; i < concurrency && i < n; i++)
		start_client();
	while (clients_done < n || servers_done < n) {
		int rv = event_base_loop(base, EVLOOP_ONCE);

		if (rv < 0)
			die("event_base_loop failed");
		if (rv > 0)
			die("event_base_loop: no events pending");
	}
	if (clients_done != n || servers_done != n || started != n)
		die("a run ended with a wrong count");
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: " PROG " [-n handshakes (2000)] [-c concurrent (8)] [-r runs (3)]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int runs = 3, c, r;
	double *wall, *cpu;
	socklen_t len = sizeof(addr);
	long long total = 0;

	while ((c = getopt(argc, argv, "n:c:r:h")) != -1) {
		switch (c) {
		case 'n': n_handshakes = atoi(optarg); break;
		case 'c': concurrency = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || n_handshakes < 1 || concurrency < 1 || runs < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	wall = calloc((size_t)runs, sizeof(*wall));
	cpu = calloc((size_t)runs, sizeof(*cpu));
	if (!wall || !cpu)
		die("out of memory");
	tls_bench_make_contexts(PROG, &ctxs);
	base = event_base_new();
	if (!base)
		die("event_base_new failed");

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = evconnlistener_new_bind(base, on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, concurrency + 128,
	    (struct sockaddr *)&addr, sizeof(addr));
	if (!listener)
		die("cannot listen on 127.0.0.1");
	evconnlistener_set_error_cb(listener, on_listener_error);
	if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&addr, &len) != 0)
		die("getsockname failed");
	tls_bench_print_version(base);

	alarm(RUN_ALARM_S);
	bench_run(n_handshakes / 10 > 0 ? n_handshakes / 10 : 1);
	for (r = 0; r < runs; r++) {
		double t0, c0;

		alarm(RUN_ALARM_S);
		c0 = tls_bench_cpu_ns();
		t0 = tls_bench_now_ns();
		bench_run(n_handshakes);
		wall[r] = tls_bench_now_ns() - t0;
		cpu[r] = tls_bench_cpu_ns() - c0;
		total += n_handshakes;
	}
	alarm(0);

	printf("tls_handshake n=%d concurrency=%d runs=%d handshakes_per_s=%.1f "
	       "cpu_us_per_handshake=%.1f handshakes_total=%lld\n",
	    n_handshakes, concurrency, runs, n_handshakes / (tls_bench_median(wall, runs) / 1e9),
	    tls_bench_median(cpu, runs) / 1e3 / n_handshakes, total);

	evconnlistener_free(listener);
	/* libevent 2.1 finishes freeing bufferevents in callbacks the loop runs */
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	tls_bench_free_contexts(&ctxs);
	free(wall);
	free(cpu);
	return 0;
}
