/* SPDX-License-Identifier: BSD-3-Clause */
/* evdns_getaddrinfo with EVUTIL_AI_CANONNAME through a CNAME to a name of the greatest
 * length DNS allows (253 characters, 255 bytes on the wire): the whole name comes back
 * as ai_canonname, from our server code and from the fake server alike. (libevent 2.2's
 * getaddrinfo_async checks this with a name of 254 characters, 256 bytes on the wire,
 * one more than RFC 1035 allows, which evdns refuses to send or read.) */
// test: evrs-only libevent 2.1 fails canonical names longer than 63 characters (its HOST_NAME_MAX buffer; fixed in 2.2)
#include "dns_support.h"
#include <event2/dns_struct.h>

struct gai_result {
	int calls;
	int err;
	struct evutil_addrinfo *ai;
};

static void gai_cb(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct gai_result *r = arg;
	r->calls++;
	r->err = err;
	r->ai = ai;
}

/* Labels of 63, 63, 63 and 61 characters: 253 in all with the dots. */
static void make_long_name(char *out, size_t cap)
{
	static const char letters[] = "abcd";
	size_t at = 0;
	int label, i;
	for (label = 0; label < 4; label++) {
		int len = label < 3 ? 63 : 61;
		if (label > 0)
			out[at++] = '.';
		for (i = 0; i < len && at < cap - 1; i++)
			out[at++] = letters[label];
	}
	out[at] = 0;
}

static void resolve_long(struct event_base *base, struct evdns_base *dns, const char *owner,
    const char *target)
{
	struct evutil_addrinfo hints;
	struct gai_result r;
	struct sockaddr_in *sin;

	memset(&r, 0, sizeof(r));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = PF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_CANONNAME;
	(void)evdns_getaddrinfo(dns, owner, "8000", &hints, gai_cb, &r);
	CHECK(ds_run_until(base, &r.calls, 1, 5));
	CHECK_INT_EQ(r.calls, 1);
	CHECK_INT_EQ(r.err, 0);
	REQUIRE(r.ai != NULL);
	CHECK(r.ai->ai_next == NULL);
	CHECK_INT_EQ(r.ai->ai_family, AF_INET);
	sin = (struct sockaddr_in *)r.ai->ai_addr;
	CHECK_INT_EQ(ntohl(sin->sin_addr.s_addr), 0x0a010203);
	CHECK_INT_EQ(ntohs(sin->sin_port), 8000);
	REQUIRE(r.ai->ai_canonname != NULL);
	CHECK_INT_EQ(strlen(r.ai->ai_canonname), 253);
	CHECK_STR_EQ(r.ai->ai_canonname, target);
	evutil_freeaddrinfo(r.ai);
}

/* The fake server's side: a CNAME to the long name, and for A its address, the
 * owner pointing at the CNAME's target so that the reply fits in 512 bytes. */
static int fake_handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *m, void *arg)
{
	const char *target = arg;
	size_t target_at;
	(void)s;
	ds_reply_start(m, q, 0);
	/* The CNAME's data starts after its owner pointer (2), type, class, TTL and
	 * length (10). */
	target_at = m->len + 12;
	ds_add_name_rr(m, DS_ANSWER, NULL, DS_TYPE_CNAME, 60, target);
	if (q->qtype == DS_TYPE_A) {
		ds_put16(m, 0xc000 | (unsigned)target_at);
		ds_put16(m, DS_TYPE_A);
		ds_put16(m, 1);
		ds_put32(m, 60);
		ds_put16(m, 4);
		ds_put32(m, 0x0a010203);
		ds_count_rr(m, DS_ANSWER);
	}
	return 1;
}

/* The evdns server's side: a CNAME to the long name and its address. */
static void server_cb(struct evdns_server_request *req, void *arg)
{
	const char *target = arg;
	const struct evdns_server_question *q = req->questions[0];
	ev_uint32_t addr = htonl(0x0a010203);
	if (req->nquestions == 1 && q->type == EVDNS_TYPE_A) {
		CHECK_INT_EQ(evdns_server_request_add_cname_reply(req, q->name, target, 60), 0);
		CHECK_INT_EQ(evdns_server_request_add_a_reply(req, target, 1, &addr, 60), 0);
	}
	CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
}

int main(void)
{
	static char target[256];
	struct ds_server s;
	struct event_base *base;
	struct evdns_base *dns;
	struct evdns_server_port *port;
	struct sockaddr_in sin;
	ev_socklen_t len = sizeof(sin);
	evutil_socket_t fd;
	char addr[64];

	ds_quiet_logs();
	make_long_name(target, sizeof(target));
	REQUIRE(strlen(target) == 253);
	base = event_base_new();
	REQUIRE(base != NULL);

	/* From the fake server. */
	ds_server_start(&s);
	s.handler = fake_handler;
	s.handler_arg = target;
	dns = ds_base_for(base, &s);
	resolve_long(base, dns, "long.example.test", target);
	evdns_base_free(dns, 0);
	s.handler = NULL;
	ds_server_stop(&s);

	/* From an evdns server port on the same loop. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	REQUIRE(evutil_make_socket_nonblocking(fd) == 0);
	port = evdns_add_server_port_with_base(base, fd, 0, server_cb, target);
	REQUIRE(port != NULL);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sin.sin_port));
	dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, addr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.5") == 0);
	resolve_long(base, dns, "Long.Example.Test", target);
	evdns_base_free(dns, 0);
	evdns_close_server_port(port);
	evutil_closesocket(fd);

	event_base_free(base);
	return check_report();
}
