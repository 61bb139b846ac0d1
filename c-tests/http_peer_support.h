/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixtures shared by the evhttp stress and peer programs: allocation counting through
 * event_set_mem_functions, an evhttp server on a loopback port of the kernel's choosing,
 * raw client sockets, bounded loop runs, and helper processes (curl, python3) that are
 * always killed and reaped, also when a check fails or the program is killed. */
#ifndef EVRS_C_TESTS_HTTP_PEER_SUPPORT_H
#define EVRS_C_TESTS_HTTP_PEER_SUPPORT_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* ---- Allocation counting ------------------------------------------------------------ */

/* Every block carries its size in a 16-byte prefix, so frees can be counted too and
 * the payload keeps malloc's alignment. */
#define HPS_PREFIX 16

static size_t hps_live_bytes;
static size_t hps_peak_bytes;
static size_t hps_live_blocks;

static void *hps_malloc(size_t n)
{
	unsigned char *p = malloc(n + HPS_PREFIX);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	hps_live_bytes += n;
	hps_live_blocks++;
	if (hps_live_bytes > hps_peak_bytes)
		hps_peak_bytes = hps_live_bytes;
	return p + HPS_PREFIX;
}

static void hps_free(void *ptr)
{
	unsigned char *p;
	size_t n;
	if (!ptr)
		return;
	p = (unsigned char *)ptr - HPS_PREFIX;
	memcpy(&n, p, sizeof(n));
	hps_live_bytes -= n;
	hps_live_blocks--;
	free(p);
}

static void *hps_realloc(void *ptr, size_t n)
{
	unsigned char *p, *q;
	size_t old;
	if (!ptr)
		return hps_malloc(n);
	p = (unsigned char *)ptr - HPS_PREFIX;
	memcpy(&old, p, sizeof(old));
	q = realloc(p, n + HPS_PREFIX);
	if (!q)
		return NULL;
	memcpy(q, &n, sizeof(n));
	hps_live_bytes = hps_live_bytes - old + n;
	if (hps_live_bytes > hps_peak_bytes)
		hps_peak_bytes = hps_live_bytes;
	return q + HPS_PREFIX;
}

/* Must run before any other libevent call. */
static inline void hps_count_allocations(void)
{
	event_set_mem_functions(hps_malloc, hps_realloc, hps_free);
}

/* ---- Sockets ------------------------------------------------------------------------ */

static inline void hps_loopback(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons((unsigned short)port);
}

/* Binds 127.0.0.1 on a port the kernel picks, listens with the given backlog (evhttp's
 * own binding listens with 128, too few for a burst of thousands of connects) and hands
 * the socket to the server. Returns the port. */
static inline int hps_serve(struct evhttp *http, int backlog)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	REQUIRE(evutil_make_listen_socket_reuseable(fd) == 0);
	REQUIRE(evutil_make_socket_nonblocking(fd) == 0);
	hps_loopback(&sin, 0);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(fd, backlog) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	REQUIRE(evhttp_accept_socket_with_handle(http, fd) != NULL);
	return ntohs(sin.sin_port);
}

