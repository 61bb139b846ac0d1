/* evrpc server and client in one process, on one event base: EVRPC_REGISTER and
 * EVRPC_UNREGISTER (an unknown name, twice), what the server answers a raw evhttp
 * client (a reply: 200, application/octet-stream, the encoded reply; an incomplete
 * reply, a body that does not decode, a GET, an empty POST: 503; an unknown RPC:
 * 404), the client through a pool (EVRPC_MAKE_REQUEST, the status and the HTTP reply;
 * an incomplete reply on the server is EVRPC_STATUS_ERR_BADPAYLOAD with the reply
 * cleared), two connections used in turn and a third call queued until one is free,
 * evrpc_pool_set_timeout expiring (EVRPC_STATUS_ERR_TIMEOUT, no HTTP reply, and the
 * pool works again after), EVRPC_MAKE_CTX with evrpc_request_set_pool / get_pool /
 * set_cb and evrpc_make_request, evrpc_send_request_generic, evrpc_get_request /
 * evrpc_get_reply, and evrpc_free with registered RPCs and hooks (the paths are
 * gone: 404). */
// test: timeout 60
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "rpc_support.h"

static struct event_base *base;
static ev_uint16_t port;

/* What a raw HTTP request saw. */
struct raw {
	int done;
	int code;
	char ctype[64];
	struct answer reply;
	int decoded;
};

static void raw_done(struct evhttp_request *req, void *arg)
{
	struct raw *r = arg;
	const char *ctype;
	r->done++;
	if (!req) {
		r->code = -1;
		return;
	}
	r->code = req->response_code;
	ctype = evhttp_find_header(req->input_headers, "Content-Type");
	snprintf(r->ctype, sizeof(r->ctype), "%s", ctype ? ctype : "");
	r->decoded = answer_unmarshal(&r->reply, req->input_buffer) == 0;
}

/* Sends a request with a body of `len` bytes (or an encoded ask when body is NULL and
 * len is 0) on a new connection and waits for the answer. */
static void raw_request(struct raw *r, enum evhttp_cmd_type type, const char *path,
    const char *body, size_t len)
{
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	struct evhttp_request *req = evhttp_request_new(raw_done, r);
	memset(r, 0, sizeof(*r));
	REQUIRE(evcon && req);
	evhttp_add_header(req->output_headers, "Host", "somehost");
	if (body) {
		evbuffer_add(req->output_buffer, body, len);
	} else if (len == 0 && type == EVHTTP_REQ_POST) {
		struct ask *m = make_ask(41, "raw");
		ask_marshal(req->output_buffer, m);
		ask_free(m);
	}
	REQUIRE(evhttp_make_request(evcon, req, type, path) == 0);
	CHECK_INT_EQ(loop_until(base, &r->done, 1, 5000), 0);
	evhttp_connection_free(evcon);
}

static void test_registration(struct evrpc_base *rpcs)
{
	CHECK_INT_EQ(evrpc_unregister_rpc(rpcs, "Nope"), -1);
	CHECK_INT_EQ(EVRPC_REGISTER(rpcs, Extra, ask, answer, EchoCb, NULL), 0);
	CHECK_INT_EQ(EVRPC_UNREGISTER(rpcs, Extra), 0);
	CHECK_INT_EQ(EVRPC_UNREGISTER(rpcs, Extra), -1);
}

static void test_raw_server(void)
{
	struct raw r;
	int calls_before = echo_calls;

	raw_request(&r, EVHTTP_REQ_POST, "/.rpc.Echo", NULL, 0);
	CHECK_INT_EQ(r.code, 200);
	CHECK_STR_EQ(r.ctype, "application/octet-stream");
	CHECK(r.decoded);
	CHECK_INT_EQ(r.reply.num, 42);
	CHECK_STR_EQ(r.reply.word, "echo:raw");
	CHECK_INT_EQ(echo_calls, calls_before + 1);

	/* The handler leaves a required field unset. */
	raw_request(&r, EVHTTP_REQ_POST, "/.rpc.Partial", NULL, 0);
	CHECK_INT_EQ(r.code, 503);
	CHECK(!r.decoded);

	/* An RPC nobody registered. */
	raw_request(&r, EVHTTP_REQ_POST, "/.rpc.Nope", NULL, 0);
	CHECK_INT_EQ(r.code, 404);

	/* A body the request type cannot decode. */
	raw_request(&r, EVHTTP_REQ_POST, "/.rpc.Echo", "Some Nonsense", 13);
	CHECK_INT_EQ(r.code, 503);

	/* Only POST with a body is served. */
	raw_request(&r, EVHTTP_REQ_GET, "/.rpc.Echo", NULL, 0);
	CHECK_INT_EQ(r.code, 503);
	raw_request(&r, EVHTTP_REQ_POST, "/.rpc.Echo", "", 0);
	CHECK_INT_EQ(r.code, 503);
	CHECK_INT_EQ(echo_calls, calls_before + 1);
}

