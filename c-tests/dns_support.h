/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixtures shared by the evdns test programs:
 *  - a scripted fake DNS server on 127.0.0.1 (UDP and TCP on one port), run by its own
 *    thread with plain sockets, answering from a small zone or from a handler that
 *    crafts any packet (also malformed ones);
 *  - a DNS message builder and a one-shot UDP client;
 *  - temporary directories holding resolv.conf / hosts files;
 *  - allocation counting through event_set_mem_functions;
 *  - bounded event loop runs;
 *  - a dnsmasq launcher (the process is always killed and reaped).
 * Everything is named ds_*. */
#ifndef EVRS_C_TESTS_DNS_SUPPORT_H
#define EVRS_C_TESTS_DNS_SUPPORT_H

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* libevent 2.1 returns these codes too, but names them only in a comment. */
#ifndef EVDNS_ERROR_NONE
#define EVDNS_ERROR_NONE 0
#define EVDNS_ERROR_FAILED_TO_OPEN_FILE 1
#define EVDNS_ERROR_FAILED_TO_STAT_FILE 2
#define EVDNS_ERROR_FILE_TOO_LARGE 3
#define EVDNS_ERROR_OUT_OF_MEMORY 4
#define EVDNS_ERROR_SHORT_READ_FROM_FILE 5
#define EVDNS_ERROR_NO_NAMESERVERS_CONFIGURED 6
#endif

#define DS_TYPE_A 1
#define DS_TYPE_NS 2
#define DS_TYPE_CNAME 5
#define DS_TYPE_SOA 6
#define DS_TYPE_PTR 12
#define DS_TYPE_MX 15
#define DS_TYPE_AAAA 28
#define DS_TYPE_OPT 41

#define DS_QR 0x8000
#define DS_AA 0x0400
#define DS_TC 0x0200
#define DS_RD 0x0100
#define DS_RA 0x0080

#define DS_ATOMIC_GET(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define DS_ATOMIC_SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define DS_ATOMIC_ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

/* ---- Time --------------------------------------------------------------------------- */

static inline double ds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void ds_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- Allocation counting ------------------------------------------------------------ */

/* Every block carries its size in a 16-byte prefix so frees can be counted too. Call
 * ds_count_allocations() first thing in main(), before any other libevent call. */
#define DS_PREFIX 16
static size_t ds_live_bytes;
static size_t ds_peak_bytes;
static size_t ds_live_blocks;
static size_t ds_alloc_calls;

static inline void *ds_malloc(size_t n)
{
	unsigned char *p = malloc(n + DS_PREFIX);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	ds_live_bytes += n;
	ds_live_blocks++;
	ds_alloc_calls++;
	if (ds_live_bytes > ds_peak_bytes)
		ds_peak_bytes = ds_live_bytes;
	return p + DS_PREFIX;
}

static inline void ds_free(void *ptr)
{
	unsigned char *p;
	size_t n;
	if (!ptr)
		return;
	p = (unsigned char *)ptr - DS_PREFIX;
	memcpy(&n, p, sizeof(n));
	ds_live_bytes -= n;
	ds_live_blocks--;
	free(p);
}

static inline void *ds_realloc(void *ptr, size_t n)
{
	unsigned char *p, *q;
	size_t old;
	if (!ptr)
		return ds_malloc(n);
	p = (unsigned char *)ptr - DS_PREFIX;
	memcpy(&old, p, sizeof(old));
	q = realloc(p, n + DS_PREFIX);
	if (!q)
		return NULL;
	memcpy(q, &n, sizeof(n));
	ds_live_bytes = ds_live_bytes - old + n;
	ds_alloc_calls++;
	if (ds_live_bytes > ds_peak_bytes)
		ds_peak_bytes = ds_live_bytes;
	return q + DS_PREFIX;
}

static inline void ds_count_allocations(void)
{
	event_set_mem_functions(ds_malloc, ds_realloc, ds_free);
}

/* ---- Temporary files ---------------------------------------------------------------- */

static char ds_tmpdir[64];

static inline void ds_tmpdir_remove(void)
{
	char cmd[128];
	if (!ds_tmpdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ds_tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "note: could not remove %s\n", ds_tmpdir);
	ds_tmpdir[0] = 0;
}

/* A directory for this program's files, removed at exit. */
static inline const char *ds_tmpdir_get(void)
{
	if (!ds_tmpdir[0]) {
		strcpy(ds_tmpdir, "/tmp/evrs-dns-XXXXXX");
		REQUIRE(mkdtemp(ds_tmpdir) != NULL);
		atexit(ds_tmpdir_remove);
	}
	return ds_tmpdir;
}

/* Writes `text` into NAME inside the temporary directory; returns the full path (one
 * of 16 static buffers, reused in turn). */
