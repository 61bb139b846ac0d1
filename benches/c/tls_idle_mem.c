/*
 * tls_idle_mem: heap used per idle TLS bufferevent, and how much of it is OpenSSL's.
 *
 * Before any other call the program counts OpenSSL's allocations
 * (CRYPTO_set_mem_functions) and the event library's
 * (event_set_mem_functions); both forward to malloc, realloc and free and count the
 * bytes of each live block as glibc does: malloc_usable_size + 8 (the chunk header).
 *
 * N nonblocking AF_UNIX socketpairs (RLIMIT_NOFILE is raised to 2 N + 64 if the hard
 * limit allows; otherwise N is lowered to fit, and the output says which N was used).
 * One pair goes through the whole procedure below first and is freed, so that
 * OpenSSL's and the library's one-time set-up is not counted. After a baseline
 * reading, both ends of every pair are wrapped in TLS bufferevents
 * (bufferevent_openssl_socket_new, or with -f bufferevent_openssl_filter_new over a
 * bufferevent_socket_new; BEV_OPT_CLOSE_ON_FREE), a client and a server, given
 * callbacks and enabled for EV_READ | EV_WRITE; then
 *
 *   1. the loop runs until all 2 N handshakes have reported BEV_EVENT_CONNECTED
 *      (settings in tls_bench.h: TLS 1.3, TLS_AES_128_GCM_SHA256, P-256, no tickets);
 *   2. every client writes 100 bytes, every server echoes what it reads, and the loop
 *      runs until every client has read its 100 bytes back (checked).
 *
 * The 2 N bufferevents then sit idle, still enabled, and the heap is read again. The
 * heap in use is glibc's mallinfo2() uordblks + hblkhd (as in bev_idle_mem): it
 * covers everything allocated through malloc, including OpenSSL's SSL objects with
 * their record buffers and the event base's per-descriptor bookkeeping. Finally every
 * bufferevent is freed and the loop run once without blocking.
 *
 * Output: a '#' line with the library version, backend and OpenSSL version, then
 *   tls_idle_mem kind=socket|filter n=N bevs=2N bytes_per_bev=B lib_bytes_per_bev=L
 *   ssl_bytes_per_bev=S mm_bytes_per_bev=M setup_us_per_pair=T left_per_bev=F
 * all per TLS bufferevent (2 N of them; with -f the socket bufferevent under each
 * filter is part of its cost): B the growth of the heap, S the growth of OpenSSL's
 * live blocks (SSL objects, their BIOs and buffers), L = B - S (what the event
 * library holds, and everything else that is not OpenSSL's), M the growth of the
 * blocks allocated through event_set_mem_functions (only what the library routes
 * there), T the time per pair for making both ends, the handshakes and the exchange,
 * and F the heap still held after freeing them all (only informative). A wrong byte,
 * an error or end-of-file event makes the program fail. A single run.
 *
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <openssl/crypto.h>

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls_bench.h"

#if !defined(__GLIBC__)
#error "tls_idle_mem needs glibc's mallinfo2() or mallinfo() and malloc_usable_size()"
#endif

#define PROG "tls_idle_mem"
#define MSG_LEN 100

struct pair {
	struct bufferevent *client, *server;
	evutil_socket_t fd[2];
	int got; /* bytes the client read back */
	int index;
};

static struct event_base *base;
static struct tls_bench_contexts ctxs;
static struct pair *pairs;
static int n_pairs = 2000, use_filter;
static int n_connected, n_read_back;
static long long ssl_live, mm_live; /* bytes, as glibc counts them */

static void die(const char *what)
{
	tls_bench_die(PROG, what);
}

/* counting allocators */

static long long block_bytes(void *p)
{
	return p ? (long long)malloc_usable_size(p) + (long long)sizeof(size_t) : 0;
}

static void *ssl_malloc(size_t n, const char *file, int line)
{
	void *p = malloc(n);

	(void)file;
	(void)line;
	ssl_live += block_bytes(p);
	return p;
}