/* A TCP connection to 127.0.0.1:port; nonblocking ones may still be connecting. */
static inline evutil_socket_t hps_connect(int port, int nonblocking)
{
	struct sockaddr_in sin;
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (nonblocking && evutil_make_socket_nonblocking(fd) != 0) {
		close(fd);
		return -1;
	}
	hps_loopback(&sin, port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 &&
	    !(nonblocking && errno == EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Copies the first line of an answer (without its CRLF) into out; "" if none yet. */
static inline void hps_first_line(const char *buf, size_t len, char *out, size_t outlen)
{
	size_t n = 0;
	while (n < len && buf[n] != '\r' && buf[n] != '\n' && n + 1 < outlen)
		n++;
	memcpy(out, buf, n);
	out[n] = '\0';
}

/* Raises the soft descriptor limit to at least `want`. Returns 0, or -1 when the hard
 * limit is lower (the caller then skips). */
static inline int hps_raise_nofile(rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur >= want)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		return -1;
	rl.rlim_cur = want;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* ---- Loop runs ---------------------------------------------------------------------- */

static void hps_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Safety nets are ten times longer under valgrind (the harness runs our builds under it
 * when EVRS_VALGRIND=1, which the program inherits). */
static inline int hps_slowdown(void)
{
	const char *v = getenv("EVRS_VALGRIND");
	return v && strcmp(v, "1") == 0 ? 10 : 1;
}

static inline int hps_loop_(struct event_base *base, const int *counter, int want,
    long long ms)
{
	int expired = 0;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	struct event *deadline = evtimer_new(base, hps_deadline_cb, &expired);
	if (!deadline) {
		/* Not a REQUIRE: loop runs are not assertions, and must not change the count. */
		fprintf(stderr, "FAIL: cannot make a timer\n");
		exit(1);
	}
	evtimer_add(deadline, &tv);
	while (*counter < want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(deadline);
	return *counter >= want;
}

/* Runs the loop until *counter reaches want or ms milliseconds pass (a safety net, not
 * a timing assertion; longer under valgrind). Returns whether the counter got there. */
static inline int hps_run_until(struct event_base *base, const int *counter, int want, int ms)
{
	return hps_loop_(base, counter, want, (long long)ms * hps_slowdown());
}

/* Runs the loop for ms milliseconds. */
static inline void hps_run_for(struct event_base *base, int ms)
{
	int never = 0;
	hps_loop_(base, &never, 1, ms);
}

/* ---- One request on its own connection ---------------------------------------------- */

/* xorshift64: the same sequence on every libc. */
static inline uint64_t hps_rng_next(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* What came back on a connection: the status line ("closed" when the server hung up
 * without an answer, "no end" when it neither answered nor hung up), the first bytes
 * of the answer, and how many bytes there were in all. */
struct hps_answer {
	char status[256];
	char head[8192];
	size_t head_len;
	size_t total;
	int closed;
};

struct hps_exchange_state {
	const unsigned char *data;
	size_t len;
	size_t sent;
	size_t max_piece;	/* 0: everything at once */
	uint64_t piece_rng;
	evutil_socket_t fd;
	struct event *read_ev;
	struct event *write_ev;
	struct event *pace_ev;
	struct hps_answer *answer;
	int write_failed;
};

static void hps_exchange_send(struct hps_exchange_state *x);

static void hps_exchange_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hps_exchange_state *x = arg;
	struct hps_answer *a = x->answer;
	char buf[16384];
	(void)what;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			size_t room = sizeof(a->head) - 1 - a->head_len;
			size_t keep = (size_t)n < room ? (size_t)n : room;
			memcpy(a->head + a->head_len, buf, keep);
			a->head_len += keep;
			a->head[a->head_len] = '\0';
			a->total += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF, or a reset when the server hung up on unread input. */
		a->closed = 1;
		event_del(x->read_ev);
		event_del(x->write_ev);
		event_del(x->pace_ev);
		return;
	}
}

static void hps_exchange_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	hps_exchange_send(arg);
}

static void hps_exchange_send(struct hps_exchange_state *x)
{
	while (x->sent < x->len && !x->write_failed) {
		size_t want = x->len - x->sent;
		ssize_t n;
		if (x->max_piece && want > x->max_piece)
			want = 1 + (size_t)(hps_rng_next(&x->piece_rng) % x->max_piece);
		n = send(x->fd, x->data + x->sent, want, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				event_add(x->write_ev, NULL);
				return;
			}
			/* The server hung up early; what it answered is still to be read. */
			x->write_failed = 1;
			return;
		}
		x->sent += (size_t)n;
		if (x->max_piece && x->sent < x->len) {
			/* Let the loop (and so the server) run before the next piece. */
			struct timeval now = {0, 0};
			event_add(x->pace_ev, &now);
			return;
		}
	}
	if (x->sent == x->len)
		shutdown(x->fd, SHUT_WR);
}

/* Sends data on a new connection (all at once, or in pieces of 1..max_piece bytes with
 * a loop turn between them), then half-closes, and runs the loop until the server hangs
 * up, or for ms milliseconds at most (a safety net). */
static inline void hps_exchange(struct event_base *base, int port, const unsigned char *data,
    size_t len, size_t max_piece, int ms, struct hps_answer *answer)
{
	struct hps_exchange_state x;
	memset(&x, 0, sizeof(x));
	memset(answer, 0, sizeof(*answer));
	x.data = data;
	x.len = len;
	x.max_piece = max_piece;
	x.piece_rng = 0x9e3779b97f4a7c15ull + len;
	x.answer = answer;
	x.fd = hps_connect(port, 1);
	REQUIRE(x.fd >= 0);
	x.read_ev = event_new(base, x.fd, EV_READ | EV_PERSIST, hps_exchange_read_cb, &x);
	x.write_ev = event_new(base, x.fd, EV_WRITE, hps_exchange_write_cb, &x);
	x.pace_ev = evtimer_new(base, hps_exchange_write_cb, &x);
	REQUIRE(x.read_ev && x.write_ev && x.pace_ev);
	event_add(x.read_ev, NULL);
	/* The connect may still be under way: start writing once it is writable. */
	event_add(x.write_ev, NULL);
	hps_run_until(base, &answer->closed, 1, ms);
	if (!answer->closed)
		snprintf(answer->status, sizeof(answer->status), "no end");
	else if (answer->head_len == 0)
		snprintf(answer->status, sizeof(answer->status), "closed");
	else
		hps_first_line(answer->head, answer->head_len, answer->status,
		    sizeof(answer->status));
	event_free(x.read_ev);
	event_free(x.write_ev);
	event_free(x.pace_ev);
	evutil_closesocket(x.fd);
}

/* The body of an answer read to its end (after the blank line), or NULL. */
static inline const char *hps_answer_body(const struct hps_answer *a)
{
	const char *p = strstr(a->head, "\r\n\r\n");
	return p ? p + 4 : NULL;
}

/* ---- Helper processes --------------------------------------------------------------- */

#define HPS_MAX_CHILDREN 16

static pid_t hps_children[HPS_MAX_CHILDREN];

static void hps_reap_all(void)
{
	for (int i = 0; i < HPS_MAX_CHILDREN; i++) {
		if (hps_children[i] > 0) {
			kill(hps_children[i], SIGKILL);
			waitpid(hps_children[i], NULL, 0);
			hps_children[i] = 0;
		}
	}
}

/* Full path of an executable found on PATH, or NULL. */
static inline const char *hps_find_program(const char *name)
{
	static char found[4096];
	const char *path = getenv("PATH");
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		if (n > 0 && n + strlen(name) + 2 < sizeof(found)) {
			memcpy(found, path, n);
			found[n] = '/';
			strcpy(found + n + 1, name);
			if (access(found, X_OK) == 0)
				return found;
		}
		path = end ? end + 1 : NULL;
	}
	return NULL;
}

