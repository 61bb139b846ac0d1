/*
 * http_bulk: evhttp bulk transfer over loopback TCP, one download and one upload per
 * run, server and client both built on the library under test.
 *
 * The program forks. The child is the evhttp server on 127.0.0.1, port 0, with two
 * paths:
 *
 *   GET /down   a chunked reply (evhttp_send_reply_start, then
 *               evhttp_send_reply_chunk_with_cb, then evhttp_send_reply_end) of D MiB:
 *               each chunk is K KiB of a known byte stream added with
 *               evbuffer_add_reference (no copy), and the next chunk is queued from
 *               the callback that reports the previous one written;
 *   POST /up    a body of U MiB; the server takes the body out of the request,
 *               answers 200 "ok" (400 if the length is wrong), then compares every
 *               byte with the stream.
 *
 * evhttp in libevent 2.1 hands a server the request only when the whole body has
 * arrived (there is no per-chunk callback for incoming requests before 2.2's
 * evhttp_set_newreqcb), so the upload is held in memory: U defaults to 256 MiB, the
 * download to 1024 MiB.
 *
 * The parent is the client: one evhttp_connection_base_new connection, used for every
 * request. The download counts and compares every byte in an
 * evhttp_request_set_chunked_cb callback (evbuffer_peek against the stream, no copy)
 * and drains it; the upload's body is U MiB of evbuffer_add_reference pieces with an
 * explicit Content-Length. A transfer is timed (CLOCK_MONOTONIC) from
 * evhttp_make_request to the completion callback. With -P the server is pinned to
 * CPU 0 and the client to CPU 1 (when there are two or more CPUs).
 *
 * Both processes also take their user + system CPU time (getrusage) per transfer: the
 * client around each request; the server from the download handler's start to its
 * last chunk, and for the upload from the end of the download to the upload handler's
 * start (the time it spent reading the body; it is idle in between). The server sends
 * its figures to the client through a pipe when it stops.
 *
 * Output: a '#' line with the library version and backend, then
 *   http_bulk down_mib=D up_mib=U chunk_kib=K runs=R down_mib_per_s=X up_mib_per_s=Y
 *     down_cpu_us_per_mib=CD up_cpu_us_per_mib=CU down_bytes_total=B up_bytes_total=C
 * with the median rate of each direction over the runs, the median CPU time of both
 * processes together per MiB (less sensitive than the rate to what else the machine
 * runs), and the bytes checked. A wrong or missing byte (at either end), a wrong status
 * or a failed request makes the program fail.
 *
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#define _GNU_SOURCE
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define PAT_LEN 131071 /* prime; the pattern is stored twice */
#define UP_OFFSET 4099 /* the upload's stream starts here, the download's at 0 */

static long down_mib = 1024;
static long up_mib = 256;
static long chunk_kib = 256;
static int n_runs = 3;
static int pin;

static unsigned char pat[2 * PAT_LEN]; /* stream byte k is pat[k % PAT_LEN] */
static struct event_base *base;

static void die(const char *what)
{
	fprintf(stderr, "http_bulk: %s\n", what);
	exit(1);
}

static double cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage failed");
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	if (!pin || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("http_bulk: sched_setaffinity (not pinned)");
}

/* Adds bytes [pos, pos + len) of the stream to buf as references into pat. */
static void add_stream(struct evbuffer *buf, uint64_t pos, uint64_t len)
{
	while (len > 0) {
		size_t piece = len < PAT_LEN ? (size_t)len : PAT_LEN;

		if (evbuffer_add_reference(buf, pat + pos % PAT_LEN, piece, NULL, NULL) != 0)
			die("evbuffer_add_reference failed");
		pos += piece;
		len -= piece;
	}
}

/*
 * Compares the first len bytes of buf with the stream from pos; returns 0 if equal.
 * evbuffer_peek is asked for "as many vectors as fit" (length -1): given the length,
 * libevent walks every remaining chain to count them, which makes a 256 MiB body of
 * 16 KiB chains quadratic.
 */
