/* bufferevent_socket_connect_hostname with an evdns_base: a name the fake server maps to
 * 127.0.0.1 connects to a local listener (AF_INET and AF_UNSPEC, and with
 * bufferevent_socket_connect_hostname_hints where the headers have it), data flows; a
 * name that does not exist gives BEV_EVENT_ERROR and bufferevent_socket_get_dns_error
 * EVUTIL_EAI_NONAME; freeing the bufferevent while its lookup is pending is safe and
 * calls nothing; evhttp_connection_base_new with an evdns_base requests from a local
 * evhttp server by name, and a name that does not resolve fails the request. */
// test: timeout 30
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "dns_support.h"

static struct event_base *base;
static struct ds_server srv;
static int accepted;
static evutil_socket_t accepted_fd = -1;

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	(void)l;
	(void)sa;
	(void)socklen;
	(void)arg;
	accepted++;
	if (accepted_fd >= 0)
		evutil_closesocket(accepted_fd);
	accepted_fd = fd;
	(void)send(fd, "hello", 5, 0);
}

struct conn_state {
	int connected;
	int errors;
	int events;
	int dns_error;
	char got[64];
	size_t got_len;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn_state *c = arg;
	size_t n = evbuffer_get_length(bufferevent_get_input(bev));
	if (n > sizeof(c->got) - 1 - c->got_len)
		n = sizeof(c->got) - 1 - c->got_len;
	c->got_len += bufferevent_read(bev, c->got + c->got_len, n);
	c->got[c->got_len] = 0;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn_state *c = arg;
	c->events++;
	if (what & BEV_EVENT_CONNECTED)
		c->connected++;
	if (what & BEV_EVENT_ERROR) {
		c->errors++;
		c->dns_error = bufferevent_socket_get_dns_error(bev);
	}
}

static struct bufferevent *new_bev(struct conn_state *c)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	memset(c, 0, sizeof(*c));
	bufferevent_setcb(bev, read_cb, NULL, event_cb, c);
	bufferevent_enable(bev, EV_READ);
	return bev;
}

static void connect_by_name(struct evdns_base *dns, int family, int port)
{
	struct conn_state c;
	struct bufferevent *bev = new_bev(&c);
	int before = accepted;
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, family, "svc.test", port), 0);
	CHECK(ds_run_until(base, &c.connected, 1, 4));
	CHECK_INT_EQ(c.errors, 0);
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), 0);
	CHECK(ds_run_until(base, &accepted, before + 1, 2));
	CHECK(ds_run_until(base, (int *)&c.got_len, 5, 2));
	CHECK_STR_EQ(c.got, "hello");
	bufferevent_free(bev);
}

static void test_connect(struct evdns_base *dns, int port)
{
	struct conn_state c;
	struct bufferevent *bev;
	int before;

	connect_by_name(dns, AF_INET, port);
	connect_by_name(dns, AF_UNSPEC, port);

#ifdef DNS_QUERY_USEVC /* libevent 2.2 headers: bufferevent_socket_connect_hostname_hints */
	{
		struct evutil_addrinfo hints;
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_protocol = IPPROTO_TCP;
		bev = new_bev(&c);
		before = accepted;
		CHECK_INT_EQ(bufferevent_socket_connect_hostname_hints(bev, dns, &hints, "svc.test",
		    port), 0);
		CHECK(ds_run_until(base, &c.connected, 1, 4));
		CHECK(ds_run_until(base, &accepted, before + 1, 2));
		bufferevent_free(bev);
	}
#endif

	/* A name that does not exist. */
	bev = new_bev(&c);
	before = accepted;
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_UNSPEC, "missing.test", port), 0);
	CHECK(ds_run_until(base, &c.errors, 1, 4));
	CHECK_INT_EQ(c.connected, 0);
	CHECK_INT_EQ(c.dns_error, EVUTIL_EAI_NONAME);
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), EVUTIL_EAI_NONAME);
	ds_run_for(base, 0.1);
	CHECK_INT_EQ(c.events, 1);
	CHECK_INT_EQ(accepted, before);
	bufferevent_free(bev);

	/* Freed while the lookup is pending: nothing is called, nothing breaks. */
	DS_ATOMIC_SET(srv.silent, 1);
	{
		int i;
		struct conn_state cs[3];
		for (i = 0; i < 3; i++) {
			bev = new_bev(&cs[i]);
			CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_UNSPEC, "svc.test",
			    port), 0);
			if (i > 0)
				ds_run_for(base, 0.02 * i);
			bufferevent_free(bev);
		}
		DS_ATOMIC_SET(srv.silent, 0);
		ds_run_for(base, 1.2);
		for (i = 0; i < 3; i++)
			CHECK_INT_EQ(cs[i].events, 0);
	}
	/* libevent keeps a freed bufferevent alive until its lookup ends, and then connects
	 * and closes at once; cancelling the lookup is fine too. Either way, no more than
	 * those three connections. */
	CHECK(accepted <= before + 3);
	/* The resolver still works. */
	connect_by_name(dns, AF_INET, port);
}

