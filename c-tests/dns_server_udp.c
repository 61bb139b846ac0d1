/* The DNS server on a UDP socket, driven by a client written with plain sockets: the
 * request the callback sees (flags, questions in dns_struct.h's layout), the bytes of
 * the replies (name compression, flags, counts), every add_*_reply kind, set_flags,
 * the result codes of respond (including a bad one), get_requesting_addr, drop,
 * answering later from a timer, a reply over 512 bytes cut with TC, malformed packets
 * and replies sent to the server ignored, a flood of bogus packets, and closing the
 * port with a request outstanding (the port and its socket go after the reply). */
// test: per-backend
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "dns_support.h"

static struct event_base *base;
static int client_fd;
static struct sockaddr_in server_addr;
static int callbacks;
static struct evdns_server_request *saved;
static struct evdns_server_port *closing_port;

/* Runs the loop until a reply arrives on the client socket (its length) or about
 * `ms` milliseconds pass (-1). */
static int wait_reply(unsigned char *reply, size_t room, int ms)
{
	for (int i = 0; i < ms / 5 + 1; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		ssize_t n = recv(client_fd, reply, room, MSG_DONTWAIT);
		if (n >= 0)
			return (int)n;
		usleep(5000);
	}
	return -1;
}

static int exchange(const unsigned char *query, size_t len, unsigned char *reply, size_t room)
{
	REQUIRE(sendto(client_fd, query, len, 0, (struct sockaddr *)&server_addr,
		    sizeof(server_addr)) == (ssize_t)len);
	return wait_reply(reply, room, 2000);
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
	CHECK_INT_EQ(evdns_server_request_add_a_reply(req, req->questions[0]->name, 1, addr, 60), 0);
	CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
}