static int check_stream(struct evbuffer *buf, uint64_t pos, size_t len)
{
	struct evbuffer_iovec vec[64];
	struct evbuffer_ptr start;
	size_t left = len;

	evbuffer_ptr_set(buf, &start, 0, EVBUFFER_PTR_SET);
	while (left > 0) {
		int i, n = evbuffer_peek(buf, -1, &start, vec, 64);
		size_t seen = 0;

		if (n <= 0)
			return -1;
		if (n > 64)
			n = 64;
		for (i = 0; i < n && seen < left; i++) {
			size_t k = vec[i].iov_len < left - seen ? vec[i].iov_len : left - seen;
			const unsigned char *p = vec[i].iov_base;

			while (k > 0) {
				size_t piece = k < PAT_LEN ? k : PAT_LEN;

				if (memcmp(p, pat + pos % PAT_LEN, piece) != 0)
					return -1;
				p += piece;
				pos += piece;
				seen += piece;
				k -= piece;
			}
		}
		left -= seen;
		if (left > 0 && evbuffer_ptr_set(buf, &start, seen, EVBUFFER_PTR_ADD) != 0)
			return -1;
	}
	return 0;
}

/* --- server (child process) ----------------------------------------------------- */

struct download {
	struct evhttp_request *req;
	struct evbuffer *chunk;
	uint64_t sent, total;
};

static struct download down_state;
static struct evbuffer *held_upload; /* the body, taken out of the request */
static int downloads_done, uploads_seen, uploads_ok, server_bad;
static double *server_down_cpu, *server_up_cpu; /* per run */
static double download_start_cpu, download_end_cpu;

static void push_chunk(struct evhttp_connection *evcon, void *arg)
{
	struct download *d = arg;
	uint64_t n = d->total - d->sent;

	(void)evcon;
	if (n == 0) {
		evhttp_send_reply_end(d->req);
		d->req = NULL;
		download_end_cpu = cpu_ns();
		if (downloads_done < n_runs)
			server_down_cpu[downloads_done] = download_end_cpu - download_start_cpu;
		downloads_done++;
		return;
	}
	if (n > (uint64_t)chunk_kib << 10)
		n = (uint64_t)chunk_kib << 10;
	add_stream(d->chunk, d->sent, n);
	d->sent += n;
	evhttp_send_reply_chunk_with_cb(d->req, d->chunk, push_chunk, d);
}

static void on_download(struct evhttp_request *req)
{
	download_start_cpu = cpu_ns();
	if (down_state.req)
		die("server: a second download while one is running");
	down_state.req = req;
	down_state.sent = 0;
	down_state.total = (uint64_t)down_mib << 20;
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	push_chunk(evhttp_request_get_connection(req), &down_state);
}

static void on_upload(struct evhttp_request *req)
{
	struct evbuffer *input = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(input);
	int ok = len == (size_t)up_mib << 20;

	if (uploads_seen < n_runs)
		server_up_cpu[uploads_seen] = cpu_ns() - download_end_cpu;
	uploads_seen++;
	if (evbuffer_add_buffer(held_upload, input) != 0)
		die("server: evbuffer_add_buffer failed");
	if (ok)
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
	else
		evhttp_send_error(req, HTTP_BADREQUEST, "wrong length");
	/* Checked after answering, so the check is not part of the timed transfer. */
	if (ok && check_stream(held_upload, UP_OFFSET, len) != 0)
		ok = 0;
	if (ok)
		uploads_ok++;
	else
		server_bad++;
	evbuffer_drain(held_upload, evbuffer_get_length(held_upload));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	(void)arg;
	if (cmd == EVHTTP_REQ_GET && uri && strcmp(uri, "/down") == 0) {
		on_download(req);
	} else if (cmd == EVHTTP_REQ_POST && uri && strcmp(uri, "/up") == 0) {
		on_upload(req);
	} else {
		server_bad++;
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
	}
}

static void on_term(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	event_base_loopexit(base, NULL);
}

static void run_server(int port_pipe, int result_pipe)
{
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *term;
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	unsigned short port;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	server_down_cpu = calloc((size_t)n_runs, sizeof(double));
	server_up_cpu = calloc((size_t)n_runs, sizeof(double));
	if (!server_down_cpu || !server_up_cpu)
		die("server: out of memory");
	base = event_base_new();
	if (!base)
		die("server: event_base_new failed");
	http = evhttp_new(base);
	down_state.chunk = evbuffer_new();
	held_upload = evbuffer_new();
	term = evsignal_new(base, SIGTERM, on_term, NULL);
	if (!http || !down_state.chunk || !held_upload || !term || evsignal_add(term, NULL) != 0)
		die("server: setup failed");
	evhttp_set_gencb(http, on_request, NULL);
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	if (!bound ||
	    getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&addr, &alen) != 0)
		die("server: cannot listen");
	port = addr.sin_port;
	if (write(port_pipe, &port, sizeof(port)) != (ssize_t)sizeof(port))
		die("server: cannot report the port");
	close(port_pipe);
	if (event_base_dispatch(base) < 0)
		die("server: event_base_dispatch failed");
	if (server_bad || downloads_done != n_runs || uploads_ok != n_runs) {
		fprintf(stderr,
		    "http_bulk: server: %d downloads sent, %d uploads correct, %d bad requests\n",
		    downloads_done, uploads_ok, server_bad);
		_exit(1);
	}
	if (write(result_pipe, server_down_cpu, (size_t)n_runs * sizeof(double)) !=
		(ssize_t)((size_t)n_runs * sizeof(double)) ||
	    write(result_pipe, server_up_cpu, (size_t)n_runs * sizeof(double)) !=
		(ssize_t)((size_t)n_runs * sizeof(double)))
		_exit(1);
	evhttp_free(http);
	event_free(term);
	evbuffer_free(down_state.chunk);
	evbuffer_free(held_upload);
	event_base_free(base);
	_exit(0);
}