static struct evrpc_pool *new_pool(int connections)
{
	struct evrpc_pool *pool = evrpc_pool_new(base);
	int i;
	REQUIRE(pool != NULL);
	for (i = 0; i < connections; i++) {
		/* Without a base of its own: the pool gives it its base (libevent asserts
		 * when the connection already has one). */
		struct evhttp_connection *evcon = evhttp_connection_new("127.0.0.1", port);
		REQUIRE(evcon != NULL);
		evrpc_pool_add_connection(pool, evcon);
	}
	return pool;
}

static void test_client(void)
{
	struct evrpc_pool *pool = new_pool(1);
	struct ask *req = make_ask(9, "hello");
	struct answer *rep = answer_new();
	struct outcome o;
	int cleared;

	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, rep, GotAnswer, &o), 0);
	CHECK_INT_EQ(o.done, 0);
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_NONE);
	CHECK_INT_EQ(o.code, 200);
	CHECK_INT_EQ(o.num, 10);
	CHECK_STR_EQ(o.word, "echo:hello");
	CHECK(o.request == req && o.reply == rep);
	CHECK_INT_EQ(rep->num, 10);

	/* Again on the same pool, reusing the messages. */
	answer_clear(rep);
	memset(&o, 0, sizeof(o));
	req->num = 19;
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, rep, GotAnswer, &o), 0);
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_NONE);
	CHECK_INT_EQ(o.num, 20);

	/* The server refuses an incomplete reply with 503, which does not decode. */
	memset(&o, 0, sizeof(o));
	cleared = answers_cleared;
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Partial, pool, req, rep, GotAnswer, &o), 0);
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK_INT_EQ(o.code, 503);
	CHECK_INT_EQ(answers_cleared, cleared + 1);
	CHECK(!rep->num_set && !rep->word_set);

	evrpc_pool_free(pool);
	ask_free(req);
	answer_free(rep);
}

/* Records the connection each call goes out on. */
static struct evhttp_connection *sent_on[8];
static int sent_count;

static int record_connection(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)req; (void)buf; (void)arg;
	if (sent_count < 8)
		sent_on[sent_count] = evrpc_hook_get_connection(ctx);
	sent_count++;
	return EVRPC_CONTINUE;
}

static void test_pool_queue(void)
{
	struct evrpc_pool *pool = new_pool(2);
	struct ask *req = make_ask(1, "q");
	struct answer *reps[3];
	struct outcome o[3];
	int i, finished = 0;

	sent_count = 0;
	CHECK(evrpc_add_hook(pool, EVRPC_OUTPUT, record_connection, NULL) != NULL);
	memset(o, 0, sizeof(o));
	for (i = 0; i < 3; i++) {
		reps[i] = answer_new();
		CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, reps[i], GotAnswer, &o[i]), 0);
	}
	/* Two connections: two calls go out at once, the third waits. */
	CHECK_INT_EQ(sent_count, 2);
	CHECK(sent_on[0] != NULL && sent_on[1] != NULL && sent_on[0] != sent_on[1]);
	for (i = 0; i < 3; i++) {
		CHECK_INT_EQ(loop_until(base, &o[i].done, 1, 5000), 0);
		finished += o[i].done;
		CHECK_INT_EQ(o[i].error, EVRPC_STATUS_ERR_NONE);
		CHECK_INT_EQ(reps[i]->num, 2);
	}
	CHECK_INT_EQ(finished, 3);
	CHECK_INT_EQ(sent_count, 3);
	CHECK(sent_on[2] == sent_on[0] || sent_on[2] == sent_on[1]);

	evrpc_pool_free(pool);
	for (i = 0; i < 3; i++)
		answer_free(reps[i]);
	ask_free(req);
}

static void test_timeout(void)
{
	struct evrpc_pool *pool = new_pool(1);
	struct ask *req = make_ask(5, "slow");
	struct answer *rep = answer_new();
	struct outcome o;
	long long started;
	int cleared = answers_cleared;

	evrpc_pool_set_timeout(pool, 1);
	held_call = NULL;
	memset(&o, 0, sizeof(o));
	started = rpc_now_ms();
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Hold, pool, req, rep, GotAnswer, &o), 0);
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_TIMEOUT);
	CHECK_INT_EQ(o.code, -1);
	CHECK(answers_cleared > cleared);
	CHECK(rpc_now_ms() - started >= 900);
	CHECK(held_call != NULL);
	if (held_call) {
		/* The server answers late, on a connection the client has closed. */
		fill_echo(held_call->request, held_call->reply);
		EVRPC_REQUEST_DONE(held_call);
		held_call = NULL;
	}
	loop_for(base, 50);

	/* The pool reconnects for the next call. */
	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, rep, GotAnswer, &o), 0);
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_NONE);
	CHECK_INT_EQ(o.num, 6);

	evrpc_pool_free(pool);
	ask_free(req);
	answer_free(rep);
}

