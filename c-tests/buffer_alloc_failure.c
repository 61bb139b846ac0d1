/* Running out of memory is reported, never fatal: with a malloc that fails,
 * evbuffer_new, bufferevent_socket_new, evconnlistener_new and
 * bufferevent_rate_limit_group_new return NULL, bufferevent_pair_new -1, an
 * evbuffer_add that needs a new block -1 (adding nothing), evbuffer_readln NULL
 * (leaving the line in place), evbuffer_add_cb NULL and evbuffer_setcb -1; once
 * malloc works again everything goes on. */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

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
	return check_report();
}
