/* How TLS socket bufferevents fail, and how they end. The client reaches the server
 * through a relay in the same loop that passes whole TLS records on (so it can stop
 * between records or in the middle of one) over a TCP connection (so it can reset).
 *  - A verify callback of the program that checks the name (X509_check_host) and
 *    refuses: ERROR|READING on both ends (the server hears the alert), the verification failure queued, the callback's
 *    X509_V_ERR_HOSTNAME_MISMATCH in SSL_get_verify_result; the same callback with
 *    the right name connects.
 *  - A server that speaks TLS 1.3 only and a client that speaks at most TLS 1.2:
 *    ERROR|READING on both ends, with OpenSSL's reasons queued.
 *  - A peer that reads the ClientHello and resets the connection: ERROR|READING on
 *    the client, SSL_ERROR_SYSCALL queued, errno ECONNRESET, no CONNECTED.
 *  - Half of a record, then a reset: the same; half of a record, then a plain
 *    close: ERROR|READING with OpenSSL's "unexpected eof".
 *  - close_notify, then the close: EOF|READING with nothing queued; a close without
 *    close_notify: ERROR|READING. With dirty shutdowns allowed, a close without
 *    close_notify (after a whole record or half of one) is EOF|READING on evrs and
 *    ERROR|READING on libevent over OpenSSL 3 (see dirty_allowed_end).
 *  - Data and close_notify in one segment with the connection left open: the data,
 *    then EOF|READING (libevent 2.2.1 loses the EOF there).
 *  - The fd closed by the program and replaced by -1 (as evhttp does): freeing the
 *    bufferevent leaves alone a new socket with the old number. */
// test: link event_openssl event_core ssl crypto
// test: timeout 60
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "ssl_peer_support.h"

static struct event_base *base;
static struct sps_identity identity;

/* ---- The relay ----------------------------------------------------------------------- */

enum relay_mode {
	RELAY_FORWARD,
	RELAY_HOLD,		/* keep the server's records until released */
	RELAY_CUT_RESET,	/* the next record half, then a reset */
	RELAY_CUT_CLOSE,	/* the next record half, then a plain close */
	RELAY_HELLO_RESET,	/* no server: read the ClientHello, then reset */
};

struct relay {
	evutil_socket_t client_side;	/* TCP, accepted from the client */
	evutil_socket_t server_side;	/* socket pair end, towards the server */
	struct event *client_ev;
	struct event *server_ev;
	struct evbuffer *from_server;	/* not yet a whole record */
	struct evbuffer *from_client;	/* RELAY_HELLO_RESET only */
	struct evbuffer *held;
	int held_records;
	enum relay_mode mode;
	int cut;
};

static void send_all(evutil_socket_t fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;	/* loopback: drains at once */
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void relay_close_client_side(struct relay *r, int reset)
{
	if (r->client_side < 0)
		return;
	if (reset) {
		struct linger lg = {1, 0};
		setsockopt(r->client_side, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	event_del(r->client_ev);
	evutil_closesocket(r->client_side);
	r->client_side = -1;
	r->cut = 1;
}

/* Length of the whole record at the front of buf, or 0 if it is not all there. */
static size_t whole_record(struct evbuffer *buf)
{
	unsigned char header[5];
	size_t len;
	if (evbuffer_copyout(buf, header, 5) != 5)
		return 0;
	len = 5 + ((size_t)header[3] << 8 | header[4]);
	return evbuffer_get_length(buf) >= len ? len : 0;
}

static void relay_server_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;
	unsigned char buf[65536];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	size_t len;
	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The server closed: so does the relay, after what it passed on. */
		event_del(r->server_ev);
		relay_close_client_side(r, 0);
		return;
	}
	evbuffer_add(r->from_server, buf, (size_t)n);
	while ((len = whole_record(r->from_server)) > 0 && r->client_side >= 0) {
		unsigned char record[5 + 65536];
		evbuffer_remove(r->from_server, record, len);
		switch (r->mode) {
		case RELAY_HOLD:
			evbuffer_add(r->held, record, len);
			r->held_records++;
			break;
		case RELAY_CUT_RESET:
		case RELAY_CUT_CLOSE:
			send_all(r->client_side, record, 5 + (len - 5) / 2);
			relay_close_client_side(r, r->mode == RELAY_CUT_RESET);
			break;
		default:
			send_all(r->client_side, record, len);
			break;
		}
	}
}

static void relay_client_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;
	unsigned char buf[65536];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		relay_close_client_side(r, 0);
		if (r->server_side >= 0)
			shutdown(r->server_side, SHUT_WR);
		return;
	}
	if (r->mode == RELAY_HELLO_RESET) {
		evbuffer_add(r->from_client, buf, (size_t)n);
		if (whole_record(r->from_client) > 0)
			relay_close_client_side(r, 1);
		return;
	}
	send_all(r->server_side, buf, (size_t)n);
}

