/* evrpc hooks on both sides: input and output hooks of the server's base and of the
 * client's pool run in the order added and see the HTTP request and the encoded
 * message (headers they add are seen by the handler and the completion callback);
 * evrpc_hook_add_meta / evrpc_hook_find_meta (first of two entries with one key, a
 * missing key) on the client call, from its output hook to its input hook, and not on
 * the server (libevent does not send meta data across); evrpc_hook_get_connection in
 * every hook; EVRPC_TERMINATE from each of the four hooks (server input or output: 503,
 * EVRPC_STATUS_ERR_BADPAYLOAD; client output: EVRPC_STATUS_ERR_UNSTARTED at once;
 * client input: EVRPC_STATUS_ERR_HOOKABORTED); EVRPC_PAUSE from all four, each resumed
 * with evrpc_resume_request from a timer (EVRPC_CONTINUE, and EVRPC_TERMINATE);
 * evrpc_remove_hook (1, then 0) and evrpc_resume_request of a call not held (-1). */
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
static struct evrpc_base *rpcs;
static struct evrpc_pool *pool;

/* Hook log: which hooks ran, in order. */
static char trail[256];

static void note(const char *what)
{
	size_t used = strlen(trail);
	snprintf(trail + used, sizeof(trail) - used, "%s%s", used ? " " : "", what);
}

static int connections_seen, connections_missing;

static void see_connection(void *ctx)
{
	if (evrpc_hook_get_connection(ctx) != NULL)
		connections_seen++;
	else
		connections_missing++;
}

/* Server input: tags the request; meta data from the client is not there. */
static int meta_on_server;

static int server_in(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	void *data = NULL;
	size_t len = 0;
	(void)buf;
	note((const char *)arg);
	see_connection(ctx);
	if (evrpc_hook_find_meta(ctx, "meta", &data, &len) == 0)
		meta_on_server++;
	evhttp_add_header(req->input_headers, "X-Hook", "input");
	return EVRPC_CONTINUE;
}

static int server_out(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	note((const char *)arg);
	see_connection(ctx);
	/* The encoded reply is what goes out. */
	if (evbuffer_get_length(buf) > 0)
		note("body");
	evhttp_add_header(req->output_headers, "X-Hook", "output");
	return EVRPC_CONTINUE;
}

static int client_out(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)req;
	note((const char *)arg);
	see_connection(ctx);
	if (evbuffer_get_length(buf) > 0)
		note("body");
	evrpc_hook_add_meta(ctx, "meta", "test", 5);
	evrpc_hook_add_meta(ctx, "meta", "second", 7);
	return EVRPC_CONTINUE;
}

static int meta_ok;

static int client_in(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	void *data = NULL;
	size_t len = 0;
	const char *header = evhttp_find_header(req->input_headers, "X-Hook");
	(void)buf;
	note((const char *)arg);
	see_connection(ctx);
	meta_ok = header && strcmp(header, "output") == 0 &&
	    evrpc_hook_find_meta(ctx, "meta", &data, &len) == 0 && len == 5 &&
	    memcmp(data, "test", 5) == 0 &&
	    evrpc_hook_find_meta(ctx, "missing", &data, &len) == -1;
	evhttp_remove_header(req->input_headers, "X-Hook");
	evhttp_add_header(req->input_headers, "X-Pool-Hook", "ran");
	return EVRPC_CONTINUE;
}

/* The handler checks the input hook's header. */
EVRPC_HEADER(Tagged, ask, answer)
EVRPC_GENERATE(Tagged, ask, answer)
static int tagged_calls;

static void TaggedCb(EVRPC_STRUCT(Tagged) *rpc, void *arg)
{
	const char *header = evhttp_find_header(EVRPC_REQUEST_HTTP(rpc)->input_headers, "X-Hook");
	(void)arg;
	if (header && strcmp(header, "input") == 0)
		tagged_calls++;
	note("handler");
	fill_echo(rpc->request, rpc->reply);
	EVRPC_REQUEST_DONE(rpc);
}

static int pool_header_seen;

static void TaggedDone(struct evrpc_status *status, struct ask *req, struct answer *rep, void *arg)
{
	const char *header = status->http_req ?
	    evhttp_find_header(status->http_req->input_headers, "X-Pool-Hook") : NULL;
	if (header && strcmp(header, "ran") == 0)
		pool_header_seen++;
	note("done");
	record_outcome(status, req, rep, arg);
}

