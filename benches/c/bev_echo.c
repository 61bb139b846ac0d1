/*
 * bev_echo: echo throughput over loopback TCP with socket bufferevents, client and
 * server in one event base and one thread.
 *
 * The server is an evconnlistener on 127.0.0.1 (port 0); each accepted connection
 * gets a socket bufferevent whose read callback moves everything in its input to its
 * output with bufferevent_write_buffer, and which is freed on end of file.
 *
 * A run opens C client connections (bufferevent_socket_new with fd -1, then
 * bufferevent_socket_connect). Each sends its share of M MiB, a known byte stream with
 * a per-connection offset, in bufferevent_write pieces of up to 64 KiB, keeping at most
 * W bytes sent but not yet echoed back, and reads the echo back: the read callback
 * compares the input with the stream (evbuffer_peek, no copy) and drains it. A
 * connection that got everything back is freed, which closes it; the run ends when
 * every client has finished and the server has freed every connection. Both sides set
 * bufferevent_set_max_single_read(bev, 16384).
 *
 * Output: a '#' line with the library version and backend, then
 *   bev_echo mib=M conns=C runs=R mib_per_s=X bytes_total=B
 * where mib_per_s is M (bytes echoed per run) over the median run time and bytes_total
 * the bytes echoed back over all runs (checked by both sides). A wrong or missing
 * byte, an error event or an unexpected close makes the program fail.
 *
 * The timed work is bench_run(), for callgrind's --toggle-collect. Uses only API
 * present in both libevent 2.1 and 2.2.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define NOINLINE __attribute__((noinline))

#define READ_SIZE 16384
#define PIECE 65536
#define PAT_LEN 131071 /* prime; the pattern is stored twice */

struct conn {
	struct bufferevent *bev;
	uint64_t sent, recvd, offset;
	int done;
};

static long mib = 128;
static int n_conns = 8;
static int n_runs = 5;
static size_t window = 262144;

static unsigned char pat[2 * PAT_LEN]; /* stream byte k is pat[k % PAT_LEN] */
static struct event_base *base;
static struct evconnlistener *listener;
static struct sockaddr_in addr;
static struct conn *conns;
static uint64_t per_conn;

static int clients_done, servers_accepted, servers_closed;
static uint64_t server_bytes, bytes_total;
static long mismatches;

static void die(const char *what)
{
	fprintf(stderr, "bev_echo: %s\n", what);
	exit(1);
}

/* server side */

static void srv_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *input = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(input);

	(void)arg;
	server_bytes += n;
	if (bufferevent_write_buffer(bev, input) != 0)
		die("bufferevent_write_buffer failed");
}

static void srv_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & BEV_EVENT_ERROR) {
		perror("bev_echo: server connection error");
		exit(1);
	}
	if (what & BEV_EVENT_EOF) {
		bufferevent_free(bev);
		servers_closed++;
	}
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct bufferevent *bev;

	(void)lev;
	(void)sa;
	(void)socklen;
	(void)arg;
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		die("bufferevent_socket_new failed (server)");
	bufferevent_set_max_single_read(bev, READ_SIZE);
	bufferevent_setcb(bev, srv_read, NULL, srv_event, NULL);
	if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
		die("bufferevent_enable failed (server)");
	servers_accepted++;
}

/* client side */

static void top_up(struct conn *c)
{
	while (c->sent < per_conn && c->sent - c->recvd < window) {
		uint64_t n = per_conn - c->sent;
		uint64_t room = window - (c->sent - c->recvd);

		if (n > room)
			n = room;
		if (n > PIECE)
			n = PIECE;
		if (bufferevent_write(c->bev, pat + (c->offset + c->sent) % PAT_LEN, (size_t)n) != 0)
			die("bufferevent_write failed");
		c->sent += n;
	}
}

static void check_echo(struct conn *c, struct evbuffer *input, size_t len)
{
	struct evbuffer_iovec vec[64];
	uint64_t pos = c->offset + c->recvd;
	struct evbuffer_ptr start;
	size_t left = len;

	evbuffer_ptr_set(input, &start, 0, EVBUFFER_PTR_SET);
	while (left > 0) {
		int i, n = evbuffer_peek(input, (ev_ssize_t)left, &start, vec, 64);
		size_t seen = 0;

		if (n <= 0)
			die("evbuffer_peek found nothing");
		if (n > 64)
			n = 64;
		for (i = 0; i < n && seen < left; i++) {
			size_t k = vec[i].iov_len < left - seen ? vec[i].iov_len : left - seen;
			const unsigned char *p = vec[i].iov_base;

			while (k > 0) {
				size_t piece = k < PAT_LEN ? k : PAT_LEN;

				if (memcmp(p, pat + pos % PAT_LEN, piece) != 0)
					mismatches++;
				p += piece;
				pos += piece;
				seen += piece;
				k -= piece;
			}
		}
		left -= seen;
		if (left > 0 &&
		    evbuffer_ptr_set(input, &start, seen, EVBUFFER_PTR_ADD) != 0)
			die("evbuffer_ptr_set failed");
	}
}

