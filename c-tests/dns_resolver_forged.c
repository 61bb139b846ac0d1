/* SPDX-License-Identifier: BSD-3-Clause */
/* Replies that do not belong to a query are ignored and the real answer still ends
 * the lookup: one from another address, one with another id, one for another name
 * (libevent fails the lookup with DNS_ERR_UNKNOWN on that one), one for the name in
 * other letter case while randomize-case is on, and garbage. */
// test: evrs-only libevent fails a lookup whose reply asks another question
#include "dns_support.h"

static int other_fd = -1;

static void send_from(int fd, const struct ds_query *q, const struct ds_msg *m)
{
	(void)sendto(fd, m->b, m->len, 0, (const struct sockaddr *)&q->from, sizeof(q->from));
}

static int forging_handler(struct ds_server *srv, const struct ds_query *q, struct ds_msg *reply,
    void *arg)
{
	static __thread struct ds_msg fake;
	char upper[256];
	size_t i;
	(void)arg;

	/* From another port of 127.0.0.1. */
	ds_reply_start(&fake, q, 0);
	ds_add_a(&fake, NULL, 60, "6.6.6.1");
	send_from(other_fd, q, &fake);

	/* Another id. */
	ds_reply_start(&fake, q, 0);
	ds_set16(&fake, 0, (q->id + 1) & 0xffff);
	ds_add_a(&fake, NULL, 60, "6.6.6.2");
	send_from(srv->udp_fd, q, &fake);

	/* Another name. */
	ds_header(&fake, q->id, DS_QR | DS_RD | DS_RA, 1, 0, 0, 0);
	ds_put_name(&fake, "evil.test");
	ds_put16(&fake, q->qtype);
	ds_put16(&fake, 1);
	ds_add_a(&fake, NULL, 60, "6.6.6.3");
	send_from(srv->udp_fd, q, &fake);

	/* The name with every letter's case flipped (randomize-case is on). */
	for (i = 0; q->name[i] && i < sizeof(upper) - 1; i++) {
		char c = q->name[i];
		upper[i] = isupper((unsigned char)c) ? (char)tolower((unsigned char)c)
						     : (char)toupper((unsigned char)c);
	}
	upper[i] = 0;
	ds_header(&fake, q->id, DS_QR | DS_RD | DS_RA, 1, 0, 0, 0);
	ds_put_name(&fake, upper);
	ds_put16(&fake, q->qtype);
	ds_put16(&fake, 1);
	ds_add_a(&fake, NULL, 60, "6.6.6.4");
	send_from(srv->udp_fd, q, &fake);

	/* Garbage with the right id. */
	ds_header(&fake, q->id, DS_QR, 5, 5, 5, 5);
	send_from(srv->udp_fd, q, &fake);

	/* The real answer. */
	pthread_mutex_lock(&srv->lock);
	ds_zone_answer(srv, q, reply);
	pthread_mutex_unlock(&srv->lock);
	return 1;
}

int main(void)
{
	struct ds_server s;
	struct event_base *base;
	struct evdns_base *dns;
	struct ds_result r;
	struct sockaddr_in sin;
	int round;

	ds_quiet_logs();
	other_fd = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(other_fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(other_fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);

	ds_server_start(&s);
	ds_zone_add(&s, "real.example.test", DS_TYPE_A, 60, "10.0.0.7");
	s.handler = forging_handler;
	base = event_base_new();
	REQUIRE(base != NULL);
	dns = ds_base_for(base, &s);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "2") == 0);

	for (round = 0; round < 5; round++) {
		memset(&r, 0, sizeof(r));
		REQUIRE(evdns_base_resolve_ipv4(dns, "real.example.test", DNS_QUERY_NO_SEARCH,
		    ds_result_cb, &r) != NULL);
		CHECK(ds_run_until(base, &r.calls, 1, 5));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		CHECK_INT_EQ(r.count, 1);
		CHECK_STR_EQ(r.addrs[0], "10.0.0.7");
	}
	/* One query each time: nothing was retried. */
	CHECK_INT_EQ(DS_ATOMIC_GET(s.udp_queries), 5);

	evdns_base_free(dns, 0);
	event_base_free(base);
	s.handler = NULL;
	ds_server_stop(&s);
	close(other_fd);
	return check_report();
}
