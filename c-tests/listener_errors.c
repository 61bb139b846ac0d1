/* Listener errors: accept failing with EMFILE (RLIMIT_NOFILE lowered and every descriptor
 * taken) runs the error callback with the user argument and EMFILE in errno, and the
 * listener, still enabled, accepts the waiting connection once descriptors are free
 * again; set_error_cb replaces or removes the callback; evconnlistener_new fails on a
 * socket that cannot listen. */
// test: per-backend
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

#define MAX_HOLD 4096

struct ctx {
	int accepts;
	int errors;
	int err;
	void *arg_seen;
	evutil_socket_t accepted[4];
	/* descriptors held to exhaust the table */
	int held[MAX_HOLD];
	int nheld;
	struct rlimit saved;
	struct evconnlistener *lev_seen;
};

static void release_all(struct ctx *c)
{
	while (c->nheld > 0)
		close(c->held[--c->nheld]);
	setrlimit(RLIMIT_NOFILE, &c->saved);
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct ctx *c = arg;
	(void)lev;
	(void)sa;
	(void)socklen;
	if (c->accepts < 4)
		c->accepted[c->accepts] = fd;
	else
		evutil_closesocket(fd);
	c->accepts++;
}

static void error_cb(struct evconnlistener *lev, void *arg)
{
	struct ctx *c = arg;
	c->err = EVUTIL_SOCKET_ERROR();
	c->errors++;
	c->arg_seen = arg;
	c->lev_seen = lev;
	/* Make room so the next attempt can succeed. */
	release_all(c);
}

static int run_until_count(struct event_base *base, const int *counter, int want, int ms)
{
	struct timeval slice = {0, 10000};
	for (int waited = 0; *counter < want && waited < ms; waited += 10) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return *counter >= want;
}

/* Runs the loop until the client's connection is among the accepted ones. */
static int wait_for_peer(struct event_base *base, struct ctx *c, evutil_socket_t cl, int ms)
{
	struct sockaddr_in mine, peer;
	ev_socklen_t len = sizeof(mine);
	struct timeval slice = {0, 10000};
	REQUIRE(getsockname(cl, (struct sockaddr *)&mine, &len) == 0);
	for (int waited = 0; waited < ms; waited += 10) {
		for (int i = 0; i < c->accepts && i < 4; i++) {
			len = sizeof(peer);
			if (getpeername(c->accepted[i], (struct sockaddr *)&peer, &len) == 0 &&
			    peer.sin_port == mine.sin_port)
				return 1;
		}
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return 0;
}

static evutil_socket_t client(const struct sockaddr_in *sin)
{
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	REQUIRE(connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == 0);
	return fd;
}

static void test_emfile(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);
	struct evconnlistener *lev;
	struct ctx c;
	struct rlimit low;
	evutil_socket_t cl1, cl2;
	int highest = 0, fd;

	memset(&c, 0, sizeof(c));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(base, accept_cb, &c, LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(lev != NULL);
	evconnlistener_set_error_cb(lev, error_cb);
	REQUIRE(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len) == 0);

	/* A connection waits in the backlog. */
	cl1 = client(&sin);

	/* Take every descriptor: lower the limit just above the highest one in use, then
	 * fill the holes below it. */
	REQUIRE(getrlimit(RLIMIT_NOFILE, &c.saved) == 0);
	fd = dup(0);
	REQUIRE(fd >= 0);
	highest = fd;
	close(fd);
	low = c.saved;
	low.rlim_cur = (rlim_t)highest + 1;
	REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	while (c.nheld < MAX_HOLD && (fd = dup(0)) >= 0)
		c.held[c.nheld++] = fd;
	REQUIRE(fd < 0 && errno == EMFILE);

	/* accept() fails: the error callback runs (and frees descriptors). */
	CHECK(run_until_count(base, &c.errors, 1, 3000));
	CHECK_INT_EQ(c.errors, 1);
	CHECK_INT_EQ(c.err, EMFILE);
	CHECK(c.arg_seen == &c);
	CHECK(c.lev_seen == lev);
	release_all(&c);

	/* The listener is still enabled and accepts again. (The connection that was
	 * waiting normally comes through too, but whether a failed accept() leaves it
	 * queued is up to the kernel, or to valgrind, which makes its own EMFILE.) */
	cl2 = client(&sin);
	CHECK(wait_for_peer(base, &c, cl2, 3000));
	CHECK_INT_EQ(c.errors, 1);

	for (int i = 0; i < c.accepts && i < 4; i++)
		evutil_closesocket(c.accepted[i]);
	evutil_closesocket(cl1);
	evutil_closesocket(cl2);
	evconnlistener_free(lev);
	event_base_free(base);
}

/* The error callback can be replaced and removed; set_cb's argument is what it gets. */
static void test_error_cb_arg(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct evconnlistener *lev;
	struct ctx c1, c2;
	struct rlimit low;
	evutil_socket_t cl, cl2;
	ev_socklen_t len = sizeof(sin);
	int fd;

	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(base, accept_cb, &c1, LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(lev != NULL);
	REQUIRE(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len) == 0);
	evconnlistener_set_error_cb(lev, error_cb);
	evconnlistener_set_error_cb(lev, NULL);
	evconnlistener_set_error_cb(lev, error_cb);
	/* The error callback shares the connection callback's argument. */
	evconnlistener_set_cb(lev, accept_cb, &c2);
	cl = client(&sin);
	REQUIRE(getrlimit(RLIMIT_NOFILE, &c2.saved) == 0);
	fd = dup(0);
	close(fd);
	low = c2.saved;
	low.rlim_cur = (rlim_t)fd + 1;
	REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	while (c2.nheld < MAX_HOLD && (fd = dup(0)) >= 0)
		c2.held[c2.nheld++] = fd;
	CHECK(run_until_count(base, &c2.errors, 1, 3000));
	CHECK(c2.arg_seen == &c2);
	CHECK_INT_EQ(c1.errors, 0);
	release_all(&c2);
	cl2 = client(&sin);
	CHECK(wait_for_peer(base, &c2, cl2, 3000));
	for (int i = 0; i < c2.accepts && i < 4; i++)
		evutil_closesocket(c2.accepted[i]);
	evutil_closesocket(cl);
	evutil_closesocket(cl2);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void test_cannot_listen(void)
{
	struct event_base *base = new_base();
	evutil_socket_t udp = socket(AF_INET, SOCK_DGRAM, 0);
	struct ctx c;

	REQUIRE(udp >= 0);
	memset(&c, 0, sizeof(c));
	/* listen() fails on a datagram socket: no listener, and the socket is left open. */
	CHECK(evconnlistener_new(base, accept_cb, &c, LEV_OPT_CLOSE_ON_FREE, -1, udp) == NULL);
	CHECK(evconnlistener_new(base, accept_cb, &c, LEV_OPT_CLOSE_ON_FREE, 4, udp) == NULL);
	CHECK(fcntl(udp, F_GETFD) != -1);
	evutil_closesocket(udp);
	event_base_free(base);
}

int main(void)
{
	test_emfile();
	test_error_cb_arg();
	test_cannot_listen();
	return check_report();
}
