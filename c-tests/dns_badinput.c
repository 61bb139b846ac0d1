/* Hostile replies: before the real answer to each query, the fake server sends a crafted
 * packet with the query's id: compression pointer loops, labels over 63 bytes, names
 * over 255, counts larger than the packet, truncated copies of the reply, bad record
 * lengths, no question, the wrong question, a query instead of a reply; and answers
 * with a forged address from a wrong port or with a wrong id. The resolver ignores the
 * bad packet or fails the request (libevent fails it for most), never accepts a forged
 * address, never calls back twice, never crashes, and then answers real questions.
 * Then a flood of 100,000 bogus packets hits the resolver's own socket (its address is
 * learned from the queries it sends) while it keeps resolving, with memory bounded. */
// test: timeout 60
#include "dns_support.h"

static struct event_base *base;
static struct ds_server srv;
static int forge_fd = -1;	/* 127.0.0.1, another port */
static int stranger_fd = -1;	/* 127.0.0.2 */

#define GOOD_ADDR "192.0.2.1"
#define FORGED_ADDR "6.6.6.6"

enum kind {
	K_POINTER_LOOP_ANSWER,
	K_POINTER_LOOP_QUESTION,
	K_POINTER_FORWARD_OUT,
	K_LONG_LABEL,
	K_LONG_NAME,
	K_ANCOUNT_TOO_BIG,
	K_QDCOUNT_TOO_BIG,
	K_TRUNCATED,		/* every prefix of the reply */
	K_A_BAD_RDLEN,
	K_AAAA_BAD_RDLEN,
	K_RDLEN_PAST_END,
	K_NO_QUESTION,
	K_WRONG_QUESTION,
	K_WRONG_QTYPE_ANSWER,	/* a forged AAAA record in an A reply is skipped or refused */
	K_QUERY_NOT_REPLY,	/* strict: ignored */
	K_WRONG_ID,		/* strict: ignored */
	K_WRONG_ADDRESS,	/* from 127.0.0.2; strict: ignored */
	K_WRONG_PORT,		/* from our address, another port: libevent compares only
				 * the address and takes it; checking the port is better */
	K_TINY,			/* 0, 1, 11 bytes; strict: ignored */
	K_MANY_ANSWERS,		/* 25 A records: accepted (libevent 2.1 keeps 32 at most) */
	K_PTR_LOOP,		/* an A reply holding a PTR record whose target loops */
	K_COUNT
};

static int strict(int k)
{
	return k == K_QUERY_NOT_REPLY || k == K_WRONG_ID || k == K_WRONG_ADDRESS || k == K_TINY;
}

/* The forged reply to q: id and question of q, one A record FORGED_ADDR. */
static void forged_reply(const struct ds_query *q, struct ds_msg *m)
{
	ds_reply_start(m, q, 0);
	ds_add_a(m, NULL, 60, FORGED_ADDR);
}

static void send_to_client(const struct ds_query *q, int fd, const void *p, size_t n)
{
	(void)sendto(fd, p, n, 0, (const struct sockaddr *)&q->from, sizeof(q->from));
}