static inline const char *ds_write_file(const char *name, const char *text)
{
	static char paths[16][256];
	static unsigned next;
	char *path = paths[next++ % 16];
	FILE *f;
	snprintf(path, sizeof(paths[0]), "%s/%s", ds_tmpdir_get(), name);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs(text, f);
	REQUIRE(fclose(f) == 0);
	return path;
}

/* ---- Bounded loop runs -------------------------------------------------------------- */

static inline void ds_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs the loop until *counter >= target or `seconds` passed; 1 if the target was
 * reached. A 5 ms tick keeps the loop waking up to look at the counter (which another
 * thread may change). */
static inline int ds_run_until(struct event_base *base, const int *counter, int target,
    double seconds)
{
	struct timeval tick = { 0, 5000 };
	struct event *ev = event_new(base, -1, EV_PERSIST, ds_tick_cb, NULL);
	double end = ds_now() + seconds;
	REQUIRE(ev != NULL);
	event_add(ev, &tick);
	while (DS_ATOMIC_GET(*(int *)counter) < target && ds_now() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return DS_ATOMIC_GET(*(int *)counter) >= target;
}

/* Runs the loop for `seconds`, whatever happens. */
static inline void ds_run_for(struct event_base *base, double seconds)
{
	int never = 0;
	ds_run_until(base, &never, 1, seconds);
}

/* ---- DNS messages ------------------------------------------------------------------- */

struct ds_msg {
	unsigned char b[65536];
	size_t len;
};

static inline void ds_put8(struct ds_msg *m, unsigned v)
{
	if (m->len < sizeof(m->b))
		m->b[m->len++] = (unsigned char)v;
}

static inline void ds_put16(struct ds_msg *m, unsigned v)
{
	ds_put8(m, (v >> 8) & 0xff);
	ds_put8(m, v & 0xff);
}

static inline void ds_put32(struct ds_msg *m, uint32_t v)
{
	ds_put16(m, v >> 16);
	ds_put16(m, v & 0xffff);
}

static inline void ds_put_bytes(struct ds_msg *m, const void *p, size_t n)
{
	if (m->len + n <= sizeof(m->b)) {
		memcpy(m->b + m->len, p, n);
		m->len += n;
	}
}

/* A dotted name, uncompressed ("" is the root). */
static inline void ds_put_name(struct ds_msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		ds_put8(m, (unsigned)n);
		ds_put_bytes(m, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
	ds_put8(m, 0);
}

/* The same pieces into a plain array, for packets built byte by byte; each returns
 * how many bytes it wrote. */
static inline size_t ds_raw_put16(unsigned char *out, unsigned v)
{
	out[0] = (unsigned char)(v >> 8);
	out[1] = (unsigned char)v;
	return 2;
}

static inline size_t ds_raw_put_name(unsigned char *out, const char *name)
{
	size_t at = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		out[at++] = (unsigned char)n;
		memcpy(out + at, name, n);
		at += n;
		name += n;
		if (*name == '.')
			name++;
	}
	out[at++] = 0;
	return at;
}

/* A query with one question (qdcount 1, the other counts 0). */
static inline size_t ds_raw_query(unsigned char *out, unsigned id, unsigned flags,
    const char *name, unsigned qtype)
{
	size_t at = 0;
	at += ds_raw_put16(out + at, id);
	at += ds_raw_put16(out + at, flags);
	at += ds_raw_put16(out + at, 1);
	at += ds_raw_put16(out + at, 0);
	at += ds_raw_put16(out + at, 0);
	at += ds_raw_put16(out + at, 0);
	at += ds_raw_put_name(out + at, name);
	at += ds_raw_put16(out + at, qtype);
	at += ds_raw_put16(out + at, 1);
	return at;
}

static inline void ds_set16(struct ds_msg *m, size_t at, unsigned v)
{
	m->b[at] = (v >> 8) & 0xff;
	m->b[at + 1] = v & 0xff;
}

static inline unsigned ds_get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static inline void ds_header(struct ds_msg *m, unsigned id, unsigned flags, unsigned qd,
    unsigned an, unsigned ns, unsigned ar)
{
	m->len = 0;
	ds_put16(m, id);
	ds_put16(m, flags);
	ds_put16(m, qd);
	ds_put16(m, an);
	ds_put16(m, ns);
	ds_put16(m, ar);
}

/* A query as the fake server saw it. */
struct ds_query {
	unsigned id;
	unsigned flags;
	char name[256];		/* as sent (the 0x20 case bits kept), dotted */
	char lname[256];	/* lower case */
	unsigned qtype;
	unsigned qclass;
	int has_opt;		/* an EDNS OPT record came along */
	unsigned opt_udp_size;
	const unsigned char *packet;
	size_t len;
	size_t question_end;	/* offset just past the first question */
	int tcp;
	int conn;		/* TCP connection index */
	struct sockaddr_in from;
};

/* Reads a name (following pointers) at *at; 0 on success. */
static inline int ds_read_name(const unsigned char *p, size_t len, size_t *at, char *out,
    size_t cap)
{
	size_t pos = *at, o = 0;
	int jumped = 0, hops = 0;
	out[0] = 0;
	for (;;) {
		unsigned l;
		if (pos >= len)
			return -1;
		l = p[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++hops > 64)
				return -1;
			if (!jumped)
				*at = pos + 2;
			jumped = 1;
			pos = (l & 0x3f) << 8 | p[pos + 1];
			continue;
		}
		if (l > 63)
			return -1;
		pos++;
		if (l == 0)
			break;
		if (pos + l > len || o + l + 2 > cap)
			return -1;
		if (o)
			out[o++] = '.';
		memcpy(out + o, p + pos, l);
		o += l;
		out[o] = 0;
		pos += l;
	}
	if (!jumped)
		*at = pos;
	return 0;
}