struct http_state {
	int calls;
	int code;
	char body[64];
};

static void hello_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *out = evbuffer_new();
	(void)arg;
	evbuffer_add_printf(out, "hi from %s", evhttp_request_get_host(req) ?
	    evhttp_request_get_host(req) : "?");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void done_cb(struct evhttp_request *req, void *arg)
{
	struct http_state *h = arg;
	h->calls++;
	h->code = req ? evhttp_request_get_response_code(req) : -1;
	if (req && evhttp_request_get_input_buffer(req)) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);
		if (n > sizeof(h->body) - 1)
			n = sizeof(h->body) - 1;
		evbuffer_remove(in, h->body, n);
		h->body[n] = 0;
	}
}

static void test_http(struct evdns_base *dns)
{
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *bound;
	struct evhttp_connection *conn;
	struct evhttp_request *req;
	struct http_state h = { 0 };
	struct sockaddr_in sin;
	ev_socklen_t sl = sizeof(sin);
	int port;

	REQUIRE(http != NULL);
	bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	REQUIRE(bound != NULL);
	REQUIRE(getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sin, &sl) == 0);
	port = ntohs(sin.sin_port);
	evhttp_set_cb(http, "/hello", hello_cb, NULL);

	conn = evhttp_connection_base_new(base, dns, "web.test", (unsigned short)port);
	REQUIRE(conn != NULL);
	evhttp_connection_set_timeout(conn, 5);
	req = evhttp_request_new(done_cb, &h);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "web.test");
	CHECK_INT_EQ(evhttp_make_request(conn, req, EVHTTP_REQ_GET, "/hello"), 0);
	CHECK(ds_run_until(base, &h.calls, 1, 5));
	CHECK_INT_EQ(h.code, 200);
	CHECK_STR_EQ(h.body, "hi from web.test");
	/* A second request on the same connection. */
	memset(&h, 0, sizeof(h));
	req = evhttp_request_new(done_cb, &h);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "web.test");
	CHECK_INT_EQ(evhttp_make_request(conn, req, EVHTTP_REQ_GET, "/hello"), 0);
	CHECK(ds_run_until(base, &h.calls, 1, 5));
	CHECK_INT_EQ(h.code, 200);
	evhttp_connection_free(conn);

	/* A name that does not resolve: the request fails. */
	memset(&h, 0, sizeof(h));
	conn = evhttp_connection_base_new(base, dns, "nowhere.test", (unsigned short)port);
	REQUIRE(conn != NULL);
	evhttp_connection_set_retries(conn, 0);
	req = evhttp_request_new(done_cb, &h);
	CHECK_INT_EQ(evhttp_make_request(conn, req, EVHTTP_REQ_GET, "/hello"), 0);
	CHECK(ds_run_until(base, &h.calls, 1, 5));
	CHECK(h.code == 0 || h.code == -1);
	ds_run_for(base, 0.1);
	CHECK_INT_EQ(h.calls, 1);
	evhttp_connection_free(conn);

	evhttp_free(http);
}

int main(void)
{
	struct evdns_base *dns;
	struct evconnlistener *listener;
	struct sockaddr_in sin;
	ev_socklen_t sl = sizeof(sin);

	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	ds_server_start(&srv);
	ds_zone_add(&srv, "svc.test", DS_TYPE_A, 60, "127.0.0.1");
	ds_zone_add(&srv, "web.test", DS_TYPE_A, 60, "127.0.0.1");
	dns = ds_base_for(base, &srv);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = evconnlistener_new_bind(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16, (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(listener != NULL);
	REQUIRE(getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&sin, &sl) == 0);

	test_connect(dns, ntohs(sin.sin_port));
	test_http(dns);

	evconnlistener_free(listener);
	if (accepted_fd >= 0)
		evutil_closesocket(accepted_fd);
	evdns_base_free(dns, 0);
	ds_server_stop(&srv);
	event_base_free(base);
	return check_report();
}