/* A running helper and what it wrote on its standard output. */
struct hps_child {
	pid_t pid;
	evutil_socket_t out_fd;
	struct event *out_ev;
	char *out;
	size_t out_len;
	size_t out_cap;
	int out_lines;	/* line feeds seen so far */
	int out_done;	/* end of output reached */
	int status;	/* wait status once reaped */
	int reaped;
};

static void hps_child_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hps_child *c = arg;
	(void)what;
	for (;;) {
		ssize_t n;
		if (c->out_cap - c->out_len < 4096) {
			c->out_cap = c->out_cap * 2 + 4096;
			c->out = realloc(c->out, c->out_cap + 1);
			REQUIRE(c->out != NULL);
		}
		n = read(fd, c->out + c->out_len, c->out_cap - c->out_len);
		if (n > 0) {
			for (ssize_t i = 0; i < n; i++)
				c->out_lines += c->out[c->out_len + (size_t)i] == '\n';
			c->out_len += (size_t)n;
			c->out[c->out_len] = '\0';
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* End of output (or a read error): the helper is done writing. */
		event_del(c->out_ev);
		c->out_done = 1;
		return;
	}
}

/* Starts argv[0] (looked up on PATH) with its standard output on a pipe that the loop
 * reads into c->out; its standard error stays ours, so its complaints show in the log.
 * The helper dies with us (PR_SET_PDEATHSIG) and is killed and reaped at exit. */
