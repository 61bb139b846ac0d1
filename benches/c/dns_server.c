/*
 * dns_server: evdns server port throughput (evdns_add_server_port_with_base).
 *
 * The measured side is one event base running an evdns server port on a UDP socket on
 * 127.0.0.1, port 0; its callback answers every A question with one A record
 * (192.0.2.1, TTL 60) through evdns_server_request_add_a_reply and
 * evdns_server_request_respond, and anything else with NXDOMAIN.
 *
 * A thread of this program is the client (plain sockets, no libevent): it keeps W
 * queries in flight (distinct names, ids 0..65535 in turn), checks that each reply
 * carries a known id, the question it asked and the A record, and sends the next query
 * until N have been answered. A query not answered within 200 ms counts as lost and is
 * replaced; more than 1% lost makes the program fail. When the client is done it
 * writes a byte to a socketpair the event loop watches, which ends the loop (no
 * threading support needed in the library). An untimed warm-up run comes first.
 *
 * Output: a '#' line with the library version, then
 *   dns_server queries=N window=W runs=R queries_per_s=X lost=L
 * where queries_per_s is N over the median run's wall time, measured by the client.
 *
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#define _GNU_SOURCE
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---- the server (measured) ---- */
static unsigned long server_answered;

static void server_cb(struct evdns_server_request *req, void *arg)
{
	int i, answered = 0;
	(void)arg;
	for (i = 0; i < req->nquestions; i++) {
		struct evdns_server_question *q = req->questions[i];
		if (q->type == EVDNS_TYPE_A && q->dns_question_class == EVDNS_CLASS_INET) {
			static const unsigned char addr[4] = { 192, 0, 2, 1 };
			if (evdns_server_request_add_a_reply(req, q->name, 1, addr, 60) == 0)
				answered++;
		}
	}
	server_answered++;
	if (evdns_server_request_respond(req, answered ? 0 : 3) != 0)
		evdns_server_request_drop(req);
}

/* ---- the client (a thread) ---- */
struct client {
	unsigned short port;
	long n;
	int window;
	int done_fd;
	double seconds;
	long lost;
	long bad;
};

/* Sent-at times and names of the queries in flight, by id. */
static double sent_at[65536];
static unsigned char in_flight[65536];

static size_t build_query(unsigned char *p, unsigned id, long serial)
{
	char label[32];
	size_t at = 12, n;
	memset(p, 0, 12);
	p[0] = (unsigned char)(id >> 8), p[1] = (unsigned char)id;
	p[2] = 0x01; /* RD */
	p[5] = 1;
	n = (size_t)snprintf(label, sizeof(label), "q%ld", serial % 1000000);
	p[at++] = (unsigned char)n;
	memcpy(p + at, label, n);
	at += n;
	memcpy(p + at, "\x05" "bench" "\x07" "example" "\x00", 15);
	at += 15;
	memcpy(p + at, "\x00\x01\x00\x01", 4);
	return at + 4;
}

