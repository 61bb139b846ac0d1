/*
 * http_client: evhttp client request rate over keep-alive connections, against a fixed
 * server that does not use libevent, so that only the client library differs.
 *
 * The program forks. The child is a small epoll server on 127.0.0.1, port 0 (plain
 * sockets, no libevent, TCP_NODELAY): it counts request ends ("\r\n\r\n"), checks that
 * every request starts with "GET / HTTP/1.1\r\n", and answers each one with a canned
 *
 *   HTTP/1.1 200 OK, Content-Type: text/plain, Content-Length: 13, "Hello, world\n"
 *
 * (several at once if requests arrive pipelined). It never closes a connection first.
 * The parent is the measured client: one event base, C connections made with
 * evhttp_connection_base_new, each keeping exactly one request in flight; a request is
 * evhttp_request_new + a Host header + evhttp_make_request(GET "/"), and its completion
 * callback checks the response (status 200, body "Hello, world\n") and issues the next
 * request on the same connection until N have been issued. A run ends when N
 * responses have arrived; its connections are then freed. An untimed warm-up run of W
 * requests comes first.
 *
 * With -P the server is pinned to CPU 0 and the client to CPU 1 (when there are two or
 * more CPUs), so the server does not compete with the measured side.
 *
 * Output: a '#' line with the library version and backend, then
 *   http_client requests=N conns=C runs=R requests_per_s=X cpu_ns_per_request=Y
 *     requests_total=T server_conns=S
 * where requests_per_s is N over the median run's wall time, cpu_ns_per_request the
 * median over the runs of the client process's user + system CPU time (getrusage) per
 * request, requests_total the responses checked over all runs and the warm-up, and
 * server_conns the connections the server accepted. A wrong response, a failed
 * request, a bad request at the server, or more connections than the client made
 * (keep-alive not kept) makes the program fail.
 *
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#define _GNU_SOURCE
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

static const char body[] = "Hello, world\n";
#define BODY_LEN (sizeof(body) - 1)
static const char canned[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			     "Content-Length: 13\r\n\r\nHello, world\n";
#define CANNED_LEN (sizeof(canned) - 1)
static const char request_start[] = "GET / HTTP/1.1\r\n";
#define REQUEST_START_LEN (sizeof(request_start) - 1)

static long n_requests = 100000;
static int n_conns = 10;
static int n_runs = 1;
static long n_warmup = 2000;
static int pin;

static void die(const char *what)
{
	fprintf(stderr, "http_client: %s\n", what);
	exit(1);
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	if (!pin || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		perror("http_client: sched_setaffinity (not pinned)");
}

/* --- the fixed server (child process, no libevent) -------------------------------- */

struct raw_conn {
	int fd;
	int end_state;      /* how much of "\r\n\r\n" has been seen: 0..3 */
	size_t request_pos; /* bytes of the current request seen so far */
};

static volatile sig_atomic_t server_stop;

static void on_term(int sig)
{
	(void)sig;
	server_stop = 1;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			(void)poll(&pfd, 1, 1000);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			return; /* the client went away; its read side will see that */
		}
	}
}

static void run_server(int port_pipe, int result_pipe)
{
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	struct epoll_event ev, evs[64];
	unsigned long long served = 0, accepted = 0, bad = 0;
	char buf[65536], out[64 * CANNED_LEN];
	unsigned short port;
	int lfd, ep, one = 1, i;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < 64; i++)
		memcpy(out + (size_t)i * CANNED_LEN, canned, CANNED_LEN);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(lfd, 128) != 0 || getsockname(lfd, (struct sockaddr *)&addr, &alen) != 0)
		die("server: cannot listen");
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL; /* the listener */
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0)
		die("server: epoll setup failed");
	port = addr.sin_port;
	if (write(port_pipe, &port, sizeof(port)) != (ssize_t)sizeof(port))
		die("server: cannot report the port");
	close(port_pipe);

	while (!server_stop) {
		int n = epoll_wait(ep, evs, 64, 100);

		for (i = 0; i < n; i++) {
			struct raw_conn *c = evs[i].data.ptr;
			ssize_t got;
			size_t k, ends = 0;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof(*c));
					if (!c)
						die("server: out of memory");
					c->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
						die("server: epoll_ctl failed");
					accepted++;
				}
				continue;
			}
			got = read(c->fd, buf, sizeof(buf));
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (got <= 0) {
				close(c->fd); /* also leaves the epoll set */
				free(c);
				continue;
			}
			for (k = 0; k < (size_t)got; k++) {
				char b = buf[k];

				if (c->request_pos < REQUEST_START_LEN &&
				    b != request_start[c->request_pos])
					bad++;
				c->request_pos++;
				if (b == '\r')
					c->end_state = c->end_state == 2 ? 3 : 1;
				else if (b == '\n' && (c->end_state == 1 || c->end_state == 3)) {
					if (c->end_state == 3) {
						ends++;
						c->end_state = 0;
						c->request_pos = 0;
					} else {
						c->end_state = 2;
					}
				} else
					c->end_state = 0;
			}
			served += ends;
			while (ends > 0) {
				size_t now = ends < 64 ? ends : 64;

				write_all(c->fd, out, now * CANNED_LEN);
				ends -= now;
			}
		}
	}
	{
		unsigned long long counts[3] = { served, accepted, bad };

		if (write(result_pipe, counts, sizeof(counts)) != (ssize_t)sizeof(counts))
			_exit(1);
	}
	_exit(0);
}

