/* Where a server listens, and for how long it waits: evhttp_bind_socket and
 * evhttp_bind_socket_with_handle on IPv4 and IPv6 (skipped without ::1), a port already
 * taken refused; evhttp_accept_socket and evhttp_accept_socket_with_handle on sockets
 * the program made; evhttp_bind_listener with an AF_UNIX evconnlistener;
 * evhttp_bound_socket_get_fd / evhttp_bound_socket_get_listener;
 * evhttp_foreach_bound_socket (each socket once, in the order bound);
 * evhttp_del_accept_socket (the port then refuses connections); evhttp_set_bevcb (called
 * once per connection, its bufferevent used); evhttp_set_timeout_tv and
 * evhttp_set_timeout: an idle connection, a half-sent request and an idle keep-alive
 * connection are closed without an answer, and no timeout means none. */
// test: link event_core event_extra
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "check.h"
#include "http_support.h"

static struct event_base *base;

static void hello_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "hello");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* One GET on an open raw connection; 1 if "hello" came back. */
static int get_hello(struct raw_conn *c)
{
	struct resp r;
	int ok;
	raw_send(base, c, "GET / HTTP/1.1\r\n\r\n");
	ok = raw_read_response(base, c, 0, &r) && r.code == 200 && !strcmp(r.body, "hello");
	resp_free(&r);
	return ok;
}

static int hello_at(const struct sockaddr *sa, ev_socklen_t len)
{
	struct raw_conn c;
	int ok;
	raw_open_addr(&c, sa, len);
	ok = get_hello(&c);
	raw_close(&c);
	return ok;
}

static int hello_on_port(ev_uint16_t port)
{
	struct raw_conn c;
	int ok;
	raw_open(&c, port);
	ok = get_hello(&c);
	raw_close(&c);
	return ok;
}

/* 1 if a TCP connection to 127.0.0.1:port is refused. */
static int refused(ev_uint16_t port)
{
	struct sockaddr_in sin;
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	int r;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	r = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == ECONNREFUSED;
	evutil_closesocket(fd);
	return r;
}

struct visit {
	int n;
	struct evhttp_bound_socket *seen[8];
};

static void visit_cb(struct evhttp_bound_socket *bound, void *arg)
{
	struct visit *v = arg;
	if (v->n < 8)
		v->seen[v->n] = bound;
	v->n++;
}

static void test_binding(void)
{
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *h4, *h6, *acc, *ul;
	struct visit v;
	evutil_socket_t lfd, fd;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	ev_uint16_t p4, p_plain, p_acc, p_acc2;
	struct evconnlistener *listener;

	REQUIRE(http != NULL);
	evhttp_set_gencb(http, hello_cb, NULL);

	/* evhttp_bind_socket gives no handle: find it by walking the bound sockets. */
	CHECK_INT_EQ(evhttp_bind_socket(http, "127.0.0.1", 0), 0);
	memset(&v, 0, sizeof(v));
	evhttp_foreach_bound_socket(http, visit_cb, &v);
	CHECK_INT_EQ(v.n, 1);
	p_plain = socket_port(evhttp_bound_socket_get_fd(v.seen[0]));
	CHECK(hello_on_port(p_plain));

	h4 = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	REQUIRE(h4 != NULL);
	p4 = socket_port(evhttp_bound_socket_get_fd(h4));
	CHECK(p4 != 0 && p4 != p_plain);
	CHECK(evhttp_bound_socket_get_listener(h4) != NULL);
	CHECK_INT_EQ(evconnlistener_get_fd(evhttp_bound_socket_get_listener(h4)),
	    evhttp_bound_socket_get_fd(h4));
	CHECK(hello_on_port(p4));
	/* A port in use cannot be bound again. */
	CHECK(evhttp_bind_socket_with_handle(http, "127.0.0.1", p4) == NULL);
	CHECK_INT_EQ(evhttp_bind_socket(http, "127.0.0.1", p4), -1);

	/* IPv6. */
	h6 = evhttp_bind_socket_with_handle(http, "::1", 0);
	if (h6) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_loopback;
		sin6.sin6_port = htons(socket_port(evhttp_bound_socket_get_fd(h6)));
		CHECK(hello_at((struct sockaddr *)&sin6, sizeof(sin6)));
	} else {
		printf("skipping IPv6: cannot bind ::1\n");
	}

	/* A listening socket of the program's own. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(lfd, 8) == 0);
	evutil_make_socket_nonblocking(lfd);
	p_acc = socket_port(lfd);
	acc = evhttp_accept_socket_with_handle(http, lfd);
	REQUIRE(acc != NULL);
	CHECK_INT_EQ(evhttp_bound_socket_get_fd(acc), lfd);
	CHECK(hello_on_port(p_acc));
	/* ... and evhttp_accept_socket. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(fd, 8) == 0);
	evutil_make_socket_nonblocking(fd);
	p_acc2 = socket_port(fd);
	CHECK_INT_EQ(evhttp_accept_socket(http, fd), 0);
	CHECK(hello_on_port(p_acc2));

	/* A Unix socket through an evconnlistener. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/evrs-http-%ld.sock",
	    (long)getpid());
	unlink(sun.sun_path);
	listener = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, -1,
	    (struct sockaddr *)&sun, sizeof(sun));
	REQUIRE(listener != NULL);
	ul = evhttp_bind_listener(http, listener);
	REQUIRE(ul != NULL);
	CHECK(evhttp_bound_socket_get_listener(ul) == listener);
	CHECK_INT_EQ(evhttp_bound_socket_get_fd(ul), evconnlistener_get_fd(listener));
	CHECK(hello_at((struct sockaddr *)&sun, sizeof(sun)));

	/* Every bound socket, once, in the order bound. */
	memset(&v, 0, sizeof(v));
	evhttp_foreach_bound_socket(http, visit_cb, &v);
	CHECK_INT_EQ(v.n, h6 ? 6 : 5);
	CHECK(v.seen[1] == h4);
	if (h6)
		CHECK(v.seen[2] == h6);
	CHECK(v.seen[h6 ? 3 : 2] == acc);
	CHECK(v.seen[h6 ? 5 : 4] == ul);

	/* Deleting a bound socket closes it: connections are refused. */
	evhttp_del_accept_socket(http, h4);
	CHECK(refused(p4));
	evhttp_del_accept_socket(http, acc);
	CHECK(refused(p_acc));
	CHECK_INT_EQ(fcntl(lfd, F_GETFD), -1);
	evhttp_del_accept_socket(http, ul);
	memset(&v, 0, sizeof(v));
	evhttp_foreach_bound_socket(http, visit_cb, &v);
	CHECK_INT_EQ(v.n, h6 ? 3 : 2);
	/* The others still work. */
	CHECK(hello_on_port(p_plain));
	CHECK(hello_on_port(p_acc2));

	/* Freeing the server closes the rest. */
	evhttp_free(http);
	CHECK(refused(p_plain));
	CHECK(refused(p_acc2));
	unlink(sun.sun_path);
}

