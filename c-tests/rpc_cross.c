/* evrpc between the two libraries: with `cross`, the server of one (`first DIR`:
 * serves on a loopback port written to DIR/port, until a Quit call) answers the
 * client of the other (`second DIR`): calls on a pool of two connections with one
 * queued, the reply and its header set by the server's output hook, an incomplete
 * reply (503, EVRPC_STATUS_ERR_BADPAYLOAD), an unknown RPC (404), the client's meta
 * data seen by its own input hook only. Without arguments, the same server and client
 * run in one process.
 */
// test: cross
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
#include <unistd.h>

#include "check.h"
#include "rpc_support.h"

static struct event_base *base;
static struct evhttp *http;
static struct evrpc_base *rpcs;
static int server_meta_seen;

static int server_in(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	void *data;
	size_t len;
	(void)req; (void)buf; (void)arg;
	if (evrpc_hook_find_meta(ctx, "client", &data, &len) == 0)
		server_meta_seen++;
	return EVRPC_CONTINUE;
}

static int server_out(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)ctx; (void)buf; (void)arg;
	evhttp_add_header(req->output_headers, "X-Served-By", "rpc_cross");
	return EVRPC_CONTINUE;
}

static ev_uint16_t serve(void)
{
	struct evhttp_bound_socket *handle;
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);

	http = evhttp_new(base);
	REQUIRE(http != NULL);
	handle = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	REQUIRE(handle != NULL);
	REQUIRE(getsockname(evhttp_bound_socket_get_fd(handle), (struct sockaddr *)&sin, &len) == 0);
	rpcs = evrpc_init(http);
	REQUIRE(rpcs != NULL);
	register_all(rpcs);
	CHECK(evrpc_add_hook(rpcs, EVRPC_INPUT, server_in, NULL) != NULL);
	CHECK(evrpc_add_hook(rpcs, EVRPC_OUTPUT, server_out, NULL) != NULL);
	return ntohs(sin.sin_port);
}

static void stop_serving(void)
{
	evrpc_free(rpcs);
	evhttp_free(http);
}

/* The client's hooks: meta data from output to input, and the server's header. */
static int client_meta_ok, served_by_seen;

static int client_out(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	(void)req; (void)buf; (void)arg;
	evrpc_hook_add_meta(ctx, "client", "yes", 4);
	return EVRPC_CONTINUE;
}

static int client_in(void *ctx, struct evhttp_request *req, struct evbuffer *buf, void *arg)
{
	void *data = NULL;
	size_t len = 0;
	const char *header = evhttp_find_header(req->input_headers, "X-Served-By");
	(void)buf; (void)arg;
	if (evrpc_hook_find_meta(ctx, "client", &data, &len) == 0 && len == 4 &&
	    strcmp(data, "yes") == 0)
		client_meta_ok++;
	if (header && strcmp(header, "rpc_cross") == 0)
		served_by_seen++;
	return EVRPC_CONTINUE;
}

struct raw {
	int done;
	int code;
};

static void raw_done(struct evhttp_request *req, void *arg)
{
	struct raw *r = arg;
	r->done++;
	r->code = req ? req->response_code : -1;
}