/* --- the measured client (parent process) ------------------------------------------ */

static struct event_base *base;
static unsigned short server_port;
static long issued, completed, run_target;
static unsigned long long checked_total;

static void issue(struct evhttp_connection *evcon);

static void on_response(struct evhttp_request *req, void *arg)
{
	struct evhttp_connection *evcon = arg;
	struct evbuffer *input;
	char got[BODY_LEN];

	if (!req || evhttp_request_get_response_code(req) != HTTP_OK)
		die("a request failed or was not answered 200");
	input = evhttp_request_get_input_buffer(req);
	if (evbuffer_get_length(input) != BODY_LEN ||
	    evbuffer_copyout(input, got, BODY_LEN) != (ev_ssize_t)BODY_LEN ||
	    memcmp(got, body, BODY_LEN) != 0)
		die("wrong response body");
	checked_total++;
	if (++completed == run_target) {
		event_base_loopbreak(base);
		return;
	}
	if (issued < run_target)
		issue(evcon);
}

static void issue(struct evhttp_connection *evcon)
{
	struct evhttp_request *req = evhttp_request_new(on_response, evcon);

	if (!req)
		die("evhttp_request_new failed");
	if (evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1") != 0)
		die("evhttp_add_header failed");
	if (evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/") != 0)
		die("evhttp_make_request failed");
	issued++;
}

/* One run of n requests over n_conns new connections. */
static void run_requests(long n)
{
	struct evhttp_connection **conns = calloc((size_t)n_conns, sizeof(*conns));
	int i;

	if (!conns)
		die("out of memory");
	issued = completed = 0;
	run_target = n;
	for (i = 0; i < n_conns; i++) {
		conns[i] = evhttp_connection_base_new(base, NULL, "127.0.0.1", server_port);
		if (!conns[i])
			die("evhttp_connection_base_new failed");
	}
	for (i = 0; i < n_conns && issued < n; i++)
		issue(conns[i]);
	if (event_base_dispatch(base) < 0)
		die("event_base_dispatch failed");
	if (completed != n)
		die("the loop ended before every response arrived");
	for (i = 0; i < n_conns; i++)
		evhttp_connection_free(conns[i]);
	free(conns);
}

static double cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage failed");
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-n requests] [-c conns] [-r runs] [-w warmup] [-P]\n"
	    "  -n  requests per run (default 100000)\n"
	    "  -c  keep-alive connections, one request in flight on each (default 10)\n"
	    "  -r  runs; the median is reported (default 1)\n"
	    "  -w  untimed warm-up requests before the runs (default 2000)\n"
	    "  -P  pin the server to CPU 0 and the client to CPU 1\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	int port_pipe[2], result_pipe[2], c, i, status;
	unsigned long long counts[3];
	double *wall, *cpu;
	pid_t child;

	while ((c = getopt(argc, argv, "n:c:r:w:Ph")) != -1) {
		switch (c) {
		case 'n': n_requests = atol(optarg); break;
		case 'c': n_conns = atoi(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		case 'w': n_warmup = atol(optarg); break;
		case 'P': pin = 1; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || n_requests < 1 || n_conns < 1 || n_runs < 1 || n_warmup < 0)
		usage(argv[0]);
	wall = calloc((size_t)n_runs, sizeof(*wall));
	cpu = calloc((size_t)n_runs, sizeof(*cpu));
	if (!wall || !cpu)
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
	if (read(port_pipe[0], &server_port, sizeof(server_port)) != (ssize_t)sizeof(server_port))
		die("the server did not start");
	server_port = ntohs(server_port);

	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	printf("# libevent %s, method %s\n", event_get_version(), event_base_get_method(base));
	fflush(stdout);

	if (n_warmup > 0)
		run_requests(n_warmup);
	for (i = 0; i < n_runs; i++) {
		double start = now_ns(), start_cpu = cpu_ns();

		run_requests(n_requests);
		wall[i] = now_ns() - start;
		cpu[i] = (cpu_ns() - start_cpu) / (double)n_requests;
	}

	kill(child, SIGTERM);
	if (read(result_pipe[0], counts, sizeof(counts)) != (ssize_t)sizeof(counts))
		die("the server did not report its counts");
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("the server failed");
	if (counts[2] != 0)
		die("the server saw requests that did not start with \"GET / HTTP/1.1\"");
	if (checked_total != (unsigned long long)n_requests * (unsigned long long)n_runs +
		(unsigned long long)n_warmup || counts[0] != checked_total)
		die("wrong request count");
	if (counts[1] > (unsigned long long)n_conns * (unsigned long long)(n_runs + (n_warmup > 0)))
		die("the client opened more connections than it was given (keep-alive lost)");

	printf("http_client requests=%ld conns=%d runs=%d requests_per_s=%.0f "
	       "cpu_ns_per_request=%.0f requests_total=%llu server_conns=%llu\n",
	    n_requests, n_conns, n_runs, (double)n_requests / (median(wall, n_runs) / 1e9),
	    median(cpu, n_runs), checked_total, counts[1]);

	event_base_free(base);
	free(wall);
	free(cpu);
	return 0;
}
