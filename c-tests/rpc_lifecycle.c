/* evrpc objects freed while work is under way, and bad arguments: evrpc_pool_free from
 * a completion callback (the calls still queued are dropped without their callbacks)
 * and from an output hook; evrpc_pool_free with calls queued, in flight and held by
 * hooks on either side (no callback; the late replies harm nothing); evrpc_free with a
 * call held by a hook (answered 503) and from inside an input hook (503); evrpc_free
 * and evrpc_unregister_rpc while a handler holds a call (EVRPC_REQUEST_DONE still
 * sends the reply); NULL and otherwise bad arguments (failure values, no crash):
 * a second registration of a name, missing message functions, an unknown hook type, a
 * hook result outside the enum (terminates the call), evrpc_make_request without a
 * connection or a pool (EVRPC_STATUS_ERR_UNSTARTED, -1) or twice, meta data of size 0.
 */
// test: evrs-only libevent reads freed memory, leaks or asserts in these cases
// test: timeout 60
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
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
static struct evhttp *http;
static ev_uint16_t port;

static struct evrpc_pool *new_pool(int connections)
{
	struct evrpc_pool *pool = evrpc_pool_new(base);
	int i;
	REQUIRE(pool != NULL);
	for (i = 0; i < connections; i++)
		evrpc_pool_add_connection(pool, evhttp_connection_base_new(base, NULL, "127.0.0.1", port));
	return pool;
}

/* A completion callback that frees the pool. */
static struct evrpc_pool *doomed;

static void FreeingCb(struct evrpc_status *status, struct ask *req, struct answer *rep, void *arg)
{
	record_outcome(status, req, rep, arg);
	evrpc_pool_free(doomed);
	doomed = NULL;
}

static void test_pool_free_in_callback(void)
{
	struct ask *req = make_ask(1, "x");
	struct answer *reps[3] = { answer_new(), answer_new(), answer_new() };
	struct outcome o[3];
	int i;

	memset(o, 0, sizeof(o));
	doomed = new_pool(1);
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, doomed, req, reps[0], FreeingCb, &o[0]), 0);
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, doomed, req, reps[1], GotAnswer, &o[1]), 0);
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, doomed, req, reps[2], GotAnswer, &o[2]), 0);
	CHECK_INT_EQ(loop_until(base, &o[0].done, 1, 5000), 0);
	CHECK_INT_EQ(o[0].error, EVRPC_STATUS_ERR_NONE);
	CHECK(doomed == NULL);
	loop_for(base, 100);
	/* The queued calls went with the pool, silently. */
	CHECK_INT_EQ(o[1].done + o[2].done, 0);
	for (i = 0; i < 3; i++)
		answer_free(reps[i]);
	ask_free(req);
}

static int freeing_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)req; (void)buf;
	evrpc_pool_free(arg);
	return EVRPC_CONTINUE;
}

static void test_pool_free_in_hook(void)
{
	struct evrpc_pool *pool = new_pool(1);
	struct ask *req = make_ask(1, "x");
	struct answer *rep = answer_new();
	struct outcome o;
	int calls = echo_calls;

	memset(&o, 0, sizeof(o));
	CHECK(evrpc_add_hook(pool, EVRPC_OUTPUT, freeing_hook, pool) != NULL);
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, rep, GotAnswer, &o), 0);
	loop_for(base, 100);
	CHECK_INT_EQ(o.done, 0);
	CHECK_INT_EQ(echo_calls, calls);
	answer_free(rep);
	ask_free(req);
}

/* Pausing hooks that are never resumed. */
static int held_count;

static int hold_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)req; (void)buf; (void)arg;
	held_count++;
	return EVRPC_PAUSE;
}

