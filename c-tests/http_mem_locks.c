/* The HTTP layer uses the memory and lock functions a program gives libevent's core.
 * Counting memory functions (event_set_mem_functions) and counting pthread lock,
 * condition and thread-id callbacks are installed before anything else. Then: evhttp_new,
 * evhttp_request_new, evhttp_connection_base_new, URI parsing and encoding each allocate
 * through the counting functions; a full exchange between an evhttp client and server
 * allocates through them and (once the base has its per-socket tables) gives back as
 * many blocks as it took; the base's lock is taken while the exchange runs, and
 * thread-safe bufferevents given to the server (evhttp_set_bevcb) and to the client
 * (evhttp_connection_base_bufferevent_new) get their locks from the callbacks and are
 * locked while evhttp works; with allocation failing, the HTTP constructors return NULL
 * (so they cannot be using another allocator). */
// test: link event_core event_extra event_pthreads
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_support.h"

/* ---- Counting memory functions ---------------------------------------------------- */

static long mallocs, reallocs, frees;
static int failing;

/* Blocks are plain malloc blocks, so that strings libevent returns may be freed with
 * free() as its documentation says. */
static void *count_malloc(size_t n)
{
	if (failing)
		return NULL;
	__atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
	return malloc(n);
}

static void *count_realloc(void *p, size_t n)
{
	if (failing)
		return NULL;
	if (p)
		__atomic_add_fetch(&reallocs, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
	return realloc(p, n);
}

static void count_free(void *p)
{
	if (p)
		__atomic_add_fetch(&frees, 1, __ATOMIC_RELAXED);
	free(p);
}

static long live(void)
{
	return __atomic_load_n(&mallocs, __ATOMIC_RELAXED) -
	    __atomic_load_n(&frees, __ATOMIC_RELAXED);
}

static long allocated(void)
{
	return __atomic_load_n(&mallocs, __ATOMIC_RELAXED) +
	    __atomic_load_n(&reallocs, __ATOMIC_RELAXED);
}

/* ---- Counting lock callbacks -------------------------------------------------------- */

static long lock_allocs, lock_frees, locks, unlocks, cond_allocs, cond_frees;

static void *lock_alloc(unsigned locktype)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t *m = malloc(sizeof(*m));
	REQUIRE(m != NULL);
	pthread_mutexattr_init(&attr);
	if (locktype & EVTHREAD_LOCKTYPE_RECURSIVE)
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	__atomic_add_fetch(&lock_allocs, 1, __ATOMIC_RELAXED);
	return m;
}

static void lock_free(void *lock, unsigned locktype)
{
	(void)locktype;
	pthread_mutex_destroy(lock);
	free(lock);
	__atomic_add_fetch(&lock_frees, 1, __ATOMIC_RELAXED);
}

static int lock_lock(unsigned mode, void *lock)
{
	__atomic_add_fetch(&locks, 1, __ATOMIC_RELAXED);
	if (mode & EVTHREAD_TRY)
		return pthread_mutex_trylock(lock);
	return pthread_mutex_lock(lock);
}

static int lock_unlock(unsigned mode, void *lock)
{
	(void)mode;
	__atomic_add_fetch(&unlocks, 1, __ATOMIC_RELAXED);
	return pthread_mutex_unlock(lock);
}

static void *cond_alloc(unsigned flags)
{
	pthread_cond_t *c = malloc(sizeof(*c));
	(void)flags;
	REQUIRE(c != NULL);
	pthread_cond_init(c, NULL);
	__atomic_add_fetch(&cond_allocs, 1, __ATOMIC_RELAXED);
	return c;
}

static void cond_free(void *c)
{
	pthread_cond_destroy(c);
	free(c);
	__atomic_add_fetch(&cond_frees, 1, __ATOMIC_RELAXED);
}

static int cond_signal(void *c, int broadcast)
{
	return broadcast ? pthread_cond_broadcast(c) : pthread_cond_signal(c);
}