static inline int ds_parse_query(const unsigned char *p, size_t len, struct ds_query *q)
{
	size_t at = 12;
	unsigned i, ar;
	memset(q, 0, sizeof(*q));
	if (len < 12)
		return -1;
	q->id = ds_get16(p);
	q->flags = ds_get16(p + 2);
	if (ds_get16(p + 4) < 1)
		return -1;
	ar = ds_get16(p + 10);
	if (ds_read_name(p, len, &at, q->name, sizeof(q->name)) < 0 || at + 4 > len)
		return -1;
	q->qtype = ds_get16(p + at);
	q->qclass = ds_get16(p + at + 2);
	at += 4;
	q->question_end = at;
	for (i = 0; q->name[i]; i++)
		q->lname[i] = (char)tolower((unsigned char)q->name[i]);
	q->lname[i] = 0;
	/* Only the simple layout (one question, no answers) for the OPT record. */
	if (ar && ds_get16(p + 6) == 0 && ds_get16(p + 8) == 0 && at + 11 <= len &&
	    p[at] == 0 && ds_get16(p + at + 1) == DS_TYPE_OPT) {
		q->has_opt = 1;
		q->opt_udp_size = ds_get16(p + at + 3);
	}
	q->packet = p;
	q->len = len;
	return 0;
}

/* Starts a reply to q: its id, QR|AA|RA, RD copied, `rcode`, the question copied byte
 * for byte (so the case bits match). */
static inline void ds_reply_start(struct ds_msg *m, const struct ds_query *q, unsigned rcode)
{
	ds_header(m, q->id, DS_QR | DS_AA | DS_RA | (q->flags & DS_RD) | rcode, 1, 0, 0, 0);
	ds_put_bytes(m, q->packet + 12, q->question_end - 12);
}

enum ds_section { DS_ANSWER = 6, DS_AUTHORITY = 8, DS_ADDITIONAL = 10 };

static inline void ds_count_rr(struct ds_msg *m, enum ds_section s)
{
	ds_set16(m, s, ds_get16(m->b + s) + 1);
}

/* Owner name: NULL means a pointer to the question's name (offset 12). */
static inline void ds_put_owner(struct ds_msg *m, const char *owner)
{
	if (owner)
		ds_put_name(m, owner);
	else
		ds_put16(m, 0xc00c);
}

static inline void ds_add_rr(struct ds_msg *m, enum ds_section s, const char *owner,
    unsigned type, uint32_t ttl, const void *rdata, size_t rdlen)
{
	ds_put_owner(m, owner);
	ds_put16(m, type);
	ds_put16(m, 1);
	ds_put32(m, ttl);
	ds_put16(m, (unsigned)rdlen);
	ds_put_bytes(m, rdata, rdlen);
	ds_count_rr(m, s);
}

/* Parses an address literal of the program's own zone data; the server thread calls it
 * too, so no CHECK here (the counters belong to the main thread). */
static inline void ds_parse_ip(int family, const char *ip, void *out)
{
	if (inet_pton(family, ip, out) != 1) {
		fprintf(stderr, "FAIL: bad address literal %s in the test's zone\n", ip);
		abort();
	}
}

static inline void ds_add_a(struct ds_msg *m, const char *owner, uint32_t ttl, const char *ip)
{
	struct in_addr a;
	ds_parse_ip(AF_INET, ip, &a);
	ds_add_rr(m, DS_ANSWER, owner, DS_TYPE_A, ttl, &a, 4);
}

static inline void ds_add_aaaa(struct ds_msg *m, const char *owner, uint32_t ttl, const char *ip)
{
	struct in6_addr a;
	ds_parse_ip(AF_INET6, ip, &a);
	ds_add_rr(m, DS_ANSWER, owner, DS_TYPE_AAAA, ttl, &a, 16);
}

