/* The DNS server on a TCP listener (libevent 2.2): length-prefixed messages, several
 * in one write and one message in pieces, replies never cut at 512 bytes, answering
 * later from a timer, the client's address, EVDNS_SOPT_TCP_MAX_CLIENTS and
 * EVDNS_SOPT_TCP_IDLE_TIMEOUT (and their refusal on a UDP port), a zero length ending
 * the connection, malformed messages ignored, a client gone before its reply, and
 * closing the port with a request outstanding. */
// test: requires 2.2
// test: per-backend
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "dns_support.h"

static struct event_base *base;
static int callbacks;
static struct evdns_server_request *saved;
static int late_result = -99;
static struct sockaddr_in last_client;
static struct evdns_server_port *port_to_close;
static int close_result = -99;

/* A query with its 2-byte length prefix. */
static size_t framed_query(unsigned char *out, unsigned id, const char *name, unsigned qtype)
{
	size_t at = 2 + ds_raw_query(out + 2, id, 0x0100, name, qtype);
	ds_raw_put16(out, (unsigned)(at - 2));
	return at;
}

/* Per connection: bytes received and not yet taken as a message. */
struct conn {
	int fd;
	unsigned char buf[70000];
	size_t have;
};

/* Runs the loop until a whole reply is there (its length, copied to `msg`), the
 * peer closes (-2) or about `ms` milliseconds pass (-1). */
static int read_reply(struct conn *c, unsigned char *msg, int ms)
{
	for (int i = 0; i < ms / 5 + 1; i++) {
		if (c->have >= 2 && c->have >= 2 + ds_get16(c->buf)) {
			size_t len = ds_get16(c->buf);
			memcpy(msg, c->buf + 2, len);
			memmove(c->buf, c->buf + 2 + len, c->have - 2 - len);
			c->have -= 2 + len;
			return (int)len;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		ssize_t n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, MSG_DONTWAIT);
		if (n == 0)
			return -2;
		if (n > 0) {
			c->have += (size_t)n;
			continue;
		}
		usleep(5000);
	}
	return -1;
}

static void pump(int ms)
{
	for (int i = 0; i < ms / 5 + 1; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(5000);
	}
}

static void connect_to(struct conn *c, const struct sockaddr_in *server)
{
	c->have = 0;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(c->fd >= 0);
	REQUIRE(connect(c->fd, (const struct sockaddr *)server, sizeof(*server)) == 0);
	pump(20); /* let the listener accept it */
}

static void send_all(struct conn *c, const unsigned char *data, size_t len)
{
	REQUIRE(send(c->fd, data, len, 0) == (ssize_t)len);
}

static void respond_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	struct evdns_server_request *req = saved;
	saved = NULL;
	REQUIRE(req);
	static const unsigned char addr[4] = { 192, 0, 2, 9 };
	evdns_server_request_add_a_reply(req, req->questions[0]->name, 1, addr, 60);
	late_result = evdns_server_request_respond(req, 0);
}

