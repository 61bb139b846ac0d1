/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixtures shared by the HTTP and WebSocket test programs: an evhttp server on a free
 * loopback port, a raw nonblocking client socket that the test drives between short runs
 * of the event loop (so the server, on the same base, keeps working), and a small parser
 * for the responses the raw client reads, so the exact bytes on the wire can be checked. */
#ifndef EVRS_C_TESTS_HTTP_SUPPORT_H
#define EVRS_C_TESTS_HTTP_SUPPORT_H

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

/* How long a wait for something that should happen promptly may last, in ms. */
#define HTTP_WAIT_MS 5000

/* The local port of a bound socket. */
static inline ev_uint16_t socket_port(evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	ev_socklen_t len = sizeof(ss);
	REQUIRE(getsockname(fd, (struct sockaddr *)&ss, &len) == 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* An evhttp server listening on 127.0.0.1 at a port the system chose. */
static inline struct evhttp *start_server(struct event_base *base, ev_uint16_t *port,
    struct evhttp_bound_socket **handle_out)
{
	struct evhttp *http = evhttp_new(base);
	struct evhttp_bound_socket *handle;
	REQUIRE(http != NULL);
	handle = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	REQUIRE(handle != NULL);
	*port = socket_port(evhttp_bound_socket_get_fd(handle));
	if (handle_out)
		*handle_out = handle;
	return http;
}

/* Milliseconds on a clock that only goes forward. Waits are measured on it rather than
 * by counting loop runs, so that a slow run (under valgrind, say) does not stretch
 * them. */
static inline long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies src (NULL: "(null)") into dst of cap bytes, cut to fit. */
static inline void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n;
	if (!src)
		src = "(null)";
	n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- A raw client -------------------------------------------------------------- */

struct raw_conn {
	evutil_socket_t fd;
	char *data; /* everything read and not yet consumed, NUL-terminated */
	size_t len;
	size_t cap;
	int eof;   /* the peer closed (or reset) the connection */
	int reset; /* ... with a reset */
};

static inline void raw_open_addr(struct raw_conn *c, const struct sockaddr *sa,
    ev_socklen_t salen)
{
	memset(c, 0, sizeof(*c));
	c->fd = socket(sa->sa_family, SOCK_STREAM, 0);
	REQUIRE(c->fd >= 0);
	/* A loopback connect completes as soon as the kernel queues it for accept. */
	REQUIRE(connect(c->fd, sa, salen) == 0);
	REQUIRE(evutil_make_socket_nonblocking(c->fd) == 0);
	c->cap = 4096;
	c->data = malloc(c->cap);
	REQUIRE(c->data != NULL);
	c->data[0] = '\0';
}

static inline void raw_open(struct raw_conn *c, ev_uint16_t port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	raw_open_addr(c, (struct sockaddr *)&sin, sizeof(sin));
}

static inline void raw_close(struct raw_conn *c)
{
	if (c->fd >= 0)
		evutil_closesocket(c->fd);
	c->fd = -1;
	free(c->data);
	c->data = NULL;
	c->len = c->cap = 0;
}

/* Reads whatever the socket has now. */
static inline void raw_poll(struct raw_conn *c)
{
	for (;;) {
		ssize_t n;
		if (c->cap - c->len < 4096) {
			c->cap *= 2;
			c->data = realloc(c->data, c->cap);
			REQUIRE(c->data != NULL);
		}
		n = recv(c->fd, c->data + c->len, c->cap - c->len - 1, 0);
		if (n > 0) {
			c->len += (size_t)n;
			c->data[c->len] = '\0';
			continue;
		}
		if (n == 0) {
			c->eof = 1;
		} else if (errno == ECONNRESET) {
			c->eof = 1;
			c->reset = 1;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			c->eof = 1;
		}
		return;
	}
}

/* Runs the loop for about ms milliseconds, then reads what arrived. */
static inline void pump(struct event_base *base, struct raw_conn *c, int ms)
{
	run_for(base, ms);
	if (c)
		raw_poll(c);
}

/* Sends all n bytes, running the loop while the socket is full. Returns 0, or -1 if
 * the peer stopped taking data. */
static inline int raw_write(struct event_base *base, struct raw_conn *c, const void *p,
    size_t n)
{
	const char *s = p;
	long long end = now_ms() + HTTP_WAIT_MS;
	while (n > 0) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
		    now_ms() < end) {
			pump(base, c, 10);
			continue;
		}
		return -1;
	}
	return 0;
}

static inline int raw_send(struct event_base *base, struct raw_conn *c, const char *s)
{
	return raw_write(base, c, s, strlen(s));
}