/* A record whose data is a name (CNAME, PTR, NS). */
static inline void ds_add_name_rr(struct ds_msg *m, enum ds_section s, const char *owner,
    unsigned type, uint32_t ttl, const char *target)
{
	size_t lenpos;
	ds_put_owner(m, owner);
	ds_put16(m, type);
	ds_put16(m, 1);
	ds_put32(m, ttl);
	lenpos = m->len;
	ds_put16(m, 0);
	ds_put_name(m, target);
	ds_set16(m, lenpos, (unsigned)(m->len - lenpos - 2));
	ds_count_rr(m, s);
}

/* An SOA in the authority section (negative answers), with `minimum`. */
static inline void ds_add_soa(struct ds_msg *m, const char *zone, uint32_t ttl, uint32_t minimum)
{
	size_t lenpos;
	ds_put_name(m, zone);
	ds_put16(m, DS_TYPE_SOA);
	ds_put16(m, 1);
	ds_put32(m, ttl);
	lenpos = m->len;
	ds_put16(m, 0);
	ds_put_name(m, "ns.test");
	ds_put_name(m, "admin.test");
	ds_put32(m, 1);
	ds_put32(m, 3600);
	ds_put32(m, 600);
	ds_put32(m, 86400);
	ds_put32(m, minimum);
	ds_set16(m, lenpos, (unsigned)(m->len - lenpos - 2));
	ds_count_rr(m, DS_AUTHORITY);
}

/* A query packet (RD set). */
static inline void ds_build_query(struct ds_msg *m, unsigned id, const char *name, unsigned qtype)
{
	ds_header(m, id, DS_RD, 1, 0, 0, 0);
	ds_put_name(m, name);
	ds_put16(m, qtype);
	ds_put16(m, 1);
}

/* The reverse name of an address ("7.2.0.192.in-addr.arpa", nibbles for IPv6). */
static inline void ds_reverse_name(const char *ip, char *out, size_t cap)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
	} else {
		static const char hex[] = "0123456789abcdef";
		size_t o = 0;
		int i;
		REQUIRE(inet_pton(AF_INET6, ip, a) == 1);
		REQUIRE(cap >= 73);
		for (i = 15; i >= 0; i--) {
			out[o++] = hex[a[i] & 15];
			out[o++] = '.';
			out[o++] = hex[a[i] >> 4];
			out[o++] = '.';
		}
		strcpy(out + o, "ip6.arpa");
	}
}

/* ---- The fake server ---------------------------------------------------------------- */

#define DS_ZONE_MAX 128
#define DS_CONN_MAX 16

struct ds_record {
	char name[256];		/* lower case */
	unsigned type;
	uint32_t ttl;
	char data[256];		/* address text, or target name */
};

struct ds_server;

/* Decides what to do with one query. Fill `reply` and return 1 to send it, 0 to send
 * nothing. It may also send raw packets itself with ds_server_send. Runs on the server
 * thread. */
typedef int (*ds_handler_fn)(struct ds_server *s, const struct ds_query *q,
    struct ds_msg *reply, void *arg);

struct ds_conn {
	int fd;
	unsigned char buf[70000];
	size_t have;
};

struct ds_server {
	int udp_fd;
	int tcp_fd;
	unsigned short port;
	char addr[32];		/* "127.0.0.1:port" */
	pthread_t thread;
	int running;
	int stop;

	ds_handler_fn handler;	/* NULL: answer from the zone */
	void *handler_arg;
	struct ds_record zone[DS_ZONE_MAX];
	int zone_len;
	uint32_t soa_minimum;	/* for NXDOMAIN / NODATA answers */

	/* Behaviour switches, set from any thread. */
	int silent;		/* drop every query */
	int udp_truncate;	/* UDP replies: TC set, no records */
	int tcp_chunk;		/* TCP replies sent in pieces of this size (0: at once) */
	int tcp_close_after;	/* close a TCP connection after this many replies (0: never) */

	/* Counters, read from any thread. */
	int udp_queries;
	int tcp_queries;
	int tcp_accepts;
	int tcp_closes;		/* connections the client closed */
	int tcp_open;
	int queries;		/* both */
	int last_had_opt;
	int last_opt_size;
	struct sockaddr_in last_from;	/* sender of the last UDP query (guarded by lock) */
	char last_name[256];	/* last query name as sent (guarded by lock) */
	char names[32][256];	/* the first 32 query names since the last reset, lower case */
	int names_len;		/* guarded by lock */
	pthread_mutex_t lock;

	struct ds_conn *conns[DS_CONN_MAX];
};

