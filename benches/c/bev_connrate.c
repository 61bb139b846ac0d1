/*
 * bev_connrate: connections per second through an evconnlistener, client and server
 * in one event base and one thread.
 *
 * Every run listens anew on 127.0.0.1, port 0 (evconnlistener_new_bind with a backlog
 * of O + 128; set up and freed outside the timed part, so no run meets the previous
 * run's closed connections). The server makes a socket bufferevent for each accepted
 * connection, writes an 8-byte greeting with bufferevent_write, enables reading and
 * frees the bufferevent on end of file (data from the client would be an error).
 *
 * The client opens N nonblocking TCP connections with plain sockets, at most O at a
 * time: each is watched by a persistent read event (event_assign on a slot's struct
 * event); when the greeting has arrived in full, the client checks it, deletes the
 * event, closes the socket and opens the next connection in that slot. The run ends
 * when the client has finished N connections and the server has freed N bufferevents.
 *
 * Output: a '#' line with the library version and backend, then
 *   bev_connrate n=N outstanding=O runs=R conns_per_s=X us_per_conn=Y conns_total=T
 * with N over the median run time, its inverse, and the connections over all runs. A
 * refused or reset connection, a wrong greeting or a wrong count makes the program
 * fail, and so does a run that takes over 300 s (a connection dropped from a full
 * listen queue would otherwise leave the client waiting forever).
 *
 * The timed work is bench_run(), for callgrind's --toggle-collect. Uses only API
 * present in both libevent 2.1 and 2.2.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_stats.h"

#define NOINLINE __attribute__((noinline))

#define GREETING "welcome\n"
#define GREETING_LEN 8
#define RUN_ALARM_S 300 /* a run that takes longer is stuck; fail instead of hanging */

struct slot {
	struct event ev;
	evutil_socket_t fd;
	int got;
	char buf[GREETING_LEN];
};

static int n_conns = 5000;
static int n_outstanding = 32;
static int n_runs = 5;

static struct event_base *base;
static struct evconnlistener *listener;
static struct sockaddr_in addr;
static struct slot *slots;

static int launched, clients_done, servers_accepted, servers_closed;
static long long conns_total;

static void die(const char *what)
{
	fprintf(stderr, "bev_connrate: %s\n", what);
	exit(1);
}

/* server side */

static void srv_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
	die("the server received data from a client");
}

static void srv_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & BEV_EVENT_ERROR) {
		perror("bev_connrate: server connection error");
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
		die("bufferevent_socket_new failed");
	bufferevent_setcb(bev, srv_read, NULL, srv_event, NULL);
	if (bufferevent_write(bev, GREETING, GREETING_LEN) != 0)
		die("bufferevent_write failed");
	if (bufferevent_enable(bev, EV_READ) != 0)
		die("bufferevent_enable failed");
	servers_accepted++;
}

/* client side */

static void cli_read(evutil_socket_t fd, short what, void *arg);

static void start_conn(struct slot *s)
{
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0) {
		perror("bev_connrate: socket");
		exit(1);
	}
	if (evutil_make_socket_nonblocking(fd) != 0)
		die("evutil_make_socket_nonblocking failed");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno != EINPROGRESS) {
		perror("bev_connrate: connect");
		exit(1);
	}
	s->fd = fd;
	s->got = 0;
	if (event_assign(&s->ev, base, fd, EV_READ | EV_PERSIST, cli_read, s) != 0 ||
	    event_add(&s->ev, NULL) != 0)
		die("event_assign/event_add failed");
	launched++;
}

static void cli_read(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;
	ssize_t n;

	(void)what;
	n = read(fd, s->buf + s->got, (size_t)(GREETING_LEN - s->got));
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		perror("bev_connrate: client read");
		exit(1);
	}
	if (n == 0)
		die("the server closed a connection before the greeting was complete");
	s->got += (int)n;
	if (s->got < GREETING_LEN)
		return;
	if (memcmp(s->buf, GREETING, GREETING_LEN) != 0)
		die("wrong greeting");
	if (event_del(&s->ev) != 0)
		die("event_del failed");
	evutil_closesocket(fd);
	s->fd = -1;
	clients_done++;
	if (launched < n_conns)
		start_conn(s);
}