static void test_pool_free_with_work(void)
{
	struct evrpc_pool *pool = new_pool(2);
	struct evrpc_pool *paused_in = new_pool(1);
	struct ask *req = make_ask(1, "x");
	struct answer *reps[4] = { answer_new(), answer_new(), answer_new(), answer_new() };
	struct outcome o[4];
	int i;

	memset(o, 0, sizeof(o));
	held_call = NULL;
	/* In flight (held by the server's handler), in flight, queued. */
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Hold, pool, req, reps[0], GotAnswer, &o[0]), 0);
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, reps[1], GotAnswer, &o[1]), 0);
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, reps[2], GotAnswer, &o[2]), 0);
	CHECK_INT_EQ(loop_until(base, &o[1].done, 1, 5000), 0);
	CHECK(held_call != NULL);
	/* The queued call went out on the free connection and is answered too. */
	CHECK_INT_EQ(loop_until(base, &o[2].done, 1, 5000), 0);
	/* One more, queued behind nothing but held by an output hook. */
	CHECK(evrpc_add_hook(pool, EVRPC_OUTPUT, hold_hook, NULL) != NULL);
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, reps[3], GotAnswer, &o[3]), 0);
	CHECK_INT_EQ(held_count, 1);
	evrpc_pool_free(pool);
	if (held_call) {
		fill_echo(held_call->request, held_call->reply);
		EVRPC_REQUEST_DONE(held_call);
		held_call = NULL;
	}
	loop_for(base, 100);
	CHECK_INT_EQ(o[0].done + o[3].done, 0);

	/* A reply held by an input hook. */
	CHECK(evrpc_add_hook(paused_in, EVRPC_INPUT, hold_hook, NULL) != NULL);
	memset(o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, paused_in, req, reps[0], GotAnswer, &o[0]), 0);
	CHECK_INT_EQ(loop_until(base, &held_count, 2, 5000), 0);
	evrpc_pool_free(paused_in);
	loop_for(base, 50);
	CHECK_INT_EQ(o[0].done, 0);

	for (i = 0; i < 4; i++)
		answer_free(reps[i]);
	ask_free(req);
}

static void test_base_free_with_work(void)
{
	struct evrpc_pool *pool = new_pool(1);
	struct ask *req = make_ask(1, "x");
	struct answer *rep = answer_new();
	struct outcome o;
	struct evrpc_base *rpcs = evrpc_init(http);

	/* A call held by the base's input hook: answered 503 when the base goes. */
	register_all(rpcs);
	CHECK(evrpc_add_hook(rpcs, EVRPC_INPUT, hold_hook, NULL) != NULL);
	held_count = 0;
	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, rep, GotAnswer, &o), 0);
	CHECK_INT_EQ(loop_until(base, &held_count, 1, 5000), 0);
	evrpc_free(rpcs);
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK_INT_EQ(o.code, 503);

	/* A call in its handler when the base goes: the reply still goes out. */
	rpcs = evrpc_init(http);
	register_all(rpcs);
	held_call = NULL;
	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Hold, pool, req, rep, GotAnswer, &o), 0);
	loop_for(base, 100);
	REQUIRE(held_call != NULL);
	CHECK(held_call->rpc->base == rpcs);
	evrpc_free(rpcs);
	CHECK(held_call->rpc->base == NULL);
	CHECK_STR_EQ(held_call->rpc->uri, "Hold");
	fill_echo(held_call->request, held_call->reply);
	EVRPC_REQUEST_DONE(held_call);
	held_call = NULL;
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_NONE);
	CHECK_INT_EQ(o.num, 2);

	/* The same after unregistering the RPC. */
	rpcs = evrpc_init(http);
	register_all(rpcs);
	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Hold, pool, req, rep, GotAnswer, &o), 0);
	loop_for(base, 100);
	REQUIRE(held_call != NULL);
	CHECK_INT_EQ(EVRPC_UNREGISTER(rpcs, Hold), 0);
	fill_echo(held_call->request, held_call->reply);
	EVRPC_REQUEST_DONE(held_call);
	held_call = NULL;
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_NONE);
	evrpc_free(rpcs);

	evrpc_pool_free(pool);
	answer_free(rep);
	ask_free(req);
}

static struct evrpc_base *self_freeing;