static void cli_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(input);

	if (c->recvd + len > c->sent)
		die("more bytes came back than were sent");
	check_echo(c, input, len);
	if (evbuffer_drain(input, len) != 0)
		die("evbuffer_drain failed");
	c->recvd += len;
	bytes_total += len;
	if (c->recvd == per_conn) {
		bufferevent_free(bev);
		c->bev = NULL;
		c->done = 1;
		clients_done++;
		return;
	}
	top_up(c);
}

static void cli_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	top_up(arg);
}

static void cli_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_ERROR)
		perror("bev_echo: client connection error");
	else
		fprintf(stderr, "bev_echo: client connection closed early (events 0x%x)\n",
		    (unsigned)what);
	exit(1);
}

NOINLINE void bench_run(void);
NOINLINE void bench_run(void)
{
	int i;

	clients_done = servers_accepted = servers_closed = 0;
	server_bytes = 0;
	for (i = 0; i < n_conns; i++) {
		struct conn *c = &conns[i];

		c->sent = c->recvd = 0;
		c->done = 0;
		c->offset = (uint64_t)i * 7919;
		c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
		if (!c->bev)
			die("bufferevent_socket_new failed (client)");
		bufferevent_set_max_single_read(c->bev, READ_SIZE);
		bufferevent_setcb(c->bev, cli_read, cli_write, cli_event, c);
		if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0)
			die("bufferevent_enable failed (client)");
		if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&addr,
			(int)sizeof(addr)) != 0)
			die("bufferevent_socket_connect failed");
		top_up(c);
	}
	while (clients_done < n_conns || servers_closed < n_conns) {
		int rv = event_base_loop(base, EVLOOP_ONCE);

		if (rv < 0)
			die("event_base_loop failed");
		if (rv > 0)
			die("event_base_loop: no events pending");
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-m MiB] [-c conns] [-r runs] [-w window]\n"
	    "  -m  MiB echoed per run, shared by the connections (default 128)\n"
	    "  -c  client connections (default 8)\n"
	    "  -r  runs; the median is reported (default 5)\n"
	    "  -w  bytes a connection may have sent and not yet got back (default 262144)\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in bind_addr;
	socklen_t alen = sizeof(addr);
	uint32_t x = 7u;
	double *t;
	int c, i;

	while ((c = getopt(argc, argv, "m:c:r:w:h")) != -1) {
		switch (c) {
		case 'm': mib = atol(optarg); break;
		case 'c': n_conns = atoi(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		case 'w': window = (size_t)atol(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || mib < 1 || n_conns < 1 || n_runs < 1 || window < 1)
		usage(argv[0]);
	if (((uint64_t)mib << 20) % (uint64_t)n_conns != 0)
		die("the connections must share the MiB evenly (-m * 1048576 divisible by -c)");
	per_conn = ((uint64_t)mib << 20) / (uint64_t)n_conns;

	for (i = 0; i < PAT_LEN; i++) {
		x = x * 1103515245u + 12345u;
		pat[i] = pat[i + PAT_LEN] = (unsigned char)(x >> 16);
	}
	conns = calloc((size_t)n_conns, sizeof(*conns));
	t = calloc((size_t)n_runs, sizeof(*t));
	if (!conns || !t)
		die("out of memory");
	base = event_base_new();
	if (!base)
		die("event_base_new failed");

	memset(&bind_addr, 0, sizeof(bind_addr));
	bind_addr.sin_family = AF_INET;
	bind_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind_addr.sin_port = 0;
	listener = evconnlistener_new_bind(base, on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&bind_addr,
	    (int)sizeof(bind_addr));
	if (!listener)
		die("evconnlistener_new_bind failed");
	if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&addr, &alen) != 0)
		die("getsockname failed");

	printf("# libevent %s, method %s\n", event_get_version(),
	    event_base_get_method(base));
	fflush(stdout);

	for (i = 0; i < n_runs; i++) {
		double start = now_ns();

		bench_run();
		t[i] = now_ns() - start;
		if (servers_accepted != n_conns || server_bytes != per_conn * (uint64_t)n_conns)
			die("the server did not echo exactly what was sent");
	}
	if (mismatches) {
		fprintf(stderr, "bev_echo: %ld pieces came back different\n", mismatches);
		return 1;
	}
	if (bytes_total != ((uint64_t)mib << 20) * (uint64_t)n_runs)
		die("wrong byte total");

	printf("bev_echo mib=%ld conns=%d runs=%d mib_per_s=%.1f bytes_total=%llu\n", mib,
	    n_conns, n_runs, (double)mib / (median(t, n_runs) / 1e9),
	    (unsigned long long)bytes_total);

	evconnlistener_free(listener);
	event_base_free(base);
	free(t);
	free(conns);
	return 0;
}
