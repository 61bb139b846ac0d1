/*
 * rpc_call: evrpc round trips over loopback.
 *
 * A thread of this program is the server: its own event base, an evhttp on 127.0.0.1
 * (port 0) and an evrpc base with one RPC, Echo, whose handler copies the request's
 * id and payload into the reply. The main thread is the client: an evrpc pool with C
 * HTTP connections to that server and C calls in flight (one per connection; evhttp
 * does not pipeline). Each completed call is checked and the next one started until N
 * calls have completed. An untimed warm-up of 1000 calls comes first.
 *
 * The messages are written by hand with evtag calls, as event_rpcgen.py would make
 * them: struct echo_msg { int id = 1; bytes payload = 2; } for both request and reply.
 *
 * Output: a '#' line with the library version, then
 *   rpc_call calls=N conns=C runs=R calls_per_s=X
 * where calls_per_s is N over the median run's wall time.
 *
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#define _GNU_SOURCE
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/http.h>
#include <event2/http_compat.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>
#include <event2/tag.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD_MAX 256

struct echo_msg {
	ev_uint32_t id;
	ev_uint8_t payload[PAYLOAD_MAX];
	ev_uint32_t payload_len;
	int id_set, payload_set;
};

/* The functions generated code provides, for both the request and the reply type. */
static struct echo_msg *echo_msg_new(void) { return calloc(1, sizeof(struct echo_msg)); }
static void *echo_msg_new_with_arg(void *arg) { (void)arg; return echo_msg_new(); }
static void echo_msg_free(struct echo_msg *m) { free(m); }
static void echo_msg_clear(struct echo_msg *m) { memset(m, 0, sizeof(*m)); }
static int echo_msg_complete(struct echo_msg *m) { return m->id_set && m->payload_set ? 0 : -1; }
static void echo_msg_marshal(struct evbuffer *buf, const struct echo_msg *m)
{
	evtag_marshal_int(buf, 1, m->id);
	evtag_marshal(buf, 2, m->payload, m->payload_len);
}
static int echo_msg_unmarshal(struct echo_msg *m, struct evbuffer *buf)
{
	ev_uint32_t tag, len;
	while (evbuffer_get_length(buf) > 0) {
		if (evtag_peek(buf, &tag) == -1)
			return -1;
		if (tag == 1) {
			if (m->id_set || evtag_unmarshal_int(buf, 1, &m->id) == -1)
				return -1;
			m->id_set = 1;
		} else if (tag == 2) {
			if (m->payload_set || evtag_payload_length(buf, &len) == -1 ||
			    len > PAYLOAD_MAX ||
			    evtag_unmarshal_fixed(buf, 2, m->payload, len) == -1)
				return -1;
			m->payload_len = len;
			m->payload_set = 1;
		} else {
			return -1;
		}
	}
	return echo_msg_complete(m);
}

#define echo_req echo_msg
#define echo_rep echo_msg
#define echo_req_new_with_arg echo_msg_new_with_arg
#define echo_rep_new_with_arg echo_msg_new_with_arg
#define echo_req_free echo_msg_free
#define echo_rep_free echo_msg_free
#define echo_req_unmarshal echo_msg_unmarshal
#define echo_rep_unmarshal echo_msg_unmarshal
#define echo_req_marshal echo_msg_marshal
#define echo_rep_marshal echo_msg_marshal
#define echo_rep_clear echo_msg_clear
#define echo_rep_complete echo_msg_complete

EVRPC_HEADER(Echo, echo_req, echo_rep)
EVRPC_GENERATE(Echo, echo_req, echo_rep)

/* ---- server ---- */

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct evrpc_base *rpc;
	int port;
	int stop_pipe[2];
	pthread_mutex_t lock;
	pthread_cond_t ready;
	int started;
};

static void echo_handler(EVRPC_STRUCT(Echo) *call, void *arg)
{
	struct echo_msg *req = call->request, *rep = call->reply;
	(void)arg;
	rep->id = req->id;
	rep->id_set = 1;
	memcpy(rep->payload, req->payload, req->payload_len);
	rep->payload_len = req->payload_len;
	rep->payload_set = 1;
	EVRPC_REQUEST_DONE(call);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct evhttp_bound_socket *bound;
	struct event *stop;
	s->base = event_base_new();
	s->http = evhttp_new(s->base);
	bound = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
	s->rpc = evrpc_init(s->http);
	EVRPC_REGISTER(s->rpc, Echo, echo_req, echo_rep, echo_handler, NULL);
	stop = event_new(s->base, s->stop_pipe[0], EV_READ, stop_cb, s->base);
	event_add(stop, NULL);
	if (bound) {
		struct sockaddr_storage ss;
		ev_socklen_t len = sizeof(ss);
		getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &len);
		s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	pthread_mutex_lock(&s->lock);
	s->started = 1;
	pthread_cond_signal(&s->ready);
	pthread_mutex_unlock(&s->lock);
	if (bound)
		event_base_dispatch(s->base);
	event_free(stop);
	evrpc_free(s->rpc);
	evhttp_free(s->http);
	event_base_free(s->base);
	return NULL;
}

