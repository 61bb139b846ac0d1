/* Running out of memory is reported, never fatal: with a malloc that fails,
 * evbuffer_new, bufferevent_socket_new, evconnlistener_new,
 * bufferevent_rate_limit_group_new, ev_token_bucket_cfg_new and
 * evbuffer_file_segment_new return NULL, bufferevent_pair_new,
 * bufferevent_set_rate_limit and bufferevent_add_to_rate_limit_group -1, an
 * evbuffer_add that needs a new block -1 (adding nothing), evbuffer_readln NULL
 * (leaving the line in place), evbuffer_add_cb NULL, evbuffer_setcb -1,
 * evbuffer_add_reference and evbuffer_add_file -1 (the memory's cleanup is not
 * called, the descriptor stays open) and evbuffer_add_file_segment -1 (giving up
 * the caller's reference, as libevent does on any failure);
 * evbuffer_add_buffer_reference adds nothing, and evbuffer_defer_callbacks needs
 * no memory. Once malloc works again everything goes on. */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* True on this project's libraries, either build, rather than libevent's: its
 * libevent_core exports the interface its sibling libraries use. (The headers' version
 * cannot tell: a program built for libevent 2.1 also runs on the 2.1 build.) */
static int on_evrs(void)
{
	void *program = dlopen(NULL, RTLD_LAZY);
	int found = program && dlsym(program, "evrs_sibling_interface_version") != NULL;

	if (program)
		dlclose(program);
	return found;
}

static void *failing_malloc(size_t n)
{
	(void)n;
	errno = ENOMEM;
	return NULL;
}

static void count_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)buf;
	(void)info;
	++*(int *)arg;
}

static void legacy_cb(struct evbuffer *buf, size_t old_len, size_t new_len, void *arg)
{
	(void)buf;
	(void)old_len;
	(void)new_len;
	++*(int *)arg;
}

static void count_cleanup(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	++*(int *)arg;
}

static void count_segment_cleanup(struct evbuffer_file_segment const *seg, int flags,
    void *arg)
{
	(void)seg;
	(void)flags;
	++*(int *)arg;
}

static void failing_mem(void)
{
	event_set_mem_functions(failing_malloc, realloc, free);
}

static void working_mem(void)
{
	event_set_mem_functions(malloc, realloc, free);
}

static void test_references(void)
{
	struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
	static const char lent[] = "lent memory";
	char out[64];
	int cleanups = 0, r;

	REQUIRE(src != NULL && dst != NULL);
	CHECK_INT_EQ(evbuffer_add(src, "shared", 6), 0);
	CHECK_INT_EQ(evbuffer_add(dst, "dst:", 4), 0);

	failing_mem();
	CHECK_INT_EQ(evbuffer_add_reference(dst, lent, sizeof(lent) - 1, count_cleanup,
	    &cleanups), -1);
	r = evbuffer_add_buffer_reference(dst, src);
	working_mem();
	/* libevent only logs that it cannot make the view and answers 0; evrs says -1. */
	CHECK_INT_EQ(r, on_evrs() ? -1 : 0);
	CHECK_INT_EQ(cleanups, 0);
	CHECK_UINT_EQ(evbuffer_get_length(dst), 4);
	CHECK_UINT_EQ(evbuffer_get_length(src), 6);

	/* Both buffers go on as before: the source still takes appends. */
	CHECK_INT_EQ(evbuffer_add(src, "!", 1), 0);
	CHECK_INT_EQ(evbuffer_add_buffer_reference(dst, src), 0);
	CHECK_INT_EQ(evbuffer_add_reference(dst, lent, sizeof(lent) - 1, count_cleanup,
	    &cleanups), 0);
	CHECK_INT_EQ(evbuffer_remove(dst, out, sizeof(out)), 4 + 7 + 11);
	CHECK_MEM_EQ(out, "dst:shared!lent memory", 22);
	CHECK_INT_EQ(cleanups, 1);
	CHECK_INT_EQ(evbuffer_remove(src, out, sizeof(out)), 7);
	CHECK_MEM_EQ(out, "shared!", 7);
	evbuffer_free(src);
	evbuffer_free(dst);
}

/* A new descriptor on an unlinked temporary file holding "file data". */
static int make_file(void)
{
	char name[] = "/tmp/evrs_alloc_failure_XXXXXX";
	int fd = mkstemp(name);

	REQUIRE(fd >= 0);
	unlink(name);
	REQUIRE(write(fd, "file data", 9) == 9);
	return fd;
}

static void test_file_segments(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_file_segment *seg;
	int fd = make_file(), cleanups = 0;
	char out[32];

	REQUIRE(buf != NULL);
	failing_mem();
	CHECK(evbuffer_file_segment_new(fd, 0, -1, EVBUF_FS_CLOSE_ON_FREE) == NULL);
	CHECK_INT_EQ(evbuffer_add_file(buf, fd, 0, -1), -1);
	working_mem();
	/* Nothing took the descriptor. */
	CHECK(fcntl(fd, F_GETFD) != -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);

	seg = evbuffer_file_segment_new(fd, 0, -1, EVBUF_FS_CLOSE_ON_FREE);
	REQUIRE(seg != NULL);
	evbuffer_file_segment_add_cleanup_cb(seg, count_segment_cleanup, &cleanups);
	CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 0, 4), 0);
	failing_mem();
	/* Refused: the buffer is unchanged and the call took the caller's reference. */
	CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 4, 5), -1);
	working_mem();
	CHECK_UINT_EQ(evbuffer_get_length(buf), 4);
	CHECK_INT_EQ(cleanups, 0);
	CHECK_INT_EQ(evbuffer_remove(buf, out, sizeof(out)), 4);
	CHECK_MEM_EQ(out, "file", 4);
	/* The buffer held the last reference. */
	CHECK_INT_EQ(cleanups, 1);
	CHECK(fcntl(fd, F_GETFD) == -1);
	evbuffer_free(buf);
}