static void call(const char *rpc, struct outcome *o, int wait)
{
	struct ask *req = make_ask(3, "hook");
	struct answer *rep = answer_new();
	memset(o, 0, sizeof(*o));
	if (strcmp(rpc, "Tagged") == 0)
		CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Tagged, pool, req, rep, TaggedDone, o), 0);
	else
		CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, rep, GotAnswer, o), 0);
	if (wait)
		CHECK_INT_EQ(loop_until(base, &o->done, 1, 5000), 0);
	CHECK_INT_EQ(o->done, 1);
	ask_free(req);
	answer_free(rep);
}

static void test_continue(void)
{
	void *h[5];
	struct outcome o;

	h[0] = evrpc_add_hook(rpcs, EVRPC_INPUT, server_in, (void *)"s-in");
	h[1] = evrpc_add_hook(rpcs, EVRPC_OUTPUT, server_out, (void *)"s-out");
	h[2] = evrpc_add_hook(pool, EVRPC_OUTPUT, client_out, (void *)"c-out");
	h[3] = evrpc_add_hook(pool, EVRPC_INPUT, client_in, (void *)"c-in");
	h[4] = evrpc_add_hook(rpcs, EVRPC_INPUT, server_in, (void *)"s-in2");
	CHECK(h[0] && h[1] && h[2] && h[3] && h[4]);

	trail[0] = '\0';
	call("Tagged", &o, 1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_NONE);
	CHECK_STR_EQ(o.word, "echo:hook");
	CHECK_STR_EQ(trail, "c-out body s-in s-in2 handler s-out body c-in done");
	CHECK_INT_EQ(tagged_calls, 1);
	CHECK_INT_EQ(pool_header_seen, 1);
	CHECK(meta_ok);
	CHECK_INT_EQ(meta_on_server, 0);
	CHECK_INT_EQ(connections_seen, 5);
	CHECK_INT_EQ(connections_missing, 0);

	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_INPUT, h[4]), 1);
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_INPUT, h[4]), 0);
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_OUTPUT, h[0]), 0);
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_INPUT, h[0]), 1);
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_OUTPUT, h[1]), 1);
	CHECK_INT_EQ(evrpc_remove_hook(pool, EVRPC_OUTPUT, h[2]), 1);
	CHECK_INT_EQ(evrpc_remove_hook(pool, EVRPC_INPUT, h[3]), 1);

	/* Without hooks, no meta data and nothing noted. */
	trail[0] = '\0';
	call("Echo", &o, 1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_NONE);
	CHECK_STR_EQ(trail, "");
}

static int terminate_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)req; (void)buf;
	note((const char *)arg);
	return EVRPC_TERMINATE;
}

static int never_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)req; (void)buf; (void)arg;
	note("never");
	return EVRPC_CONTINUE;
}

static void test_terminate(void)
{
	struct outcome o;
	void *h, *after;
	int calls = echo_calls, cleared;

	/* Server input: the handler does not run; 503. Hooks after it do not run. */
	h = evrpc_add_hook(rpcs, EVRPC_INPUT, terminate_hook, (void *)"stop");
	after = evrpc_add_hook(rpcs, EVRPC_INPUT, never_hook, NULL);
	trail[0] = '\0';
	call("Echo", &o, 1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK_INT_EQ(o.code, 503);
	CHECK_INT_EQ(echo_calls, calls);
	CHECK_STR_EQ(trail, "stop");
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_INPUT, h), 1);
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_INPUT, after), 1);

	/* Server output: the handler ran; 503. */
	h = evrpc_add_hook(rpcs, EVRPC_OUTPUT, terminate_hook, (void *)"stop");
	call("Echo", &o, 1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK_INT_EQ(o.code, 503);
	CHECK_INT_EQ(echo_calls, calls + 1);
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_OUTPUT, h), 1);

	/* Client output: the call never starts; the callback runs at once. */
	h = evrpc_add_hook(pool, EVRPC_OUTPUT, terminate_hook, (void *)"stop");
	call("Echo", &o, 0);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_UNSTARTED);
	CHECK_INT_EQ(o.code, -1);
	CHECK_INT_EQ(evrpc_remove_hook(pool, EVRPC_OUTPUT, h), 1);
	loop_for(base, 50);
	CHECK_INT_EQ(echo_calls, calls + 1);

	/* Client input: the reply came (200) but is not decoded; it is cleared. */
	h = evrpc_add_hook(pool, EVRPC_INPUT, terminate_hook, (void *)"stop");
	cleared = answers_cleared;
	call("Echo", &o, 1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_HOOKABORTED);
	CHECK_INT_EQ(o.code, 200);
	CHECK_STR_EQ(o.word, "");
	CHECK_INT_EQ(answers_cleared, cleared + 1);
	CHECK_INT_EQ(echo_calls, calls + 2);
	CHECK_INT_EQ(evrpc_remove_hook(pool, EVRPC_INPUT, h), 1);
}