/* --- client (parent process) ---------------------------------------------------- */

static uint64_t down_received, down_bytes_total, up_bytes_total;
static int transfer_done;

static void take_download(struct evhttp_request *req)
{
	struct evbuffer *input = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(input);

	if (len == 0)
		return;
	if (down_received + len > (uint64_t)down_mib << 20)
		die("the download is longer than sent");
	if (check_stream(input, down_received, len) != 0)
		die("the download differs from what was sent");
	down_received += len;
	evbuffer_drain(input, len);
}

static void on_download_chunk(struct evhttp_request *req, void *arg)
{
	(void)arg;
	take_download(req);
}

static void on_download_done(struct evhttp_request *req, void *arg)
{
	(void)arg;
	if (!req || evhttp_request_get_response_code(req) != HTTP_OK)
		die("the download failed");
	take_download(req);
	if (down_received != (uint64_t)down_mib << 20)
		die("the download is shorter than sent");
	down_bytes_total += down_received;
	transfer_done = 1;
	event_base_loopbreak(base);
}

static void on_upload_done(struct evhttp_request *req, void *arg)
{
	struct evbuffer *input;
	char got[2];

	(void)arg;
	if (!req || evhttp_request_get_response_code(req) != HTTP_OK)
		die("the upload failed or was refused");
	input = evhttp_request_get_input_buffer(req);
	if (evbuffer_get_length(input) != 0 && evbuffer_copyout(input, got, 2) != 2)
		die("unreadable upload reply");
	up_bytes_total += (uint64_t)up_mib << 20;
	transfer_done = 1;
	event_base_loopbreak(base);
}

/* Makes one request and runs the loop until its completion callback; returns ns. */
static double transfer(struct evhttp_connection *evcon, int upload)
{
	struct evhttp_request *req;
	struct evkeyvalq *headers;
	double start;

	req = evhttp_request_new(upload ? on_upload_done : on_download_done, NULL);
	if (!req)
		die("evhttp_request_new failed");
	headers = evhttp_request_get_output_headers(req);
	if (evhttp_add_header(headers, "Host", "127.0.0.1") != 0)
		die("evhttp_add_header failed");
	if (upload) {
		char length[32];

		snprintf(length, sizeof(length), "%llu",
		    (unsigned long long)((uint64_t)up_mib << 20));
		if (evhttp_add_header(headers, "Content-Length", length) != 0)
			die("evhttp_add_header failed");
		add_stream(evhttp_request_get_output_buffer(req), UP_OFFSET,
		    (uint64_t)up_mib << 20);
	} else {
		evhttp_request_set_chunked_cb(req, on_download_chunk);
		down_received = 0;
	}
	transfer_done = 0;
	start = now_ns();
	if (evhttp_make_request(evcon, req, upload ? EVHTTP_REQ_POST : EVHTTP_REQ_GET,
		upload ? "/up" : "/down") != 0)
		die("evhttp_make_request failed");
	if (event_base_dispatch(base) < 0)
		die("event_base_dispatch failed");
	if (!transfer_done)
		die("the loop ended before the transfer did");
	return now_ns() - start;
}

