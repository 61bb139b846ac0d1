/* SPDX-License-Identifier: BSD-3-Clause */
/* Fields of struct bufferevent that libevent 1.4 programs set by assignment instead of
 * through the setters: libevent keeps its state in those fields, so a low read
 * watermark or a read timeout written there takes effect (the watermark at the next
 * read, the timeout at the next bufferevent_enable). Runs on socket bufferevents. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static int reads;
static short last_event;

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
	reads++;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)arg;
	last_event = what;
}

static void run_briefly(struct event_base *base, long usec)
{
	struct timeval tv = { 0, usec };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

int main(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t pair[2];
	struct bufferevent *bev;

	REQUIRE(base != NULL);
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	REQUIRE(evutil_make_socket_nonblocking(pair[0]) == 0);
	bev = bufferevent_socket_new(base, pair[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(bev != NULL);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, NULL);
	bufferevent_enable(bev, EV_READ);

	/* A low watermark assigned: the read callback waits for 10 bytes. */
	bev->wm_read.low = 10;
	REQUIRE(write(pair[1], "12345", 5) == 5);
	run_briefly(base, 100000);
	CHECK_INT_EQ(reads, 0);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 5);
	REQUIRE(write(pair[1], "67890", 5) == 5);
	run_briefly(base, 100000);
	CHECK_INT_EQ(reads, 1);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 10);
	evbuffer_drain(bufferevent_get_input(bev), 10);
	bev->wm_read.low = 0;

	/* A read timeout assigned, then bufferevent_enable: nothing arrives, so the
	 * timeout fires. */
	bev->timeout_read.tv_sec = 0;
	bev->timeout_read.tv_usec = 50000;
	bufferevent_disable(bev, EV_READ);
	bufferevent_enable(bev, EV_READ);
	run_briefly(base, 400000);
	CHECK_INT_EQ(last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);

	bufferevent_free(bev);
	evutil_closesocket(pair[1]);
	event_base_free(base);
	return check_report();
}