static void *ssl_realloc(void *old, size_t n, const char *file, int line)
{
	long long before = block_bytes(old);
	void *p = realloc(old, n);

	(void)file;
	(void)line;
	if (p || n == 0)
		ssl_live += block_bytes(p) - before;
	return p;
}

static void ssl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	ssl_live -= block_bytes(p);
	free(p);
}

static void *mm_malloc(size_t n)
{
	void *p = malloc(n);

	mm_live += block_bytes(p);
	return p;
}

static void *mm_realloc(void *old, size_t n)
{
	long long before = block_bytes(old);
	void *p = realloc(old, n);

	if (p || n == 0)
		mm_live += block_bytes(p) - before;
	return p;
}

static void mm_free(void *p)
{
	mm_live -= block_bytes(p);
	free(p);
}

static size_t heap_in_use(void)
{
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#else
	struct mallinfo mi = mallinfo();

	return (size_t)(unsigned)mi.uordblks + (size_t)(unsigned)mi.hblkhd;
#endif
}

/* The 100 bytes of pair i: distinct per pair. */
static void message(int i, unsigned char *out)
{
	int k;

	for (k = 0; k < MSG_LEN; k++)
		out[k] = (unsigned char)(i * 31 + k * 7 + (i >> 8));
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct pair *p = arg;
	unsigned char got[MSG_LEN * 2], want[MSG_LEN];
	size_t n = bufferevent_read(bev, got, sizeof(got));

	if (p->got + (int)n > MSG_LEN)
		die("a client read more than it sent");
	message(p->index, want);
	if (memcmp(got, want + p->got, n) != 0)
		die("a client read back a wrong byte");
	p->got += (int)n;
	if (p->got == MSG_LEN)
		n_read_back++;
}

static void server_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (bufferevent_write_buffer(bev, bufferevent_get_input(bev)) != 0)
		die("bufferevent_write_buffer failed");
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & BEV_EVENT_CONNECTED) {
		tls_bench_check_session(PROG, bufferevent_openssl_get_ssl(bev));
		n_connected++;
		return;
	}
	fprintf(stderr, PROG ": unexpected event 0x%x\n", (unsigned)what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void loop_until(const int *counter, int want)
{
	while (*counter < want) {
		int rv = event_base_loop(base, EVLOOP_ONCE);

		if (rv < 0)
			die("event_base_loop failed");
		if (rv > 0)
			die("event_base_loop: no events pending");
	}
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

static void make_socketpair(struct pair *p, int index)
{
	if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd) != 0) {
		perror(PROG ": socketpair");
		exit(1);
	}
	if (evutil_make_socket_nonblocking(p->fd[0]) != 0 ||
	    evutil_make_socket_nonblocking(p->fd[1]) != 0)
		die("evutil_make_socket_nonblocking failed");
	p->index = index;
	p->got = 0;
}

/* Makes the TLS bufferevents of pairs [from, to), handshakes and exchanges. */
static void set_up(struct pair *ps, int from, int to)
{
	int i, n = to - from;

	n_connected = n_read_back = 0;
	for (i = from; i < to; i++) {
		struct pair *p = &ps[i];

		p->server = wrap(p->fd[1], ctxs.server, BUFFEREVENT_SSL_ACCEPTING);
		p->client = wrap(p->fd[0], ctxs.client, BUFFEREVENT_SSL_CONNECTING);
		bufferevent_setcb(p->server, server_read, NULL, on_event, p);
		bufferevent_setcb(p->client, client_read, NULL, on_event, p);
		if (bufferevent_enable(p->server, EV_READ | EV_WRITE) != 0 ||
		    bufferevent_enable(p->client, EV_READ | EV_WRITE) != 0)
			die("bufferevent_enable failed");
	}
	loop_until(&n_connected, 2 * n);
	for (i = from; i < to; i++) {
		unsigned char msg[MSG_LEN];

		message(ps[i].index, msg);
		if (bufferevent_write(ps[i].client, msg, MSG_LEN) != 0)
			die("bufferevent_write failed");
	}
	loop_until(&n_read_back, n);
	/* let the write callbacks of the last flushes run */
	event_base_loop(base, EVLOOP_NONBLOCK);
}