/* Sends what the relay holds in one segment and forwards from now on. */
static void relay_release(struct relay *r)
{
	size_t len = evbuffer_get_length(r->held);
	send_all(r->client_side, evbuffer_pullup(r->held, -1), len);
	evbuffer_drain(r->held, len);
	r->mode = RELAY_FORWARD;
}

/* A relay on a new TCP connection; *client_fd is the client's end, *server_fd the
 * server's (or -1 with RELAY_HELLO_RESET). */
static void relay_start(struct relay *r, enum relay_mode mode, evutil_socket_t *client_fd,
    evutil_socket_t *server_fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	evutil_socket_t listener = socket(AF_INET, SOCK_STREAM, 0);
	evutil_socket_t pair[2];
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	REQUIRE(listener >= 0);
	hps_loopback(&sin, 0);
	REQUIRE(bind(listener, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(listener, 1) == 0);
	REQUIRE(getsockname(listener, (struct sockaddr *)&sin, &len) == 0);
	*client_fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(*client_fd >= 0);
	/* The kernel completes the connect from the backlog. */
	REQUIRE(connect(*client_fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	r->client_side = accept(listener, NULL, NULL);
	REQUIRE(r->client_side >= 0);
	evutil_closesocket(listener);
	evutil_make_socket_nonblocking(*client_fd);
	evutil_make_socket_nonblocking(r->client_side);
	r->server_side = -1;
	*server_fd = -1;
	if (mode != RELAY_HELLO_RESET) {
		REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
		evutil_make_socket_nonblocking(pair[0]);
		evutil_make_socket_nonblocking(pair[1]);
		r->server_side = pair[0];
		*server_fd = pair[1];
		r->server_ev = event_new(base, r->server_side, EV_READ | EV_PERSIST,
		    relay_server_cb, r);
		REQUIRE(r->server_ev != NULL);
		event_add(r->server_ev, NULL);
	}
	r->client_ev = event_new(base, r->client_side, EV_READ | EV_PERSIST, relay_client_cb, r);
	REQUIRE(r->client_ev != NULL);
	event_add(r->client_ev, NULL);
	r->from_server = evbuffer_new();
	r->from_client = evbuffer_new();
	r->held = evbuffer_new();
}

static void relay_free(struct relay *r)
{
	relay_close_client_side(r, 0);
	if (r->server_ev)
		event_free(r->server_ev);
	if (r->server_side >= 0)
		evutil_closesocket(r->server_side);
	event_free(r->client_ev);
	evbuffer_free(r->from_server);
	evbuffer_free(r->from_client);
	evbuffer_free(r->held);
}

/* ---- Ends ---------------------------------------------------------------------------- */

struct end {
	struct bufferevent *bev;
	SSL *ssl;
	int connected;
	char data[256];
	size_t data_len;
	short end_event;
	int end_errno;
	unsigned long errors[4];
	long verify_result;
	int ended;
};

static void end_read(struct bufferevent *bev, void *arg)
{
	struct end *e = arg;
	e->data_len += bufferevent_read(bev, e->data + e->data_len,
	    sizeof(e->data) - 1 - e->data_len);
	e->data[e->data_len] = '\0';
}

static void end_event(struct bufferevent *bev, short what, void *arg)
{
	struct end *e = arg;
	if (what & BEV_EVENT_CONNECTED) {
		e->connected++;
		return;
	}
	e->end_event = what;
	e->end_errno = EVUTIL_SOCKET_ERROR();
	for (int i = 0; i < 4; i++)
		e->errors[i] = bufferevent_get_openssl_error(bev);
	e->verify_result = SSL_get_verify_result(e->ssl);
	bufferevent_free(bev);
	e->bev = NULL;
	e->ended = 1;
}

static void end_start(struct end *e, evutil_socket_t fd, SSL *ssl, int accepting)
{
	memset(e, 0, sizeof(*e));
	e->ssl = ssl;
	e->bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    accepting ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(e->bev != NULL);
	bufferevent_setcb(e->bev, end_read, NULL, end_event, e);
	bufferevent_enable(e->bev, EV_READ | EV_WRITE);
}

static void end_free(struct end *e)
{
	if (e->bev)
		bufferevent_free(e->bev);
	e->bev = NULL;
}

static int ended(void *arg)
{
	return ((struct end *)arg)->ended;
}

struct pair_ends {
	struct end *client;
	struct end *server;
};

static int both_connected_or_ended(void *arg)
{
	struct pair_ends *p = arg;
	return (p->client->connected || p->client->ended) &&
	    (p->server->connected || p->server->ended);
}

static int both_ended(void *arg)
{
	struct pair_ends *p = arg;
	return p->client->ended && p->server->ended;
}

static int client_has_data(void *arg)
{
	struct end *e = arg;
	return e->ended || e->data_len > 0;
}

static int held_two(void *arg)
{
	return ((struct relay *)arg)->held_records >= 2;
}

static int held_one(void *arg)
{
	return ((struct relay *)arg)->held_records >= 1;
}

static void print_end(const char *what, const struct end *e)
{
	fprintf(stderr, "%s: connected %d, end %#x, errno %d, errors %#lx %#lx %#lx\n", what,
	    e->connected, e->end_event, e->end_errno, e->errors[0], e->errors[1],
	    e->errors[2]);
}

/* A client and a server through a relay in `mode`. The client SSL is made from
 * client_ctx; the server's from server_ctx. */
static void start_pair(struct relay *r, enum relay_mode mode, SSL_CTX *client_ctx,
    SSL_CTX *server_ctx, struct end *client, struct end *server)
{
	evutil_socket_t client_fd, server_fd;
	SSL *client_ssl = SSL_new(client_ctx);
	REQUIRE(client_ssl != NULL);
	SSL_set_tlsext_host_name(client_ssl, "localhost");
	relay_start(r, mode, &client_fd, &server_fd);
	memset(server, 0, sizeof(*server));
	if (server_fd >= 0)
		end_start(server, server_fd, SSL_new(server_ctx), 1);
	end_start(client, client_fd, client_ssl, 0);
}

/* ---- Cases --------------------------------------------------------------------------- */

static const char *checked_name;

static int verify_name_cb(int preverify_ok, X509_STORE_CTX *ctx)
{
	X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
	if (!preverify_ok)
		return 0;
	if (X509_STORE_CTX_get_error_depth(ctx) == 0 &&
	    X509_check_host(cert, checked_name, 0, 0, NULL) != 1) {
		X509_STORE_CTX_set_error(ctx, X509_V_ERR_HOSTNAME_MISMATCH);
		return 0;
	}
	return 1;
}

static void name_checked_by_callback(const char *name, int matches)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct relay r;
	struct end client, server;
	struct pair_ends p = {&client, &server};
	REQUIRE(ctx != NULL);
	/* The same trust as the identity's client context, plus the program's check. */
	X509_STORE_up_ref(SSL_CTX_get_cert_store(identity.client));
	SSL_CTX_set_cert_store(ctx, SSL_CTX_get_cert_store(identity.client));
	checked_name = name;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_name_cb);
	start_pair(&r, RELAY_FORWARD, ctx, identity.server, &client, &server);
	if (matches) {
		CHECK(sps_run_until(base, both_connected_or_ended, &p, 10000));
		CHECK_INT_EQ(client.connected, 1);
		CHECK_INT_EQ(server.connected, 1);
		CHECK_INT_EQ(SSL_get_verify_result(client.ssl), X509_V_OK);
	} else {
		CHECK(sps_run_until(base, both_ended, &p, 10000));
		print_end("name mismatch client", &client);
		print_end("name mismatch server", &server);
		CHECK_INT_EQ(client.connected, 0);
		CHECK_INT_EQ(client.end_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
		CHECK_INT_EQ(ERR_GET_LIB(client.errors[0]), ERR_LIB_SSL);
		CHECK_INT_EQ(ERR_GET_REASON(client.errors[0]), SSL_R_CERTIFICATE_VERIFY_FAILED);
		CHECK_UINT_EQ(client.errors[1], SSL_ERROR_SSL);
		CHECK_UINT_EQ(client.errors[2], 0);
		CHECK_INT_EQ(client.verify_result, X509_V_ERR_HOSTNAME_MISMATCH);
		/* The server hears the client's alert. */
		CHECK_INT_EQ(server.connected, 0);
		CHECK_INT_EQ(server.end_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
		CHECK_INT_EQ(ERR_GET_LIB(server.errors[0]), ERR_LIB_SSL);
	}
	end_free(&client);
	end_free(&server);
	relay_free(&r);
	SSL_CTX_free(ctx);
}

static void protocol_mismatch(void)
{
	SSL_CTX *server_ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX *client_ctx = SSL_CTX_new(TLS_client_method());
	struct relay r;
	struct end client, server;
	struct pair_ends p = {&client, &server};
	EVP_PKEY *key;
	X509 *cert;
	REQUIRE(server_ctx && client_ctx);
	REQUIRE(sps_make_identity(&key, &cert) == 0);
	REQUIRE(SSL_CTX_use_certificate(server_ctx, cert) == 1);
	REQUIRE(SSL_CTX_use_PrivateKey(server_ctx, key) == 1);
	EVP_PKEY_free(key);
	X509_free(cert);
	SSL_CTX_set_min_proto_version(server_ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(client_ctx, TLS1_2_VERSION);
	start_pair(&r, RELAY_FORWARD, client_ctx, server_ctx, &client, &server);
	CHECK(sps_run_until(base, both_ended, &p, 10000));
	print_end("protocol mismatch client", &client);
	print_end("protocol mismatch server", &server);
	CHECK_INT_EQ(client.connected, 0);
	CHECK_INT_EQ(server.connected, 0);
	CHECK_INT_EQ(client.end_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
	CHECK_INT_EQ(server.end_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
	/* The server refuses the version; the client hears its alert. */
	CHECK_INT_EQ(ERR_GET_LIB(server.errors[0]), ERR_LIB_SSL);
	CHECK_INT_EQ(ERR_GET_REASON(server.errors[0]), SSL_R_UNSUPPORTED_PROTOCOL);
	CHECK_UINT_EQ(server.errors[1], SSL_ERROR_SSL);
	CHECK_INT_EQ(ERR_GET_LIB(client.errors[0]), ERR_LIB_SSL);
	CHECK_INT_EQ(ERR_GET_REASON(client.errors[0]), SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
	CHECK_UINT_EQ(client.errors[1], SSL_ERROR_SSL);
	end_free(&client);
	end_free(&server);
	relay_free(&r);
	SSL_CTX_free(server_ctx);
	SSL_CTX_free(client_ctx);
}

/* After a reset, EVUTIL_SOCKET_ERROR() in the event callback is the failed read's
 * ECONNRESET. */
static void check_reset_errno(const struct end *client)
{
	CHECK_INT_EQ(client->end_errno, ECONNRESET);
}

/* A close without close_notify with dirty shutdowns allowed: libevent 2.1 (and
 * 2.2.1) over OpenSSL 3 report ERROR|READING, as OpenSSL 3 queues "unexpected eof"
 * where OpenSSL 1.1 answered SSL_ERROR_SYSCALL, which libevent's check expects; evrs
 * keeps the documented meaning, EOF|READING (see ssl_flags.c), also for a truncated
 * record, which OpenSSL 1.1 did not tell apart either. */
static int dirty_allowed_end(void)
{
	return sps_on_libevent() ? BEV_EVENT_ERROR | BEV_EVENT_READING
				     : BEV_EVENT_EOF | BEV_EVENT_READING;
}

static void reset_mid_handshake(void)
{
	struct relay r;
	struct end client, server;
	start_pair(&r, RELAY_HELLO_RESET, identity.client, identity.server, &client, &server);
	CHECK(sps_run_until(base, ended, &client, 10000));
	print_end("reset mid-handshake client", &client);
	CHECK(r.cut);
	CHECK_INT_EQ(client.connected, 0);
	CHECK_INT_EQ(client.end_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
	CHECK_UINT_EQ(client.errors[0], SSL_ERROR_SYSCALL);
	check_reset_errno(&client);
	end_free(&client);
	relay_free(&r);
}

/* Connects both ends, then lets the server send `text` through a relay that cuts
 * the record carrying it as `mode` says. */
static void cut_mid_record(enum relay_mode mode, int allow_dirty, struct end *client)
{
	struct relay r;
	struct end server;
	struct pair_ends p = {client, &server};
	static const char text[] = "a record that will not arrive whole";
	start_pair(&r, RELAY_FORWARD, identity.client, identity.server, client, &server);
	bufferevent_openssl_set_allow_dirty_shutdown(client->bev, allow_dirty);
	CHECK(sps_run_until(base, both_connected_or_ended, &p, 10000));
	CHECK_INT_EQ(client->connected, 1);
	CHECK_INT_EQ(server.connected, 1);
	r.mode = mode;
	CHECK_INT_EQ(bufferevent_write(server.bev, text, sizeof(text) - 1), 0);
	CHECK(sps_run_until(base, ended, client, 10000));
	CHECK(r.cut);
	CHECK_INT_EQ(client->data_len, 0);
	end_free(client);
	end_free(&server);
	relay_free(&r);
}

static void cuts(void)
{
	struct end client;
	cut_mid_record(RELAY_CUT_RESET, 0, &client);
	print_end("half a record, reset", &client);
	CHECK_INT_EQ(client.end_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
	CHECK_UINT_EQ(client.errors[0], SSL_ERROR_SYSCALL);
	check_reset_errno(&client);

	cut_mid_record(RELAY_CUT_CLOSE, 0, &client);
	print_end("half a record, close", &client);
	CHECK_INT_EQ(client.end_event, BEV_EVENT_ERROR | BEV_EVENT_READING);
	CHECK_INT_EQ(ERR_GET_REASON(client.errors[0]), SSL_R_UNEXPECTED_EOF_WHILE_READING);
	CHECK_UINT_EQ(client.errors[1], SSL_ERROR_SSL);

	cut_mid_record(RELAY_CUT_CLOSE, 1, &client);
	print_end("half a record, close, dirty allowed", &client);
	CHECK_INT_EQ(client.end_event, dirty_allowed_end());
}

/* The server ends after the handshake: with close_notify (SSL_shutdown) or without,
 * then frees its bufferevent (the relay passes the close on). */
static void server_ends(int close_notify, int allow_dirty, struct end *client)
{
	struct relay r;
	struct end server;
	struct pair_ends p = {client, &server};
	start_pair(&r, RELAY_FORWARD, identity.client, identity.server, client, &server);
	bufferevent_openssl_set_allow_dirty_shutdown(client->bev, allow_dirty);
	CHECK(sps_run_until(base, both_connected_or_ended, &p, 10000));
	CHECK_INT_EQ(client->connected, 1);
	CHECK_INT_EQ(server.connected, 1);
	if (close_notify)
		SSL_shutdown(server.ssl);
	end_free(&server);
	CHECK(sps_run_until(base, ended, client, 10000));
	end_free(client);
	relay_free(&r);
}

static void shutdowns(void)
{
	struct end client;
	server_ends(1, 0, &client);
	print_end("close_notify", &client);
	CHECK_INT_EQ(client.end_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK_UINT_EQ(client.errors[0], 0);

	server_ends(0, 0, &client);
	print_end("dirty", &client);
	CHECK_INT_EQ(client.end_event, BEV_EVENT_ERROR | BEV_EVENT_READING);

	server_ends(0, 1, &client);
	print_end("dirty, allowed", &client);
	CHECK_INT_EQ(client.end_event, dirty_allowed_end());
}

/* The data record and the close_notify record read in one pass: the data, then
 * EOF|READING, although the TCP connection stays open and the socket never becomes
 * readable again (libevent 2.2.1's do_read drops the closure there and never reports
 * it; 2.1 reports it). */
static void close_notify_after_data(void)
{
	struct relay r;
	struct end client, server;
	struct pair_ends p = {&client, &server};
	static const char text[] = "the last words";
	start_pair(&r, RELAY_FORWARD, identity.client, identity.server, &client, &server);
	CHECK(sps_run_until(base, both_connected_or_ended, &p, 10000));
	CHECK_INT_EQ(client.connected, 1);
	CHECK_INT_EQ(server.connected, 1);
	/* The data record and the close_notify record reach the client in one segment;
	 * the server's bufferevent stays, so the connection stays open. */
	r.mode = RELAY_HOLD;
	CHECK_INT_EQ(bufferevent_write(server.bev, text, sizeof(text) - 1), 0);
	CHECK(sps_run_until(base, held_one, &r, 10000));
	SSL_shutdown(server.ssl);
	CHECK(sps_run_until(base, held_two, &r, 10000));
	relay_release(&r);
	CHECK(sps_run_until(base, client_has_data, &client, 10000));
	CHECK_STR_EQ(client.data, text);
	/* At once on libevent: the close_notify came with the data (a second is a safety
	 * net). */
	CHECK(sps_run_until(base, ended, &client, 1000));
	CHECK_INT_EQ(client.end_event, BEV_EVENT_EOF | BEV_EVENT_READING);
	CHECK_UINT_EQ(client.errors[0], 0);
	end_free(&client);
	end_free(&server);
	relay_free(&r);
}

/* evhttp, resetting a connection, closes the fd itself and sets -1
 * (bufferevent_setfd); the SSL then lets go of the old fd too, so freeing the
 * bufferevent (BEV_OPT_CLOSE_ON_FREE) closes nothing more: by then the number may
 * belong to another socket of the program. */
static void stale_fd_after_setfd(void)
{
	evutil_socket_t fds[2], reused;
	struct bufferevent *bev;
	int still_open;
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	bev = bufferevent_openssl_socket_new(base, fds[0], SSL_new(identity.client),
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	evutil_closesocket(fds[0]);
	CHECK_INT_EQ(bufferevent_setfd(bev, -1), 0);
	CHECK_INT_EQ(bufferevent_getfd(bev), -1);
	/* The lowest free number: the one just closed. */
	reused = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_INT_EQ(reused, fds[0]);
	bufferevent_free(bev);
	event_base_loop(base, EVLOOP_NONBLOCK);	/* finalizers */
	still_open = fcntl(reused, F_GETFD) != -1;
	CHECK(still_open);
	if (still_open)
		evutil_closesocket(reused);
	evutil_closesocket(fds[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	REQUIRE(base != NULL);
	sps_identity_init(&identity);
	/* No TLS 1.3 tickets: after the handshake the server sends only what the test
	 * writes, so the relay knows which record to cut. */
	SSL_CTX_set_num_tickets(identity.server, 0);

	name_checked_by_callback("localhost", 1);
	name_checked_by_callback("example.org", 0);
	protocol_mismatch();
	reset_mid_handshake();
	cuts();
	shutdowns();
	close_notify_after_data();
	stale_fd_after_setfd();

	sps_identity_free(&identity);
	event_base_free(base);
	return check_report();
}