static int bad_handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *good,
    void *arg)
{
	static __thread struct ds_msg m;
	int k = -1, i;
	(void)arg;
	if (sscanf(q->lname, "k%d.test", &k) != 1 && sscanf(q->lname, "p%d.test", &k) != 1)
		k = -1;
	if (q->tcp || k < 0 || k >= K_COUNT) {
		pthread_mutex_lock(&s->lock);
		ds_zone_answer(s, q, good);
		pthread_mutex_unlock(&s->lock);
		return 1;
	}
	switch (k) {
	case K_POINTER_LOOP_ANSWER: {
		size_t at;
		ds_reply_start(&m, q, 0);
		at = m.len;
		ds_put16(&m, 0xc000 | (unsigned)at);	/* points at itself */
		ds_put16(&m, DS_TYPE_A);
		ds_put16(&m, 1);
		ds_put32(&m, 60);
		ds_put16(&m, 4);
		ds_put32(&m, 0x06060606);
		ds_set16(&m, 6, 1);
		break;
	}
	case K_POINTER_LOOP_QUESTION:
		ds_header(&m, q->id, DS_QR | DS_RA | DS_RD, 1, 1, 0, 0);
		ds_put16(&m, 0xc000 | 14);	/* -> offset 14 */
		ds_put16(&m, 0xc000 | 12);	/* -> offset 12: a two-step loop */
		ds_put16(&m, q->qtype);
		ds_put16(&m, 1);
		ds_add_a(&m, NULL, 60, FORGED_ADDR);
		break;
	case K_POINTER_FORWARD_OUT:
		ds_reply_start(&m, q, 0);
		ds_put16(&m, 0xc000 | 0x3fff);	/* far past the end */
		ds_put16(&m, DS_TYPE_A);
		ds_put16(&m, 1);
		ds_put32(&m, 60);
		ds_put16(&m, 4);
		ds_put32(&m, 0x06060606);
		ds_set16(&m, 6, 1);
		break;
	case K_LONG_LABEL:
		ds_reply_start(&m, q, 0);
		ds_put8(&m, 0x50);	/* 80: not a valid label length */
		for (i = 0; i < 80; i++)
			ds_put8(&m, 'a');
		ds_put8(&m, 0);
		ds_put16(&m, DS_TYPE_A);
		ds_put16(&m, 1);
		ds_put32(&m, 60);
		ds_put16(&m, 4);
		ds_put32(&m, 0x06060606);
		ds_set16(&m, 6, 1);
		break;
	case K_LONG_NAME:
		ds_reply_start(&m, q, 0);
		for (i = 0; i < 6; i++) {	/* 6 x 63 = 378 bytes */
			int j;
			ds_put8(&m, 63);
			for (j = 0; j < 63; j++)
				ds_put8(&m, 'b');
		}
		ds_put8(&m, 0);
		ds_put16(&m, DS_TYPE_A);
		ds_put16(&m, 1);
		ds_put32(&m, 60);
		ds_put16(&m, 4);
		ds_put32(&m, 0x06060606);
		ds_set16(&m, 6, 1);
		break;
	case K_ANCOUNT_TOO_BIG:
		forged_reply(q, &m);
		ds_set16(&m, 6, 50);
		break;
	case K_QDCOUNT_TOO_BIG:
		forged_reply(q, &m);
		ds_set16(&m, 4, 40);
		break;
	case K_TRUNCATED:
		/* Every prefix of the reply, shortest first. */
		pthread_mutex_lock(&s->lock);
		ds_zone_answer(s, q, &m);
		pthread_mutex_unlock(&s->lock);
		for (i = 1; i < (int)m.len; i++)
			send_to_client(q, s->udp_fd, m.b, (size_t)i);
		m.len = 0;
		break;
	case K_A_BAD_RDLEN:
		ds_reply_start(&m, q, 0);
		ds_add_rr(&m, DS_ANSWER, NULL, DS_TYPE_A, 60, "\x06\x06\x06\x06\x06", 5);
		break;
	case K_AAAA_BAD_RDLEN:
		ds_reply_start(&m, q, 0);
		ds_add_rr(&m, DS_ANSWER, NULL, DS_TYPE_AAAA, 60,
		    "\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06\x06", 15);
		break;
	case K_RDLEN_PAST_END:
		forged_reply(q, &m);
		ds_set16(&m, m.len - 6, 400);
		break;
	case K_NO_QUESTION:
		ds_header(&m, q->id, DS_QR | DS_RA | DS_RD, 0, 1, 0, 0);
		ds_add_a(&m, q->name, 60, FORGED_ADDR);
		ds_set16(&m, 6, 1);
		break;
	case K_WRONG_QUESTION:
		ds_header(&m, q->id, DS_QR | DS_RA | DS_RD, 1, 0, 0, 0);
		ds_put_name(&m, "evil.example");
		ds_put16(&m, q->qtype);
		ds_put16(&m, 1);
		ds_add_a(&m, NULL, 60, FORGED_ADDR);
		break;
	case K_WRONG_QTYPE_ANSWER:
		ds_reply_start(&m, q, 0);
		ds_add_aaaa(&m, NULL, 60, "::6");
		ds_add_a(&m, NULL, 60, GOOD_ADDR);
		break;
	case K_QUERY_NOT_REPLY:
		forged_reply(q, &m);
		m.b[2] &= 0x7f;	/* QR off */
		break;
	case K_WRONG_ID: {
		struct ds_query other = *q;
		other.id = (q->id + 1) & 0xffff;
		forged_reply(&other, &m);
		break;
	}
	case K_WRONG_ADDRESS:
		forged_reply(q, &m);
		send_to_client(q, stranger_fd, m.b, m.len);
		m.len = 0;
		break;
	case K_WRONG_PORT:
		forged_reply(q, &m);
		send_to_client(q, forge_fd, m.b, m.len);
		m.len = 0;
		break;
	case K_TINY:
		ds_header(&m, q->id, DS_QR, 0, 0, 0, 0);
		send_to_client(q, s->udp_fd, m.b, 0);
		send_to_client(q, s->udp_fd, m.b, 1);
		send_to_client(q, s->udp_fd, m.b, 11);
		m.len = 0;
		break;
	case K_MANY_ANSWERS:
		/* 25 records: still under 512 bytes, which is all libevent 2.2 reads. */
		ds_reply_start(&m, q, 0);
		ds_add_a(&m, NULL, 60, GOOD_ADDR);
		for (i = 1; i < 25; i++) {
			char ip[32];
			snprintf(ip, sizeof(ip), "10.1.0.%d", i);
			ds_add_a(&m, NULL, 60, ip);
		}
		break;
	case K_PTR_LOOP: {
		size_t at;
		ds_reply_start(&m, q, 0);
		ds_put16(&m, 0xc00c);
		ds_put16(&m, DS_TYPE_PTR);
		ds_put16(&m, 1);
		ds_put32(&m, 60);
		ds_put16(&m, 2);
		at = m.len;
		ds_put16(&m, 0xc000 | (unsigned)at);
		ds_set16(&m, 6, 1);
		break;
	}
	}
	if (m.len)
		send_to_client(q, s->udp_fd, m.b, m.len);
	/* Then the real answer. */
	if (k == K_MANY_ANSWERS || k == K_WRONG_QTYPE_ANSWER)
		return 0;	/* that packet was a valid answer itself */
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, good);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