static int base_freeing_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)req; (void)buf; (void)arg;
	evrpc_free(self_freeing);
	self_freeing = NULL;
	return EVRPC_CONTINUE;
}

static int odd_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)req; (void)buf; (void)arg;
	return 7;
}

static void test_base_free_in_hook(void)
{
	struct evrpc_pool *pool = new_pool(1);
	struct ask *req = make_ask(1, "x");
	struct answer *rep = answer_new();
	struct outcome o;
	void *h;
	int calls = echo_calls;

	self_freeing = evrpc_init(http);
	register_all(self_freeing);
	CHECK(evrpc_add_hook(self_freeing, EVRPC_INPUT, base_freeing_hook, NULL) != NULL);
	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, rep, GotAnswer, &o), 0);
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK(self_freeing == NULL);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK_INT_EQ(o.code, 503);
	CHECK_INT_EQ(echo_calls, calls);

	/* A hook result outside the enum terminates the call. */
	self_freeing = evrpc_init(http);
	register_all(self_freeing);
	h = evrpc_add_hook(pool, EVRPC_INPUT, odd_hook, NULL);
	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, rep, GotAnswer, &o), 0);
	CHECK_INT_EQ(loop_until(base, &o.done, 1, 5000), 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_HOOKABORTED);
	CHECK_INT_EQ(evrpc_remove_hook(pool, EVRPC_INPUT, h), 1);
	evrpc_free(self_freeing);
	self_freeing = NULL;

	evrpc_pool_free(pool);
	answer_free(rep);
	ask_free(req);
}

static int meta_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	void *data = NULL;
	size_t len = 1;
	int *ok = arg;
	(void)req; (void)buf;
	evrpc_hook_add_meta(ctx, "empty", "", 0);
	evrpc_hook_add_meta(ctx, "null", NULL, 0);
	*ok = evrpc_hook_find_meta(ctx, "empty", &data, &len) == 0 && len == 0 &&
	    evrpc_hook_find_meta(ctx, "null", &data, &len) == 0 && len == 0 &&
	    evrpc_hook_find_meta(ctx, NULL, &data, &len) == -1;
	evrpc_hook_add_meta(NULL, "k", "v", 1);
	evrpc_hook_add_meta(ctx, NULL, "v", 1);
	return EVRPC_CONTINUE;
}