/* Adds a zone record; name is matched case-insensitively. */
static inline void ds_zone_add(struct ds_server *s, const char *name, unsigned type,
    uint32_t ttl, const char *data)
{
	struct ds_record *r;
	size_t i;
	pthread_mutex_lock(&s->lock);
	REQUIRE(s->zone_len < DS_ZONE_MAX);
	r = &s->zone[s->zone_len];
	for (i = 0; name[i] && i < sizeof(r->name) - 1; i++)
		r->name[i] = (char)tolower((unsigned char)name[i]);
	r->name[i] = 0;
	r->type = type;
	r->ttl = ttl;
	snprintf(r->data, sizeof(r->data), "%s", data);
	s->zone_len++;
	pthread_mutex_unlock(&s->lock);
}

/* Answers q from the zone: records of the asked type (following CNAMEs in the zone),
 * NODATA when the name exists without that type, NXDOMAIN otherwise; negative answers
 * carry an SOA whose minimum is soa_minimum. Called with the lock held. */
static inline void ds_zone_answer(struct ds_server *s, const struct ds_query *q, struct ds_msg *m)
{
	char cur[256];
	const char *owner = NULL;	/* NULL: the question's name */
	int exists = 0, any = 0, hops;
	snprintf(cur, sizeof(cur), "%s", q->lname);
	ds_reply_start(m, q, 0);
	for (hops = 0; hops < 8; hops++) {
		int i, cname = -1;
		for (i = 0; i < s->zone_len; i++) {
			struct ds_record *r = &s->zone[i];
			if (strcmp(r->name, cur) != 0)
				continue;
			exists = 1;
			if (r->type == q->qtype) {
				any = 1;
				if (r->type == DS_TYPE_A)
					ds_add_a(m, owner, r->ttl, r->data);
				else if (r->type == DS_TYPE_AAAA)
					ds_add_aaaa(m, owner, r->ttl, r->data);
				else
					ds_add_name_rr(m, DS_ANSWER, owner, r->type, r->ttl, r->data);
			} else if (r->type == DS_TYPE_CNAME) {
				cname = i;
			}
		}
		if (any || cname < 0)
			break;
		ds_add_name_rr(m, DS_ANSWER, owner, DS_TYPE_CNAME, s->zone[cname].ttl,
		    s->zone[cname].data);
		snprintf(cur, sizeof(cur), "%s", s->zone[cname].data);
		owner = s->zone[cname].data;
		exists = 0;
	}
	if (!any) {
		if (!exists)
			m->b[3] = (m->b[3] & 0xf0) | 3;	/* NXDOMAIN */
		ds_add_soa(m, "test", 3600, s->soa_minimum);
	}
}

/* Sends bytes as the reply to q: a datagram to its sender, or a length-prefixed
 * message on its TCP connection (in pieces when tcp_chunk is set). */
static inline void ds_server_send(struct ds_server *s, const struct ds_query *q,
    const void *data, size_t len)
{
	if (!q->tcp) {
		(void)sendto(s->udp_fd, data, len, 0, (const struct sockaddr *)&q->from,
		    sizeof(q->from));
	} else {
		struct ds_conn *c = s->conns[q->conn];
		unsigned char *framed = malloc(len + 2);
		size_t off = 0, total = len + 2;
		int chunk = DS_ATOMIC_GET(s->tcp_chunk);
		if (!c || !framed) {
			free(framed);
			return;
		}
		framed[0] = (unsigned char)(len >> 8);
		framed[1] = (unsigned char)len;
		memcpy(framed + 2, data, len);
		while (off < total) {
			size_t n = chunk > 0 ? (size_t)chunk : total - off;
			ssize_t w;
			if (n > total - off)
				n = total - off;
			w = send(c->fd, framed + off, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN) {
					ds_sleep_ms(1);
					continue;
				}
				break;
			}
			off += (size_t)w;
			if (chunk > 0)
				ds_sleep_ms(2);
		}
		free(framed);
	}
}

