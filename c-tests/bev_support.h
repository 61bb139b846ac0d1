/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixtures shared by the bufferevent and listener test programs: a base on the backend
 * the harness asked for, nonblocking socket pairs, and bounded loop runs. */
#ifndef EVRS_C_TESTS_BEV_SUPPORT_H
#define EVRS_C_TESTS_BEV_SUPPORT_H

#include <event2/event.h>
#include <event2/util.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "check.h"

static inline struct event_base *new_base(void)
{
	struct event_base *base = event_base_new();
	const char *want = getenv("EVRS_TEST_BACKEND");
	REQUIRE(base != NULL);
	if (want)
		CHECK_STR_EQ(event_base_get_method(base), want);
	return base;
}

static inline void make_pair(evutil_socket_t fds[2])
{
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	REQUIRE(evutil_make_socket_nonblocking(fds[0]) == 0);
	REQUIRE(evutil_make_socket_nonblocking(fds[1]) == 0);
}

static inline int run_until(struct event_base *base, const int *flag, int ms)
{
	struct timeval slice = {0, 10000};
	int waited;
	for (waited = 0; !*flag && waited < ms; waited += 10) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return *flag;
}

static inline void run_for(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static inline int fd_is_open(evutil_socket_t fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

#endif