static void test_kinds(struct evdns_base *dns)
{
	int k;
	for (k = 0; k < K_COUNT; k++) {
		struct ds_result r = { 0 };
		char name[32];
		snprintf(name, sizeof(name), "k%d.test", k);
		ds_zone_add(&srv, name, DS_TYPE_A, 60, GOOD_ADDR);
		snprintf(name, sizeof(name), "K%d.test", k);
		REQUIRE(evdns_base_resolve_ipv4(dns, name, 0, ds_result_cb, &r) != NULL);
		if (!ds_run_until(base, &r.calls, 1, 3))
			fprintf(stderr, "     kind %d: no callback\n", k);
		ds_run_for(base, 0.05);
		CHECK_INT_EQ(r.calls, 1);
		if (r.result == DNS_ERR_NONE && k == K_WRONG_PORT) {
			CHECK(r.count >= 1);
		} else if (r.result == DNS_ERR_NONE) {
			CHECK(r.count >= 1);
			CHECK_STR_EQ(r.addrs[0], GOOD_ADDR);
			if (strcmp(r.addrs[0], GOOD_ADDR) != 0)
				fprintf(stderr, "     kind %d accepted a forged answer\n", k);
		} else if (strict(k) || k == K_MANY_ANSWERS || k == K_WRONG_QTYPE_ANSWER) {
			CHECK_INT_EQ(r.result, DNS_ERR_NONE);
			fprintf(stderr, "     kind %d failed with %d\n", k, r.result);
		}
		if (k == K_MANY_ANSWERS)
			CHECK(r.count >= 1 && r.count <= 25);
	}
}

/* A reverse lookup whose PTR target is a pointer loop. */
static int ptr_loop_handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *m,
    void *arg)
{
	(void)s;
	(void)arg;
	ds_reply_start(m, q, 0);
	if (q->qtype == DS_TYPE_PTR) {
		size_t at;
		ds_put16(m, 0xc00c);
		ds_put16(m, DS_TYPE_PTR);
		ds_put16(m, 1);
		ds_put32(m, 60);
		ds_put16(m, 2);
		at = m->len;
		ds_put16(m, 0xc000 | (unsigned)at);
		ds_set16(m, 6, 1);
	}
	return 1;
}

