/*
 * http_mem: heap allocations and bytes per request of an evhttp server.
 *
 * Before any other libevent call the program installs counting memory functions with
 * event_set_mem_functions; each block carries a 16-byte header with its size, so the
 * bytes live (and their peak) are known. It also defines malloc, calloc, realloc,
 * free, posix_memalign, aligned_alloc and memalign itself (forwarding to glibc's
 * __libc_* functions) to count every heap allocation of the process, including any a
 * library makes without going through the memory functions; the counting functions
 * allocate through malloc, so these counts include theirs.
 *
 * The server is the hello server of http_hello (200, Content-Type: text/plain,
 * "Hello, world\n", keep-alive), on 127.0.0.1 port 0. The load comes from a forked
 * child that does not use libevent: plain blocking sockets and poll, C connections,
 * each with one "GET / HTTP/1.1" request in flight; it checks every response (status
 * 200, Content-Length 13, the body) and closes its connections when done. The child
 * runs a warm-up of W requests on C connections, closes them, waits for the server's
 * go-ahead, then makes N requests on C new connections. The server counts only in that
 * second phase, from the go-ahead until it has answered N requests and seen all C
 * connections close (evhttp's close callback), so the figures include accepting and
 * freeing C connections, amortised over N requests.
 *
 * With -P the server is pinned to CPU 0 and the client to CPU 1.
 *
 * Output: a '#' line with the library version and backend, then
 *   http_mem requests=N conns=C allocs_per_request=A bytes_per_request=B
 *     peak_live_bytes=P left_bytes=L heap_allocs_per_request=HA
 *     heap_bytes_per_request=HB
 * A and B count the memory functions' malloc and realloc calls and the bytes they
 * asked for (a realloc counts its new size), divided by N; P is the peak of the bytes
 * live through the memory functions above the level at the go-ahead; L what is still
 * live at the end above that level (grown tables, or a leak); HA and HB the same as A
 * and B at the malloc level. A wrong response, a bad request or a wrong count makes
 * the program fail.
 *
 * Uses only API present in both libevent 2.1 and 2.2 (and glibc).
 */
#define _GNU_SOURCE
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(__GLIBC__)
#error "http_mem counts malloc through glibc's __libc_malloc family"
#endif

/* --- malloc-level counting -------------------------------------------------------- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static int heap_counting;
static uint64_t heap_allocs, heap_bytes;

static void heap_count(size_t size)
{
	if (__atomic_load_n(&heap_counting, __ATOMIC_RELAXED)) {
		__atomic_fetch_add(&heap_allocs, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&heap_bytes, size, __ATOMIC_RELAXED);
	}
}

void *malloc(size_t size)
{
	heap_count(size);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	heap_count(n * size);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	heap_count(size);
	return __libc_realloc(p, size);
}

void free(void *p)
{
	__libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	heap_count(size);
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	heap_count(size);
	return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
	heap_count(size);
	return __libc_memalign(align, size);
}

/* --- the memory functions given to libevent ---------------------------------------- */

#define HEADER 16 /* keeps malloc's 16-byte alignment */

static int mm_counting;
static uint64_t mm_allocs, mm_bytes;
static int64_t mm_live, mm_peak;

static void mm_note(size_t size)
{
	if (mm_counting) {
		mm_allocs++;
		mm_bytes += size;
	}
}

static void mm_grow(int64_t delta)
{
	mm_live += delta;
	if (mm_live > mm_peak)
		mm_peak = mm_live;
}

static void *count_malloc(size_t size)
{
	unsigned char *p;

	mm_note(size);
	if (size > SIZE_MAX - HEADER)
		return NULL;
	p = malloc(size + HEADER);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof(size));
	mm_grow((int64_t)size);
	return p + HEADER;
}

static void *count_realloc(void *ptr, size_t size)
{
	unsigned char *p;
	size_t old;

	if (!ptr)
		return count_malloc(size);
	mm_note(size);
	if (size > SIZE_MAX - HEADER)
		return NULL;
	p = (unsigned char *)ptr - HEADER;
	memcpy(&old, p, sizeof(old));
	p = realloc(p, size + HEADER);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof(size));
	mm_grow((int64_t)size - (int64_t)old);
	return p + HEADER;
}

