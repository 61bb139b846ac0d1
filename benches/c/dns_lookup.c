/*
 * dns_lookup: evdns resolver throughput and memory per request in flight.
 *
 * A thread of this program is a small UDP DNS responder on 127.0.0.1, port 0 (plain
 * sockets, no libevent): it answers every A query with its own question, copied byte
 * for byte (so the 0x20 case bits match), and one A record 192.0.2.1 (TTL 60). The
 * measured side is one event base with an evdns_base whose only nameserver is that
 * responder (max-inflight set to C so that no request waits in libevent's queue).
 * A run issues N lookups of distinct names with evdns_base_resolve_ipv4, keeping C in
 * flight: each callback checks the answer and starts the next lookup until N have been
 * started; the run ends when N answers have arrived. An untimed warm-up run of W
 * lookups comes first.
 *
 * Heap use is counted through event_set_mem_functions (every block carries its size):
 * right after the first C lookups of the last run are started, before the loop runs,
 * the bytes live minus those live before them, divided by C, is the heap cost of one
 * request in flight.
 *
 * Output: a '#' line with the library version, then
 *   dns_lookup lookups=N inflight=C runs=R lookups_per_s=X heap_bytes_per_inflight=B
 *     answers_total=T server_queries=Q
 * where lookups_per_s is N over the median run's wall time. A failed or wrong answer
 * makes the program fail.
 *
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#define _GNU_SOURCE
#include <event2/dns.h>
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

/* ---- heap counting ---- */
#define PREFIX 16
static size_t live_bytes;

static void *count_malloc(size_t n)
{
	unsigned char *p = malloc(n + PREFIX);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	live_bytes += n;
	return p + PREFIX;
}

static void count_free(void *ptr)
{
	unsigned char *p;
	size_t n;
	if (!ptr)
		return;
	p = (unsigned char *)ptr - PREFIX;
	memcpy(&n, p, sizeof(n));
	live_bytes -= n;
	free(p);
}

static void *count_realloc(void *ptr, size_t n)
{
	unsigned char *p, *q;
	size_t old;
	if (!ptr)
		return count_malloc(n);
	p = (unsigned char *)ptr - PREFIX;
	memcpy(&old, p, sizeof(old));
	q = realloc(p, n + PREFIX);
	if (!q)
		return NULL;
	memcpy(q, &n, sizeof(n));
	live_bytes = live_bytes - old + n;
	return q + PREFIX;
}

/* ---- the responder ---- */
static int responder_fd;
static volatile int responder_stop;
static unsigned long responder_queries;

static void *responder_main(void *arg)
{
	unsigned char in[512], out[600];
	(void)arg;
	while (!responder_stop) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		size_t at, qend;
		struct pollfd p = { responder_fd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0)
			continue;
		for (;;) {
			n = recvfrom(responder_fd, in, sizeof(in), MSG_DONTWAIT, (struct sockaddr *)&from,
			    &fl);
			if (n < 0)
				break;
			if (n < 17 || (in[2] & 0x80))
				continue;
			/* the end of the first question */
			at = 12;
			while (at < (size_t)n && in[at] != 0 && in[at] < 64)
				at += in[at] + 1u;
			if (at >= (size_t)n || in[at] != 0 || at + 5 > (size_t)n)
				continue;
			qend = at + 5;
			responder_queries++;
			memcpy(out, in, qend);
			out[2] = 0x80 | 0x04 | (in[2] & 0x01); /* QR AA RD */
			out[3] = 0x80;                        /* RA */
			out[4] = 0, out[5] = 1;               /* one question */
			out[6] = 0, out[7] = 1;               /* one answer */
			memset(out + 8, 0, 4);                /* no authority, no additional */
			{
				static const unsigned char rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60,
					0, 4, 192, 0, 2, 1 };
				memcpy(out + qend, rr, sizeof(rr));
				(void)sendto(responder_fd, out, qend + sizeof(rr), 0,
				    (struct sockaddr *)&from, fl);
			}
		}
	}
	return NULL;
}

/* ---- the lookups ---- */
static struct evdns_base *dns;
static long target, started, answered, failures;
static int inflight;

static void start_one(void);

