/* Loop watchers (libevent 2.2's watch.h): prepare callbacks run before each poll and
 * are told the poll's timeout; check callbacks run after; either may free itself. */
// test: per-backend
// test: requires 2.2
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/watch.h>

#include "check.h"

static int prepares, checks, with_timeout;
static struct timeval seen_timeout;

static void prepare_cb(struct evwatch *w, const struct evwatch_prepare_cb_info *info, void *arg)
{
	(void)arg;
	prepares++;
	CHECK(evwatch_base(w) != NULL);
	if (evwatch_prepare_get_timeout(info, &seen_timeout))
		with_timeout++;
}

static void check_cb(struct evwatch *w, const struct evwatch_check_cb_info *info, void *arg)
{
	(void)info;
	(void)w;
	checks++;
	*(int *)arg += 1;
}

static void self_freeing_cb(struct evwatch *w, const struct evwatch_check_cb_info *info, void *arg)
{
	(void)info;
	*(int *)arg += 1;
	evwatch_free(w);
}

static void nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct evwatch *prep, *chk, *once;
	struct event timer;
	struct timeval tv = {0, 20 * 1000};
	int check_arg = 0, once_arg = 0;

	prep = evwatch_prepare_new(base, prepare_cb, NULL);
	chk = evwatch_check_new(base, check_cb, &check_arg);
	once = evwatch_check_new(base, self_freeing_cb, &once_arg);
	REQUIRE(prep && chk && once);
	CHECK(evwatch_base(prep) == base);

	evtimer_assign(&timer, base, nothing_cb, NULL);
	evtimer_add(&timer, &tv);
	event_base_dispatch(base);
	CHECK(prepares >= 1);
	CHECK(checks >= 1);
	CHECK_INT_EQ(check_arg, checks);
	CHECK(with_timeout >= 1);
	CHECK(seen_timeout.tv_sec == 0 && seen_timeout.tv_usec <= 20 * 1000);
	/* The self-freeing watcher ran once. */
	CHECK_INT_EQ(once_arg, 1);

	evwatch_free(prep);
	evwatch_free(chk);
	prepares = 0;
	evtimer_add(&timer, &tv);
	event_base_dispatch(base);
	CHECK_INT_EQ(prepares, 0);
	event_base_free(base);
	return check_report();
}