/* Drops the first n bytes read. */
static inline void raw_consume(struct raw_conn *c, size_t n)
{
	if (n > c->len)
		n = c->len;
	memmove(c->data, c->data + n, c->len - n);
	c->len -= n;
	c->data[c->len] = '\0';
}

/* Waits until the peer closes; returns 1 if it did within ms. */
static inline int raw_wait_eof(struct event_base *base, struct raw_conn *c, int ms)
{
	long long end = now_ms() + ms;
	while (!c->eof && now_ms() < end)
		pump(base, c, 10);
	return c->eof;
}

/* Waits until at least n bytes have been read (or the peer closed). */
static inline int raw_wait_len(struct event_base *base, struct raw_conn *c, size_t n, int ms)
{
	long long end = now_ms() + ms;
	while (c->len < n && !c->eof && now_ms() < end)
		pump(base, c, 10);
	return c->len >= n;
}

/* Waits until the bytes read contain needle (or the peer closed). */
static inline int raw_wait_str(struct event_base *base, struct raw_conn *c,
    const char *needle, int ms)
{
	long long end = now_ms() + ms;
	while (!strstr(c->data, needle) && !c->eof && now_ms() < end)
		pump(base, c, 10);
	return strstr(c->data, needle) != NULL;
}

/* ---- A raw server, to see what a client sends ---------------------------------- */

/* A nonblocking socket listening on 127.0.0.1 at a free port. */
static inline evutil_socket_t raw_listen(ev_uint16_t *port)
{
	struct sockaddr_in sin;
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(fd, 16) == 0);
	REQUIRE(evutil_make_socket_nonblocking(fd) == 0);
	*port = socket_port(fd);
	return fd;
}

/* Runs the loop until a connection comes to lfd; 1 if one came (into c). */
static inline int raw_accept(struct event_base *base, evutil_socket_t lfd, struct raw_conn *c,
    int ms)
{
	long long end = now_ms() + ms;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	while (now_ms() <= end) {
		evutil_socket_t fd = accept(lfd, NULL, NULL);
		if (fd >= 0) {
			REQUIRE(evutil_make_socket_nonblocking(fd) == 0);
			c->fd = fd;
			c->cap = 4096;
			c->data = malloc(c->cap);
			REQUIRE(c->data != NULL);
			c->data[0] = '\0';
			return 1;
		}
		run_for(base, 10);
	}
	return 0;
}

/* A port nothing listens on (bound, then closed). */
static inline ev_uint16_t closed_port(void)
{
	ev_uint16_t port;
	evutil_socket_t fd = raw_listen(&port);
	evutil_closesocket(fd);
	return port;
}

/* ---- Parsing what the raw client read ------------------------------------------ */

#define RESP_MAX_HEADERS 32

struct resp {
	int major, minor, code;
	char reason[512];
	int nheaders;
	char keys[RESP_MAX_HEADERS][64];
	char values[RESP_MAX_HEADERS][512];
	char *body; /* NUL-terminated, malloc'd */
	size_t body_len;
	size_t wire_len; /* bytes of the whole response on the wire */
};

static inline const char *resp_header(const struct resp *r, const char *key)
{
	for (int i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->keys[i], key) == 0)
			return r->values[i];
	return NULL;
}

static inline int resp_header_count(const struct resp *r, const char *key)
{
	int n = 0;
	for (int i = 0; i < r->nheaders; i++)
		n += strcasecmp(r->keys[i], key) == 0;
	return n;
}

static inline void resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* The line starting at p (ending in CRLF), copied to out; returns the length of the
 * line with its CRLF, or 0 if it is not complete yet. */
static inline size_t take_line(const char *p, size_t avail, char *out, size_t outcap)
{
	const char *e = memchr(p, '\n', avail);
	size_t n;
	if (!e)
		return 0;
	n = (size_t)(e - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n >= outcap)
		n = outcap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return (size_t)(e - p) + 1;
}

/* Parses one response at the start of data. no_body: the request was HEAD. Returns the
 * bytes it spans, 0 if incomplete, -1 if it is not a response. */
static inline long resp_parse(const char *data, size_t len, int eof, int no_body,
    struct resp *r)
{
	char line[1024];
	size_t pos = 0, n;
	const char *cl, *te;
	int nread;