static int cond_wait(void *c, void *lock, const struct timeval *tv)
{
	if (tv) {
		struct timespec ts;
		struct timeval now, end;
		gettimeofday(&now, NULL);
		evutil_timeradd(&now, tv, &end);
		ts.tv_sec = end.tv_sec;
		ts.tv_nsec = end.tv_usec * 1000L;
		return pthread_cond_timedwait(c, lock, &ts) == 0 ? 0 : 1;
	}
	return pthread_cond_wait(c, lock) == 0 ? 0 : -1;
}

static unsigned long thread_id(void)
{
	return (unsigned long)pthread_self();
}

static void install_callbacks(void)
{
	static const struct evthread_lock_callbacks lock_cbs = {
		EVTHREAD_LOCK_API_VERSION,
		EVTHREAD_LOCKTYPE_RECURSIVE,
		lock_alloc,
		lock_free,
		lock_lock,
		lock_unlock,
	};
	static const struct evthread_condition_callbacks cond_cbs = {
		EVTHREAD_CONDITION_API_VERSION,
		cond_alloc,
		cond_free,
		cond_signal,
		cond_wait,
	};
	event_set_mem_functions(count_malloc, count_realloc, count_free);
	REQUIRE(evthread_set_lock_callbacks(&lock_cbs) == 0);
	REQUIRE(evthread_set_condition_callbacks(&cond_cbs) == 0);
	evthread_set_id_callback(thread_id);
}

/* ---- The exchange ------------------------------------------------------------------- */

static struct event_base *base;
static int server_calls, client_done, client_code, bevcb_calls;
static char client_body[64];

static void server_cb(struct evhttp_request *req, void *arg)
{
	char *body = buffer_text(evhttp_request_get_input_buffer(req));
	(void)arg;
	server_calls++;
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Server", "yes");
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "got %s", body);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
	count_free(body);
	/* (buffer_text uses malloc: keep the counts balanced.) */
	__atomic_sub_fetch(&frees, 1, __ATOMIC_RELAXED);
}

static void client_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	client_done++;
	client_code = req ? evhttp_request_get_response_code(req) : -1;
	if (req) {
		size_t n = evbuffer_get_length(evhttp_request_get_input_buffer(req));
		if (n >= sizeof(client_body))
			n = sizeof(client_body) - 1;
		evbuffer_remove(evhttp_request_get_input_buffer(req), client_body, n);
		client_body[n] = '\0';
	}
}

static struct bufferevent *threadsafe_bev(struct event_base *b, void *arg)
{
	(void)arg;
	bevcb_calls++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
}

/* One POST from an evhttp client to an evhttp server, both created and freed here. */
static void exchange(int threadsafe)
{
	ev_uint16_t port;
	struct evhttp *http;
	struct evhttp_connection *evcon;
	struct evhttp_request *req;
	long before;

	http = start_server(base, &port, NULL);
	evhttp_set_gencb(http, server_cb, NULL);
	if (threadsafe) {
		struct bufferevent *bev;
		evhttp_set_bevcb(http, threadsafe_bev, NULL);
		before = lock_allocs;
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_THREADSAFE);
		REQUIRE(bev != NULL);
		CHECK(lock_allocs > before);
		evcon = evhttp_connection_base_bufferevent_new(base, NULL, bev, "127.0.0.1",
		    port);
		CHECK(evhttp_connection_get_bufferevent(evcon) == bev);
	} else {
		evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	}
	REQUIRE(evcon != NULL);
	req = evhttp_request_new(client_cb, NULL);
	REQUIRE(req != NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "h");
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "data");
	client_done = 0;
	CHECK_INT_EQ(evhttp_make_request(evcon, req, EVHTTP_REQ_POST, "/x?y=z"), 0);
	CHECK(run_until(base, &client_done, HTTP_WAIT_MS));
	CHECK_INT_EQ(client_code, 200);
	CHECK_STR_EQ(client_body, "got data");
	evhttp_connection_free(evcon);
	run_for(base, 20);
	evhttp_free(http);
}