static void call_server(ev_uint16_t port)
{
	struct evrpc_pool *pool = evrpc_pool_new(base);
	struct ask *req = make_ask(100, "across");
	struct answer *reps[3] = { answer_new(), answer_new(), answer_new() };
	struct outcome o[3];
	struct evhttp_connection *evcon;
	struct evhttp_request *raw_req;
	struct raw r;
	int i;

	REQUIRE(pool != NULL);
	evrpc_pool_add_connection(pool, evhttp_connection_new("127.0.0.1", port));
	evrpc_pool_add_connection(pool, evhttp_connection_new("127.0.0.1", port));
	CHECK(evrpc_add_hook(pool, EVRPC_OUTPUT, client_out, NULL) != NULL);
	CHECK(evrpc_add_hook(pool, EVRPC_INPUT, client_in, NULL) != NULL);

	/* Three calls on two connections. */
	memset(o, 0, sizeof(o));
	for (i = 0; i < 3; i++)
		CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Echo, pool, req, reps[i], GotAnswer, &o[i]), 0);
	for (i = 0; i < 3; i++) {
		CHECK_INT_EQ(loop_until(base, &o[i].done, 1, 10000), 0);
		CHECK_INT_EQ(o[i].error, EVRPC_STATUS_ERR_NONE);
		CHECK_INT_EQ(o[i].code, 200);
		CHECK_INT_EQ(o[i].num, 101);
		CHECK_STR_EQ(o[i].word, "echo:across");
	}
	CHECK_INT_EQ(client_meta_ok, 3);
	CHECK_INT_EQ(served_by_seen, 3);

	/* An incomplete reply. */
	memset(o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Partial, pool, req, reps[0], GotAnswer, &o[0]), 0);
	CHECK_INT_EQ(loop_until(base, &o[0].done, 1, 10000), 0);
	CHECK_INT_EQ(o[0].error, EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK_INT_EQ(o[0].code, 503);

	/* An unknown RPC, from a plain HTTP client. */
	memset(&r, 0, sizeof(r));
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	raw_req = evhttp_request_new(raw_done, &r);
	REQUIRE(evcon && raw_req);
	evhttp_add_header(raw_req->output_headers, "Host", "somehost");
	ask_marshal(raw_req->output_buffer, req);
	CHECK_INT_EQ(evhttp_make_request(evcon, raw_req, EVHTTP_REQ_POST, "/.rpc.Nope"), 0);
	CHECK_INT_EQ(loop_until(base, &r.done, 1, 10000), 0);
	CHECK_INT_EQ(r.code, 404);
	evhttp_connection_free(evcon);

	/* Quit: the server stops after answering. */
	memset(o, 0, sizeof(o));
	CHECK_INT_EQ(EVRPC_MAKE_REQUEST(Quit, pool, req, reps[0], GotAnswer, &o[0]), 0);
	CHECK_INT_EQ(loop_until(base, &o[0].done, 1, 10000), 0);
	CHECK_INT_EQ(o[0].error, EVRPC_STATUS_ERR_NONE);

	evrpc_pool_free(pool);
	for (i = 0; i < 3; i++)
		answer_free(reps[i]);
	ask_free(req);
}

/* `first DIR`: serves until Quit (at most 30 s). */
static int server_part(const char *dir)
{
	char tmp[4096], path[4096];
	FILE *f;
	ev_uint16_t port = serve();

	snprintf(tmp, sizeof(tmp), "%s/port.tmp", dir);
	snprintf(path, sizeof(path), "%s/port", dir);
	f = fopen(tmp, "w");
	REQUIRE(f != NULL);
	fprintf(f, "%u\n", (unsigned)port);
	REQUIRE(fclose(f) == 0);
	REQUIRE(rename(tmp, path) == 0);

	CHECK_INT_EQ(loop_until(base, &quit_calls, 1, 30000), 0);
	loop_for(base, 300);
	CHECK_INT_EQ(echo_calls, 3);
	CHECK_INT_EQ(server_meta_seen, 0);
	stop_serving();
	event_base_free(base);
	return check_report();
}

/* `second DIR`: waits for DIR/port (at most 10 s), then calls. */
static int client_part(const char *dir)
{
	char path[4096];
	unsigned port = 0;
	FILE *f = NULL;
	int i;

	snprintf(path, sizeof(path), "%s/port", dir);
	for (i = 0; i < 1000 && (f = fopen(path, "r")) == NULL; i++)
		usleep(10000);
	REQUIRE(f != NULL);
	REQUIRE(fscanf(f, "%u", &port) == 1);
	fclose(f);
	call_server((ev_uint16_t)port);
	event_base_free(base);
	return check_report();
}

int main(int argc, char **argv)
{
	/* The current base too, which the pool's connections start on. */
	base = event_init();
	REQUIRE(base != NULL);
	if (argc == 3 && strcmp(argv[1], "first") == 0)
		return server_part(argv[2]);
	if (argc == 3 && strcmp(argv[1], "second") == 0)
		return client_part(argv[2]);

	call_server(serve());
	CHECK_INT_EQ(quit_calls, 1);
	CHECK_INT_EQ(echo_calls, 3);
	CHECK_INT_EQ(server_meta_seen, 0);
	stop_serving();
	event_base_free(base);
	return check_report();
}