	memset(r, 0, sizeof(*r));
	n = take_line(data, len, line, sizeof(line));
	if (!n)
		return 0;
	pos += n;
	if (sscanf(line, "HTTP/%d.%d %d%n", &r->major, &r->minor, &r->code, &nread) != 3)
		return -1;
	if (line[nread] == ' ')
		nread++;
	copy_text(r->reason, sizeof(r->reason), line + nread);
	for (;;) {
		char *colon;
		n = take_line(data + pos, len - pos, line, sizeof(line));
		if (!n)
			return 0;
		pos += n;
		if (line[0] == '\0')
			break;
		colon = strchr(line, ':');
		if (!colon || r->nheaders >= RESP_MAX_HEADERS)
			return -1;
		*colon = '\0';
		copy_text(r->keys[r->nheaders], sizeof(r->keys[0]), line);
		colon++;
		while (*colon == ' ')
			colon++;
		copy_text(r->values[r->nheaders], sizeof(r->values[0]), colon);
		r->nheaders++;
	}
	cl = resp_header(r, "Content-Length");
	te = resp_header(r, "Transfer-Encoding");
	if (no_body || (r->code >= 100 && r->code < 200) || r->code == 204 || r->code == 304) {
		r->body = calloc(1, 1);
	} else if (te && strcasecmp(te, "chunked") == 0) {
		size_t cap = 64;
		r->body = malloc(cap);
		for (;;) {
			unsigned long sz;
			char *end;
			n = take_line(data + pos, len - pos, line, sizeof(line));
			if (!n) {
				resp_free(r);
				return 0;
			}
			pos += n;
			sz = strtoul(line, &end, 16);
			if (end == line) {
				resp_free(r);
				return -1;
			}
			if (sz == 0) {
				/* Trailers, then the empty line. */
				for (;;) {
					n = take_line(data + pos, len - pos, line, sizeof(line));
					if (!n) {
						resp_free(r);
						return 0;
					}
					pos += n;
					if (line[0] == '\0')
						break;
				}
				break;
			}
			if (len - pos < sz + 2) {
				resp_free(r);
				return 0;
			}
			while (cap < r->body_len + sz + 1)
				cap *= 2;
			r->body = realloc(r->body, cap);
			memcpy(r->body + r->body_len, data + pos, sz);
			r->body_len += sz;
			pos += sz + 2;
		}
		r->body[r->body_len] = '\0';
	} else if (cl) {
		size_t want = (size_t)strtoull(cl, NULL, 10);
		if (len - pos < want)
			return 0;
		r->body = malloc(want + 1);
		memcpy(r->body, data + pos, want);
		r->body[want] = '\0';
		r->body_len = want;
		pos += want;
	} else {
		/* Delimited by the end of the connection. */
		if (!eof)
			return 0;
		r->body = malloc(len - pos + 1);
		memcpy(r->body, data + pos, len - pos);
		r->body[len - pos] = '\0';
		r->body_len = len - pos;
		pos = len;
	}
	r->wire_len = pos;
	return (long)pos;
}

/* Waits for one complete response, takes it off the connection's data. Returns 1 if
 * one was read. */
static inline int raw_read_response(struct event_base *base, struct raw_conn *c,
    int no_body, struct resp *r)
{
	long n = 0;
	long long end = now_ms() + HTTP_WAIT_MS;
	while (now_ms() <= end) {
		n = resp_parse(c->data, c->len, c->eof, no_body, r);
		if (n != 0 || c->eof)
			break;
		pump(base, c, 10);
	}
	if (n == 0)
		n = resp_parse(c->data, c->len, c->eof, no_body, r);
	if (n <= 0) {
		/* None: an empty body, so that checks on it fail rather than crash. */
		memset(r, 0, sizeof(*r));
		r->code = -1;
		r->body = calloc(1, 1);
		REQUIRE(r->body != NULL);
		return 0;
	}
	raw_consume(c, (size_t)n);
	return 1;
}

/* One request on a new connection: sends it, reads one response, and reports whether
 * the server then closed the connection (1), or kept it open for about 50 ms (0). */
static inline int raw_roundtrip(struct event_base *base, ev_uint16_t port, const char *request,
    int no_body, struct resp *r)
{
	struct raw_conn c;
	int closed;
	raw_open(&c, port);
	raw_send(base, &c, request);
	raw_read_response(base, &c, no_body, r);
	/* At least a few turns of the loop, however slow they are. */
	{
		long long end = now_ms() + 50;
		for (int turns = 0; !c.eof && (turns < 5 || now_ms() < end); turns++)
			pump(base, &c, 10);
	}
	closed = c.eof;
	raw_close(&c);
	return closed;
}

/* ---- WebSocket frames, as a raw client writes and reads them -------------------- */

/* Appends one frame to out (of cap bytes); returns its length. masked: with the key
 * 11 22 33 44. Lengths of 126 and more use the 16-bit form, 65536 and more the
 * 64-bit form. */