/* Pausing hooks: each is resumed from a timer with the result in resume_with. */
struct held {
	void *vbase;
	void *ctx;
	int result;
};

static int resumed, resume_failed;
static int resume_with = EVRPC_CONTINUE;

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct held *h = arg;
	(void)fd; (void)what;
	resumed++;
	if (evrpc_resume_request(h->vbase, h->ctx, (enum EVRPC_HOOK_RESULT)h->result) != 0)
		resume_failed++;
	free(h);
}

static int pause_hook(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	struct held *h = malloc(sizeof(*h));
	struct timeval zero = { 0, 0 };
	(void)req; (void)buf;
	REQUIRE(h != NULL);
	h->vbase = arg;
	h->ctx = ctx;
	h->result = resume_with;
	event_base_once(base, -1, EV_TIMEOUT, resume_cb, h, &zero);
	return EVRPC_PAUSE;
}

static void test_pause(void)
{
	struct outcome o;
	void *h[4];
	int calls;

	h[0] = evrpc_add_hook(rpcs, EVRPC_INPUT, pause_hook, rpcs);
	h[1] = evrpc_add_hook(rpcs, EVRPC_OUTPUT, pause_hook, rpcs);
	h[2] = evrpc_add_hook(pool, EVRPC_INPUT, pause_hook, pool);
	h[3] = evrpc_add_hook(pool, EVRPC_OUTPUT, pause_hook, pool);

	resumed = 0;
	call("Echo", &o, 1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_NONE);
	CHECK_STR_EQ(o.word, "echo:hook");
	CHECK_INT_EQ(resumed, 4);
	CHECK_INT_EQ(resume_failed, 0);
	/* Nothing is held any more. */
	CHECK_INT_EQ(evrpc_resume_request(pool, &o, EVRPC_CONTINUE), -1);
	CHECK_INT_EQ(evrpc_resume_request(rpcs, &o, EVRPC_CONTINUE), -1);

	/* Only the client's input hook pauses, and is resumed with EVRPC_TERMINATE. */
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_INPUT, h[0]), 1);
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_OUTPUT, h[1]), 1);
	CHECK_INT_EQ(evrpc_remove_hook(pool, EVRPC_OUTPUT, h[3]), 1);
	resume_with = EVRPC_TERMINATE;
	resumed = 0;
	call("Echo", &o, 1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_HOOKABORTED);
	CHECK_INT_EQ(o.code, 200);
	CHECK_INT_EQ(resumed, 1);
	CHECK_INT_EQ(evrpc_remove_hook(pool, EVRPC_INPUT, h[2]), 1);

	/* The server's input hook pauses and is resumed with EVRPC_TERMINATE: 503. */
	h[0] = evrpc_add_hook(rpcs, EVRPC_INPUT, pause_hook, rpcs);
	calls = echo_calls;
	resumed = 0;
	call("Echo", &o, 1);
	CHECK_INT_EQ(o.error, EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK_INT_EQ(o.code, 503);
	CHECK_INT_EQ(resumed, 1);
	CHECK_INT_EQ(echo_calls, calls);
	CHECK_INT_EQ(evrpc_remove_hook(rpcs, EVRPC_INPUT, h[0]), 1);
	resume_with = EVRPC_CONTINUE;
	CHECK_INT_EQ(resume_failed, 0);
}

int main(void)
{
	struct evhttp *http;
	struct evhttp_bound_socket *handle;
	ev_uint16_t port;

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
	CHECK_INT_EQ(EVRPC_REGISTER(rpcs, Tagged, ask, answer, TaggedCb, NULL), 0);
	pool = evrpc_pool_new(base);
	REQUIRE(pool != NULL);
	evrpc_pool_add_connection(pool, evhttp_connection_new("127.0.0.1", port));

	test_continue();
	test_terminate();
	test_pause();

	evrpc_pool_free(pool);
	evrpc_free(rpcs);
	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
