/* Rate limits hold over time: a socket bufferevent limited to about 64 KiB/s (6554 bytes
 * per 100 ms tick) reading and writing 128 KiB takes about 2 s each way, and four
 * bufferevents in a group limited to the same total rate take about as long to write
 * 128 KiB between them, with the group's totals counting every byte. The lower bounds
 * are firm; the upper bounds are loose for slow machines. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define RATE 6554		/* bytes per tick: 64 KiB/s with 100 ms ticks */
#define TOTAL (128 * 1024)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct side {
	struct bufferevent *bev;
	size_t received;
	double done_at;
	int *finished;
};

static void count_read(struct bufferevent *bev, void *arg)
{
	struct side *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	s->received += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (s->received >= TOTAL && s->done_at == 0) {
		s->done_at = now_s();
		(*s->finished)++;
	}
}

static void make_pair(evutil_socket_t fds[2])
{
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
	evutil_make_socket_nonblocking(fds[0]);
	evutil_make_socket_nonblocking(fds[1]);
}

static void run_until_count(struct event_base *base, const int *count, int want, int ms)
{
	struct timeval slice = {0, 20000};
	for (int waited = 0; *count < want && waited < ms; waited += 20) {
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
}

/* One limited bufferevent reading and writing 128 KiB at once against an unlimited
 * peer. */
static void test_single(void)
{
	struct event_base *base = event_base_new();
	struct timeval tick = {0, 100000};
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(RATE, RATE, RATE, RATE, &tick);
	evutil_socket_t fds[2];
	struct side limited, peer;
	int finished = 0;
	char *data = calloc(1, TOTAL);
	double start, t_read, t_write;

	REQUIRE(base && cfg && data);
	make_pair(fds);
	memset(&limited, 0, sizeof(limited));
	memset(&peer, 0, sizeof(peer));
	limited.finished = peer.finished = &finished;
	limited.bev = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
	peer.bev = bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(limited.bev && peer.bev);
	CHECK_INT_EQ(bufferevent_set_rate_limit(limited.bev, cfg), 0);
	bufferevent_setcb(limited.bev, count_read, NULL, NULL, &limited);
	bufferevent_setcb(peer.bev, count_read, NULL, NULL, &peer);
	bufferevent_enable(limited.bev, EV_READ);
	bufferevent_enable(peer.bev, EV_READ);

	start = now_s();
	bufferevent_write(limited.bev, data, TOTAL);
	bufferevent_write(peer.bev, data, TOTAL);
	run_until_count(base, &finished, 2, 20000);
	CHECK_INT_EQ(finished, 2);
	CHECK_UINT_EQ(limited.received, TOTAL);
	CHECK_UINT_EQ(peer.received, TOTAL);
	t_read = limited.done_at - start;
	t_write = peer.done_at - start;
	printf("single: read %.2f s, write %.2f s\n", t_read, t_write);
	/* 20 ticks' worth, the first one available at once: about 1.9 s. */
	CHECK(t_read >= 1.5);
	CHECK(t_write >= 1.5);
	CHECK(t_read < 8.0);
	CHECK(t_write < 8.0);

	bufferevent_free(limited.bev);
	bufferevent_free(peer.bev);
	ev_token_bucket_cfg_free(cfg);
	event_base_free(base);
	free(data);
}

/* Four writers share one group limit. */
static void test_group(void)
{
	struct event_base *base = event_base_new();
	struct timeval tick = {0, 100000};
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(RATE, RATE, RATE, RATE, &tick);
	struct bufferevent_rate_limit_group *g;
	struct bufferevent *writers[4];
	struct side readers[4];
	evutil_socket_t fds[2];
	int finished = 0;
	char *data = calloc(1, TOTAL / 4);
	double start, last = 0;
	ev_uint64_t rd, wr;
	int i;

	REQUIRE(base && cfg && data);
	g = bufferevent_rate_limit_group_new(base, cfg);
	REQUIRE(g != NULL);
	start = now_s();
	for (i = 0; i < 4; i++) {
		make_pair(fds);
		writers[i] = bufferevent_socket_new(base, fds[0], BEV_OPT_CLOSE_ON_FREE);
		memset(&readers[i], 0, sizeof(readers[i]));
		readers[i].finished = &finished;
		readers[i].received = 3 * (TOTAL / 4); /* each reader expects a quarter */
		readers[i].bev = bufferevent_socket_new(base, fds[1], BEV_OPT_CLOSE_ON_FREE);
		REQUIRE(writers[i] && readers[i].bev);
		CHECK_INT_EQ(bufferevent_add_to_rate_limit_group(writers[i], g), 0);
		bufferevent_setcb(readers[i].bev, count_read, NULL, NULL, &readers[i]);
		bufferevent_enable(readers[i].bev, EV_READ);
		bufferevent_write(writers[i], data, TOTAL / 4);
	}
	run_until_count(base, &finished, 4, 20000);
	CHECK_INT_EQ(finished, 4);
	for (i = 0; i < 4; i++) {
		CHECK_UINT_EQ(readers[i].received, TOTAL);
		if (readers[i].done_at > last)
			last = readers[i].done_at;
	}
	printf("group: %.2f s\n", last - start);
	CHECK(last - start >= 1.5);
	CHECK(last - start < 8.0);
	bufferevent_rate_limit_group_get_totals(g, &rd, &wr);
	CHECK_UINT_EQ(rd, 0);
	CHECK_UINT_EQ(wr, TOTAL);

	for (i = 0; i < 4; i++) {
		bufferevent_remove_from_rate_limit_group(writers[i]);
		bufferevent_free(writers[i]);
		bufferevent_free(readers[i].bev);
	}
	bufferevent_rate_limit_group_free(g);
	ev_token_bucket_cfg_free(cfg);
	event_base_free(base);
	free(data);
}

int main(void)
{
	test_single();
	test_group();
	return check_report();
}