static inline size_t ws_frame(unsigned char *out, size_t cap, int opcode, int fin,
    int masked, const void *payload, size_t len)
{
	static const unsigned char key[4] = {0x11, 0x22, 0x33, 0x44};
	size_t pos = 0;
	REQUIRE(cap >= len + 14);
	out[pos++] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126) {
		out[pos++] = (unsigned char)((masked ? 0x80 : 0) | len);
	} else if (len < 65536) {
		out[pos++] = (unsigned char)((masked ? 0x80 : 0) | 126);
		out[pos++] = (unsigned char)(len >> 8);
		out[pos++] = (unsigned char)len;
	} else {
		out[pos++] = (unsigned char)((masked ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			out[pos++] = (unsigned char)((unsigned long long)len >> (8 * i));
	}
	if (masked) {
		memcpy(out + pos, key, 4);
		pos += 4;
	}
	for (size_t i = 0; i < len; i++)
		out[pos + i] = ((const unsigned char *)payload)[i] ^ (masked ? key[i % 4] : 0);
	return pos + len;
}

/* Sends one frame. */
static inline void ws_send_frame(struct event_base *base, struct raw_conn *c, int opcode,
    int fin, int masked, const void *payload, size_t len)
{
	unsigned char *buf = malloc(len + 14);
	size_t n;
	REQUIRE(buf != NULL);
	n = ws_frame(buf, len + 14, opcode, fin, masked, payload, len);
	raw_write(base, c, buf, n);
	free(buf);
}

struct ws_msg {
	int opcode;
	int fin;
	int masked;
	size_t len;
	unsigned char *data; /* NUL-terminated copy, malloc'd */
};

/* Parses one frame at the start of what c read; returns its length, or 0. */
static inline size_t ws_parse(const struct raw_conn *c, struct ws_msg *m)
{
	const unsigned char *p = (const unsigned char *)c->data;
	size_t pos = 2, len;
	if (c->len < 2)
		return 0;
	m->opcode = p[0] & 0x0f;
	m->fin = !!(p[0] & 0x80);
	m->masked = !!(p[1] & 0x80);
	len = p[1] & 0x7f;
	if (len == 126) {
		if (c->len < 4)
			return 0;
		len = ((size_t)p[2] << 8) | p[3];
		pos = 4;
	} else if (len == 127) {
		if (c->len < 10)
			return 0;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = (len << 8) | p[2 + i];
		pos = 10;
	}
	if (m->masked)
		pos += 4;
	if (c->len - pos < len)
		return 0;
	m->len = len;
	m->data = malloc(len + 1);
	REQUIRE(m->data != NULL);
	memcpy(m->data, p + pos, len);
	if (m->masked)
		for (size_t i = 0; i < len; i++)
			m->data[i] ^= p[pos - 4 + i % 4];
	m->data[len] = '\0';
	return pos + len;
}

/* Waits for the next frame from the server, skipping pongs (libevent 2.2.1 answers no
 * ping, an implementation may). Returns 1 with the frame in m, 0 if none came. */
static inline int ws_read(struct event_base *base, struct raw_conn *c, struct ws_msg *m)
{
	long long end = now_ms() + HTTP_WAIT_MS;
	memset(m, 0, sizeof(*m));
	while (now_ms() <= end) {
		size_t n = ws_parse(c, m);
		if (n) {
			raw_consume(c, n);
			if (m->opcode == 0xA) {
				free(m->data);
				memset(m, 0, sizeof(*m));
				continue;
			}
			return 1;
		}
		if (c->eof)
			break;
		pump(base, c, 10);
	}
	m->opcode = -1;
	return 0;
}

static inline void ws_msg_free(struct ws_msg *m)
{
	free(m->data);
	m->data = NULL;
}

/* The handshake request for key, with extra header lines (or ""). */
static inline void ws_handshake(struct event_base *base, struct raw_conn *c, const char *key,
    const char *extra)
{
	char req[1024];
	snprintf(req, sizeof(req),
	    "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n", key, extra);
	raw_send(base, c, req);
}

/* ---- Headers ------------------------------------------------------------------- */

static inline int count_headers(const struct evkeyvalq *headers)
{
	int n = 0;
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, headers, next)
		n++;
	return n;
}

/* The body of a request or response as a malloc'd NUL-terminated copy. */
static inline char *buffer_text(struct evbuffer *buf)
{
	size_t n = evbuffer_get_length(buf);
	char *s = malloc(n + 1);
	REQUIRE(s != NULL);
	evbuffer_copyout(buf, s, n);
	s[n] = '\0';
	return s;
}

#endif