static void OtherCb(struct evrpc_status *status, struct ask *req, struct answer *rep, void *arg)
{
	record_outcome(status, req, rep, arg);
}

static void test_ctx(void)
{
	struct evrpc_pool *pool = new_pool(1);
	struct ask *req = make_ask(70, "ctx");
	struct answer *rep = answer_new();
	struct outcome first, second;
	struct evrpc_request_wrapper *ctx;

	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	ctx = EVRPC_MAKE_CTX(Echo, ask, answer, NULL, req, rep, GotAnswer, &first);
	REQUIRE(ctx != NULL);
	CHECK(evrpc_request_get_pool(ctx) == NULL);
	evrpc_request_set_pool(ctx, pool);
	CHECK(evrpc_request_get_pool(ctx) == pool);
	evrpc_request_set_cb(ctx, (void (*)(struct evrpc_status *, void *, void *, void *))OtherCb, &second);
	CHECK_INT_EQ(evrpc_make_request(ctx), 0);
	CHECK_INT_EQ(loop_until(base, &second.done, 1, 5000), 0);
	CHECK_INT_EQ(first.done, 0);
	CHECK(second.arg == &second);
	CHECK_INT_EQ(second.error, EVRPC_STATUS_ERR_NONE);
	CHECK_INT_EQ(second.num, 71);

	/* The generic call behind EVRPC_MAKE_REQUEST. */
	memset(&first, 0, sizeof(first));
	CHECK_INT_EQ(evrpc_send_request_generic(pool, req, rep,
	    (void (*)(struct evrpc_status *, void *, void *, void *))GotAnswer, &first, "Echo",
	    (void (*)(struct evbuffer *, void *))ask_marshal,
	    (void (*)(void *))answer_clear,
	    (int (*)(void *, struct evbuffer *))answer_unmarshal), 0);
	CHECK_INT_EQ(loop_until(base, &first.done, 1, 5000), 0);
	CHECK_INT_EQ(first.error, EVRPC_STATUS_ERR_NONE);
	CHECK_STR_EQ(first.word, "echo:ctx");

	evrpc_pool_free(pool);
	ask_free(req);
	answer_free(rep);
}

/* evrpc_get_request / evrpc_get_reply, from a handler. */
EVRPC_HEADER(Access, ask, answer)
EVRPC_GENERATE(Access, ask, answer)
static int accessors_ok;

static void AccessCb(EVRPC_STRUCT(Access) *rpc, void *arg)
{
	struct evrpc_req_generic *generic = (struct evrpc_req_generic *)rpc;
	accessors_ok = evrpc_get_request(generic) == (void *)rpc->request &&
	    evrpc_get_reply(generic) == (void *)rpc->reply && rpc->rpc != NULL &&
	    rpc->http_req != NULL && arg == (void *)&accessors_ok &&
	    strcmp(rpc->rpc->uri, "Access") == 0;
	fill_echo(rpc->request, rpc->reply);
	EVRPC_REQUEST_DONE(rpc);
}

static void test_accessors(struct evrpc_base *rpcs)
{
	struct evrpc_pool *pool = new_pool(1);
	struct ask *req = make_ask(1, "a");
	struct answer *rep = answer_new();
	struct outcome o;

	CHECK_INT_EQ(EVRPC_REGISTER(rpcs, Access, ask, answer, AccessCb, &accessors_ok), 0);
	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Access, pool, req, rep, GotAnswer, &o), 0);
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_NONE);
	CHECK(accessors_ok);
	CHECK_INT_EQ(EVRPC_UNREGISTER(rpcs, Access), 0);
	evrpc_pool_free(pool);
	ask_free(req);
	answer_free(rep);
}

static int noop_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)req; (void)buf; (void)arg;
	return EVRPC_CONTINUE;
}

int main(void)
{
	struct evhttp *http;
	struct evhttp_bound_socket *handle;
	struct evrpc_base *rpcs;
	struct raw r;

	/* The current base too, which a connection made without a base starts on. */
	base = event_init();
	REQUIRE(base != NULL);
	http = evhttp_new(base);
	REQUIRE(http != NULL);
	handle = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	REQUIRE(handle != NULL);
	port = bound_port(handle);
	rpcs = evrpc_init(http);
	REQUIRE(rpcs != NULL);
	register_all(rpcs);

	test_registration(rpcs);
	test_raw_server();
	test_client();
	test_pool_queue();
	test_timeout();
	test_ctx();
	test_accessors(rpcs);

	/* evrpc_free with RPCs and hooks still registered takes the paths away. */
	CHECK(evrpc_add_hook(rpcs, EVRPC_INPUT, noop_hook, NULL) != NULL);
	CHECK(evrpc_add_hook(rpcs, EVRPC_OUTPUT, noop_hook, NULL) != NULL);
	evrpc_free(rpcs);
	raw_request(&r, EVHTTP_REQ_POST, "/.rpc.Echo", NULL, 0);
	CHECK_INT_EQ(r.code, 404);

	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
