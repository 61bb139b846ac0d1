/* Consistency checks of a base and of a buffer, through the public API only: libevent's
 * own checks walk private structures that this library does not have. */
#include <stdio.h>
#include <stdlib.h>

#include "event-internal.h"
#include "evbuffer-internal.h"

struct base_walk {
	struct event_base *base;
	int visited;
	int failures;
};

static int
check_one_event(const struct event_base *base, const struct event *ev, void *arg)
{
	struct base_walk *walk = arg;
	struct timeval expiry;
	++walk->visited;
	if (event_get_base(ev) != base) {
		fprintf(stderr, "event_base_assert_ok_: event %p is listed by base %p but "
		    "belongs to %p\n", (void *)ev, (void *)base, (void *)event_get_base(ev));
		++walk->failures;
	}
	if (event_pending(ev, EV_TIMEOUT, &expiry) & EV_TIMEOUT) {
		if (expiry.tv_usec < 0 || expiry.tv_usec >= 1000000) {
			fprintf(stderr, "event_base_assert_ok_: event %p expires at a "
			    "malformed time (%ld s, %ld us)\n", (void *)ev,
			    (long)expiry.tv_sec, (long)expiry.tv_usec);
			++walk->failures;
		}
	}
	return 0;
}

/* Every event the base lists belongs to it and has a well-formed expiry, and each one
 * is counted as added or active. */
void
event_base_assert_ok_(struct event_base *base)
{
	struct base_walk walk = { base, 0, 0 };
	int added, active;
	if (event_base_foreach_event(base, check_one_event, &walk) != 0) {
		fprintf(stderr, "event_base_assert_ok_: event_base_foreach_event failed\n");
		abort();
	}
	added = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED);
	active = event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE);
	if (walk.visited > added + active) {
		fprintf(stderr, "event_base_assert_ok_: %d events listed, but only %d added "
		    "and %d active\n", walk.visited, added, active);
		++walk.failures;
	}
	if (walk.failures)
		abort();
}

/* The extents evbuffer_peek() shows add up to evbuffer_get_length(), the first one is
 * the contiguous space, and an evbuffer_ptr can be set to the end and not beyond. */
int
upstream_evbuffer_check(struct evbuffer *buf)
{
	size_t length = evbuffer_get_length(buf);
	size_t contiguous = evbuffer_get_contiguous_space(buf);
	size_t sum = 0;
	struct evbuffer_iovec *extents = NULL;
	struct evbuffer_ptr at;
	int n, i, ok = 1;

	n = evbuffer_peek(buf, -1, NULL, NULL, 0);
	if (n < 0) {
		fprintf(stderr, "evbuffer check: evbuffer_peek failed\n");
		return 0;
	}
	if (n > 0) {
		extents = calloc((size_t)n, sizeof(*extents));
		if (!extents)
			return 0;
		if (evbuffer_peek(buf, -1, NULL, extents, n) != n) {
			fprintf(stderr, "evbuffer check: evbuffer_peek's count changed\n");
			ok = 0;
		}
	}
	for (i = 0; ok && i < n; ++i) {
		if (extents[i].iov_len && !extents[i].iov_base) {
			fprintf(stderr, "evbuffer check: extent %d has no data pointer\n", i);
			ok = 0;
		}
		sum += extents[i].iov_len;
	}
	if (ok && sum != length) {
		fprintf(stderr, "evbuffer check: extents hold %zu bytes, length is %zu\n",
		    sum, length);
		ok = 0;
	}
	if (ok && contiguous > length) {
		fprintf(stderr, "evbuffer check: contiguous space %zu exceeds length %zu\n",
		    contiguous, length);
		ok = 0;
	}
	if (ok && n > 0 && contiguous != extents[0].iov_len) {
		fprintf(stderr, "evbuffer check: contiguous space %zu, first extent %zu\n",
		    contiguous, extents[0].iov_len);
		ok = 0;
	}
	if (ok && evbuffer_ptr_set(buf, &at, length, EVBUFFER_PTR_SET) != 0) {
		fprintf(stderr, "evbuffer check: no position at the end (%zu)\n", length);
		ok = 0;
	}
	if (ok && evbuffer_ptr_set(buf, &at, length + 1, EVBUFFER_PTR_SET) == 0) {
		fprintf(stderr, "evbuffer check: a position past the end (%zu)\n", length + 1);
		ok = 0;
	}
	free(extents);
	return ok;
}
