/* The rate-limit API without timing: ev_token_bucket_cfg_new argument checks, the bucket
 * values a socket bufferevent reports (bufferevent_get_read/write_limit,
 * get_max_to_read/write, get_token_bucket_cfg), bufferevent_decrement_read/write_limit
 * pausing and resuming I/O exactly, removing a limit with NULL, and rate-limit groups:
 * shares, min_share, set_cfg, group decrements pausing all members, totals, joining,
 * moving between and leaving groups. Ticks are a day long so no refill happens during the
 * test. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

static const struct timeval one_day = {86400, 0};

struct end {
	evutil_socket_t fds[2];
	struct bufferevent *bev;
};

static void open_end(struct event_base *base, struct end *e)
{
	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, e->fds) == 0);
	evutil_make_socket_nonblocking(e->fds[0]);
	evutil_make_socket_nonblocking(e->fds[1]);
	e->bev = bufferevent_socket_new(base, e->fds[0], BEV_OPT_CLOSE_ON_FREE);
	REQUIRE(e->bev != NULL);
}

static void close_end(struct end *e)
{
	bufferevent_free(e->bev);
	evutil_closesocket(e->fds[1]);
}

static size_t in_len(struct end *e)
{
	return evbuffer_get_length(bufferevent_get_input(e->bev));
}

/* Reads and counts what arrived at the raw end. */
static size_t drain_peer(struct end *e)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;
	while ((n = read(e->fds[1], buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total;
}

static void fill_peer(struct end *e, size_t n)
{
	char buf[4096];
	memset(buf, 'p', sizeof(buf));
	while (n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);
		REQUIRE(write(e->fds[1], buf, k) == (ssize_t)k);
		n -= k;
	}
}

static void test_cfg_new(void)
{
	struct timeval tick = {0, 250000};
	struct ev_token_bucket_cfg *cfg;

	/* The rate may not exceed the burst, and must be at least 1. */
	CHECK(ev_token_bucket_cfg_new(10, 5, 10, 10, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(10, 10, 10, 5, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(0, 10, 10, 10, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(10, 10, 0, 10, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(10, (size_t)EV_RATE_LIMIT_MAX + 1, 10, 10, NULL) == NULL);
	CHECK(ev_token_bucket_cfg_new(10, 10, 10, (size_t)EV_RATE_LIMIT_MAX + 1, NULL) == NULL);
	cfg = ev_token_bucket_cfg_new(10, 10, 10, 10, NULL);
	CHECK(cfg != NULL);
	ev_token_bucket_cfg_free(cfg);
	cfg = ev_token_bucket_cfg_new(1, EV_RATE_LIMIT_MAX, 5, EV_RATE_LIMIT_MAX, &tick);
	CHECK(cfg != NULL);
	ev_token_bucket_cfg_free(cfg);
}

static void test_single(void)
{
	struct event_base *base = event_base_new();
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(100, 200, 300, 400, &one_day);
	struct end e;

	REQUIRE(base && cfg);
	open_end(base, &e);

	/* No limit. */
	CHECK(bufferevent_get_token_bucket_cfg(e.bev) == NULL);
	CHECK_INT_EQ(bufferevent_get_read_limit(e.bev), EV_SSIZE_MAX);
	CHECK_INT_EQ(bufferevent_get_write_limit(e.bev), EV_SSIZE_MAX);
	CHECK_INT_EQ(bufferevent_get_max_to_read(e.bev), 16384);
	CHECK_INT_EQ(bufferevent_get_max_to_write(e.bev), 16384);
	/* Removing a limit that is not there is fine. */
	CHECK_INT_EQ(bufferevent_set_rate_limit(e.bev, NULL), 0);

	/* The buckets start at one tick's worth (the rate), not at the burst. */
	CHECK_INT_EQ(bufferevent_set_rate_limit(e.bev, cfg), 0);
	CHECK(bufferevent_get_token_bucket_cfg(e.bev) == cfg);
	CHECK_INT_EQ(bufferevent_get_read_limit(e.bev), 100);
	CHECK_INT_EQ(bufferevent_get_write_limit(e.bev), 300);
	CHECK_INT_EQ(bufferevent_get_max_to_read(e.bev), 100);
	CHECK_INT_EQ(bufferevent_get_max_to_write(e.bev), 300);
	/* Setting the same configuration again changes nothing. */
	CHECK_INT_EQ(bufferevent_decrement_read_limit(e.bev, 10), 0);
	CHECK_INT_EQ(bufferevent_set_rate_limit(e.bev, cfg), 0);
	CHECK_INT_EQ(bufferevent_get_read_limit(e.bev), 90);
	/* With a bucket of its own, libevent takes the bucket instead of the per-read
	 * maximum (it does not take the smaller of the two). */
	bufferevent_set_max_single_read(e.bev, 40);
	CHECK_INT_EQ(bufferevent_get_max_to_read(e.bev), 90);
	bufferevent_set_max_single_read(e.bev, 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(e.bev), 90);

	/* Decrements are plain arithmetic and may go negative (or back up). */
	CHECK_INT_EQ(bufferevent_decrement_read_limit(e.bev, 20), 0);
	CHECK_INT_EQ(bufferevent_get_read_limit(e.bev), 70);
	CHECK_INT_EQ(bufferevent_decrement_read_limit(e.bev, -50), 0);
	CHECK_INT_EQ(bufferevent_get_read_limit(e.bev), 120);
	CHECK_INT_EQ(bufferevent_decrement_read_limit(e.bev, 200), 0);
	CHECK_INT_EQ(bufferevent_get_read_limit(e.bev), -80);
	/* An overdrawn bucket allows nothing. */
	CHECK_INT_EQ(bufferevent_get_max_to_read(e.bev), 0);

	/* Reading is paused while the bucket is empty... */
	bufferevent_enable(e.bev, EV_READ);
	fill_peer(&e, 1000);
	run_for(base, 30);
	CHECK_UINT_EQ(in_len(&e), 0);
	/* ...and resumes for as much as the bucket holds. */
	CHECK_INT_EQ(bufferevent_decrement_read_limit(e.bev, -100), 0);
	CHECK_INT_EQ(bufferevent_get_read_limit(e.bev), 20);
	run_for(base, 30);
	CHECK_UINT_EQ(in_len(&e), 20);
	CHECK_INT_EQ(bufferevent_get_read_limit(e.bev), 0);
	run_for(base, 30);
	CHECK_UINT_EQ(in_len(&e), 20);

	/* Writing: exactly the bucket's worth leaves. */
	{
		char data[1000];
		memset(data, 'w', sizeof(data));
		bufferevent_write(e.bev, data, sizeof(data));
	}
	run_for(base, 30);
	CHECK_UINT_EQ(drain_peer(&e), 300);
	CHECK_UINT_EQ(evbuffer_get_length(bufferevent_get_output(e.bev)), 700);
	CHECK_INT_EQ(bufferevent_get_write_limit(e.bev), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_write(e.bev), 0);
	CHECK_INT_EQ(bufferevent_decrement_write_limit(e.bev, -250), 0);
	CHECK_INT_EQ(bufferevent_get_write_limit(e.bev), 250);
	run_for(base, 30);
	CHECK_UINT_EQ(drain_peer(&e), 250);
	CHECK_INT_EQ(bufferevent_decrement_write_limit(e.bev, 5), 0);
	CHECK_INT_EQ(bufferevent_get_write_limit(e.bev), -5);

	/* NULL removes the limit; paused I/O resumes at once. */
	CHECK_INT_EQ(bufferevent_set_rate_limit(e.bev, NULL), 0);
	CHECK(bufferevent_get_token_bucket_cfg(e.bev) == NULL);
	CHECK_INT_EQ(bufferevent_get_read_limit(e.bev), EV_SSIZE_MAX);
	CHECK_INT_EQ(bufferevent_get_write_limit(e.bev), EV_SSIZE_MAX);
	CHECK_INT_EQ(bufferevent_get_max_to_read(e.bev), 16384);
	run_for(base, 50);
	CHECK_UINT_EQ(in_len(&e), 1000);
	CHECK_UINT_EQ(drain_peer(&e), 450);
	ev_token_bucket_cfg_free(cfg);

	close_end(&e);
	event_base_free(base);
}

static void test_group(void)
{
	struct event_base *base = event_base_new();
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(1000, 2000, 1000, 2000, &one_day);
	struct ev_token_bucket_cfg *small = ev_token_bucket_cfg_new(100, 150, 100, 150, &one_day);
	struct ev_token_bucket_cfg *own = ev_token_bucket_cfg_new(50, 50, 50, 50, &one_day);
	struct bufferevent_rate_limit_group *g, *g2;
	struct end a, b, c;
	ev_uint64_t rd = 1, wr = 1;

	REQUIRE(base && cfg && small && own);
	open_end(base, &a);
	open_end(base, &b);
	open_end(base, &c);
	g = bufferevent_rate_limit_group_new(base, cfg);
	REQUIRE(g != NULL);
	/* The group copied the configuration. */
	ev_token_bucket_cfg_free(cfg);
	CHECK_INT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 1000);
	CHECK_INT_EQ(bufferevent_rate_limit_group_get_write_limit(g), 1000);
	bufferevent_rate_limit_group_get_totals(g, &rd, &wr);
	CHECK_UINT_EQ(rd, 0);
	CHECK_UINT_EQ(wr, 0);
	bufferevent_rate_limit_group_get_totals(g, NULL, NULL);

	/* Each member may move an equal share of the group's bucket. */
	CHECK_INT_EQ(bufferevent_add_to_rate_limit_group(a.bev, g), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(a.bev), 1000);
	CHECK_INT_EQ(bufferevent_add_to_rate_limit_group(b.bev, g), 0);
	CHECK_INT_EQ(bufferevent_add_to_rate_limit_group(b.bev, g), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(a.bev), 500);
	CHECK_INT_EQ(bufferevent_get_max_to_write(b.bev), 500);
	CHECK_INT_EQ(bufferevent_add_to_rate_limit_group(c.bev, g), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(c.bev), 333);
	/* Members' own buckets are not the group's. */
	CHECK_INT_EQ(bufferevent_get_read_limit(a.bev), EV_SSIZE_MAX);
	CHECK(bufferevent_get_token_bucket_cfg(a.bev) == NULL);
	/* ...but an own limit applies too: the smaller wins. */
	CHECK_INT_EQ(bufferevent_set_rate_limit(c.bev, own), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(c.bev), 50);
	CHECK_INT_EQ(bufferevent_set_rate_limit(c.bev, NULL), 0);

	/* min_share raises small shares (up to the group's rate). */
	CHECK_INT_EQ(bufferevent_rate_limit_group_set_min_share(g, 400), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(a.bev), 400);
	CHECK_INT_EQ(bufferevent_rate_limit_group_set_min_share(g, 5000), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(a.bev), 1000);
	CHECK_INT_EQ(bufferevent_rate_limit_group_set_min_share(g, (size_t)EV_SSIZE_MAX + 1), -1);
	CHECK_INT_EQ(bufferevent_rate_limit_group_set_min_share(g, 0), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(a.bev), 333);

	/* Leaving the group restores the per-read maximum. */
	CHECK_INT_EQ(bufferevent_remove_from_rate_limit_group(c.bev), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(c.bev), 16384);
	CHECK_INT_EQ(bufferevent_get_max_to_read(a.bev), 500);
	CHECK_INT_EQ(bufferevent_remove_from_rate_limit_group(c.bev), 0);

	/* Group decrements. */
	CHECK_INT_EQ(bufferevent_rate_limit_group_decrement_read(g, 600), 0);
	CHECK_INT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 400);
	CHECK_INT_EQ(bufferevent_get_max_to_read(a.bev), 200);
	CHECK_INT_EQ(bufferevent_rate_limit_group_decrement_write(g, 100), 0);
	CHECK_INT_EQ(bufferevent_rate_limit_group_get_write_limit(g), 900);

	/* Traffic counts against the group and its totals. */
	bufferevent_enable(a.bev, EV_READ);
	fill_peer(&a, 150);
	run_for(base, 30);
	CHECK_UINT_EQ(in_len(&a), 150);
	CHECK_INT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 250);
	bufferevent_write(b.bev, "0123456789", 10);
	run_for(base, 30);
	CHECK_UINT_EQ(drain_peer(&b), 10);
	CHECK_INT_EQ(bufferevent_rate_limit_group_get_write_limit(g), 890);
	bufferevent_rate_limit_group_get_totals(g, &rd, &wr);
	CHECK_UINT_EQ(rd, 150);
	CHECK_UINT_EQ(wr, 10);
	/* Non-members' traffic does not count. */
	bufferevent_write(c.bev, "x", 1);
	run_for(base, 30);
	bufferevent_rate_limit_group_get_totals(g, &rd, &wr);
	CHECK_UINT_EQ(wr, 10);
	bufferevent_rate_limit_group_reset_totals(g);
	bufferevent_rate_limit_group_get_totals(g, &rd, &wr);
	CHECK_UINT_EQ(rd, 0);
	CHECK_UINT_EQ(wr, 0);

	/* An overdrawn group pauses every member. */
	CHECK_INT_EQ(bufferevent_rate_limit_group_decrement_read(g, 300), 0);
	CHECK_INT_EQ(bufferevent_rate_limit_group_get_read_limit(g), -50);
	CHECK_INT_EQ(bufferevent_get_max_to_read(a.bev), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(b.bev), 0);
	evbuffer_drain(bufferevent_get_input(a.bev), 150);
	bufferevent_enable(b.bev, EV_READ);
	fill_peer(&a, 100);
	fill_peer(&b, 100);
	run_for(base, 30);
	CHECK_UINT_EQ(in_len(&a), 0);
	CHECK_UINT_EQ(in_len(&b), 0);
	/* Putting bytes back resumes them, each up to its share. */
	CHECK_INT_EQ(bufferevent_rate_limit_group_decrement_read(g, -130), 0);
	CHECK_INT_EQ(bufferevent_rate_limit_group_get_read_limit(g), 80);
	run_for(base, 30);
	CHECK(in_len(&a) > 0);
	CHECK(in_len(&a) + in_len(&b) <= 80 + 40);
	bufferevent_rate_limit_group_get_totals(g, &rd, &wr);
	CHECK_UINT_EQ(rd, in_len(&a) + in_len(&b));

	/* A new configuration clips the bucket to the new burst. */
	CHECK_INT_EQ(bufferevent_rate_limit_group_set_cfg(g, small), 0);
	CHECK_INT_EQ(bufferevent_rate_limit_group_get_write_limit(g), 150);
	CHECK_INT_EQ(bufferevent_rate_limit_group_set_cfg(g, NULL), -1);
	CHECK_INT_EQ(bufferevent_rate_limit_group_set_cfg(NULL, small), -1);

	/* Joining another group leaves the first. */
	g2 = bufferevent_rate_limit_group_new(base, small);
	REQUIRE(g2 != NULL);
	CHECK_INT_EQ(bufferevent_add_to_rate_limit_group(b.bev, g2), 0);
	CHECK_INT_EQ(bufferevent_rate_limit_group_decrement_read(g, 1000), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(a.bev), 0);
	CHECK_INT_EQ(bufferevent_get_max_to_read(b.bev), 100);

	/* A group may only be freed without members. A freed bufferevent leaves its group
	 * when it is finalized, which needs the loop. */
	CHECK_INT_EQ(bufferevent_remove_from_rate_limit_group(b.bev), 0);
	bufferevent_rate_limit_group_free(g2);
	close_end(&a);
	run_for(base, 10);
	bufferevent_rate_limit_group_free(g);
	close_end(&b);
	close_end(&c);
	ev_token_bucket_cfg_free(small);
	ev_token_bucket_cfg_free(own);
	event_base_free(base);
}

int main(void)
{
	test_cfg_new();
	test_single();
	test_group();
	return check_report();
}
