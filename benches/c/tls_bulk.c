/*
 * tls_bulk: bulk throughput of TLS bufferevents over loopback TCP, both ends in one
 * event base and one thread.
 *
 * Every run makes a TCP connection on 127.0.0.1 with plain blocking sockets (listen,
 * connect, accept), makes both descriptors nonblocking and wraps them in TLS
 * bufferevents: a client (BUFFEREVENT_SSL_CONNECTING) and a server
 * (BUFFEREVENT_SSL_ACCEPTING), both bufferevent_openssl_socket_new, or with -f both
 * bufferevent_openssl_filter_new over a bufferevent_socket_new. The handshake (see
 * tls_bench.h for the pinned settings: TLS 1.3, TLS_AES_128_GCM_SHA256) is not timed.
 * Then the client sends M MiB: its write callback (low watermark 256 KiB) tops its
 * output up to 512 KiB with evbuffer_add of 256 KiB slices of a pattern whose period
 * (1 MiB + 7 bytes) is no multiple of any record or chunk size. The server's read
 * callback compares every byte it gets with the pattern (evbuffer_peek, memcmp) and
 * drains it. The run ends when the server has checked all M MiB; both bufferevents
 * are then freed (not timed).
 *
 * Output: a '#' line with the library version, backend and OpenSSL version, then
 *   tls_bulk kind=socket|filter mib=M runs=R mib_per_s=X cpu_us_per_mib=C bytes_total=B
 *   mib_total=T
 * with M MiB over the median run time, the median user + system CPU time per MiB of
 * the process (getrusage), and the bytes and MiB checked over all runs. A wrong byte, an
 * error or end-of-file event, or a run longer than 300 s makes the program fail.
 *
 * The timed work is bench_run(), for callgrind's --toggle-collect. Uses only API
 * present in both libevent 2.1 and 2.2.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
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

#define PROG "tls_bulk"
#define SLICE (256 * 1024)
#define PERIOD (1024 * 1024 + 7)
#define RUN_ALARM_S 300

static struct event_base *base;
static struct tls_bench_contexts ctxs;
static unsigned char *pattern; /* PERIOD + SLICE bytes: any slice is contiguous */
static int use_filter;

static struct bufferevent *client, *server;
static size_t total, sent, checked;
static int connected;

static void die(const char *what)
{
	tls_bench_die(PROG, what);
}

static void fill_pattern(void)
{
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	size_t i;

	pattern = malloc(PERIOD + SLICE);
	if (!pattern)
		die("out of memory");
	for (i = 0; i < PERIOD + SLICE; i++) {
		if (i < PERIOD) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pattern[i] = (unsigned char)(x >> 24);
		} else {
			pattern[i] = pattern[i - PERIOD];
		}
	}
}

static void top_up(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	while (sent < total && evbuffer_get_length(out) < 2 * SLICE) {
		size_t n = total - sent < SLICE ? total - sent : SLICE;

		if (evbuffer_add(out, pattern + sent % PERIOD, n) != 0)
			die("evbuffer_add failed");
		sent += n;
	}
}

static void client_write(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (connected == 2)
		top_up(bev);
}

static void server_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec vec[16];
	size_t len = evbuffer_get_length(in), seen = 0;
	int n, i;

	(void)arg;
	while (seen < len) {
		n = evbuffer_peek(in, -1, NULL, vec, 16);
		if (n <= 0)
			die("evbuffer_peek found nothing");
		for (i = 0; i < n && i < 16; i++) {
			const unsigned char *p = vec[i].iov_base;
			size_t left = vec[i].iov_len;

			while (left > 0) {
				size_t k = left < SLICE ? left : SLICE;

				if (memcmp(p, pattern + checked % PERIOD, k) != 0)
					die("the server received a wrong byte");
				p += k;
				left -= k;
				checked += k;
				seen += k;
			}
		}
		if (evbuffer_drain(in, seen) != 0)
			die("evbuffer_drain failed");
		seen = 0;
		len = evbuffer_get_length(in);
	}
	if (checked > total)
		die("the server received more than was sent");
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	const char *side = arg;

	if (what & BEV_EVENT_CONNECTED) {
		tls_bench_check_session(PROG, bufferevent_openssl_get_ssl(bev));
		connected++;
		return;
	}
	fprintf(stderr, "tls_bulk: %s: unexpected event 0x%x\n", side, (unsigned)what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static struct bufferevent *wrap(evutil_socket_t fd, SSL_CTX *ctx,
    enum bufferevent_ssl_state state)
{
	SSL *ssl = tls_bench_ssl(PROG, ctx);
	struct bufferevent *bev;

	if (use_filter) {
		struct bufferevent *under = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);

		if (!under)
			die("bufferevent_socket_new failed");
		bev = bufferevent_openssl_filter_new(base, under, ssl, state,
		    BEV_OPT_CLOSE_ON_FREE);
	} else {
		bev = bufferevent_openssl_socket_new(base, fd, ssl, state, BEV_OPT_CLOSE_ON_FREE);
	}
	if (!bev)
		die("cannot make a TLS bufferevent");
	return bev;
}