static void count_free(void *ptr)
{
	unsigned char *p;
	size_t old;

	if (!ptr)
		return;
	p = (unsigned char *)ptr - HEADER;
	memcpy(&old, p, sizeof(old));
	mm_grow(-(int64_t)old);
	free(p);
}

/* --- common ------------------------------------------------------------------------- */

static const char body[] = "Hello, world\n";
#define BODY_LEN (sizeof(body) - 1)
static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static long n_requests = 10000;
static long n_warmup = 1000;
static int n_conns = 10;
static int pin;

static void die(const char *what)
{
	fprintf(stderr, "http_mem: %s\n", what);
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
		perror("http_mem: sched_setaffinity (not pinned)");
}

/* --- the load (child process, no libevent) ----------------------------------------- */

struct client_conn {
	int fd;
	size_t have; /* bytes of the response being read */
	char buf[4096];
};

static void client_fail(const char *what)
{
	fprintf(stderr, "http_mem: client: %s\n", what);
	_exit(1);
}

static void send_request(int fd)
{
	size_t len = sizeof(request) - 1, done = 0;

	while (done < len) {
		ssize_t n = write(fd, request + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			client_fail("write failed");
		done += (size_t)n;
	}
}

/* If c->buf holds a whole response, checks and removes it and returns 1. */
static int take_response(struct client_conn *c)
{
	char *end = memmem(c->buf, c->have, "\r\n\r\n", 4), *p;
	size_t head, length = (size_t)-1;

	if (!end) {
		if (c->have == sizeof(c->buf))
			client_fail("response header too long");
		return 0;
	}
	head = (size_t)(end - c->buf) + 4;
	if (c->have < 13 || memcmp(c->buf, "HTTP/1.1 200 ", 13) != 0)
		client_fail("response is not HTTP/1.1 200");
	for (p = c->buf; p && p < end; p = memmem(p, (size_t)(end - p), "\r\n", 2)) {
		p += 2;
		if (end - p > 15 && strncasecmp(p, "Content-Length:", 15) == 0)
			length = strtoul(p + 15, NULL, 10);
	}
	if (length != BODY_LEN)
		client_fail("response has no Content-Length 13");
	if (c->have < head + length)
		return 0;
	if (memcmp(c->buf + head, body, BODY_LEN) != 0)
		client_fail("wrong response body");
	c->have -= head + length;
	memmove(c->buf, c->buf + head + length, c->have);
	if (c->have != 0)
		client_fail("unasked-for bytes after a response");
	return 1;
}

static void client_phase(unsigned short port, long n)
{
	struct client_conn *conns = calloc((size_t)n_conns, sizeof(*conns));
	struct pollfd *pfds = calloc((size_t)n_conns, sizeof(*pfds));
	struct sockaddr_in addr;
	long issued = 0, answered = 0;
	int i, one = 1;

	if (!conns || !pfds)
		client_fail("out of memory");
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = port;
	for (i = 0; i < n_conns; i++) {
		conns[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (conns[i].fd < 0 ||
		    connect(conns[i].fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
			client_fail("connect failed");
		setsockopt(conns[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pfds[i].fd = conns[i].fd;
		pfds[i].events = POLLIN;
		if (issued < n) {
			send_request(conns[i].fd);
			issued++;
		}
	}
	while (answered < n) {
		int ready = poll(pfds, (nfds_t)n_conns, 30000);

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			client_fail("no response within 30 s");
		for (i = 0; i < n_conns; i++) {
			struct client_conn *c = &conns[i];
			ssize_t got;

			if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
			if (got <= 0)
				client_fail("the server closed a connection or read failed");
			c->have += (size_t)got;
			if (!take_response(c))
				continue;
			answered++;
			if (issued < n) {
				send_request(c->fd);
				issued++;
			}
		}
	}
	for (i = 0; i < n_conns; i++)
		close(conns[i].fd);
	free(conns);
	free(pfds);
}

static void run_client(unsigned short port, int go_pipe)
{
	char go;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	if (n_warmup > 0)
		client_phase(port, n_warmup);
	if (read(go_pipe, &go, 1) != 1)
		client_fail("no go-ahead from the server");
	client_phase(port, n_requests);
	_exit(0);
}

/* --- the server (parent process) ---------------------------------------------------- */

static struct event_base *base;
static struct evbuffer *reply;
static long served, bad, conns_closed, target_served, target_closed;

static void check_done(void)
{
	if (served == target_served && conns_closed == target_closed)
		event_base_loopbreak(base);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	(void)arg;
	conns_closed++;
	check_done();
}

static void on_request(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	(void)arg;
	served++;
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

static void serve_until(long requests, long closes)
{
	target_served = requests;
	target_closed = closes;
	if (served == requests && conns_closed == closes)
		return;
	if (event_base_dispatch(base) < 0)
		die("event_base_dispatch failed");
	if (served != requests || conns_closed != closes)
		die("the loop ended early");
}

/*
 * libevent 2.1 calls the close callback before it frees the connection and finishes
 * freeing a bufferevent in a later loop pass; a few passes that do not wait let that
 * memory go before the heap is read.
 */
static void settle(void)
{
	int i;

	for (i = 0; i < 4; i++)
		if (event_base_loop(base, EVLOOP_NONBLOCK) < 0)
			die("event_base_loop failed");
}

static void usage(const char *argv0)
{
	fprintf(stderr,
	    "usage: %s [-n requests] [-c conns] [-w warmup] [-P]\n"
	    "  -n  requests counted, at least -c (default 10000)\n"
	    "  -c  keep-alive connections, one request in flight on each (default 10)\n"
	    "  -w  requests of the uncounted warm-up, 0 or at least -c (default 1000)\n"
	    "  -P  pin the server to CPU 0 and the client to CPU 1\n",
	    argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);
	int go_pipe[2], c, status;
	int64_t live_at_start;
	uint64_t allocs, bytes, h_allocs, h_bytes;
	pid_t child;

	/* Before any other libevent call. */
	event_set_mem_functions(count_malloc, count_realloc, count_free);

	while ((c = getopt(argc, argv, "n:c:w:Ph")) != -1) {
		switch (c) {
		case 'n': n_requests = atol(optarg); break;
		case 'c': n_conns = atoi(optarg); break;
		case 'w': n_warmup = atol(optarg); break;
		case 'P': pin = 1; break;
		default: usage(argv[0]);
		}
	}
	/* Every connection must carry a request, or its close is never seen. */
	if (optind != argc || n_conns < 1 || n_requests < n_conns ||
	    (n_warmup != 0 && n_warmup < n_conns) || n_warmup < 0)
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
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	if (!bound ||
	    getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&addr, &alen) != 0)
		die("cannot listen");

	printf("# libevent %s, method %s\n", event_get_version(), event_base_get_method(base));
	fflush(stdout);
	if (pipe(go_pipe) != 0)
		die("pipe failed");
	child = fork();
	if (child < 0)
		die("fork failed");
	if (child == 0) {
		close(go_pipe[1]);
		pin_to(1);
		run_client(addr.sin_port, go_pipe[0]);
	}
	close(go_pipe[0]);
	pin_to(0);

	serve_until(n_warmup, n_warmup > 0 ? n_conns : 0);
	settle();

	live_at_start = mm_live;
	mm_peak = mm_live;
	mm_allocs = mm_bytes = 0;
	mm_counting = 1;
	heap_allocs = heap_bytes = 0;
	__atomic_store_n(&heap_counting, 1, __ATOMIC_RELAXED);
	if (write(go_pipe[1], "g", 1) != 1)
		die("cannot signal the client");
	serve_until(n_warmup + n_requests, (n_warmup > 0 ? n_conns : 0) + n_conns);
	__atomic_store_n(&heap_counting, 0, __ATOMIC_RELAXED);
	mm_counting = 0;
	allocs = mm_allocs;
	bytes = mm_bytes;
	h_allocs = heap_allocs;
	h_bytes = heap_bytes;
	settle();

	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("the client failed");
	if (bad)
		die("the server got requests that were not GET /");

	printf("http_mem requests=%ld conns=%d allocs_per_request=%.2f bytes_per_request=%.0f "
	       "peak_live_bytes=%lld left_bytes=%lld heap_allocs_per_request=%.2f "
	       "heap_bytes_per_request=%.0f\n",
	    n_requests, n_conns, (double)allocs / (double)n_requests,
	    (double)bytes / (double)n_requests, (long long)(mm_peak - live_at_start),
	    (long long)(mm_live - live_at_start), (double)h_allocs / (double)n_requests,
	    (double)h_bytes / (double)n_requests);

	evhttp_free(http);
	evbuffer_free(reply);
	event_base_free(base);
	return 0;
}
