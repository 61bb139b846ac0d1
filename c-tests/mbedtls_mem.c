/* bufferevent_mbedtls_dyncontext_new takes its memory from the functions given to
 * event_set_mem_functions (libevent's mm_calloc), and a context freed by
 * bufferevent_mbedtls_dyncontext_free or by a bufferevent under BEV_OPT_CLOSE_ON_FREE
 * goes back there: with counting functions installed, every block handed out is
 * returned once the bufferevents and the base are gone. */
// test: link event_mbedtls event_core mbedtls mbedx509 mbedcrypto
// test: requires 2.2
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "mbedtls_support.h"

static long live_blocks;
static long blocks_given;

static void *counting_malloc(size_t size)
{
	void *p = malloc(size);
	if (p) {
		live_blocks++;
		blocks_given++;
	}
	return p;
}

static void *counting_realloc(void *old, size_t size)
{
	void *p = realloc(old, size);
	if (p && !old) {
		live_blocks++;
		blocks_given++;
	}
	return p;
}

static void counting_free(void *p)
{
	if (p)
		live_blocks--;
	free(p);
}

static int connected;

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	if (what & BEV_EVENT_CONNECTED)
		connected++;
}

int main(void)
{
	struct event_base *base;
	struct tls_setup *ts;
	mbedtls_dyncontext *ctx;
	long before;
	evutil_socket_t fds[2];
	struct bufferevent *client, *server;

	event_set_mem_functions(counting_malloc, counting_realloc, counting_free);
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	ts = tls_setup_new();
	REQUIRE(base != NULL);
	REQUIRE(ts != NULL);

	/* One block through the program's functions, returned by the free. */
	before = blocks_given;
	ctx = bufferevent_mbedtls_dyncontext_new(&ts->client);
	REQUIRE(ctx != NULL);
	CHECK_INT_EQ(blocks_given, before + 1);
	before = live_blocks;
	bufferevent_mbedtls_dyncontext_free(ctx);
	CHECK_INT_EQ(live_blocks, before - 1);

	/* Contexts owned by bufferevents (BEV_OPT_CLOSE_ON_FREE), after a handshake. */
	CHECK_INT_EQ(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
	server = bufferevent_mbedtls_socket_new(base, fds[1], tls_server_context(ts),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	client = bufferevent_mbedtls_socket_new(base, fds[0], tls_client_context(ts, NULL),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(server && client);
	bufferevent_setcb(server, NULL, NULL, on_event, NULL);
	bufferevent_setcb(client, NULL, NULL, on_event, NULL);
	bufferevent_enable(server, EV_READ | EV_WRITE);
	bufferevent_enable(client, EV_READ | EV_WRITE);
	while (connected < 2 && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	CHECK_INT_EQ(connected, 2);
	bufferevent_free(client);
	bufferevent_free(server);
	event_base_free(base);
	tls_setup_destroy(ts);
	/* Everything handed out through the program's functions came back. */
	CHECK_INT_EQ(live_blocks, 0);
	return check_report();
}