static inline void ds_server_handle(struct ds_server *s, const unsigned char *p, size_t len,
    int tcp, int conn, const struct sockaddr_in *from)
{
	struct ds_query q;
	static __thread struct ds_msg reply;
	int send_it;
	if (ds_parse_query(p, len, &q) < 0 || (q.flags & DS_QR))
		return;
	q.tcp = tcp;
	q.conn = conn;
	if (from)
		q.from = *from;
	DS_ATOMIC_ADD(s->queries, 1);
	if (tcp)
		DS_ATOMIC_ADD(s->tcp_queries, 1);
	else
		DS_ATOMIC_ADD(s->udp_queries, 1);
	pthread_mutex_lock(&s->lock);
	snprintf(s->last_name, sizeof(s->last_name), "%s", q.name);
	if (s->names_len < 32)
		snprintf(s->names[s->names_len++], sizeof(s->names[0]), "%s", q.lname);
	s->last_had_opt = q.has_opt;
	if (!tcp)
		s->last_from = q.from;
	s->last_opt_size = (int)q.opt_udp_size;
	pthread_mutex_unlock(&s->lock);
	if (DS_ATOMIC_GET(s->silent))
		return;
	reply.len = 0;
	if (s->handler) {
		send_it = s->handler(s, &q, &reply, s->handler_arg);
	} else {
		pthread_mutex_lock(&s->lock);
		ds_zone_answer(s, &q, &reply);
		pthread_mutex_unlock(&s->lock);
		send_it = 1;
	}
	if (!send_it)
		return;
	if (!tcp && DS_ATOMIC_GET(s->udp_truncate)) {
		reply.b[2] |= DS_TC >> 8;
		ds_set16(&reply, 6, 0);
		ds_set16(&reply, 8, 0);
		ds_set16(&reply, 10, 0);
		reply.len = q.question_end;
	}
	ds_server_send(s, &q, reply.b, reply.len);
}

static inline void ds_conn_close(struct ds_server *s, int i, int by_peer)
{
	close(s->conns[i]->fd);
	free(s->conns[i]);
	s->conns[i] = NULL;
	DS_ATOMIC_ADD(s->tcp_open, -1);
	if (by_peer)
		DS_ATOMIC_ADD(s->tcp_closes, 1);
}

static inline void *ds_server_main(void *arg)
{
	struct ds_server *s = arg;
	static __thread unsigned char buf[65536];
	int replies[DS_CONN_MAX] = { 0 };
	while (!DS_ATOMIC_GET(s->stop)) {
		struct pollfd pfd[2 + DS_CONN_MAX];
		int map[2 + DS_CONN_MAX];
		int n = 0, i, r;
		pfd[n].fd = s->udp_fd;
		pfd[n].events = POLLIN;
		map[n++] = -1;
		pfd[n].fd = s->tcp_fd;
		pfd[n].events = POLLIN;
		map[n++] = -2;
		for (i = 0; i < DS_CONN_MAX; i++) {
			if (s->conns[i]) {
				pfd[n].fd = s->conns[i]->fd;
				pfd[n].events = POLLIN;
				map[n++] = i;
			}
		}
		r = poll(pfd, (nfds_t)n, 20);
		if (r <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (map[i] == -1) {
				/* Drain a batch of datagrams. */
				int k;
				for (k = 0; k < 256; k++) {
					struct sockaddr_in from;
					socklen_t fl = sizeof(from);
					ssize_t got = recvfrom(s->udp_fd, buf, sizeof(buf), MSG_DONTWAIT,
					    (struct sockaddr *)&from, &fl);
					if (got < 0)
						break;
					ds_server_handle(s, buf, (size_t)got, 0, -1, &from);
				}
			} else if (map[i] == -2) {
				int fd = accept(s->tcp_fd, NULL, NULL);
				int k;
				if (fd < 0)
					continue;
				for (k = 0; k < DS_CONN_MAX && s->conns[k]; k++)
					;
				if (k == DS_CONN_MAX) {
					close(fd);
					continue;
				}
				s->conns[k] = calloc(1, sizeof(struct ds_conn));
				if (!s->conns[k]) {
					close(fd);
					continue;
				}
				s->conns[k]->fd = fd;
				replies[k] = 0;
				DS_ATOMIC_ADD(s->tcp_accepts, 1);
				DS_ATOMIC_ADD(s->tcp_open, 1);
			} else {
				int k = map[i];
				struct ds_conn *c = s->conns[k];
				ssize_t got = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
				if (got <= 0) {
					ds_conn_close(s, k, 1);
					continue;
				}
				c->have += (size_t)got;
				while (c->have >= 2) {
					size_t mlen = ds_get16(c->buf);
					int limit;
					if (c->have < mlen + 2)
						break;
					ds_server_handle(s, c->buf + 2, mlen, 1, k, NULL);
					if (!s->conns[k])
						break;
					memmove(c->buf, c->buf + 2 + mlen, c->have - 2 - mlen);
					c->have -= 2 + mlen;
					limit = DS_ATOMIC_GET(s->tcp_close_after);
					if (limit > 0 && ++replies[k] >= limit) {
						ds_conn_close(s, k, 0);
						break;
					}
				}
			}
		}
	}
	return NULL;
}