static void server_cb(struct evdns_server_request *req, void *arg)
{
	CHECK(arg == &callbacks);
	callbacks++;
	REQUIRE(req->nquestions >= 1);
	const char *name = req->questions[0]->name;
	int type = req->questions[0]->type;
	CHECK_INT_EQ(req->questions[0]->dns_question_class, EVDNS_CLASS_INET);

	if (!strcmp(name, "a.example.com")) {
		static const unsigned char addrs[8] = { 10, 0, 0, 1, 10, 0, 0, 2 };
		CHECK_INT_EQ(req->flags, 0x100); /* RD kept */
		CHECK_INT_EQ(type, EVDNS_TYPE_A);
		CHECK_INT_EQ(evdns_server_request_add_a_reply(req, name, 2, addrs, 3600), 0);
		evdns_server_request_set_flags(req, EVDNS_FLAGS_AA);
		CHECK_INT_EQ(evdns_server_request_respond(req, DNS_ERR_NONE), 0);
	} else if (!strcmp(name, "aaaa.example.com")) {
		struct in6_addr a6;
		inet_pton(AF_INET6, "2001:db8::1", &a6);
		CHECK_INT_EQ(req->flags, 0);
		CHECK_INT_EQ(type, EVDNS_TYPE_AAAA);
		CHECK_INT_EQ(evdns_server_request_add_aaaa_reply(req, name, 1, &a6, 7), 0);
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else if (!strcmp(name, "4.3.2.1.in-addr.arpa")) {
		struct in_addr in;
		inet_pton(AF_INET, "1.2.3.4", &in);
		CHECK_INT_EQ(type, EVDNS_TYPE_PTR);
		/* Exactly one of the address and the name. */
		CHECK_INT_EQ(evdns_server_request_add_ptr_reply(req, &in, name, "x", 1), -1);
		CHECK_INT_EQ(evdns_server_request_add_ptr_reply(req, NULL, NULL, "x", 1), -1);
		CHECK_INT_EQ(evdns_server_request_add_ptr_reply(req, &in, NULL, "host.example.com", 5), 0);
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else if (!strcmp(name, "9.9.10.10.in-addr.arpa")) {
		CHECK_INT_EQ(evdns_server_request_add_ptr_reply(req, NULL, name, "ten.example.com", 5), 0);
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else if (!strcmp(name, "cname.example.com")) {
		CHECK_INT_EQ(evdns_server_request_add_cname_reply(req, name, "target.example.com", 300), 0);
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else if (!strcmp(name, "generic.example.com")) {
		CHECK_INT_EQ(evdns_server_request_add_reply(req, 3, "example.com", 16, 1, 1, 6, 0, "\x05hello"), -1);
		CHECK_INT_EQ(evdns_server_request_add_reply(req, EVDNS_AUTHORITY_SECTION, "example.com",
				     EVDNS_TYPE_TXT, EVDNS_CLASS_INET, 1, 6, 0, "\x05hello"), 0);
		CHECK_INT_EQ(evdns_server_request_add_reply(req, EVDNS_ADDITIONAL_SECTION, "ns.example.com",
				     EVDNS_TYPE_NS, EVDNS_CLASS_INET, 2, -1, 1, "ns.example.com"), 0);
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else if (!strcmp(name, "two.example.com")) {
		CHECK_INT_EQ(req->nquestions, 2);
		CHECK_STR_EQ(req->questions[1]->name, "q2.example.com");
		CHECK_INT_EQ(req->questions[1]->type, EVDNS_TYPE_AAAA);
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else if (!strcmp(name, "big.example.com")) {
		for (int i = 0; i < 60; i++) {
			unsigned char addr[4] = { 10, 1, 0, (unsigned char)i };
			CHECK_INT_EQ(evdns_server_request_add_a_reply(req, name, 1, addr, 10), 0);
		}
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else if (!strcmp(name, "error.example.com")) {
		CHECK_INT_EQ(evdns_server_request_respond(req, 16), -1);
		CHECK_INT_EQ(evdns_server_request_respond(req, -1), -1);
		CHECK_INT_EQ(evdns_server_request_respond(req, DNS_ERR_NOTEXIST), 0);
	} else if (!strcmp(name, "drop.example.com")) {
		CHECK_INT_EQ(evdns_server_request_drop(req), 0);
	} else if (!strcmp(name, "later.example.com")) {
		saved = req;
		struct timeval tv = { 0, 30000 };
		CHECK_INT_EQ(event_base_once(base, -1, EV_TIMEOUT, respond_later, NULL, &tv), 0);
	} else if (!strcmp(name, "close.example.com")) {
		saved = req;
		evdns_close_server_port(closing_port);
		struct timeval tv = { 0, 30000 };
		CHECK_INT_EQ(event_base_once(base, -1, EV_TIMEOUT, respond_later, NULL, &tv), 0);
	} else if (!strcmp(name, "addr.example.com")) {
		struct sockaddr_storage ss;
		struct sockaddr_in mine;
		socklen_t mine_len = sizeof(mine);
		getsockname(client_fd, (struct sockaddr *)&mine, &mine_len);
		memset(&ss, 0, sizeof(ss));
		CHECK_INT_EQ(evdns_server_request_get_requesting_addr(req, (struct sockaddr *)&ss, 4), -1);
		int len = evdns_server_request_get_requesting_addr(req, (struct sockaddr *)&ss, sizeof(ss));
		CHECK_INT_EQ(len, sizeof(struct sockaddr_in));
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
		CHECK_INT_EQ(sin->sin_family, AF_INET);
		CHECK_INT_EQ(sin->sin_port, mine.sin_port);
		CHECK_INT_EQ(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else {
		CHECK_INT_EQ(evdns_server_request_respond(req, DNS_ERR_REFUSED), 0);
	}
}

static int udp_socket(struct sockaddr_in *bound)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(fd >= 0);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	socklen_t len = sizeof(*bound);
	REQUIRE(getsockname(fd, (struct sockaddr *)bound, &len) == 0);
	evutil_make_socket_nonblocking(fd);
	return fd;
}

/* The reply must be the query's header and question, then `rest`. */
static void check_reply(const unsigned char *reply, int len, const unsigned char *query, size_t qlen,
    unsigned flags, unsigned an, unsigned ns, unsigned ar, const unsigned char *rest, size_t rest_len)
{
	REQUIRE(len >= 12);
	CHECK_UINT_EQ(ds_get16(reply), ds_get16(query));
	CHECK_UINT_EQ(ds_get16(reply + 2), flags);
	CHECK_UINT_EQ(ds_get16(reply + 4), 1);
	CHECK_UINT_EQ(ds_get16(reply + 6), an);
	CHECK_UINT_EQ(ds_get16(reply + 8), ns);
	CHECK_UINT_EQ(ds_get16(reply + 10), ar);
	CHECK_INT_EQ(len, (int)(qlen + rest_len));
	if (len == (int)(qlen + rest_len)) {
		CHECK_MEM_EQ(reply + 12, query + 12, qlen - 12);
		CHECK_MEM_EQ(reply + qlen, rest, rest_len);
	}
}

int main(void)
{
	unsigned char query[512], reply[2048];
	size_t qlen;
	int len;

	base = event_base_new();
	REQUIRE(base);
	int server_fd = udp_socket(&server_addr);
	struct evdns_server_port *port =
	    evdns_add_server_port_with_base(base, server_fd, 0, server_cb, &callbacks);
	REQUIRE(port);
	/* Flags are reserved. */
	struct sockaddr_in unused;
	int other_fd = udp_socket(&unused);
	CHECK(evdns_add_server_port_with_base(base, other_fd, 1, server_cb, NULL) == NULL);
	close(other_fd);

	struct sockaddr_in client_addr;
	client_fd = udp_socket(&client_addr);

	/* A records: two addresses in one record, the owner a pointer to the question. */
	qlen = ds_raw_query(query, 0x1234, 0x0100, "a.example.com", EVDNS_TYPE_A);
	len = exchange(query, qlen, reply, sizeof(reply));
	{
		static const unsigned char rest[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 8,
			10, 0, 0, 1, 10, 0, 0, 2 };
		check_reply(reply, len, query, qlen, 0x8000 | 0x0400 | 0x0100, 1, 0, 0, rest, sizeof(rest));
	}

	qlen = ds_raw_query(query, 0x0001, 0, "aaaa.example.com", EVDNS_TYPE_AAAA);
	len = exchange(query, qlen, reply, sizeof(reply));
	{
		static const unsigned char rest[] = { 0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 7, 0, 16,
			0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
		check_reply(reply, len, query, qlen, 0x8000, 1, 0, 0, rest, sizeof(rest));
	}

	/* PTR from an address: the owner is the question's name. */
	qlen = ds_raw_query(query, 0x0002, 0x0100, "4.3.2.1.in-addr.arpa", EVDNS_TYPE_PTR);
	len = exchange(query, qlen, reply, sizeof(reply));
	{
		static const unsigned char rest[] = { 0xc0, 0x0c, 0, 12, 0, 1, 0, 0, 0, 5, 0, 18,
			4, 'h', 'o', 's', 't', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
		check_reply(reply, len, query, qlen, 0x8100, 1, 0, 0, rest, sizeof(rest));
	}
	qlen = ds_raw_query(query, 0x0003, 0, "9.9.10.10.in-addr.arpa", EVDNS_TYPE_PTR);
	len = exchange(query, qlen, reply, sizeof(reply));
	{
		static const unsigned char rest[] = { 0xc0, 0x0c, 0, 12, 0, 1, 0, 0, 0, 5, 0, 17,
			3, 't', 'e', 'n', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
		check_reply(reply, len, query, qlen, 0x8000, 1, 0, 0, rest, sizeof(rest));
	}

	/* CNAME: the target's suffix points into the question. */
	qlen = ds_raw_query(query, 0x0004, 0, "cname.example.com", EVDNS_TYPE_A);
	len = exchange(query, qlen, reply, sizeof(reply));
	{
		static const unsigned char rest[] = { 0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 1, 0x2c, 0, 9,
			6, 't', 'a', 'r', 'g', 'e', 't', 0xc0, 0x12 };
		check_reply(reply, len, query, qlen, 0x8000, 1, 0, 0, rest, sizeof(rest));
	}

	/* Any record, in the authority and additional sections; a name as data. */
	qlen = ds_raw_query(query, 0x0005, 0, "generic.example.com", EVDNS_TYPE_A);
	len = exchange(query, qlen, reply, sizeof(reply));
	{
		static const unsigned char rest[] = {
			0xc0, 0x14, 0, 16, 0, 1, 0, 0, 0, 1, 0, 6, 5, 'h', 'e', 'l', 'l', 'o',
			2, 'n', 's', 0xc0, 0x14, 0, 2, 0, 1, 0, 0, 0, 2, 0, 2, 0xc0, 0x37 };
		check_reply(reply, len, query, qlen, 0x8000, 0, 1, 1, rest, sizeof(rest));
	}

	/* Two questions: both echoed, the second compressed. */
	{
		size_t at = 0;
		at += ds_raw_put16(query + at, 0x0006);
		at += ds_raw_put16(query + at, 0);
		at += ds_raw_put16(query + at, 2);
		at += ds_raw_put16(query + at, 0);
		at += ds_raw_put16(query + at, 0);
		at += ds_raw_put16(query + at, 0);
		at += ds_raw_put_name(query + at, "two.example.com");
		at += ds_raw_put16(query + at, 1);
		at += ds_raw_put16(query + at, 1);
		at += ds_raw_put_name(query + at, "q2.example.com");
		at += ds_raw_put16(query + at, 28);
		at += ds_raw_put16(query + at, 1);
		len = exchange(query, at, reply, sizeof(reply));
		static const unsigned char expected[] = { 0, 6, 0x80, 0, 0, 2, 0, 0, 0, 0, 0, 0,
			3, 't', 'w', 'o', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
			2, 'q', '2', 0xc0, 0x10, 0, 28, 0, 1 };
		CHECK_INT_EQ(len, sizeof(expected));
		if (len == sizeof(expected))
			CHECK_MEM_EQ(reply, expected, sizeof(expected));
	}

	/* Over 512 bytes: cut, with TC. */
	qlen = ds_raw_query(query, 0x0007, 0, "big.example.com", EVDNS_TYPE_A);
	len = exchange(query, qlen, reply, sizeof(reply));
	CHECK(len > 0 && len <= 512);
	CHECK_UINT_EQ(ds_get16(reply + 2), 0x8000 | 0x0200);
#if LIBEVENT_VERSION_NUMBER >= 0x02020000
	/* evrs leaves out whole records and counts what it wrote (libevent cuts the
	 * message at 512 bytes and keeps the counts). */
	CHECK_UINT_EQ(ds_get16(reply + 6), (unsigned)(len - (int)qlen) / 16);
	CHECK_INT_EQ((len - (int)qlen) % 16, 0);
#endif

	/* Response codes; a bad one is refused and the request stays usable. */
	qlen = ds_raw_query(query, 0x0008, 0x0100, "error.example.com", EVDNS_TYPE_A);
	len = exchange(query, qlen, reply, sizeof(reply));
	check_reply(reply, len, query, qlen, 0x8103, 0, 0, 0, NULL, 0);

	/* The client's address. */
	qlen = ds_raw_query(query, 0x0009, 0, "addr.example.com", EVDNS_TYPE_A);
	len = exchange(query, qlen, reply, sizeof(reply));
	check_reply(reply, len, query, qlen, 0x8000, 0, 0, 0, NULL, 0);

	/* Dropped: no reply. */
	int before = callbacks;
	qlen = ds_raw_query(query, 0x000a, 0, "drop.example.com", EVDNS_TYPE_A);
	REQUIRE(sendto(client_fd, query, qlen, 0, (struct sockaddr *)&server_addr, sizeof(server_addr)) == (ssize_t)qlen);
	CHECK_INT_EQ(wait_reply(reply, sizeof(reply), 200), -1);
	CHECK_INT_EQ(callbacks, before + 1);

	/* Answered later, from a timer. */
	qlen = ds_raw_query(query, 0x000b, 0, "later.example.com", EVDNS_TYPE_A);
	len = exchange(query, qlen, reply, sizeof(reply));
	{
		static const unsigned char rest[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 9 };
		check_reply(reply, len, query, qlen, 0x8000, 1, 0, 0, rest, sizeof(rest));
	}
	CHECK(saved == NULL);

	/* Bad packets are ignored: too short, a reply, a cut question, a pointer loop,
	 * a label past the end; then a flood of them. */
	before = callbacks;
	{
		static const unsigned char shortp[] = { 1, 2, 3 };
		static const unsigned char answer[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
			1, 'a', 0, 0, 1, 0, 1 };
		static const unsigned char cut[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'a', 'b' };
		static const unsigned char loop[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
		static const unsigned char many[] = { 0, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1 };
		const unsigned char *bad[] = { answer, cut, loop, many, shortp };
		size_t bad_len[] = { sizeof(answer), sizeof(cut), sizeof(loop), sizeof(many), sizeof(shortp) };
#if LIBEVENT_VERSION_NUMBER >= 0x02020000
		const int kinds = 5;
#else
		/* libevent 2.1 crashes on a packet shorter than a header. */
		const int kinds = 4;
#endif
		for (int round = 0; round < 400; round++) {
			for (int i = 0; i < kinds; i++)
				sendto(client_fd, bad[i], bad_len[i], 0, (struct sockaddr *)&server_addr, sizeof(server_addr));
			if (round % 20 == 0)
				event_base_loop(base, EVLOOP_NONBLOCK);
		}
		CHECK_INT_EQ(wait_reply(reply, sizeof(reply), 100), -1);
		for (int i = 0; i < 20; i++)
			event_base_loop(base, EVLOOP_NONBLOCK);
	}
	CHECK_INT_EQ(callbacks, before);
	qlen = ds_raw_query(query, 0x000c, 0x0100, "a.example.com", EVDNS_TYPE_A);
	len = exchange(query, qlen, reply, sizeof(reply));
	CHECK(len > 12 && ds_get16(reply) == 0x000c);
	CHECK_INT_EQ(callbacks, before + 1);

	evdns_close_server_port(port);
	/* The socket went with the port. */
	CHECK_INT_EQ(fcntl(server_fd, F_GETFD), -1);

	/* Closed from its callback with the request outstanding: the reply still goes
	 * out, and the socket is closed after it. */
	server_fd = udp_socket(&server_addr);
	closing_port = evdns_add_server_port_with_base(base, server_fd, 0, server_cb, &callbacks);
	REQUIRE(closing_port);
	qlen = ds_raw_query(query, 0x000d, 0, "close.example.com", EVDNS_TYPE_A);
	len = exchange(query, qlen, reply, sizeof(reply));
	{
		static const unsigned char rest[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 9 };
		check_reply(reply, len, query, qlen, 0x8000, 1, 0, 0, rest, sizeof(rest));
	}
	CHECK_INT_EQ(fcntl(server_fd, F_GETFD), -1);

	close(client_fd);
	event_base_free(base);
	return check_report();
}
