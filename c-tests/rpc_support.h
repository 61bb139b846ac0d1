/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixtures shared by the evrpc test programs: two message types written by hand (what
 * event_rpcgen.py would generate: _new, _new_with_arg, _free, _clear, _marshal,
 * _unmarshal, _complete), encoded with plain evbuffer calls so that the programs do
 * not depend on evtag; the RPCs the servers register; a loop helper that waits for a
 * counter with a bound. */
#ifndef EVRS_C_TESTS_RPC_SUPPORT_H
#define EVRS_C_TESTS_RPC_SUPPORT_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/http_compat.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

/* The request: a number and a short text. Wire form: "RQ" num(4, big endian)
 * len(1) text. */
struct ask {
	ev_uint32_t num;
	char text[64];
	int num_set, text_set;
};

/* The reply: a number and a word; both required. Wire form: "RP" num(4) len(1)
 * word. */
struct answer {
	ev_uint32_t num;
	char word[64];
	int num_set, word_set;
};

static int answers_cleared; /* answer_clear() calls */

static inline struct ask *ask_new(void) { return calloc(1, sizeof(struct ask)); }
static inline struct ask *ask_new_with_arg(void *arg) { (void)arg; return ask_new(); }
static inline void ask_free(struct ask *m) { free(m); }
static inline void ask_clear(struct ask *m) { memset(m, 0, sizeof(*m)); }
static inline int ask_complete(struct ask *m) { return m->num_set && m->text_set ? 0 : -1; }

static inline struct answer *answer_new(void) { return calloc(1, sizeof(struct answer)); }
static inline struct answer *answer_new_with_arg(void *arg) { (void)arg; return answer_new(); }
static inline void answer_free(struct answer *m) { free(m); }
static inline void answer_clear(struct answer *m) { memset(m, 0, sizeof(*m)); answers_cleared++; }
static inline int answer_complete(struct answer *m) { return m->num_set && m->word_set ? 0 : -1; }

static inline void put_message(struct evbuffer *buf, const char *magic, ev_uint32_t num, const char *text)
{
	unsigned char head[7];
	size_t len = strlen(text);
	head[0] = (unsigned char)magic[0];
	head[1] = (unsigned char)magic[1];
	head[2] = (unsigned char)(num >> 24);
	head[3] = (unsigned char)(num >> 16);
	head[4] = (unsigned char)(num >> 8);
	head[5] = (unsigned char)num;
	head[6] = (unsigned char)len;
	evbuffer_add(buf, head, sizeof(head));
	evbuffer_add(buf, text, len);
}

/* Reads a whole message of the given magic out of buf; -1 (nothing drained) if the
 * buffer does not hold exactly one. */
static inline int take_message(struct evbuffer *buf, const char *magic, ev_uint32_t *num, char *text)
{
	unsigned char head[7];
	size_t have = evbuffer_get_length(buf);
	if (have < sizeof(head) || evbuffer_copyout(buf, head, sizeof(head)) != (ev_ssize_t)sizeof(head))
		return -1;
	if (head[0] != (unsigned char)magic[0] || head[1] != (unsigned char)magic[1])
		return -1;
	if (have != sizeof(head) + head[6] || head[6] >= 64)
		return -1;
	evbuffer_drain(buf, sizeof(head));
	evbuffer_remove(buf, text, head[6]);
	text[head[6]] = '\0';
	*num = ((ev_uint32_t)head[2] << 24) | ((ev_uint32_t)head[3] << 16) |
	    ((ev_uint32_t)head[4] << 8) | head[5];
	return 0;
}

static inline void ask_marshal(struct evbuffer *buf, struct ask *m) { put_message(buf, "RQ", m->num, m->text); }
static inline int ask_unmarshal(struct ask *m, struct evbuffer *buf)
{
	if (take_message(buf, "RQ", &m->num, m->text) == -1)
		return -1;
	m->num_set = m->text_set = 1;
	return 0;
}
static inline void answer_marshal(struct evbuffer *buf, struct answer *m) { put_message(buf, "RP", m->num, m->word); }
static inline int answer_unmarshal(struct answer *m, struct evbuffer *buf)
{
	if (take_message(buf, "RP", &m->num, m->word) == -1)
		return -1;
	m->num_set = m->word_set = 1;
	return 0;
}

static inline struct ask *make_ask(ev_uint32_t num, const char *text)
{
	struct ask *m = ask_new();
	REQUIRE(m != NULL);
	m->num = num;
	m->num_set = 1;
	snprintf(m->text, sizeof(m->text), "%s", text);
	m->text_set = 1;
	return m;
}