static inline void hps_spawn(struct event_base *base, struct hps_child *c, char *const argv[])
{
	int pipefd[2];
	int slot;
	static int reaper_installed;

	memset(c, 0, sizeof(*c));
	for (slot = 0; slot < HPS_MAX_CHILDREN && hps_children[slot] > 0; slot++)
		;
	REQUIRE(slot < HPS_MAX_CHILDREN);
	if (!reaper_installed) {
		atexit(hps_reap_all);
		reaper_installed = 1;
	}
	REQUIRE(pipe(pipefd) == 0);
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	REQUIRE(c->pid >= 0);
	if (c->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		dup2(pipefd[1], 1);
		if (devnull >= 0)
			dup2(devnull, 0);
		/* Nothing else of ours: no listener, no connection stays open in the helper. */
		for (long fd = 3, max = sysconf(_SC_OPEN_MAX); fd < max && fd < 65536; fd++)
			close((int)fd);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	hps_children[slot] = c->pid;
	close(pipefd[1]);
	c->out_fd = pipefd[0];
	REQUIRE(evutil_make_socket_nonblocking(c->out_fd) == 0);
	c->out_ev = event_new(base, c->out_fd, EV_READ | EV_PERSIST, hps_child_read_cb, c);
	REQUIRE(c->out_ev != NULL);
	event_add(c->out_ev, NULL);
}

static inline void hps_forget_child(pid_t pid)
{
	for (int i = 0; i < HPS_MAX_CHILDREN; i++)
		if (hps_children[i] == pid)
			hps_children[i] = 0;
}

/* Runs the loop until the helper has closed its output and exited, or ms pass (longer
 * under valgrind); then kills it if need be and reaps it. Returns 1 if it ended by
 * itself. */
static inline int hps_finish_child(struct event_base *base, struct hps_child *c, int ms)
{
	int ended = 0;
	long long limit = (long long)ms * hps_slowdown();
	hps_run_until(base, &c->out_done, 1, ms);
	for (long long waited = 0; waited < limit; waited += 10) {
		pid_t r = waitpid(c->pid, &c->status, WNOHANG);
		if (r == c->pid) {
			ended = 1;
			break;
		}
		/* Keep serving while it finishes. */
		hps_run_for(base, 10);
	}
	if (!ended) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &c->status, 0);
	}
	c->reaped = 1;
	hps_forget_child(c->pid);
	if (c->out_ev) {
		event_free(c->out_ev);
		c->out_ev = NULL;
	}
	close(c->out_fd);
	return ended && c->out_done;
}

/* Kills a helper that does not end by itself (a server) and reaps it. */
static inline void hps_kill_child(struct hps_child *c)
{
	if (c->reaped)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &c->status, 0);
	c->reaped = 1;
	hps_forget_child(c->pid);
	if (c->out_ev) {
		event_free(c->out_ev);
		c->out_ev = NULL;
	}
	close(c->out_fd);
}

static inline void hps_child_free(struct hps_child *c)
{
	free(c->out);
	c->out = NULL;
}

static inline int hps_exited_ok(const struct hps_child *c)
{
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

#endif