/* Reads exactly len bytes; returns 0, or -1 on end of file or error. */
static int read_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-d MiB] [-u MiB] [-k KiB] [-r runs] [-P]\n"
	    "  -d  MiB downloaded per run (default 1024)\n"
	    "  -u  MiB uploaded per run, held in memory by the server (default 256)\n"
	    "  -k  KiB per chunk of the chunked download (default 256)\n"
	    "  -r  runs; the median of each direction is reported (default 3)\n"
	    "  -P  pin the server to CPU 0 and the client to CPU 1\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	struct evhttp_connection *evcon;
	int port_pipe[2], result_pipe[2], c, i, status;
	unsigned short port;
	uint32_t x = 11u;
	double *down_t, *up_t, *down_cpu, *up_cpu, *srv_down_cpu, *srv_up_cpu;
	pid_t child;

	while ((c = getopt(argc, argv, "d:u:k:r:Ph")) != -1) {
		switch (c) {
		case 'd': down_mib = atol(optarg); break;
		case 'u': up_mib = atol(optarg); break;
		case 'k': chunk_kib = atol(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		case 'P': pin = 1; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || down_mib < 1 || up_mib < 1 || chunk_kib < 1 ||
	    chunk_kib > 1048576 || n_runs < 1)
		usage(argv[0]);
	for (i = 0; i < PAT_LEN; i++) {
		x = x * 1103515245u + 12345u;
		pat[i] = pat[i + PAT_LEN] = (unsigned char)(x >> 16);
	}
	down_t = calloc((size_t)n_runs, sizeof(double));
	up_t = calloc((size_t)n_runs, sizeof(double));
	down_cpu = calloc((size_t)n_runs, sizeof(double));
	up_cpu = calloc((size_t)n_runs, sizeof(double));
	srv_down_cpu = calloc((size_t)n_runs, sizeof(double));
	srv_up_cpu = calloc((size_t)n_runs, sizeof(double));
	if (!down_t || !up_t || !down_cpu || !up_cpu || !srv_down_cpu || !srv_up_cpu)
		die("out of memory");

	if (pipe(port_pipe) != 0 || pipe(result_pipe) != 0)
		die("pipe failed");
	fflush(NULL);
	child = fork();
	if (child < 0)
		die("fork failed");
	if (child == 0) {
		close(port_pipe[0]);
		close(result_pipe[0]);
		pin_to(0);
		run_server(port_pipe[1], result_pipe[1]);
	}
	close(port_pipe[1]);
	close(result_pipe[1]);
	pin_to(1);
	signal(SIGPIPE, SIG_IGN);
	if (read(port_pipe[0], &port, sizeof(port)) != (ssize_t)sizeof(port))
		die("the server did not start");

	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", ntohs(port));
	if (!evcon)
		die("evhttp_connection_base_new failed");
	printf("# libevent %s, method %s\n", event_get_version(), event_base_get_method(base));
	fflush(stdout);

	for (i = 0; i < n_runs; i++) {
		double cpu = cpu_ns();

		down_t[i] = transfer(evcon, 0);
		down_cpu[i] = cpu_ns() - cpu;
		cpu = cpu_ns();
		up_t[i] = transfer(evcon, 1);
		up_cpu[i] = cpu_ns() - cpu;
	}
	evhttp_connection_free(evcon);

	kill(child, SIGTERM);
	if (read_all(result_pipe[0], srv_down_cpu, (size_t)n_runs * sizeof(double)) != 0 ||
	    read_all(result_pipe[0], srv_up_cpu, (size_t)n_runs * sizeof(double)) != 0)
		die("the server did not report its CPU times");
	for (i = 0; i < n_runs; i++) {
		down_cpu[i] += srv_down_cpu[i];
		up_cpu[i] += srv_up_cpu[i];
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("the server failed or found a wrong upload");
	if (down_bytes_total != ((uint64_t)down_mib << 20) * (uint64_t)n_runs ||
	    up_bytes_total != ((uint64_t)up_mib << 20) * (uint64_t)n_runs)
		die("wrong byte totals");

	printf("http_bulk down_mib=%ld up_mib=%ld chunk_kib=%ld runs=%d down_mib_per_s=%.1f "
	       "up_mib_per_s=%.1f down_cpu_us_per_mib=%.0f up_cpu_us_per_mib=%.0f "
	       "down_bytes_total=%llu up_bytes_total=%llu\n",
	    down_mib, up_mib, chunk_kib, n_runs, (double)down_mib / (median(down_t, n_runs) / 1e9),
	    (double)up_mib / (median(up_t, n_runs) / 1e9),
	    median(down_cpu, n_runs) / 1e3 / (double)down_mib,
	    median(up_cpu, n_runs) / 1e3 / (double)up_mib, (unsigned long long)down_bytes_total,
	    (unsigned long long)up_bytes_total);

	event_base_free(base);
	free(down_t);
	free(up_t);
	free(down_cpu);
	free(up_cpu);
	free(srv_down_cpu);
	free(srv_up_cpu);
	return 0;
}