static int bevcb_calls;

static struct bufferevent *make_bev(struct event_base *b, void *arg)
{
	CHECK(b == base);
	CHECK(arg == &bevcb_calls);
	bevcb_calls++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
}

static void test_bevcb(void)
{
	ev_uint16_t port;
	struct evhttp *http = start_server(base, &port, NULL);
	struct raw_conn c;

	evhttp_set_gencb(http, hello_cb, NULL);
	evhttp_set_bevcb(http, make_bev, &bevcb_calls);
	bevcb_calls = 0;
	CHECK(hello_on_port(port));
	CHECK_INT_EQ(bevcb_calls, 1);
	/* Once per connection, not per request. */
	raw_open(&c, port);
	CHECK(get_hello(&c));
	CHECK(get_hello(&c));
	raw_close(&c);
	CHECK_INT_EQ(bevcb_calls, 2);
	evhttp_set_bevcb(http, NULL, NULL);
	CHECK(hello_on_port(port));
	CHECK_INT_EQ(bevcb_calls, 2);
	evhttp_free(http);
}

/* Waits up to ms for the server to close c; 1 if it did. */
static int closed_within(struct raw_conn *c, int ms)
{
	return raw_wait_eof(base, c, ms);
}

static void test_timeouts(void)
{
	ev_uint16_t port;
	struct evhttp *http = start_server(base, &port, NULL);
	struct timeval tv = {0, 500000};
	struct raw_conn c;

	evhttp_set_gencb(http, hello_cb, NULL);
	evhttp_set_timeout_tv(http, &tv);

	/* A connection that sends nothing. */
	raw_open(&c, port);
	CHECK(!closed_within(&c, 100));
	CHECK(closed_within(&c, 3000));
	CHECK_UINT_EQ(c.len, 0);
	raw_close(&c);

	/* Half a request: closed, with no answer. */
	raw_open(&c, port);
	raw_send(base, &c, "GET / HTTP/1.1\r\nHost: x\r\n");
	CHECK(closed_within(&c, 3000));
	CHECK_UINT_EQ(c.len, 0);
	raw_close(&c);

	/* Half a body. */
	raw_open(&c, port);
	raw_send(base, &c, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
	CHECK(closed_within(&c, 3000));
	CHECK_UINT_EQ(c.len, 0);
	raw_close(&c);

	/* Kept alive after an answer, then idle. */
	raw_open(&c, port);
	CHECK(get_hello(&c));
	CHECK(!closed_within(&c, 50));
	CHECK(closed_within(&c, 3000));
	raw_close(&c);

	/* Activity keeps it open: requests more often than the timeout. */
	raw_open(&c, port);
	for (int i = 0; i < 4; i++) {
		CHECK(get_hello(&c));
		CHECK(!closed_within(&c, 100));
	}
	raw_close(&c);

	/* No timeout: a connection waits (longer than the old timeout, at least). */
	evhttp_set_timeout_tv(http, NULL);
	raw_open(&c, port);
	CHECK(!closed_within(&c, 900));
	CHECK(get_hello(&c));
	raw_close(&c);

	/* In whole seconds. */
	evhttp_set_timeout(http, 1);
	raw_open(&c, port);
	CHECK(!closed_within(&c, 100));
	CHECK(closed_within(&c, 5000));
	raw_close(&c);
	evhttp_set_timeout(http, -1);
	raw_open(&c, port);
	CHECK(!closed_within(&c, 1300));
	CHECK(get_hello(&c));
	raw_close(&c);

	evhttp_free(http);
}

int main(void)
{
	base = new_base();
	test_binding();
	test_bevcb();
	test_timeouts();
	event_base_free(base);
	return check_report();
}