int main(void)
{
	long m0, m1, l0, u0, la0;
	struct evhttp *http;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct evhttp_uri *uri;
	char *s;

	install_callbacks();

	base = event_base_new();
	REQUIRE(base != NULL);
	/* The base got its lock (and condition) from the callbacks. */
	CHECK(lock_allocs > 0);
	CHECK(cond_allocs > 0);
	CHECK(allocated() > 0);

	/* Each constructor allocates through the program's functions. */
	m0 = allocated();
	http = evhttp_new(base);
	REQUIRE(http != NULL);
	m1 = allocated();
	CHECK(m1 > m0);
	req = evhttp_request_new(NULL, NULL);
	REQUIRE(req != NULL);
	CHECK(allocated() > m1);
	m1 = allocated();
	CHECK_INT_EQ(evhttp_add_header(evhttp_request_get_output_headers(req), "K", "V"), 0);
	CHECK(allocated() > m1);
	m1 = allocated();
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", 80);
	REQUIRE(evcon != NULL);
	CHECK(allocated() > m1);
	m1 = allocated();
	uri = evhttp_uri_parse("http://u@h:1/p?q#f");
	REQUIRE(uri != NULL);
	CHECK(allocated() > m1);
	m1 = allocated();
	s = evhttp_encode_uri("a b");
	CHECK_STR_EQ(s, "a%20b");
	CHECK(allocated() > m1);
	count_free(s);
	m1 = allocated();
	s = evhttp_htmlescape("<&>");
	CHECK_STR_EQ(s, "&lt;&amp;&gt;");
	CHECK(allocated() > m1);
	count_free(s);
	/* Freeing gives everything back through the program's free. */
	evhttp_uri_free(uri);
	evhttp_connection_free(evcon);
	evhttp_request_free(req);
	evhttp_free(http);

	/* A whole exchange: allocates, and locks the base while it runs. */
	run_for(base, 10);
	m1 = allocated();
	l0 = locks;
	u0 = unlocks;
	exchange(0);
	CHECK_INT_EQ(server_calls, 1);
	CHECK(allocated() > m1 + 10);
	CHECK(locks > l0 + 10);
	CHECK_INT_EQ(locks - l0, unlocks - u0);
	run_for(base, 10);
	/* Once the base has its per-socket tables, another exchange gives back as many
	 * blocks as it takes. */
	m0 = live();
	exchange(0);
	CHECK_INT_EQ(server_calls, 2);
	run_for(base, 10);
	CHECK_INT_EQ(live(), m0);

	/* With thread-safe bufferevents on both sides: their locks come from the
	 * callbacks, are taken while evhttp works, and are freed again. */
	m0 = live();
	la0 = lock_allocs - lock_frees;
	l0 = locks;
	exchange(1);
	CHECK_INT_EQ(server_calls, 3);
	CHECK_INT_EQ(bevcb_calls, 1);
	CHECK(locks > l0 + 10);
	run_for(base, 10);
	CHECK_INT_EQ(lock_allocs - lock_frees, la0);
	CHECK_INT_EQ(live(), m0);

	/* When allocation fails, the HTTP constructors fail. */
	failing = 1;
	CHECK(evhttp_new(base) == NULL);
	CHECK(evhttp_request_new(NULL, NULL) == NULL);
	CHECK(evhttp_connection_base_new(base, NULL, "127.0.0.1", 80) == NULL);
	CHECK(evhttp_uri_parse("http://h/") == NULL);
	CHECK(evhttp_uri_new() == NULL);
	CHECK(evhttp_encode_uri("x") == NULL);
	CHECK(evhttp_htmlescape("x") == NULL);
	failing = 0;

	/* And work again afterwards. */
	http = evhttp_new(base);
	CHECK(http != NULL);
	if (http)
		evhttp_free(http);

	/* Every lock taken was released. (Some locks are global and stay.) */
	event_base_free(base);
	CHECK_INT_EQ(locks, unlocks);
	return check_report();
}
