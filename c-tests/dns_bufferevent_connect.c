/* bufferevent_socket_connect_hostname(_hints) with an evdns_base: a name from the fake
 * server is resolved and connected to (reading and writing held back meanwhile, data
 * written before the connect goes out after it), NXDOMAIN gives BEV_EVENT_ERROR with
 * the EVUTIL_EAI_* code in bufferevent_socket_get_dns_error, a numeric host connects
 * through evdns without a query, and freeing the bufferevent or giving it a socket
 * while its lookup is pending does not crash or call back. */
#include "dns_support.h"

#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/listener.h>

struct outcome {
	int calls;
	short what;
};

static int accepted;
static int received;

static void peer_read_cb(struct bufferevent *bev, void *arg)
{
	char buf[64];
	size_t n = bufferevent_read(bev, buf, sizeof(buf));
	(void)arg;
	received += (int)n;
}

static void peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct bufferevent *peer;
	(void)sa;
	(void)socklen;
	(void)arg;
	accepted++;
	peer = bufferevent_socket_new(evconnlistener_get_base(lev), fd, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(peer != NULL);
	bufferevent_setcb(peer, peer_read_cb, NULL, peer_event_cb, NULL);
	bufferevent_enable(peer, EV_READ);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct outcome *o = arg;
	(void)bev;
	o->calls++;
	o->what = what;
}

static int handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *reply, void *arg)
{
	(void)arg;
	if (strncmp(q->lname, "silent", 6) == 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, reply);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

int main(void)
{
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_server s;
	struct evconnlistener *lev;
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);
	struct bufferevent *bev;
	struct outcome o;
	int port;

	(void)ds_result_cb;
	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	ds_server_start(&s);
	s.handler = handler;
	ds_zone_add(&s, "server.test", DS_TYPE_A, 60, "127.0.0.1");

	base = event_base_new();
	REQUIRE(base != NULL);
	dns = ds_base_for(base, &s);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	lev = evconnlistener_new_bind(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(lev != NULL);
	REQUIRE(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sin, &len) == 0);
	port = ntohs(sin.sin_port);

	/* A name: looked up, connected; what was written meanwhile follows. */
	memset(&o, 0, sizeof(o));
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &o);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_INET, "server.test", port), 0);
	CHECK_INT_EQ(o.calls, 0);
	bufferevent_write(bev, "hello", 5);
	CHECK(ds_run_until(base, &o.calls, 1, 3));
	CHECK_INT_EQ(o.what, BEV_EVENT_CONNECTED);
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), 0);
	CHECK(ds_run_until(base, &received, 5, 3));
	CHECK_INT_EQ(accepted, 1);
	CHECK_INT_EQ(s.queries, 1);
	bufferevent_free(bev);

	/* NXDOMAIN: BEV_EVENT_ERROR, and the code. */
	memset(&o, 0, sizeof(o));
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &o);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_UNSPEC, "nosuch.test", port), 0);
	CHECK(ds_run_until(base, &o.calls, 1, 3));
	CHECK_INT_EQ(o.what, BEV_EVENT_ERROR);
	CHECK_INT_EQ(bufferevent_socket_get_dns_error(bev), EVUTIL_EAI_NONAME);
	ds_run_for(base, 0.1);
	CHECK_INT_EQ(o.calls, 1);
	bufferevent_free(bev);

	/* A numeric host through evdns: no query, connected. */
	memset(&o, 0, sizeof(o));
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &o);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_UNSPEC, "127.0.0.1", port), 0);
	CHECK(ds_run_until(base, &o.calls, 1, 3));
	CHECK_INT_EQ(o.what, BEV_EVENT_CONNECTED);
	CHECK_INT_EQ(s.queries, 3);
	bufferevent_free(bev);

	/* Bad arguments are refused before any lookup. */
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_UNIX, "server.test", port), -1);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_INET, "server.test", 0), -1);
	bufferevent_free(bev);

	/* Freed while the lookup is pending: no callback, nothing left behind. */
	memset(&o, 0, sizeof(o));
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, NULL, NULL, event_cb, &o);
	CHECK_INT_EQ(bufferevent_socket_connect_hostname(bev, dns, AF_INET, "silent.test", port), 0);
	ds_run_for(base, 0.05);
	bufferevent_free(bev);
	ds_run_for(base, 1.0);
	CHECK_INT_EQ(o.calls, 0);

	ds_server_stop(&s);
	evconnlistener_free(lev);
	evdns_base_free(dns, 0);
	event_base_free(base);
	return check_report();
}