/* Starts a server on 127.0.0.1, UDP and TCP on the same port (port 0: any). */
static inline void ds_server_start_on(struct ds_server *s, unsigned short port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int one = 1, tries;
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->soa_minimum = 300;
	for (tries = 0; tries < 50; tries++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons(port);
		s->udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
		REQUIRE(s->udp_fd >= 0);
		REQUIRE(bind(s->udp_fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
		REQUIRE(getsockname(s->udp_fd, (struct sockaddr *)&sin, &sl) == 0);
		s->tcp_fd = socket(AF_INET, SOCK_STREAM, 0);
		REQUIRE(s->tcp_fd >= 0);
		setsockopt(s->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s->tcp_fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			break;
		/* The TCP port of that number is taken: try another. */
		REQUIRE(port == 0);
		close(s->udp_fd);
		close(s->tcp_fd);
	}
	REQUIRE(listen(s->tcp_fd, 16) == 0);
	{
		int big = 4 << 20;
		setsockopt(s->udp_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	s->port = ntohs(sin.sin_port);
	snprintf(s->addr, sizeof(s->addr), "127.0.0.1:%u", s->port);
	REQUIRE(pthread_create(&s->thread, NULL, ds_server_main, s) == 0);
	s->running = 1;
}

static inline void ds_server_start(struct ds_server *s)
{
	ds_server_start_on(s, 0);
}

static inline void ds_server_stop(struct ds_server *s)
{
	int i;
	if (!s->running)
		return;
	DS_ATOMIC_SET(s->stop, 1);
	pthread_join(s->thread, NULL);
	for (i = 0; i < DS_CONN_MAX; i++)
		if (s->conns[i])
			ds_conn_close(s, i, 0);
	close(s->udp_fd);
	close(s->tcp_fd);
	s->running = 0;
}

/* The query names seen since the last call, lower case, separated by spaces. */
static inline const char *ds_server_names(struct ds_server *s)
{
	static char out[32 * 258];
	int i;
	out[0] = 0;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->names_len; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, s->names[i]);
	}
	s->names_len = 0;
	pthread_mutex_unlock(&s->lock);
	return out;
}

/* ---- A resolver base on the fake server --------------------------------------------- */

/* evdns's log messages ("Nameserver ... has failed") are expected noise in these
 * programs; EVRS_DNS_VERBOSE shows them. */
static inline void ds_log_fn(int severity, const char *msg)
{
	if (getenv("EVRS_DNS_VERBOSE"))
		fprintf(stderr, "[evdns %d] %s\n", severity, msg);
}

static inline void ds_quiet_logs(void)
{
	evdns_set_log_fn(ds_log_fn);
}

/* An evdns_base with no system configuration, using `s` only, with short timeouts. */
static inline struct evdns_base *ds_base_for(struct event_base *base, struct ds_server *s)
{
	struct evdns_base *dns = evdns_base_new(base, 0);
	REQUIRE(dns != NULL);
	REQUIRE(evdns_base_nameserver_ip_add(dns, s->addr) == 0);
	REQUIRE(evdns_base_set_option(dns, "timeout:", "0.3") == 0);
	REQUIRE(evdns_base_set_option(dns, "attempts:", "2") == 0);
	return dns;
}

/* A result of evdns_base_resolve_* kept for checks. */
struct ds_result {
	int calls;
	int result;
	char type;
	int count;
	int ttl;
	char addrs[8][64];	/* text of up to 8 addresses, or the PTR name in addrs[0] */
};

static inline void ds_result_cb(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct ds_result *r = arg;
	int i;
	r->calls++;
	r->result = result;
	r->type = type;
	r->count = count;
	r->ttl = ttl;
	if (result != DNS_ERR_NONE || !addresses)
		return;
	for (i = 0; i < count && i < 8; i++) {
		if (type == DNS_IPv4_A)
			inet_ntop(AF_INET, (char *)addresses + 4 * i, r->addrs[i], sizeof(r->addrs[i]));
		else if (type == DNS_IPv6_AAAA)
			inet_ntop(AF_INET6, (char *)addresses + 16 * i, r->addrs[i], sizeof(r->addrs[i]));
		else if (type == DNS_PTR && i == 0)
			snprintf(r->addrs[0], sizeof(r->addrs[0]), "%s", *(char **)addresses);
	}
}

/* ---- A one-shot UDP client ---------------------------------------------------------- */

/* Sends a query to 127.0.0.1:port and waits up to timeout_ms for a reply with the same
 * id; returns its length or -1. */
static inline int ds_udp_ask(unsigned short port, const char *name, unsigned qtype,
    unsigned char *out, size_t cap, int timeout_ms)
{
	struct ds_msg *q = malloc(sizeof(*q));
	struct sockaddr_in to;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), got = -1;
	unsigned id = (unsigned)(rand() & 0xffff);
	double end = ds_now() + timeout_ms / 1000.0;
	REQUIRE(fd >= 0 && q != NULL);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(port);
	ds_build_query(q, id, name, qtype);
	if (sendto(fd, q->b, q->len, 0, (struct sockaddr *)&to, sizeof(to)) >= 0) {
		while (ds_now() < end) {
			struct pollfd p = { fd, POLLIN, 0 };
			if (poll(&p, 1, 20) > 0) {
				ssize_t n = recv(fd, out, cap, 0);
				if (n >= 12 && ds_get16(out) == id) {
					got = (int)n;
					break;
				}
			}
		}
	}
	close(fd);
	free(q);
	return got;
}

/* ---- Ports and programs ------------------------------------------------------------- */

/* A port free for both UDP and TCP on 127.0.0.1 right now. */
static inline unsigned short ds_free_port(void)
{
	int tries;
	for (tries = 0; tries < 100; tries++) {
		struct sockaddr_in sin;
		socklen_t sl = sizeof(sin);
		int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0), ok;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		REQUIRE(u >= 0 && t >= 0);
		REQUIRE(bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0);
		REQUIRE(getsockname(u, (struct sockaddr *)&sin, &sl) == 0);
		ok = bind(t, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(u);
		close(t);
		if (ok && ntohs(sin.sin_port) >= 1024)
			return ntohs(sin.sin_port);
	}
	REQUIRE(!"no free port");
	return 0;
}

/* Full path of an executable found on PATH or in the sbin directories, or NULL. */
static inline const char *ds_find_program(const char *name)
{
	static char found[4096];
	const char *path = getenv("PATH");
	char all[8192];
	char *p, *save = NULL;
	snprintf(all, sizeof(all), "%s:/usr/sbin:/sbin:/usr/local/sbin", path ? path : "/usr/bin:/bin");
	for (p = strtok_r(all, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		snprintf(found, sizeof(found), "%s/%s", p, name);
		if (access(found, X_OK) == 0)
			return found;
	}
	return NULL;
}

static pid_t ds_children[4];

static inline void ds_kill_children(void)
{
	int i;
	for (i = 0; i < 4; i++) {
		if (ds_children[i] > 0) {
			kill(ds_children[i], SIGKILL);
			waitpid(ds_children[i], NULL, 0);
			ds_children[i] = 0;
		}
	}
}

/* Starts argv[0] (a full path); it dies with us (PR_SET_PDEATHSIG) and is killed at
 * exit. Its output goes to /dev/null unless EVRS_DNS_VERBOSE is set. */
static inline pid_t ds_spawn(char *const argv[])
{
	pid_t pid;
	int i;
	static int registered;
	if (!registered) {
		atexit(ds_kill_children);
		registered = 1;
	}
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!getenv("EVRS_DNS_VERBOSE")) {
			int null = open("/dev/null", O_RDWR);
			if (null >= 0) {
				dup2(null, 1);
				dup2(null, 2);
			}
		}
		execv(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 4; i++) {
		if (ds_children[i] == 0) {
			ds_children[i] = pid;
			break;
		}
	}
	return pid;
}

static inline void ds_reap(pid_t pid)
{
	int i;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	for (i = 0; i < 4; i++)
		if (ds_children[i] == pid)
			ds_children[i] = 0;
}

/* Starts dnsmasq on 127.0.0.1:port with `extra` options (NULL-terminated) after the
 * isolating ones (-C /dev/null --no-resolv --no-hosts); waits until it answers a query
 * for `ready_name` (type A). Returns its pid, or 0 when dnsmasq is not installed. */
static inline pid_t ds_dnsmasq_start(unsigned short port, const char *ready_name,
    const char *const extra[])
{
	static char path[4096];
	const char *prog = ds_find_program("dnsmasq");
	char *argv[64];
	char portopt[32];
	int n = 0, i;
	pid_t pid;
	double end;
	if (!prog)
		return 0;
	snprintf(portopt, sizeof(portopt), "--port=%u", port);
	snprintf(path, sizeof(path), "%s", prog);
	argv[n++] = path;
	argv[n++] = "--keep-in-foreground";
	argv[n++] = "-C";
	argv[n++] = "/dev/null";
	argv[n++] = "--no-resolv";
	argv[n++] = "--no-hosts";
	argv[n++] = "--listen-address=127.0.0.1";
	argv[n++] = "--bind-interfaces";
	argv[n++] = "--pid-file=";
	argv[n++] = "--user=";	/* keep our user: the hosts file stays readable */
	argv[n++] = portopt;
	for (i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	pid = ds_spawn(argv);
	end = ds_now() + 5;
	while (ds_now() < end) {
		unsigned char buf[512];
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			for (i = 0; i < 4; i++)
				if (ds_children[i] == pid)
					ds_children[i] = 0;
			fprintf(stderr, "dnsmasq exited at once (status %d)\n", st);
			return -1;
		}
		if (ds_udp_ask(port, ready_name, DS_TYPE_A, buf, sizeof(buf), 100) > 0)
			return pid;
	}
	return -1;
}

#endif