/* The RPCs: Echo answers num+1 and "echo:TEXT"; Hold keeps the call for the test to
 * finish; Partial leaves the reply incomplete; Quit answers and tells the server to
 * stop. */
EVRPC_HEADER(Echo, ask, answer)
EVRPC_HEADER(Hold, ask, answer)
EVRPC_HEADER(Partial, ask, answer)
EVRPC_HEADER(Quit, ask, answer)
EVRPC_GENERATE(Echo, ask, answer)
EVRPC_GENERATE(Hold, ask, answer)
EVRPC_GENERATE(Partial, ask, answer)
EVRPC_GENERATE(Quit, ask, answer)

static int echo_calls;
static int quit_calls;
static EVRPC_STRUCT(Hold) *held_call;

static inline void fill_echo(struct ask *req, struct answer *rep)
{
	rep->num = req->num + 1;
	rep->num_set = 1;
	snprintf(rep->word, sizeof(rep->word), "echo:%.50s", req->text);
	rep->word_set = 1;
}

static inline void EchoCb(EVRPC_STRUCT(Echo) *rpc, void *arg)
{
	(void)arg;
	echo_calls++;
	fill_echo(rpc->request, rpc->reply);
	EVRPC_REQUEST_DONE(rpc);
}

static inline void HoldCb(EVRPC_STRUCT(Hold) *rpc, void *arg)
{
	(void)arg;
	held_call = rpc;
}

static inline void PartialCb(EVRPC_STRUCT(Partial) *rpc, void *arg)
{
	(void)arg;
	rpc->reply->num = 7;
	rpc->reply->num_set = 1;
	EVRPC_REQUEST_DONE(rpc);
}

static inline void QuitCb(EVRPC_STRUCT(Quit) *rpc, void *arg)
{
	(void)arg;
	quit_calls++;
	fill_echo(rpc->request, rpc->reply);
	EVRPC_REQUEST_DONE(rpc);
}

static inline void register_all(struct evrpc_base *rpcs)
{
	CHECK_INT_EQ(EVRPC_REGISTER(rpcs, Echo, ask, answer, EchoCb, NULL), 0);
	CHECK_INT_EQ(EVRPC_REGISTER(rpcs, Hold, ask, answer, HoldCb, NULL), 0);
	CHECK_INT_EQ(EVRPC_REGISTER(rpcs, Partial, ask, answer, PartialCb, NULL), 0);
	CHECK_INT_EQ(EVRPC_REGISTER(rpcs, Quit, ask, answer, QuitCb, NULL), 0);
}

static inline long long rpc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop until *counter reaches target or ms pass; 0 if it did. */
static inline int loop_until(struct event_base *base, const int *counter, int target, int ms)
{
	long long end = rpc_now_ms() + ms;
	struct timeval slice = { 0, 10000 };
	while (*counter < target && rpc_now_ms() < end) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return *counter >= target ? 0 : -1;
}

/* Runs the loop for ms. */
static inline void loop_for(struct event_base *base, int ms)
{
	int never = 0;
	loop_until(base, &never, 1, ms);
}

/* The outcome of one client call. */
struct outcome {
	int done;
	int error;
	int code;             /* status->http_req->response_code, -1 without one */
	ev_uint32_t num;
	char word[64];
	void *arg;
	const void *request;
	const void *reply;
};

static inline void record_outcome(struct evrpc_status *status, void *request, void *reply, void *arg)
{
	struct outcome *o = arg;
	struct answer *rep = reply;
	o->done++;
	o->error = status->error;
	o->code = status->http_req ? status->http_req->response_code : -1;
	o->num = rep->num;
	snprintf(o->word, sizeof(o->word), "%s", rep->word_set ? rep->word : "");
	o->request = request;
	o->reply = reply;
	o->arg = arg;
}

static inline void GotAnswer(struct evrpc_status *status, struct ask *req, struct answer *rep, void *arg)
{
	record_outcome(status, req, rep, arg);
}

/* The port an evhttp listener was bound to (port 0 picks one). */
static inline ev_uint16_t bound_port(struct evhttp_bound_socket *handle)
{
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);
	REQUIRE(getsockname(evhttp_bound_socket_get_fd(handle), (struct sockaddr *)&sin, &len) == 0);
	return ntohs(sin.sin_port);
}

#endif /* EVRS_C_TESTS_RPC_SUPPORT_H */