NOINLINE void bench_run(void);
NOINLINE void bench_run(void)
{
	int i;

	launched = clients_done = servers_accepted = servers_closed = 0;
	for (i = 0; i < n_outstanding && launched < n_conns; i++)
		start_conn(&slots[i]);
	while (clients_done < n_conns || servers_closed < n_conns) {
		int rv = event_base_loop(base, EVLOOP_ONCE);

		if (rv < 0)
			die("event_base_loop failed");
		if (rv > 0)
			die("event_base_loop: no events pending");
	}
	conns_total += clients_done;
}

static void listen_anew(void)
{
	struct sockaddr_in bind_addr;
	socklen_t alen = sizeof(addr);

	memset(&bind_addr, 0, sizeof(bind_addr));
	bind_addr.sin_family = AF_INET;
	bind_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind_addr.sin_port = 0;
	listener = evconnlistener_new_bind(base, on_accept, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, n_outstanding + 128,
	    (struct sockaddr *)&bind_addr, (int)sizeof(bind_addr));
	if (!listener)
		die("evconnlistener_new_bind failed");
	if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&addr, &alen) != 0)
		die("getsockname failed");
}

static void on_alarm(int sig)
{
	static const char msg[] = "bev_connrate: a run made no progress for a long time "
				  "(connections lost to a full listen queue?)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static void raise_fd_limit(rlim_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
		die("not enough file descriptors for -o (RLIMIT_NOFILE)");
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-n conns] [-o outstanding] [-r runs]\n"
	    "  -n  connections per run (default 5000)\n"
	    "  -o  connections open at a time (default 32)\n"
	    "  -r  runs; the median is reported (default 5)\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	double *t, med;
	int c, i;

	while ((c = getopt(argc, argv, "n:o:r:h")) != -1) {
		switch (c) {
		case 'n': n_conns = atoi(optarg); break;
		case 'o': n_outstanding = atoi(optarg); break;
		case 'r': n_runs = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || n_conns < 1 || n_outstanding < 1 || n_runs < 1)
		usage(argv[0]);
	/* a client and a server socket per outstanding connection, and the listener */
	raise_fd_limit((rlim_t)n_outstanding * 2 + 64);

	slots = calloc((size_t)n_outstanding, sizeof(*slots));
	t = calloc((size_t)n_runs, sizeof(*t));
	if (!slots || !t)
		die("out of memory");
	base = event_base_new();
	if (!base)
		die("event_base_new failed");
	signal(SIGALRM, on_alarm);

	printf("# libevent %s, method %s\n", event_get_version(),
	    event_base_get_method(base));
	fflush(stdout);

	for (i = 0; i < n_runs; i++) {
		double start;

		listen_anew();
		alarm(RUN_ALARM_S);
		start = now_ns();
		bench_run();
		t[i] = now_ns() - start;
		alarm(0);
		evconnlistener_free(listener);
		if (clients_done != n_conns || servers_accepted != n_conns ||
		    servers_closed != n_conns) {
			fprintf(stderr,
			    "bev_connrate: run %d: %d clients done, %d accepted, %d freed; "
			    "expected %d\n",
			    i, clients_done, servers_accepted, servers_closed, n_conns);
			return 1;
		}
	}
	if (conns_total != (long long)n_conns * n_runs)
		die("wrong connection total");

	med = median(t, n_runs);
	printf("bev_connrate n=%d outstanding=%d runs=%d conns_per_s=%.0f us_per_conn=%.2f "
	       "conns_total=%lld\n",
	    n_conns, n_outstanding, n_runs, n_conns / (med / 1e9), med / 1e3 / n_conns,
	    conns_total);

	event_base_free(base);
	free(t);
	free(slots);
	return 0;
}