static void lookup_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	(void)ttl;
	(void)arg;
	answered++;
	if (result != DNS_ERR_NONE || type != DNS_IPv4_A || count != 1 ||
	    memcmp(addresses, "\xc0\x00\x02\x01", 4) != 0) {
		if (failures++ < 5)
			fprintf(stderr, "dns_lookup: bad answer (result %d, count %d)\n", result, count);
	}
	if (started < target)
		start_one();
}

static void start_one(void)
{
	char name[64];
	snprintf(name, sizeof(name), "host%ld.bench.example", started % 100000);
	started++;
	if (!evdns_base_resolve_ipv4(dns, name, DNS_QUERY_NO_SEARCH, lookup_cb, NULL)) {
		fprintf(stderr, "dns_lookup: evdns_base_resolve_ipv4 failed\n");
		exit(1);
	}
}

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

/* One run of n lookups; returns seconds. With measure, records the heap per request. */
static double run(struct event_base *base, long n, double *bytes_per)
{
	double t0;
	long before_answers = answered;
	size_t before_bytes;
	target = n;
	started = 0;
	t0 = now();
	before_bytes = live_bytes;
	while (started < inflight && started < n)
		start_one();
	if (bytes_per)
		*bytes_per = (double)(live_bytes - before_bytes) / (double)started;
	while (answered - before_answers < n)
		event_base_loop(base, EVLOOP_ONCE);
	return now() - t0;
}

int main(int argc, char **argv)
{
	long n = 100000, warm = 10000;
	int runs = 3, opt, i;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	pthread_t th;
	struct event_base *base;
	char addr[64], val[16];
	double *times, bytes_per = 0;
	int big = 4 << 20;

	inflight = 500;
	while ((opt = getopt(argc, argv, "n:c:r:w:")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'c': inflight = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'w': warm = atol(optarg); break;
		default:
			fprintf(stderr, "usage: dns_lookup [-n N] [-c inflight] [-r runs] [-w warmup]\n");
			return 2;
		}
	}
	if (n < 1 || inflight < 1 || runs < 1 || warm < 0)
		return 2;
	event_set_mem_functions(count_malloc, count_realloc, count_free);

	responder_fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (responder_fd < 0 || bind(responder_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(responder_fd, (struct sockaddr *)&sin, &sl) < 0) {
		perror("dns_lookup: responder socket");
		return 1;
	}
	/* Past rmem_max where allowed (root), so that a burst of C queries fits. */
	if (setsockopt(responder_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(responder_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(responder_fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(responder_fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (pthread_create(&th, NULL, responder_main, NULL) != 0)
		return 1;

	base = event_base_new();
	dns = base ? evdns_base_new(base, 0) : NULL;
	if (!dns) {
		fprintf(stderr, "dns_lookup: no event base or evdns base\n");
		return 1;
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sin.sin_port));
	snprintf(val, sizeof(val), "%d", inflight);
	/* Socket buffers first: they apply to nameserver sockets made afterwards. */
	if (evdns_base_set_option(dns, "so-rcvbuf:", "4194304") != 0 ||
	    evdns_base_set_option(dns, "so-sndbuf:", "4194304") != 0 ||
	    evdns_base_set_option(dns, "max-inflight:", val) != 0 ||
	    evdns_base_set_option(dns, "timeout:", "0.5") != 0 ||
	    evdns_base_nameserver_ip_add(dns, addr) != 0) {
		fprintf(stderr, "dns_lookup: cannot configure the evdns base\n");
		return 1;
	}
	printf("# %s\n", event_get_version());

	if (warm > 0)
		run(base, warm, NULL);
	times = calloc((size_t)runs, sizeof(double));
	for (i = 0; i < runs; i++)
		times[i] = run(base, n, i == runs - 1 ? &bytes_per : NULL);
	qsort(times, (size_t)runs, sizeof(double), cmp_double);

	evdns_base_free(dns, 0);
	event_base_free(base);
	responder_stop = 1;
	pthread_join(th, NULL);
	close(responder_fd);
	if (failures) {
		fprintf(stderr, "dns_lookup: %ld bad answers\n", failures);
		return 1;
	}
	printf("dns_lookup lookups=%ld inflight=%d runs=%d lookups_per_s=%.0f "
	       "heap_bytes_per_inflight=%.0f answers_total=%ld server_queries=%lu\n",
	    n, inflight, runs, (double)n / times[runs / 2], bytes_per, answered,
	    responder_queries);
	free(times);
	return 0;
}