static void server_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	callbacks++;
	REQUIRE(req->nquestions == 1);
	const char *name = req->questions[0]->name;
	CHECK_INT_EQ(req->flags, 0x100);

	if (!strcmp(name, "a.example.com")) {
		static const unsigned char addrs[8] = { 10, 0, 0, 1, 10, 0, 0, 2 };
		CHECK_INT_EQ(evdns_server_request_add_a_reply(req, name, 2, addrs, 3600), 0);
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else if (!strcmp(name, "big.example.com")) {
		for (int i = 0; i < 60; i++) {
			unsigned char addr[4] = { 10, 1, 0, (unsigned char)i };
			CHECK_INT_EQ(evdns_server_request_add_a_reply(req, name, 1, addr, 10), 0);
		}
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else if (!strcmp(name, "later.example.com")) {
		saved = req;
		struct timeval tv = { 0, 50000 };
		CHECK_INT_EQ(event_base_once(base, -1, EV_TIMEOUT, respond_later, NULL, &tv), 0);
	} else if (!strcmp(name, "closeport.example.com")) {
		/* Closed from the callback, with a second query already buffered. */
		evdns_close_server_port(port_to_close);
		close_result = evdns_server_request_respond(req, 0);
	} else if (!strcmp(name, "hold.example.com")) {
		saved = req;
	} else if (!strcmp(name, "addr.example.com")) {
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof(ss));
		/* evrs gives the connection's peer (libevent 2.2 copies nothing and answers 0). */
		int len = evdns_server_request_get_requesting_addr(req, (struct sockaddr *)&ss, sizeof(ss));
		CHECK_INT_EQ(len, sizeof(struct sockaddr_in));
		memcpy(&last_client, &ss, sizeof(last_client));
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else {
		CHECK_INT_EQ(evdns_server_request_respond(req, DNS_ERR_REFUSED), 0);
	}
}

int main(void)
{
	unsigned char query[1024], msg[70000];
	size_t qlen;
	int len;

	base = event_base_new();
	REQUIRE(base);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct evconnlistener *lev = evconnlistener_new_bind(base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	REQUIRE(lev);
	struct sockaddr_in server;
	socklen_t slen = sizeof(server);
	REQUIRE(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&server, &slen) == 0);

	CHECK(evdns_add_server_port_with_listener(base, NULL, 0, server_cb, NULL) == NULL);
	CHECK(evdns_add_server_port_with_listener(base, lev, 1, server_cb, NULL) == NULL);
	struct evdns_server_port *port = evdns_add_server_port_with_listener(base, lev, 0, server_cb, NULL);
	REQUIRE(port);
	CHECK_INT_EQ(evdns_server_port_set_option(port, (enum evdns_server_option)99, 1), -1);

	/* The options are for TCP ports only. */
	{
		int ufd = socket(AF_INET, SOCK_DGRAM, 0);
		evutil_make_socket_nonblocking(ufd);
		struct evdns_server_port *udp = evdns_add_server_port_with_base(base, ufd, 0, server_cb, NULL);
		REQUIRE(udp);
		CHECK_INT_EQ(evdns_server_port_set_option(udp, EVDNS_SOPT_TCP_MAX_CLIENTS, 3), -1);
		CHECK_INT_EQ(evdns_server_port_set_option(udp, EVDNS_SOPT_TCP_IDLE_TIMEOUT, 3), -1);
		evdns_close_server_port(udp);
	}

	static struct conn c1, c2, c3;
	connect_to(&c1, &server);

	/* Two queries in one write: two replies, in order. */
	qlen = framed_query(query, 0x0101, "a.example.com", EVDNS_TYPE_A);
	qlen += framed_query(query + qlen, 0x0102, "other.example.com", EVDNS_TYPE_A);
	send_all(&c1, query, qlen);
	len = read_reply(&c1, msg, 2000);
	{
		static const unsigned char expected[] = { 0x01, 0x01, 0x81, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
			1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
			0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 8, 10, 0, 0, 1, 10, 0, 0, 2 };
		CHECK_INT_EQ(len, sizeof(expected));
		if (len == sizeof(expected))
			CHECK_MEM_EQ(msg, expected, sizeof(expected));
	}
	len = read_reply(&c1, msg, 2000);
	CHECK(len >= 12);
	CHECK_UINT_EQ(ds_get16(msg), 0x0102);
	CHECK_UINT_EQ(ds_get16(msg + 2), 0x8105);

	/* One query in three pieces. */
	qlen = framed_query(query, 0x0103, "a.example.com", EVDNS_TYPE_A);
	send_all(&c1, query, 1);
	pump(20);
	send_all(&c1, query + 1, 6);
	pump(20);
	send_all(&c1, query + 7, qlen - 7);
	len = read_reply(&c1, msg, 2000);
	CHECK(len > 12 && ds_get16(msg) == 0x0103);

	/* Malformed messages are skipped; the connection goes on. */
	{
		static const unsigned char junk[] = { 0, 3, 1, 2, 3, 0, 5, 0x80, 0, 0, 0, 0 };
		int before = callbacks;
		send_all(&c1, junk, sizeof(junk));
		qlen = framed_query(query, 0x0104, "a.example.com", EVDNS_TYPE_A);
		send_all(&c1, query, qlen);
		len = read_reply(&c1, msg, 2000);
		CHECK(len > 12 && ds_get16(msg) == 0x0104);
		CHECK_INT_EQ(callbacks, before + 1);
	}

	/* No 512-byte limit over TCP. */
	qlen = framed_query(query, 0x0105, "big.example.com", EVDNS_TYPE_A);
	send_all(&c1, query, qlen);
	len = read_reply(&c1, msg, 2000);
	CHECK(len > 512);
	CHECK_UINT_EQ(ds_get16(msg + 2), 0x8100);
	CHECK_UINT_EQ(ds_get16(msg + 6), 60);

	/* Answered later. */
	qlen = framed_query(query, 0x0106, "later.example.com", EVDNS_TYPE_A);
	send_all(&c1, query, qlen);
	len = read_reply(&c1, msg, 2000);
	CHECK(len > 12 && ds_get16(msg) == 0x0106);
	CHECK_UINT_EQ(ds_get16(msg + 6), 1);
	CHECK_INT_EQ(late_result, 0);

	/* The client's address. */
	qlen = framed_query(query, 0x0107, "addr.example.com", EVDNS_TYPE_A);
	send_all(&c1, query, qlen);
	len = read_reply(&c1, msg, 2000);
	CHECK(len > 12 && ds_get16(msg) == 0x0107);
	{
		struct sockaddr_in mine;
		socklen_t mine_len = sizeof(mine);
		getsockname(c1.fd, (struct sockaddr *)&mine, &mine_len);
		CHECK_INT_EQ(last_client.sin_port, mine.sin_port);
		CHECK_INT_EQ(last_client.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	}

	/* At most one client: a second connection is closed at once. */
	CHECK_INT_EQ(evdns_server_port_set_option(port, EVDNS_SOPT_TCP_MAX_CLIENTS, 1), 0);
	connect_to(&c2, &server);
	CHECK_INT_EQ(read_reply(&c2, msg, 1000), -2);
	close(c2.fd);
	CHECK_INT_EQ(evdns_server_port_set_option(port, EVDNS_SOPT_TCP_MAX_CLIENTS, 10), 0);

	/* A zero length ends the connection. */
	connect_to(&c2, &server);
	{
		static const unsigned char zero[] = { 0, 0 };
		send_all(&c2, zero, 2);
	}
	CHECK_INT_EQ(read_reply(&c2, msg, 1000), -2);
	close(c2.fd);

	/* Idle connections are closed after the idle timeout (new connections). */
	CHECK_INT_EQ(evdns_server_port_set_option(port, EVDNS_SOPT_TCP_IDLE_TIMEOUT, 1), 0);
	connect_to(&c2, &server);
	CHECK_INT_EQ(read_reply(&c2, msg, 400), -1);
	CHECK_INT_EQ(read_reply(&c2, msg, 3000), -2);
	close(c2.fd);
	CHECK_INT_EQ(evdns_server_port_set_option(port, EVDNS_SOPT_TCP_IDLE_TIMEOUT, 10), 0);

	/* A client that sends many queries and reads nothing for a while: the server
	 * stops taking its queries while 256 KiB of replies wait, then answers them all
	 * once the client reads. Small socket buffers keep the replies in the server. */
	{
		int small = 4096;
		setsockopt(evconnlistener_get_fd(lev), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
		static struct conn c4;
		c4.have = 0;
		c4.fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(c4.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		REQUIRE(connect(c4.fd, (struct sockaddr *)&server, sizeof(server)) == 0);
		pump(20);
		enum { MANY = 400 };
		static unsigned char many[MANY * 40];
		size_t at = 0;
		for (int i = 0; i < MANY; i++)
			at += framed_query(many + at, (unsigned)i, "big.example.com", EVDNS_TYPE_A);
		int start = callbacks;
		send_all(&c4, many, at);
		pump(300);
		/* evrs only: libevent takes every query. */
		CHECK(callbacks - start > 100);
		CHECK(callbacks - start < MANY);
		int got = 0;
		for (int i = 0; i < MANY; i++) {
			len = read_reply(&c4, msg, 3000);
			if (len < 12 || ds_get16(msg) != (unsigned)i)
				break;
			got++;
		}
		CHECK_INT_EQ(got, MANY);
		close(c4.fd);
		pump(20);
	}

	/* A client gone before its reply: the reply is dropped. */
	connect_to(&c3, &server);
	qlen = framed_query(query, 0x0108, "later.example.com", EVDNS_TYPE_A);
	send_all(&c3, query, qlen);
	pump(10);
	close(c3.fd);
	late_result = -99;
	pump(200);
	CHECK(saved == NULL);
	CHECK_INT_EQ(late_result, 0);

	/* Closing the port with a request outstanding closes the connections; the
	 * request can still be answered (the reply goes nowhere). */
	qlen = framed_query(query, 0x0109, "hold.example.com", EVDNS_TYPE_A);
	send_all(&c1, query, qlen);
	pump(50);
	REQUIRE(saved);
	evdns_close_server_port(port);
	CHECK_INT_EQ(read_reply(&c1, msg, 1000), -2);
	close(c1.fd);
	late_result = -99;
	respond_later(-1, 0, NULL);
	CHECK_INT_EQ(late_result, 0);

	/* The listener went with the port: nobody accepts any more. */
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(connect(fd, (struct sockaddr *)&server, sizeof(server)) != 0);
		close(fd);
	}

	/* A port closed from its callback while reading: the connection goes, the
	 * query after it is not handed over, the callback's reply is dropped. */
	{
		struct evconnlistener *lev2 = evconnlistener_new_bind(base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
		REQUIRE(lev2);
		struct sockaddr_in server2;
		slen = sizeof(server2);
		REQUIRE(getsockname(evconnlistener_get_fd(lev2), (struct sockaddr *)&server2, &slen) == 0);
		port_to_close = evdns_add_server_port_with_listener(base, lev2, 0, server_cb, NULL);
		REQUIRE(port_to_close);
		static struct conn c5;
		connect_to(&c5, &server2);
		qlen = framed_query(query, 0x0201, "closeport.example.com", EVDNS_TYPE_A);
		qlen += framed_query(query + qlen, 0x0202, "a.example.com", EVDNS_TYPE_A);
		int before = callbacks;
		send_all(&c5, query, qlen);
		CHECK_INT_EQ(read_reply(&c5, msg, 1000), -2);
		CHECK_INT_EQ(callbacks, before + 1);
		CHECK_INT_EQ(close_result, 0);
		close(c5.fd);
	}

	event_base_free(base);
	return check_report();
}
