/*
 * idle_conns: many idle TCP connections, a few active at a time.
 *
 * C loopback TCP connections, made before timing (nonblocking connect, accepted by a
 * plain listening socket); both ends of each are watched by a persistent read event
 * (event_assign into caller-owned arrays), so the base watches 2 C descriptors. A
 * round picks K = C * P / 100 connections (P percent; a different, evenly spread set
 * each round) and writes one byte into the client end of each; the server end's
 * callback reads it and writes it back, the client end's callback reads the echo. The
 * round runs event_base_loop(EVLOOP_ONCE) until all K echoes are back, so it
 * dispatches exactly 2 K callbacks while the other 2 (C - K) descriptors sit idle.
 *
 * Output: a '#' line with the library version and backend, then
 *   idle_conns conns=C active=K rounds=R runs=S median_ns_per_event=X us_per_round=Y
 *   events_total=E loops_per_round=L
 * where median_ns_per_event is the median over the runs of a run's time divided by its
 * 2 K R callbacks, us_per_round the same median per round, and loops_per_round the
 * event_base_loop calls per round. Uses only API present in libevent 2.1 and 2.2.
 */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define NOINLINE __attribute__((noinline))

static int n_conns = 10000;
static int percent = 1;
static int n_rounds = 50;
static int n_runs = 5;
static int n_active;

/* connection i: clients[i] is the connecting end, servers[i] the accepted one */
static evutil_socket_t *clients, *servers;
static struct event *client_evs, *server_evs;
static struct event_base *base;

static int echoed;       /* echoes back in the current round */
static long long fired_total;
static long loops;

static void die(const char *what)
{
	fprintf(stderr, "idle_conns: %s\n", what);
	exit(1);
}

static void on_server_read(evutil_socket_t fd, short what, void *arg)
{
	char byte;

	(void)what;
	(void)arg;
	if (read(fd, &byte, 1) != 1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		perror("idle_conns: server read");
		exit(1);
	}
	fired_total++;
	if (write(fd, &byte, 1) != 1) {
		perror("idle_conns: server write");
		exit(1);
	}
}

static void on_client_read(evutil_socket_t fd, short what, void *arg)
{
	char byte;

	(void)what;
	(void)arg;
	if (read(fd, &byte, 1) != 1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		perror("idle_conns: client read");
		exit(1);
	}
	if (byte != 'x')
		die("wrong byte echoed");
	fired_total++;
	echoed++;
}

/* One round over the connections starting at `first`, every C / K-th one. */
NOINLINE void bench_round(int first);
NOINLINE void bench_round(int first)
{
	int i;

	echoed = 0;
	for (i = 0; i < n_active; i++) {
		int conn = (int)((first + (long)i * n_conns / n_active) % n_conns);

		if (write(clients[conn], "x", 1) != 1) {
			perror("idle_conns: client write");
			exit(1);
		}
	}
	while (echoed < n_active) {
		int rv = event_base_loop(base, EVLOOP_ONCE);

		loops++;
		if (rv != 0)
			die("event_base_loop failed or had nothing pending");
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-c conns] [-p percent] [-n rounds] [-r runs]\n"
	    "  -c  TCP connections (default 10000)\n"
	    "  -p  percent of them active in each round (default 1)\n"
	    "  -n  rounds per run (default 50)\n"
	    "  -r  runs; the median is reported (default 5)\n",
	    argv0);
	exit(2);
}

static void raise_fd_limit(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	/* Raising the hard limit too takes privilege (CAP_SYS_RESOURCE). */
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "idle_conns: need %lu file descriptors: %s\n",
		    (unsigned long)need, strerror(errno));
		exit(1);
	}
}

