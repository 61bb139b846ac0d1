/* The DNS server's answers to what libevent crashes on or gets wrong, and EDNS (2.2):
 * a query with an OPT record gets replies up to its UDP size and an OPT record back;
 * another opcode than QUERY is answered NOTIMPL without the callback (libevent means
 * to, but its test never fires); NULL and invalid arguments fail cleanly; names that
 * cannot be written are refused when added; packets shorter than a header and
 * thousands of mutated queries are survived. */
// test: evrs-only libevent crashes on NULL arguments and short packets
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#include <arpa/inet.h>
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

/* "big.example.com" A, with an OPT record of `udp_size` when it is not 0. */
static size_t build_query(unsigned char *out, unsigned id, unsigned flags, unsigned udp_size)
{
	size_t at = ds_raw_query(out, id, flags, "big.example.com", 1);
	ds_raw_put16(out + 10, udp_size ? 1 : 0);	/* arcount */
	if (udp_size) {
		out[at++] = 0;
		at += ds_raw_put16(out + at, 41);
		at += ds_raw_put16(out + at, udp_size);
		at += ds_raw_put16(out + at, 0);
		at += ds_raw_put16(out + at, 0);
		at += ds_raw_put16(out + at, 0);
	}
	return at;
}

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

static void server_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	callbacks++;
	if (req->nquestions == 1 && !strcmp(req->questions[0]->name, "big.example.com")) {
		for (int i = 0; i < 60; i++) {
			unsigned char addr[4] = { 10, 1, 0, (unsigned char)i };
			CHECK_INT_EQ(evdns_server_request_add_a_reply(req, "big.example.com", 1, addr, 10), 0);
		}
		/* Arguments that cannot make a record. */
		CHECK_INT_EQ(evdns_server_request_add_reply(req, 0, NULL, 1, 1, 1, 0, 0, NULL), -1);
		CHECK_INT_EQ(evdns_server_request_add_a_reply(req, "x", -1, "abcd", 1), -1);
		CHECK_INT_EQ(evdns_server_request_add_reply(req, 0, "x", 1, 1, 1, -5, 0, "abcd"), -1);
		CHECK_INT_EQ(evdns_server_request_add_reply(req, 0, "a..b", 1, 1, 1, 0, 0, NULL), -1);
		CHECK_INT_EQ(evdns_server_request_add_cname_reply(req, "x",
				     "a123456789012345678901234567890123456789012345678901234567890123.com", 1), -1);
		CHECK_INT_EQ(evdns_server_request_add_cname_reply(req, "x", NULL, 1), -1);
		CHECK_INT_EQ(evdns_server_request_add_ptr_reply(req, NULL, "x", NULL, 1), -1);
		CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
	} else {
		evdns_server_request_respond(req, DNS_ERR_REFUSED);
	}
}

static unsigned lcg_state = 12345;
static unsigned lcg(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return lcg_state >> 16;
}