static void test_bad_arguments(void)
{
	struct evrpc_base *rpcs = evrpc_init(http);
	struct evrpc_pool *empty = evrpc_pool_new(base);
	struct evrpc_pool *pool = new_pool(1);
	struct ask *req = make_ask(1, "x");
	struct answer *rep = answer_new(), *rep2 = answer_new();
	struct outcome o, o2;
	struct evrpc_request_wrapper *ctx;
	int meta_ok = 0;

	REQUIRE(rpcs && empty);
	CHECK_INT_EQ(EVRPC_REGISTER(rpcs, Echo, ask, answer, EchoCb, NULL), 0);
	CHECK_INT_EQ(EVRPC_REGISTER(rpcs, Echo, ask, answer, EchoCb, NULL), -1);
	CHECK_INT_EQ(evrpc_register_generic(rpcs, "Broken", NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL), -1);
	CHECK_INT_EQ(evrpc_register_generic(NULL, "Echo", NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL), -1);
	CHECK_INT_EQ(evrpc_register_rpc(rpcs, NULL, NULL, NULL), -1);
	CHECK_INT_EQ(evrpc_unregister_rpc(rpcs, NULL), -1);
	CHECK_INT_EQ(evrpc_unregister_rpc(NULL, "Echo"), -1);
	CHECK(evrpc_add_hook(rpcs, (enum EVRPC_HOOK_TYPE)5, odd_hook, NULL) == NULL);
	CHECK(evrpc_add_hook(rpcs, EVRPC_INPUT, NULL, NULL) == NULL);
	CHECK(evrpc_add_hook(NULL, EVRPC_INPUT, odd_hook, NULL) == NULL);
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, (enum EVRPC_HOOK_TYPE)5, NULL), 0);
	CHECK_INT_EQ(evrpc_resume_request(NULL, NULL, EVRPC_CONTINUE), -1);
	CHECK(evrpc_hook_get_connection(NULL) == NULL);
	CHECK(evrpc_get_request(NULL) == NULL);
	CHECK(evrpc_get_reply(NULL) == NULL);
	evrpc_request_done(NULL);
	evrpc_pool_add_connection(NULL, NULL);
	evrpc_pool_add_connection(empty, NULL);
	evrpc_pool_remove_connection(empty, NULL);
	evrpc_pool_set_timeout(NULL, 1);
	evrpc_pool_free(NULL);
	evrpc_free(NULL);
	CHECK(evrpc_request_get_pool(NULL) == NULL);
	evrpc_request_set_pool(NULL, empty);
	evrpc_request_set_cb(NULL, NULL, NULL);
	CHECK_INT_EQ(evrpc_make_request(NULL), -1);
	CHECK(evrpc_make_request_ctx(empty, req, rep, NULL, NULL, NULL, NULL, NULL, NULL) == NULL);

	/* A pool without connections, a call without a pool. */
	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, empty, req, rep, GotAnswer, &o), -1);
	CHECK_INT_EQ(o.done, 1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_UNSTARTED);
	memset(&o, 0, sizeof(o));
	ctx = EVRPC_MAKE_CTX(Echo, ask, answer, NULL, req, rep, GotAnswer, &o);
	REQUIRE(ctx != NULL);
	CHECK_INT_EQ(evrpc_make_request(ctx), -1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_UNSTARTED);
	memset(&o, 0, sizeof(o));
	CHECK_INT_EQ(evrpc_send_request_generic(pool, req, rep,
	    (void (*)(struct evrpc_status *, void *, void *, void *))GotAnswer, &o, NULL,
	    NULL, NULL, NULL), -1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_UNSTARTED);

	/* A started call cannot be started again or moved. */
	held_call = NULL;
	memset(&o, 0, sizeof(o));
	memset(&o2, 0, sizeof(o2));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Hold, pool, req, rep, GotAnswer, &o), 0);
	ctx = EVRPC_MAKE_CTX(Echo, ask, answer, pool, req, rep2, GotAnswer, &o2);
	REQUIRE(ctx != NULL);
	CHECK_INT_EQ(evrpc_make_request(ctx), 0);
	CHECK_INT_EQ(evrpc_make_request(ctx), -1);
	evrpc_request_set_pool(ctx, empty);
	CHECK(evrpc_request_get_pool(ctx) == pool);

	/* Meta data of size 0 (libevent asserts: malloc(0) may answer NULL). */
	CHECK(evrpc_add_hook(pool, EVRPC_OUTPUT, meta_hook, &meta_ok) != NULL);
	loop_for(base, 100);
	CHECK(held_call == NULL); /* Hold is not registered on this base. */
	CHECK_INT_EQ(loop_until(base, &o2.done, 1, 5000), 0);
	CHECK_INT_EQ(o2.error, EVRPC_STATUS_ERR_NONE);
	CHECK(meta_ok);

	evrpc_pool_free(pool);
	evrpc_pool_free(empty);
	evrpc_free(rpcs);
	answer_free(rep);
	answer_free(rep2);
	ask_free(req);
}

int main(void)
{
	struct evhttp_bound_socket *handle;
	struct evrpc_base *rpcs;

	base = event_base_new();
	REQUIRE(base != NULL);
	http = evhttp_new(base);
	REQUIRE(http != NULL);
	handle = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	REQUIRE(handle != NULL);
	port = bound_port(handle);

	rpcs = evrpc_init(http);
	REQUIRE(rpcs != NULL);
	register_all(rpcs);
	test_pool_free_in_callback();
	test_pool_free_in_hook();
	test_pool_free_with_work();
	evrpc_free(rpcs);

	test_base_free_with_work();
	test_base_free_in_hook();
	test_bad_arguments();

	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