static void test_ptr_loop(struct evdns_base *dns)
{
	struct ds_result r = { 0 };
	struct in_addr in;
	srv.handler = ptr_loop_handler;
	inet_pton(AF_INET, "192.0.2.77", &in);
	REQUIRE(evdns_base_resolve_reverse(dns, &in, 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK(r.result != DNS_ERR_NONE);
	srv.handler = bad_handler;
}

/* Names the program passes: too long (> 255) or with a label over 63 bytes are refused
 * (NULL, nothing sent); the root ("" or ".") and a trailing dot are asked; an empty
 * label inside ("a..b") is refused or asked, but never crashes (libevent asks "a"). */
static void test_bad_names(struct evdns_base *dns)
{
	char longname[400], longlabel[100];
	struct ds_result r;
	int i, before;
	static const char *const odd[] = { "a..b", "..", "has space.test", "tab\there.test" };

	memset(longname, 'a', sizeof(longname));
	longname[sizeof(longname) - 1] = 0;
	for (i = 50; i < (int)sizeof(longname) - 1; i += 50)
		longname[i] = '.';
	memset(longlabel, 'b', sizeof(longlabel));
	memcpy(longlabel + 90, ".test", 6);

	before = DS_ATOMIC_GET(srv.queries);
	memset(&r, 0, sizeof(r));
	CHECK(evdns_base_resolve_ipv4(dns, longname, DNS_QUERY_NO_SEARCH, ds_result_cb, &r) == NULL);
	CHECK(evdns_base_resolve_ipv6(dns, longlabel, DNS_QUERY_NO_SEARCH, ds_result_cb, &r) == NULL);
	ds_run_for(base, 0.1);
	CHECK_INT_EQ(r.calls, 0);
	CHECK_INT_EQ(DS_ATOMIC_GET(srv.queries), before);

	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "", DNS_QUERY_NO_SEARCH, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NOTEXIST);
	pthread_mutex_lock(&srv.lock);
	CHECK_STR_EQ(srv.last_name, "");
	pthread_mutex_unlock(&srv.lock);

	memset(&r, 0, sizeof(r));
	REQUIRE(evdns_base_resolve_ipv4(dns, "after.test.", DNS_QUERY_NO_SEARCH, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], GOOD_ADDR);

	for (i = 0; i < (int)(sizeof(odd) / sizeof(odd[0])); i++) {
		memset(&r, 0, sizeof(r));
		if (evdns_base_resolve_ipv4(dns, odd[i], DNS_QUERY_NO_SEARCH, ds_result_cb, &r)) {
			CHECK(ds_run_until(base, &r.calls, 1, 3));
			ds_run_for(base, 0.05);
			CHECK_INT_EQ(r.calls, 1);
		}
	}
}

/* ---- The flood ---------------------------------------------------------------------- */

static struct sockaddr_in resolver_addr;
static int resolver_addr_known;
static int flood_sent;
static int flood_done;

static int learning_handler(struct ds_server *s, const struct ds_query *q, struct ds_msg *m,
    void *arg)
{
	(void)arg;
	if (!q->tcp && !DS_ATOMIC_GET(resolver_addr_known)) {
		resolver_addr = q->from;
		DS_ATOMIC_SET(resolver_addr_known, 1);
	}
	pthread_mutex_lock(&s->lock);
	ds_zone_answer(s, q, m);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

static void *flood_main(void *arg)
{
	struct ds_server *s = arg;
	static struct ds_msg m;
	unsigned seed = 12345;
	int i;
	for (i = 0; i < 100000; i++) {
		unsigned id = rand_r(&seed) & 0xffff;
		switch (i % 4) {
		case 0:	/* a reply to nothing we asked, all ids in turn */
			ds_header(&m, (unsigned)i & 0xffff, DS_QR | DS_RA, 1, 1, 0, 0);
			ds_put_name(&m, "flood.example");
			ds_put16(&m, DS_TYPE_A);
			ds_put16(&m, 1);
			ds_add_a(&m, NULL, 60, FORGED_ADDR);
			ds_set16(&m, 6, 1);
			break;
		case 1:	/* random bytes */
			m.len = 12 + rand_r(&seed) % 200;
			{
				size_t j;
				for (j = 0; j < m.len; j++)
					m.b[j] = (unsigned char)rand_r(&seed);
			}
			break;
		case 2:	/* too short */
			m.len = rand_r(&seed) % 12;
			break;
		default:	/* a pointer loop in the question */
			ds_header(&m, id, DS_QR, 1, 0, 0, 0);
			ds_put16(&m, 0xc00c);
			ds_put16(&m, DS_TYPE_A);
			ds_put16(&m, 1);
			break;
		}
		while (sendto(s->udp_fd, m.b, m.len, 0, (struct sockaddr *)&resolver_addr,
		    sizeof(resolver_addr)) < 0 && errno == ENOBUFS)
			ds_sleep_ms(1);
		DS_ATOMIC_ADD(flood_sent, 1);
		if (i % 2000 == 0)
			ds_sleep_ms(1);	/* let the resolver breathe on a shared CPU */
	}
	DS_ATOMIC_SET(flood_done, 1);
	return NULL;
}

struct flood_lookup {
	int calls;
	int ok;
	int failed;
	int forged;
	int outstanding;
};

static void flood_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct flood_lookup *f = arg;
	(void)type;
	(void)ttl;
	f->calls++;
	f->outstanding--;
	if (result == DNS_ERR_NONE && count >= 1) {
		char ip[32];
		inet_ntop(AF_INET, addresses, ip, sizeof(ip));
		if (strcmp(ip, GOOD_ADDR) == 0)
			f->ok++;
		else
			f->forged++;
	} else {
		f->failed++;
	}
}

static void test_flood(struct evdns_base *dns)
{
	struct flood_lookup f = { 0 };
	struct ds_result r = { 0 };
	pthread_t th;
	size_t live_before, peak_before;
	int started = 0, i;
	double end;

	srv.handler = learning_handler;
	ds_zone_add(&srv, "flood.test", DS_TYPE_A, 60, GOOD_ADDR);
	REQUIRE(evdns_base_resolve_ipv4(dns, "flood.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	REQUIRE(DS_ATOMIC_GET(resolver_addr_known));
#ifdef DNS_QUERY_USEVC /* libevent 2.2: the socket is visible */
	{
		struct sockaddr_in local;
		socklen_t sl = sizeof(local);
		int fd = evdns_base_get_nameserver_fd(dns, 0);
		CHECK(fd >= 0);
		CHECK_INT_EQ(getsockname(fd, (struct sockaddr *)&local, &sl), 0);
		CHECK_INT_EQ(local.sin_port, resolver_addr.sin_port);
	}
#endif
	ds_run_for(base, 0.05);
	live_before = ds_live_bytes;
	peak_before = ds_peak_bytes;

	REQUIRE(pthread_create(&th, NULL, flood_main, &srv) == 0);
	end = ds_now() + 20;
	/* Keep 8 lookups in flight for as long as the flood lasts. */
	while (!DS_ATOMIC_GET(flood_done) && ds_now() < end) {
		while (f.outstanding < 8) {
			f.outstanding++;
			started++;
			REQUIRE(evdns_base_resolve_ipv4(dns, "flood.test", DNS_QUERY_NO_SEARCH,
			    flood_cb, &f) != NULL);
		}
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		ds_run_for(base, 0.002);
	}
	pthread_join(th, NULL);
	CHECK_INT_EQ(DS_ATOMIC_GET(flood_sent), 100000);
	{
		int target = started;
		CHECK(ds_run_until(base, &f.calls, target, 5));
	}
	CHECK_INT_EQ(f.calls, started);
	CHECK_INT_EQ(f.forged, 0);
	CHECK(f.ok > 0);
	/* Requests whose id a bogus reply happened to hit may fail; most go through. */
	CHECK(f.ok * 2 > started);
	printf("during the flood: %d lookups, %d answered, %d failed\n", started, f.ok, f.failed);

	/* Afterwards every lookup works. */
	for (i = 0; i < 20; i++) {
		memset(&r, 0, sizeof(r));
		REQUIRE(evdns_base_resolve_ipv4(dns, "flood.test", 0, ds_result_cb, &r) != NULL);
		CHECK(ds_run_until(base, &r.calls, 1, 3));
		CHECK_INT_EQ(r.result, DNS_ERR_NONE);
		CHECK_STR_EQ(r.addrs[0], GOOD_ADDR);
	}
	ds_run_for(base, 0.1);
	/* Memory: nothing kept per bogus packet. */
	printf("heap: %zu bytes live before the flood, %zu after; peak %zu -> %zu\n",
	    live_before, ds_live_bytes, peak_before, ds_peak_bytes);
	CHECK(ds_live_bytes < live_before + 64 * 1024);
	CHECK(ds_peak_bytes < peak_before + 4 * 1024 * 1024);
}

int main(void)
{
	struct evdns_base *dns;
	struct ds_result r = { 0 };
	struct sockaddr_in sin;

	ds_count_allocations();
	signal(SIGPIPE, SIG_IGN);
	ds_quiet_logs();
	base = event_base_new();
	REQUIRE(base != NULL);
	forge_fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(forge_fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	stranger_fd = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = htonl(0x7f000002);
	REQUIRE(bind(stranger_fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);

	ds_server_start(&srv);
	srv.handler = bad_handler;
	ds_zone_add(&srv, "after.test", DS_TYPE_A, 60, GOOD_ADDR);
	dns = ds_base_for(base, &srv);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.5") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "3") == 0);

	test_kinds(dns);
	test_ptr_loop(dns);
	test_bad_names(dns);

	/* Still fine. */
	REQUIRE(evdns_base_resolve_ipv4(dns, "after.test", 0, ds_result_cb, &r) != NULL);
	CHECK(ds_run_until(base, &r.calls, 1, 3));
	CHECK_INT_EQ(r.result, DNS_ERR_NONE);
	CHECK_STR_EQ(r.addrs[0], GOOD_ADDR);

	test_flood(dns);

	evdns_base_free(dns, 0);
	ds_server_stop(&srv);
	close(forge_fd);
	close(stranger_fd);
	event_base_free(base);
	return check_report();
}