static void test_deferred_callbacks(void)
{
	struct event_base *base = event_base_new();
	struct evbuffer *buf = evbuffer_new();
	int calls = 0;

	REQUIRE(base != NULL && buf != NULL);
	REQUIRE(evbuffer_add_cb(buf, count_cb, &calls) != NULL);
	/* Deferring again (to the same or another base) needs no memory. */
	CHECK_INT_EQ(evbuffer_defer_callbacks(buf, base), 0);
	failing_mem();
	CHECK_INT_EQ(evbuffer_defer_callbacks(buf, base), 0);
	working_mem();
	CHECK_INT_EQ(evbuffer_add(buf, "x", 1), 0);
	CHECK_INT_EQ(calls, 0);
	CHECK(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
	CHECK_INT_EQ(calls, 1);
	evbuffer_free(buf);
	event_base_free(base);
}

static void test_rate_limits(void)
{
	struct event_base *base = event_base_new();
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(100, 100, 100, 100, NULL);
	struct bufferevent *bev;
	struct bufferevent_rate_limit_group *group;

	REQUIRE(base != NULL && cfg != NULL);
	bev = bufferevent_socket_new(base, -1, 0);
	group = bufferevent_rate_limit_group_new(base, cfg);
	REQUIRE(bev != NULL && group != NULL);

	failing_mem();
	CHECK(ev_token_bucket_cfg_new(10, 10, 10, 10, NULL) == NULL);
	CHECK_INT_EQ(bufferevent_set_rate_limit(bev, cfg), -1);
	CHECK_INT_EQ(bufferevent_add_to_rate_limit_group(bev, group), -1);
	working_mem();
	CHECK(bufferevent_get_token_bucket_cfg(bev) == NULL);

	CHECK_INT_EQ(bufferevent_set_rate_limit(bev, cfg), 0);
	CHECK(bufferevent_get_token_bucket_cfg(bev) == cfg);
	CHECK_INT_EQ(bufferevent_add_to_rate_limit_group(bev, group), 0);
	CHECK_INT_EQ(bufferevent_remove_from_rate_limit_group(bev), 0);
	bufferevent_free(bev);
	bufferevent_rate_limit_group_free(group);
	ev_token_bucket_cfg_free(cfg);
	event_base_free(base);
}

int main(void)
{
	struct evbuffer *buf = evbuffer_new();
	size_t n = 99;
	char *line;
	int calls = 0;
	static char big[100000];
	struct event_base *base = event_base_new();
	struct bufferevent *pair[2];

	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(100, 100, 100, 100, NULL);
	struct sockaddr_in sin;
	evutil_socket_t lfd = socket(AF_INET, SOCK_STREAM, 0);

	REQUIRE(buf != NULL);
	REQUIRE(base != NULL);
	REQUIRE(cfg != NULL);
	REQUIRE(lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	REQUIRE(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK_INT_EQ(evbuffer_add(buf, "one\ntwo\n", 8), 0);

	event_set_mem_functions(failing_malloc, realloc, free);
	CHECK(evbuffer_new() == NULL);
	CHECK(bufferevent_socket_new(base, -1, 0) == NULL);
	CHECK_INT_EQ(bufferevent_pair_new(base, 0, pair), -1);
	CHECK(evconnlistener_new(base, NULL, NULL, 0, -1, lfd) == NULL);
	CHECK(bufferevent_rate_limit_group_new(base, cfg) == NULL);
	CHECK_INT_EQ(evbuffer_add(buf, big, sizeof(big)), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 8);
	CHECK(evbuffer_readln(buf, &n, EVBUFFER_EOL_LF) == NULL);
	CHECK(evbuffer_add_cb(buf, count_cb, &calls) == NULL);
	CHECK_INT_EQ(evbuffer_setcb(buf, legacy_cb, &calls), -1);
	event_set_mem_functions(malloc, realloc, free);

	/* Nothing was lost or registered. */
	CHECK_UINT_EQ(evbuffer_get_length(buf), 8);
	line = evbuffer_readln(buf, &n, EVBUFFER_EOL_LF);
	REQUIRE(line != NULL);
	CHECK_STR_EQ(line, "one");
	CHECK_UINT_EQ(n, 3);
	free(line);
	CHECK_INT_EQ(calls, 0);

	CHECK(evbuffer_add_cb(buf, count_cb, &calls) != NULL);
	CHECK_INT_EQ(evbuffer_drain(buf, 1), 0);
	CHECK_INT_EQ(calls, 1);
	evbuffer_free(buf);
	ev_token_bucket_cfg_free(cfg);
	close(lfd);
	event_base_free(base);

	test_references();
	test_file_segments();
	test_deferred_callbacks();
	test_rate_limits();
	return check_report();
}