/* ---- client ---- */

struct client {
	struct event_base *base;
	struct evrpc_pool *pool;
	long target, started, completed;
	int failed;
};

struct slot {
	struct client *client;
	struct echo_msg *req, *rep;
};

static void call_done(struct evrpc_status *status, struct echo_msg *req, struct echo_msg *rep,
    void *arg);

static int start_call(struct slot *slot)
{
	struct client *c = slot->client;
	echo_msg_clear(slot->req);
	slot->req->id = (ev_uint32_t)c->started++;
	slot->req->id_set = 1;
	slot->req->payload_len = 32 + slot->req->id % 64;
	memset(slot->req->payload, (int)(slot->req->id & 0xff), slot->req->payload_len);
	slot->req->payload_set = 1;
	echo_msg_clear(slot->rep);
	return EVRPC_MAKE_REQUEST(Echo, c->pool, slot->req, slot->rep, call_done, slot);
}

static void call_done(struct evrpc_status *status, struct echo_msg *req, struct echo_msg *rep,
    void *arg)
{
	struct slot *slot = arg;
	struct client *c = slot->client;
	if (status->error != EVRPC_STATUS_ERR_NONE || rep->id != req->id ||
	    rep->payload_len != req->payload_len ||
	    memcmp(rep->payload, req->payload, req->payload_len)) {
		fprintf(stderr, "rpc_call: call %u failed (status %d)\n", req->id, status->error);
		c->failed = 1;
		event_base_loopbreak(c->base);
		return;
	}
	if (++c->completed == c->target) {
		event_base_loopbreak(c->base);
		return;
	}
	if (c->started < c->target && start_call(slot) != 0) {
		c->failed = 1;
		event_base_loopbreak(c->base);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int run(struct client *c, struct slot *slots, int conns, long calls)
{
	int i;
	c->target = calls;
	c->started = c->completed = 0;
	for (i = 0; i < conns && c->started < calls; i++)
		if (start_call(&slots[i]) != 0)
			return -1;
	event_base_dispatch(c->base);
	return c->failed || c->completed != calls ? -1 : 0;
}

int main(int argc, char **argv)
{
	long calls = 20000;
	int conns = 8, runs = 5, opt, i;
	struct server s;
	pthread_t server_thread;
	struct client c;
	struct slot *slots;
	double *rates;

	while ((opt = getopt(argc, argv, "n:c:r:")) != -1) {
		switch (opt) {
		case 'n': calls = atol(optarg); break;
		case 'c': conns = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: rpc_call [-n calls] [-c connections] [-r runs]\n");
			return 2;
		}
	}
	if (calls < 1 || conns < 1 || runs < 1) {
		fprintf(stderr, "rpc_call: -n, -c and -r must be positive\n");
		return 2;
	}
	printf("# %s\n", event_get_version());

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.ready, NULL);
	if (pipe(s.stop_pipe) != 0 || pthread_create(&server_thread, NULL, server_main, &s) != 0)
		return 1;
	pthread_mutex_lock(&s.lock);
	while (!s.started)
		pthread_cond_wait(&s.ready, &s.lock);
	pthread_mutex_unlock(&s.lock);
	if (!s.port) {
		fprintf(stderr, "rpc_call: the server could not listen\n");
		return 1;
	}

	memset(&c, 0, sizeof(c));
	/* libevent asserts when a pool with a base is given a connection that has one,
	 * so the client uses the 1.x current base and a pool without a base. */
	c.base = event_init();
	c.pool = evrpc_pool_new(NULL);
	for (i = 0; i < conns; i++) {
		struct evhttp_connection *conn =
		    evhttp_connection_new("127.0.0.1", (unsigned short)s.port);
		if (!conn)
			return 1;
		evrpc_pool_add_connection(c.pool, conn);
	}
	slots = calloc(conns, sizeof(*slots));
	rates = calloc(runs, sizeof(double));
	if (!slots || !rates)
		return 1;
	for (i = 0; i < conns; i++) {
		slots[i].client = &c;
		slots[i].req = echo_msg_new();
		slots[i].rep = echo_msg_new();
	}
	if (run(&c, slots, conns, 1000) != 0)
		return 1;
	for (i = 0; i < runs; i++) {
		double start = now_s();
		if (run(&c, slots, conns, calls) != 0)
			return 1;
		rates[i] = calls / (now_s() - start);
	}
	qsort(rates, runs, sizeof(double), compare_double);
	printf("rpc_call calls=%ld conns=%d runs=%d calls_per_s=%.0f\n", calls, conns, runs,
	    rates[runs / 2]);

	if (write(s.stop_pipe[1], "x", 1) != 1)
		return 1;
	pthread_join(server_thread, NULL);
	evrpc_pool_free(c.pool);
	for (i = 0; i < conns; i++) {
		echo_msg_free(slots[i].req);
		echo_msg_free(slots[i].rep);
	}
	free(slots);
	free(rates);
	event_base_free(c.base);
	return 0;
}