/* Opens every connection, BATCH at a time so the listen queue never overflows. */
static void connect_all(void)
{
	enum { BATCH = 256 };
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	int listener, one = 1, done, i;

	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0)
		die("socket failed");
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(listener, BATCH) != 0 ||
	    getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
		die("listen on 127.0.0.1 failed");
	for (done = 0; done < n_conns; done += BATCH) {
		int end = done + BATCH < n_conns ? done + BATCH : n_conns;

		for (i = done; i < end; i++) {
			clients[i] = socket(AF_INET, SOCK_STREAM, 0);
			if (clients[i] < 0)
				die("socket failed");
			if (connect(clients[i], (struct sockaddr *)&addr, sizeof(addr)) != 0)
				die("connect failed");
		}
		for (i = done; i < end; i++) {
			servers[i] = accept(listener, NULL, NULL);
			if (servers[i] < 0)
				die("accept failed");
		}
	}
	close(listener);
	for (i = 0; i < n_conns; i++) {
		setsockopt(clients[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(servers[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (evutil_make_socket_nonblocking(clients[i]) != 0 ||
		    evutil_make_socket_nonblocking(servers[i]) != 0)
			die("evutil_make_socket_nonblocking failed");
	}
}

int main(int argc, char **argv)
{
	double *per_event;
	long long expected;
	int c, i, run;

	while ((c = getopt(argc, argv, "c:p:n:r:h")) != -1) {
		switch (c) {
		case 'c': n_conns = atoi(optarg); break;
		case 'p': percent = atoi(optarg); break;
		case 'n': n_rounds = atoi(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || n_conns < 1 || percent < 1 || percent > 100 || n_rounds < 1 ||
	    n_runs < 1)
		usage(argv[0]);
	n_active = (int)((long)n_conns * percent / 100);
	if (n_active < 1)
		n_active = 1;

	raise_fd_limit((rlim_t)n_conns * 2 + 64);
	clients = calloc((size_t)n_conns, sizeof(*clients));
	servers = calloc((size_t)n_conns, sizeof(*servers));
	client_evs = calloc((size_t)n_conns, sizeof(*client_evs));
	server_evs = calloc((size_t)n_conns, sizeof(*server_evs));
	per_event = calloc((size_t)n_runs, sizeof(*per_event));
	if (!clients || !servers || !client_evs || !server_evs || !per_event)
		die("out of memory");
	connect_all();

	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	for (i = 0; i < n_conns; i++) {
		if (event_assign(&client_evs[i], base, clients[i], EV_READ | EV_PERSIST,
			on_client_read, NULL) != 0 ||
		    event_assign(&server_evs[i], base, servers[i], EV_READ | EV_PERSIST,
			on_server_read, NULL) != 0)
			die("event_assign failed");
		if (event_add(&client_evs[i], NULL) != 0 || event_add(&server_evs[i], NULL) != 0)
			die("event_add failed");
	}

	printf("# libevent %s, method %s\n", event_get_version(),
	    event_base_get_method(base));
	fflush(stdout);

	/* One untimed round, so that every descriptor has been through a wait once. */
	bench_round(0);
	fired_total = 0;
	loops = 0;
	for (run = 0; run < n_runs; run++) {
		double start = now_ns();

		for (i = 0; i < n_rounds; i++)
			bench_round(run * n_rounds + i + 1);
		per_event[run] = (now_ns() - start) / (2.0 * n_active * n_rounds);
	}

	expected = 2LL * n_active * n_rounds * n_runs;
	if (fired_total != expected) {
		fprintf(stderr, "idle_conns: %lld callbacks, expected %lld\n", fired_total,
		    expected);
		return 1;
	}
	{
		double ns = median(per_event, n_runs);

		printf("idle_conns conns=%d active=%d rounds=%d runs=%d median_ns_per_event=%.1f "
		       "us_per_round=%.1f events_total=%lld loops_per_round=%.1f\n",
		    n_conns, n_active, n_rounds, n_runs, ns, ns * 2 * n_active / 1000.0,
		    fired_total, (double)loops / ((double)n_rounds * n_runs));
	}

	for (i = 0; i < n_conns; i++) {
		event_del(&client_evs[i]);
		event_del(&server_evs[i]);
		evutil_closesocket(clients[i]);
		evutil_closesocket(servers[i]);
	}
	event_base_free(base);
	free(clients);
	free(servers);
	free(client_evs);
	free(server_evs);
	free(per_event);
	return 0;
}