static void usage(void)
{
	fprintf(stderr,
	    "usage: " PROG " [-n pairs (2000)] [-f]\n"
	    "  -n  socketpairs, a TLS client and a TLS server bufferevent each\n"
	    "  -f  TLS filters over socket bufferevents instead of TLS socket bufferevents\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct pair warm;
	size_t before, after, left;
	long long ssl_before, ssl_after, mm_before, mm_after;
	double t0, t_setup;
	int c, i, want;
	rlim_t allowed;

	/* before anything allocates */
	if (!CRYPTO_set_mem_functions(ssl_malloc, ssl_realloc, ssl_free))
		die("CRYPTO_set_mem_functions failed");
	event_set_mem_functions(mm_malloc, mm_realloc, mm_free);

	while ((c = getopt(argc, argv, "n:fh")) != -1) {
		switch (c) {
		case 'n': n_pairs = atoi(optarg); break;
		case 'f': use_filter = 1; break;
		default: usage();
		}
	}
	if (optind != argc || n_pairs < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	want = n_pairs;
	allowed = tls_bench_raise_nofile((rlim_t)n_pairs * 2 + 64);
	if (allowed < (rlim_t)n_pairs * 2 + 64)
		n_pairs = allowed > 66 ? (int)((allowed - 64) / 2) : 0;
	if (n_pairs < 1)
		die("no file descriptors to spare");
	if (n_pairs < want)
		fprintf(stderr, PROG ": descriptor limit allows only %d pairs\n", n_pairs);

	pairs = calloc((size_t)n_pairs, sizeof(*pairs));
	if (!pairs)
		die("out of memory");
	tls_bench_make_contexts(PROG, &ctxs);
	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	for (i = 0; i < n_pairs; i++)
		make_socketpair(&pairs[i], i);
	tls_bench_print_version(base);

	/* one pair through everything first: one-time set-up is not counted */
	make_socketpair(&warm, 0);
	set_up(&warm, 0, 1);
	bufferevent_free(warm.client);
	bufferevent_free(warm.server);
	event_base_loop(base, EVLOOP_NONBLOCK);

	before = heap_in_use();
	ssl_before = ssl_live;
	mm_before = mm_live;
	t0 = tls_bench_now_ns();
	set_up(pairs, 0, n_pairs);
	t_setup = (tls_bench_now_ns() - t0) / n_pairs;
	after = heap_in_use();
	ssl_after = ssl_live;
	mm_after = mm_live;
	for (i = 0; i < n_pairs; i++)
		if (pairs[i].got != MSG_LEN)
			die("a pair missed its exchange");

	for (i = 0; i < n_pairs; i++) {
		bufferevent_free(pairs[i].client);
		bufferevent_free(pairs[i].server);
	}
	/* libevent 2.1 finishes freeing in finalizer callbacks run by the loop */
	if (event_base_loop(base, EVLOOP_NONBLOCK) < 0)
		die("event_base_loop failed");
	left = heap_in_use();

	{
		double bevs = 2.0 * n_pairs;
		double heap = ((double)after - (double)before) / bevs;
		double ssl = (double)(ssl_after - ssl_before) / bevs;

		printf("tls_idle_mem kind=%s n=%d bevs=%d bytes_per_bev=%.1f "
		       "lib_bytes_per_bev=%.1f ssl_bytes_per_bev=%.1f mm_bytes_per_bev=%.1f "
		       "setup_us_per_pair=%.1f left_per_bev=%.1f\n",
		    use_filter ? "filter" : "socket", n_pairs, 2 * n_pairs, heap, heap - ssl, ssl,
		    (double)(mm_after - mm_before) / bevs, t_setup / 1e3,
		    ((double)left - (double)before) / bevs);
	}

	event_base_free(base);
	tls_bench_free_contexts(&ctxs);
	free(pairs);
	return 0;
}
