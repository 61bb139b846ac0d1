/*
 * http_hello: an evhttp "hello world" server, for an outside load generator (wrk).
 *
 * The server listens on 127.0.0.1, port 0 (or -p PORT), writes the port it got to the
 * file given with -f (written to FILE.tmp and renamed, so a reader never sees half a
 * number) and serves every request with
 *
 *   200 OK, Content-Type: text/plain, body "Hello, world\n" (13 bytes)
 *
 * through one evhttp_set_gencb handler. Keep-alive is evhttp's default: a connection
 * stays open unless the client asks for "Connection: close". A request for anything
 * but "GET /" is answered 404 and counted as bad.
 *
 * The server runs until SIGTERM or SIGINT (then exits 0 after printing its counts) or
 * until the -t watchdog expires (then exits 1: the driver lost track of it).
 *
 * Output, when stopped: a '#' line with the library version and backend, then
 *   http_hello requests=N bad=B conns_closed=C busy_s=S cpu_ns_per_request=U
 * where requests counts handler calls, bad the requests that were not "GET /",
 * conns_closed the server-side connections evhttp closed (its close callback, set from
 * the handler), busy_s the time from the first to the last request and
 * cpu_ns_per_request the process's user + system CPU time (getrusage) from the first
 * request to the stop, per request: unlike the rate, it hardly depends on what else
 * the machine is running. The program exits non-zero when a request was bad. The rate
 * is measured by the load generator; benches/compare.sh compares its request count
 * with these counts.
 *
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

static const char body[] = "Hello, world\n";
#define BODY_LEN (sizeof(body) - 1)

static struct event_base *base;
static struct evbuffer *reply; /* reused: evhttp_send_reply moves its contents out */
static unsigned long long requests, bad, conns_closed;
static double first_ns, last_ns, first_cpu_ns;
static int stopped_by_signal;

static void die(const char *what)
{
	fprintf(stderr, "http_hello: %s\n", what);
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

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	(void)arg;
	conns_closed++;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	(void)arg;
	last_ns = now_ns();
	if (requests++ == 0) {
		first_ns = last_ns;
		first_cpu_ns = cpu_ns();
	}
	if (evcon)
		evhttp_connection_set_closecb(evcon, on_close, NULL);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET || !uri || strcmp(uri, "/") != 0) {
		bad++;
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	if (evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		"text/plain") != 0)
		die("evhttp_add_header failed");
	if (evbuffer_add(reply, body, BODY_LEN) != 0)
		die("evbuffer_add failed");
	evhttp_send_reply(req, HTTP_OK, "OK", reply);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	stopped_by_signal = 1;
	event_base_loopexit(base, NULL);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopexit(base, NULL);
}

static void write_port_file(const char *path, int port)
{
	size_t len = strlen(path);
	char *tmp = malloc(len + 5);
	FILE *f;

	if (!tmp)
		die("out of memory");
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp", 5);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0)
		die("cannot write the port file");
	if (rename(tmp, path) != 0)
		die("cannot rename the port file");
	free(tmp);
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-f port_file] [-p port] [-t seconds]\n"
	    "  -f  write the listening port to this file\n"
	    "  -p  port to listen on (default 0: any free port)\n"
	    "  -t  give up and exit 1 after this many seconds (default 300)\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *port_file = NULL;
	int port = 0, seconds = 300, c;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *sigterm, *sigint, *watchdog;
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	struct timeval limit;

	while ((c = getopt(argc, argv, "f:p:t:h")) != -1) {
		switch (c) {
		case 'f': port_file = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 't': seconds = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || port < 0 || port > 65535 || seconds < 1)
		usage(argv[0]);

	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	http = evhttp_new(base);
	reply = evbuffer_new();
	if (!http || !reply)
		die("evhttp_new or evbuffer_new failed");
	evhttp_set_gencb(http, on_request, NULL);
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", (unsigned short)port);
	if (!bound)
		die("evhttp_bind_socket_with_handle failed");
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&addr, &alen) != 0)
		die("getsockname failed");

	sigterm = evsignal_new(base, SIGTERM, on_signal, NULL);
	sigint = evsignal_new(base, SIGINT, on_signal, NULL);
	watchdog = evtimer_new(base, on_watchdog, NULL);
	limit.tv_sec = seconds;
	limit.tv_usec = 0;
	if (!sigterm || !sigint || !watchdog || evsignal_add(sigterm, NULL) != 0 ||
	    evsignal_add(sigint, NULL) != 0 || evtimer_add(watchdog, &limit) != 0)
		die("cannot set up the signal and watchdog events");

	printf("# libevent %s, method %s\n", event_get_version(), event_base_get_method(base));
	fflush(stdout);
	if (port_file)
		write_port_file(port_file, ntohs(addr.sin_port));
	else
		fprintf(stderr, "http_hello: listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));

	if (event_base_dispatch(base) < 0)
		die("event_base_dispatch failed");

	printf("http_hello requests=%llu bad=%llu conns_closed=%llu busy_s=%.3f "
	       "cpu_ns_per_request=%.0f\n",
	    requests, bad, conns_closed, requests ? (last_ns - first_ns) / 1e9 : 0.0,
	    requests ? (cpu_ns() - first_cpu_ns) / (double)requests : 0.0);
	fflush(stdout);
	if (!stopped_by_signal) {
		fprintf(stderr, "http_hello: not stopped within %d s\n", seconds);
		return 1;
	}
	if (bad) {
		fprintf(stderr, "http_hello: %llu requests were not GET /\n", bad);
		return 1;
	}
	event_free(sigterm);
	event_free(sigint);
	event_free(watchdog);
	evhttp_free(http);
	evbuffer_free(reply);
	event_base_free(base);
	return 0;
}