static void tcp_pair(evutil_socket_t *client_fd, evutil_socket_t *server_fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	evutil_socket_t lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 1) != 0 || getsockname(lfd, (struct sockaddr *)&sin, &len) != 0)
		die("cannot listen on 127.0.0.1");
	*client_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*client_fd < 0 || connect(*client_fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		die("cannot connect");
	*server_fd = accept(lfd, NULL, NULL);
	if (*server_fd < 0)
		die("cannot accept");
	close(lfd);
	if (evutil_make_socket_nonblocking(*client_fd) != 0 ||
	    evutil_make_socket_nonblocking(*server_fd) != 0)
		die("evutil_make_socket_nonblocking failed");
}

static void loop_once(void)
{
	int rv = event_base_loop(base, EVLOOP_ONCE);

	if (rv < 0)
		die("event_base_loop failed");
	if (rv > 0)
		die("event_base_loop: no events pending");
}

/* Connects and finishes both handshakes (not timed). */
static void setup_run(void)
{
	evutil_socket_t cfd, sfd;

	tcp_pair(&cfd, &sfd);
	sent = checked = 0;
	connected = 0;
	server = wrap(sfd, ctxs.server, BUFFEREVENT_SSL_ACCEPTING);
	client = wrap(cfd, ctxs.client, BUFFEREVENT_SSL_CONNECTING);
	bufferevent_setcb(server, server_read, NULL, on_event, "server");
	bufferevent_setcb(client, NULL, client_write, on_event, "client");
	bufferevent_setwatermark(client, EV_WRITE, SLICE, 0);
	if (bufferevent_enable(server, EV_READ | EV_WRITE) != 0 ||
	    bufferevent_enable(client, EV_READ | EV_WRITE) != 0)
		die("bufferevent_enable failed");
	while (connected < 2)
		loop_once();
}

static NOINLINE void bench_run(void)
{
	top_up(client);
	while (checked < total)
		loop_once();
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: " PROG " [-m MiB (256)] [-r runs (3)] [-f]\n"
	    "  -m  MiB sent per run\n"
	    "  -r  timed runs (the reported rate is over the median run)\n"
	    "  -f  TLS filters over socket bufferevents instead of TLS socket bufferevents\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int mib = 256, runs = 3, c, r;
	double *wall, *cpu;
	unsigned long long bytes_total = 0;

	while ((c = getopt(argc, argv, "m:r:fh")) != -1) {
		switch (c) {
		case 'm': mib = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'f': use_filter = 1; break;
		default: usage();
		}
	}
	if (optind != argc || mib < 1 || runs < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	total = (size_t)mib << 20;
	wall = calloc((size_t)runs, sizeof(*wall));
	cpu = calloc((size_t)runs, sizeof(*cpu));
	if (!wall || !cpu)
		die("out of memory");
	fill_pattern();
	tls_bench_make_contexts(PROG, &ctxs);
	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	tls_bench_print_version(base);

	for (r = 0; r < runs; r++) {
		double t0, c0;

		setup_run();
		alarm(RUN_ALARM_S);
		c0 = tls_bench_cpu_ns();
		t0 = tls_bench_now_ns();
		bench_run();
		wall[r] = tls_bench_now_ns() - t0;
		cpu[r] = tls_bench_cpu_ns() - c0;
		alarm(0);
		if (checked != total || sent != total)
			die("a run ended with bytes missing");
		bytes_total += checked;
		bufferevent_free(client);
		bufferevent_free(server);
		/* libevent 2.1 finishes freeing in callbacks the loop runs */
		event_base_loop(base, EVLOOP_NONBLOCK);
	}

	printf("tls_bulk kind=%s mib=%d runs=%d mib_per_s=%.1f cpu_us_per_mib=%.1f "
	       "bytes_total=%llu mib_total=%d\n",
	    use_filter ? "filter" : "socket", mib, runs,
	    mib / (tls_bench_median(wall, runs) / 1e9),
	    tls_bench_median(cpu, runs) / 1e3 / mib, bytes_total, mib * runs);

	event_base_free(base);
	tls_bench_free_contexts(&ctxs);
	free(pattern);
	free(wall);
	free(cpu);
	return 0;
}