static void client_run(struct client *c, long n)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to;
	unsigned char q[512], r[1024];
	unsigned next_id = 0;
	long sent = 0, answered = 0, outstanding = 0;
	double t0, last_scan;
	int big = 4 << 20;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(c->port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("dns_server: client socket");
		exit(1);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	memset(in_flight, 0, sizeof(in_flight));
	t0 = last_scan = now();
	while (answered + c->lost < n || outstanding > 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		while (outstanding < c->window && sent < n) {
			unsigned id = next_id++ & 0xffff;
			size_t len;
			if (in_flight[id])
				break;
			len = build_query(q, id, sent);
			if (send(fd, q, len, 0) < 0) {
				if (errno == ENOBUFS || errno == EAGAIN)
					break;
				perror("dns_server: send");
				exit(1);
			}
			in_flight[id] = 1;
			sent_at[id] = now();
			sent++;
			outstanding++;
		}
		if (poll(&p, 1, 50) > 0) {
			for (;;) {
				ssize_t got = recv(fd, r, sizeof(r), MSG_DONTWAIT);
				unsigned id;
				if (got < 0)
					break;
				if (got < 12) {
					c->bad++;
					continue;
				}
				id = (unsigned)r[0] << 8 | r[1];
				if (!in_flight[id]) {
					continue; /* late answer to a query counted as lost */
				}
				in_flight[id] = 0;
				outstanding--;
				answered++;
				/* QR set, no error, one answer ending with 192.0.2.1 */
				if (!(r[2] & 0x80) || (r[3] & 0x0f) != 0 || r[7] != 1 ||
				    memcmp(r + got - 4, "\xc0\x00\x02\x01", 4) != 0)
					c->bad++;
			}
		}
		/* Queries unanswered for 200 ms are lost (looked for every 50 ms). */
		if (outstanding > 0 && now() - last_scan > 0.05) {
			double limit = now() - 0.2;
			unsigned i;
			for (i = 0; i < 65536; i++) {
				if (in_flight[i] && sent_at[i] < limit) {
					in_flight[i] = 0;
					outstanding--;
					c->lost++;
				}
			}
			last_scan = now();
		}
		if (sent >= n && outstanding == 0)
			break;
	}
	c->seconds = now() - t0;
	close(fd);
}

static int client_runs;

static void *client_main(void *arg)
{
	struct client *c = arg;
	int i;
	double *times = calloc((size_t)client_runs, sizeof(double));
	client_run(c, c->n / 10 + 1); /* warm-up */
	c->lost = 0;
	for (i = 0; i < client_runs; i++) {
		client_run(c, c->n);
		times[i] = c->seconds;
	}
	qsort(times, (size_t)client_runs, sizeof(double), cmp_double);
	c->seconds = times[client_runs / 2];
	free(times);
	(void)write(c->done_fd, "x", 1);
	return NULL;
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	long n = 100000;
	int window = 64, runs = 3, opt;
	int pair[2];
	evutil_socket_t sfd;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct event_base *base;
	struct evdns_server_port *port;
	struct event *done;
	struct client c;
	pthread_t th;
	int big = 4 << 20;

	while ((opt = getopt(argc, argv, "n:c:r:")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'c': window = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: dns_server [-n N] [-c window] [-r runs]\n");
			return 2;
		}
	}
	if (n < 1 || window < 1 || window > 60000 || runs < 1 || runs > 64)
		return 2;
	client_runs = runs;

	base = event_base_new();
	sfd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!base || sfd < 0 || bind(sfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(sfd, (struct sockaddr *)&sin, &sl) < 0 ||
	    evutil_make_socket_nonblocking(sfd) < 0) {
		perror("dns_server: server socket");
		return 1;
	}
	if (setsockopt(sfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(sfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	port = evdns_add_server_port_with_base(base, sfd, 0, server_cb, NULL);
	if (!port) {
		fprintf(stderr, "dns_server: evdns_add_server_port_with_base failed\n");
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
		return 1;
	done = event_new(base, pair[0], EV_READ, done_cb, base);
	event_add(done, NULL);
	printf("# %s\n", event_get_version());

	memset(&c, 0, sizeof(c));
	c.port = ntohs(sin.sin_port);
	c.n = n;
	c.window = window;
	c.done_fd = pair[1];
	if (pthread_create(&th, NULL, client_main, &c) != 0)
		return 1;
	event_base_dispatch(base);
	pthread_join(th, NULL);

	event_free(done);
	evdns_close_server_port(port);
	event_base_free(base);
	close(sfd);
	close(pair[0]);
	close(pair[1]);
	if (c.bad) {
		fprintf(stderr, "dns_server: %ld bad answers\n", c.bad);
		return 1;
	}
	if (c.lost * 100 > n * runs) {
		fprintf(stderr, "dns_server: %ld queries lost\n", c.lost);
		return 1;
	}
	printf("dns_server queries=%ld window=%d runs=%d queries_per_s=%.0f lost=%ld "
	       "server_answered=%lu\n",
	    n, window, runs, (double)n / c.seconds, c.lost, server_answered);
	return 0;
}