int main(void)
{
	unsigned char query[600], reply[8192];
	size_t qlen;
	int len;

	base = event_base_new();
	REQUIRE(base);
	int server_fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&server_addr, 0, sizeof(server_addr));
	server_addr.sin_family = AF_INET;
	server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(server_fd, (struct sockaddr *)&server_addr, sizeof(server_addr)) == 0);
	socklen_t slen = sizeof(server_addr);
	REQUIRE(getsockname(server_fd, (struct sockaddr *)&server_addr, &slen) == 0);
	evutil_make_socket_nonblocking(server_fd);

	/* No socket: refused. No callback: queries are dropped (libevent's own tests
	 * make such ports; libevent crashes on their first query). */
	CHECK(evdns_add_server_port_with_base(base, -1, 0, server_cb, NULL) == NULL);
	{
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in quiet;
		memset(&quiet, 0, sizeof(quiet));
		quiet.sin_family = AF_INET;
		quiet.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		REQUIRE(bind(fd, (struct sockaddr *)&quiet, sizeof(quiet)) == 0);
		socklen_t qlen_addr = sizeof(quiet);
		getsockname(fd, (struct sockaddr *)&quiet, &qlen_addr);
		evutil_make_socket_nonblocking(fd);
		struct evdns_server_port *silent = evdns_add_server_port_with_base(base, fd, 0, NULL, NULL);
		REQUIRE(silent);
		int probe = socket(AF_INET, SOCK_DGRAM, 0);
		qlen = build_query(query, 0x0100, 0x0100, 0);
		sendto(probe, query, qlen, 0, (struct sockaddr *)&quiet, sizeof(quiet));
		for (int i = 0; i < 20; i++) {
			event_base_loop(base, EVLOOP_NONBLOCK);
			usleep(1000);
		}
		CHECK(recv(probe, reply, sizeof(reply), MSG_DONTWAIT) < 0);
		close(probe);
		evdns_close_server_port(silent);
	}
	struct evdns_server_port *port = evdns_add_server_port_with_base(base, server_fd, 0, server_cb, NULL);
	REQUIRE(port);

	/* NULL requests and ports. */
	CHECK_INT_EQ(evdns_server_request_respond(NULL, 0), -1);
	CHECK_INT_EQ(evdns_server_request_drop(NULL), -1);
	CHECK_INT_EQ(evdns_server_request_add_a_reply(NULL, "x", 1, "abcd", 1), -1);
	CHECK_INT_EQ(evdns_server_request_get_requesting_addr(NULL, NULL, 0), -1);
	evdns_server_request_set_flags(NULL, 0);
	CHECK_INT_EQ(evdns_server_port_set_option(NULL, EVDNS_SOPT_TCP_MAX_CLIENTS, 1), -1);
	evdns_close_server_port(NULL);

	client_fd = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(client_fd >= 0);

	/* EDNS: up to the client's size, with an OPT record back (class 512, as
	 * libevent 2.2). */
	qlen = build_query(query, 0x0201, 0x0100, 4096);
	len = exchange(query, qlen, reply, sizeof(reply));
	CHECK(len > 512);
	CHECK_UINT_EQ(ds_get16(reply + 2), 0x8100);
	CHECK_UINT_EQ(ds_get16(reply + 6), 60);
	CHECK_UINT_EQ(ds_get16(reply + 10), 1);
	if (len > 11) {
		static const unsigned char opt[] = { 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0 };
		CHECK_MEM_EQ(reply + len - 11, opt, 11);
	}
	/* A size below 512 counts as 512. */
	qlen = build_query(query, 0x0202, 0x0100, 100);
	len = exchange(query, qlen, reply, sizeof(reply));
	CHECK(len > 400 && len <= 512);
	CHECK_UINT_EQ(ds_get16(reply + 2), 0x8300);

	/* Another opcode (STATUS): NOTIMPL, question echoed, no callback. */
	int before = callbacks;
	qlen = build_query(query, 0x0203, 0x1100, 0);
	len = exchange(query, qlen, reply, sizeof(reply));
	CHECK_INT_EQ(len, (int)qlen);
	CHECK_UINT_EQ(ds_get16(reply + 2), 0x8104);
	CHECK_UINT_EQ(ds_get16(reply + 4), 1);
	CHECK_INT_EQ(callbacks, before);

	/* Short packets, then mutated and cut queries; whatever parses is answered. */
	for (unsigned n = 0; n < 12; n++) {
		static const unsigned char zeros[12];
		sendto(client_fd, zeros, n, 0, (struct sockaddr *)&server_addr, sizeof(server_addr));
	}
	for (int round = 0; round < 3000; round++) {
		qlen = build_query(query, 0x0300, 0x0100, (round & 1) ? 1232 : 0);
		int flips = 1 + (int)(lcg() % 4);
		for (int f = 0; f < flips; f++)
			query[lcg() % qlen] = (unsigned char)lcg();
		if (lcg() % 4 == 0)
			qlen = lcg() % qlen;
		sendto(client_fd, query, qlen, 0, (struct sockaddr *)&server_addr, sizeof(server_addr));
		if (round % 16 == 0) {
			event_base_loop(base, EVLOOP_NONBLOCK);
			while (recv(client_fd, reply, sizeof(reply), MSG_DONTWAIT) >= 0)
				;
		}
	}
	for (int i = 0; i < 40; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		while (recv(client_fd, reply, sizeof(reply), MSG_DONTWAIT) >= 0)
			;
		usleep(1000);
	}
	qlen = build_query(query, 0x0204, 0x0100, 0);
	len = exchange(query, qlen, reply, sizeof(reply));
	CHECK(len > 12 && ds_get16(reply) == 0x0204);

	evdns_close_server_port(port);
	close(client_fd);
	event_base_free(base);
	return check_report();
}
