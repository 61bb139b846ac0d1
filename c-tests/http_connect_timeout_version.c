/* SPDX-License-Identifier: BSD-3-Clause */
/* evhttp_connection_set_timeout and the connect phase, as each libevent version has
 * it: in 2.1 the one timeout also bounds connecting, in 2.2 it covers reading and
 * writing only and connecting keeps its own 45-second default
 * (evhttp_connection_set_connect_timeout_tv). The loaded library's version decides,
 * so a build with 2.1's binary interface must answer as 2.1 does.
 *
 * A connect that never completes: a listener that never accepts, whose queue is
 * full, so the kernel drops further connection requests. */
#include <event2/event.h>
#include <event2/http.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

#define FILLERS 4

static int done;
static struct timeval started, finished;

static void request_done(struct evhttp_request *req, void *arg)
{
	(void)req;
	(void)arg;
	done++;
	gettimeofday(&finished, NULL);
}

static double seconds_between(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_usec - a->tv_usec) / 1e6;
}

int main(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int listener, fillers[FILLERS];
	struct event_base *base;
	struct evhttp_connection *evcon;
	struct evhttp_request *req;
	struct timeval limit = { 2, 500000 };
	int is_2_1 = event_get_version_number() < 0x02020000;
	int i;

	listener = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(listener >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(listener, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	REQUIRE(listen(listener, 0) == 0);
	REQUIRE(getsockname(listener, (struct sockaddr *)&sin, &len) == 0);
	/* Fill the accept queue; the connects past its end stay pending. */
	for (i = 0; i < FILLERS; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM, 0);
		REQUIRE(fillers[i] >= 0);
		REQUIRE(fcntl(fillers[i], F_SETFL, O_NONBLOCK) == 0);
		connect(fillers[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(100 * 1000);

	base = event_base_new();
	REQUIRE(base != NULL);
	evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", ntohs(sin.sin_port));
	REQUIRE(evcon != NULL);
	evhttp_connection_set_timeout(evcon, 1);
	req = evhttp_request_new(request_done, NULL);
	REQUIRE(req != NULL);
	gettimeofday(&started, NULL);
	REQUIRE(evhttp_make_request(evcon, req, EVHTTP_REQ_GET, "/") == 0);
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);

	if (is_2_1) {
		/* Failed after the one-second timeout. */
		CHECK_INT_EQ(done, 1);
		if (done)
			CHECK(seconds_between(&started, &finished) >= 0.9);
	} else {
		/* Still connecting. */
		CHECK_INT_EQ(done, 0);
	}

	evhttp_connection_free(evcon);
	event_base_free(base);
	for (i = 0; i < FILLERS; i++)
		close(fillers[i]);
	close(listener);
	return check_report();
}
