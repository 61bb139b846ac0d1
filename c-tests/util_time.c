/* Monotonic timers (every flag combination: never backwards, advancing with real
 * time, microseconds in range) and evutil_date_rfc1123 (fixed dates, truncation,
 * empty buffers, and the current time when no date is given). */
#include <event2/util.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long long usec_of(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000 + tv->tv_usec;
}

static void test_timer(int flags)
{
	struct evutil_monotonic_timer *timer = evutil_monotonic_timer_new();
	struct timeval first, prev, now;
	long long elapsed;
	int i, all_ok = 1, never_backwards = 1, usec_in_range = 1;

	REQUIRE(timer != NULL);
	CHECK_INT_EQ(evutil_configure_monotonic_time(timer, flags), 0);
	CHECK_INT_EQ(evutil_gettime_monotonic(timer, &first), 0);
	prev = first;
	for (i = 0; i < 10000; ++i) {
		all_ok &= evutil_gettime_monotonic(timer, &now) == 0;
		never_backwards &= usec_of(&now) >= usec_of(&prev);
		usec_in_range &= now.tv_usec >= 0 && now.tv_usec < 1000000;
		prev = now;
	}
	CHECK(all_ok);
	CHECK(never_backwards);
	CHECK(usec_in_range);
	usleep(30 * 1000);
	CHECK_INT_EQ(evutil_gettime_monotonic(timer, &now), 0);
	elapsed = usec_of(&now) - usec_of(&first);
	/* The coarse clock may lag by a few ticks; nothing should take a minute. */
	CHECK(elapsed >= 20 * 1000);
	CHECK(elapsed < 60 * 1000000LL);

	/* Reconfiguring is allowed. */
	CHECK_INT_EQ(evutil_configure_monotonic_time(timer, EV_MONOT_PRECISE), 0);
	CHECK_INT_EQ(evutil_gettime_monotonic(timer, &now), 0);
	evutil_monotonic_timer_free(timer);
}

static void test_precise_resolution(void)
{
	struct evutil_monotonic_timer *timer = evutil_monotonic_timer_new();
	struct timeval a, b;
	long long step = 0;
	int i;

	REQUIRE(timer != NULL);
	CHECK_INT_EQ(evutil_configure_monotonic_time(timer, EV_MONOT_PRECISE), 0);
	/* The precise clock moves in well under a millisecond. */
	for (i = 0; i < 5; ++i) {
		evutil_gettime_monotonic(timer, &a);
		do
			evutil_gettime_monotonic(timer, &b);
		while (usec_of(&a) == usec_of(&b));
		step += usec_of(&b) - usec_of(&a);
	}
	CHECK(step / 5 < 1000);
	evutil_monotonic_timer_free(timer);
	evutil_monotonic_timer_free(NULL);
}

struct date_case {
	time_t t;
	const char *date;
};

static const struct date_case dates[] = {
	{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
	{ 946684799, "Fri, 31 Dec 1999 23:59:59 GMT" },
	{ 946684800, "Sat, 01 Jan 2000 00:00:00 GMT" },
	{ 981072000, "Fri, 02 Feb 2001 00:00:00 GMT" },
	{ 1015113600, "Sun, 03 Mar 2002 00:00:00 GMT" },
	{ 1049414400, "Fri, 04 Apr 2003 00:00:00 GMT" },
	{ 1083715200, "Wed, 05 May 2004 00:00:00 GMT" },
	{ 1118016000, "Mon, 06 Jun 2005 00:00:00 GMT" },
	{ 1152230400, "Fri, 07 Jul 2006 00:00:00 GMT" },
	{ 1186531200, "Wed, 08 Aug 2007 00:00:00 GMT" },
	{ 1220918400, "Tue, 09 Sep 2008 00:00:00 GMT" },
	{ 1255132800, "Sat, 10 Oct 2009 00:00:00 GMT" },
	{ 1289433600, "Thu, 11 Nov 2010 00:00:00 GMT" },
	{ 1323648000, "Mon, 12 Dec 2011 00:00:00 GMT" },
	{ 4294967296, "Sun, 07 Feb 2106 06:28:16 GMT" },
	{ 253402300799, "Fri, 31 Dec 9999 23:59:59 GMT" },
	{ 1456704000, "Mon, 29 Feb 2016 00:00:00 GMT" },
	{ 1435708800, "Wed, 01 Jul 2015 00:00:00 GMT" },
	{ 1481866376, "Fri, 16 Dec 2016 05:32:56 GMT" },
	{ 0, NULL },
};

static void test_dates(void)
{
	const struct date_case *c;
	struct tm tm;
	char buf[64], want_before[64], want_after[64];
	time_t before, after;
	int r;

	for (c = dates; c->date; ++c) {
		REQUIRE(gmtime_r(&c->t, &tm) != NULL);
		memset(buf, 'x', sizeof(buf));
		r = evutil_date_rfc1123(buf, sizeof(buf), &tm);
		CHECK_STR_EQ(buf, c->date);
		CHECK_INT_EQ(r, 29);
	}

	/* Too small buffers: truncated and terminated; the answer is the full length. */
	time_t zero = 0;
	gmtime_r(&zero, &tm);
	r = evutil_date_rfc1123(buf, 8, &tm);
	CHECK_STR_EQ(buf, "Thu, 01");
	CHECK_INT_EQ(r, 29);
	r = evutil_date_rfc1123(buf, 29, &tm);
	CHECK_STR_EQ(buf, "Thu, 01 Jan 1970 00:00:00 GM");
	CHECK_INT_EQ(r, 29);
	r = evutil_date_rfc1123(buf, 30, &tm);
	CHECK_STR_EQ(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	memset(buf, 'x', sizeof(buf));
	r = evutil_date_rfc1123(buf, 1, &tm);
	CHECK_INT_EQ(buf[0], '\0');
	CHECK_INT_EQ(buf[1], 'x');
	CHECK_INT_EQ(r, 29);
	/* An empty buffer is left alone, and the answer is then 0. */
	memset(buf, 'x', sizeof(buf));
	CHECK_INT_EQ(evutil_date_rfc1123(buf, 0, &tm), 0);
	CHECK_INT_EQ(buf[0], 'x');

	/* Fields are printed as given. */
	tm.tm_year = 999 - 1900;
	tm.tm_mday = 5;
	tm.tm_hour = 23;
	tm.tm_min = 7;
	tm.tm_sec = 60;
	evutil_date_rfc1123(buf, sizeof(buf), &tm);
	CHECK_STR_EQ(buf, "Thu, 05 Jan  999 23:07:60 GMT");

	/* No date: now, in GMT. */
	before = time(NULL);
	r = evutil_date_rfc1123(buf, sizeof(buf), NULL);
	after = time(NULL);
	gmtime_r(&before, &tm);
	strftime(want_before, sizeof(want_before), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	gmtime_r(&after, &tm);
	strftime(want_after, sizeof(want_after), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	CHECK_INT_EQ(r, 29);
	CHECK(strcmp(buf, want_before) == 0 || strcmp(buf, want_after) == 0);
}

int main(void)
{
	test_timer(0);
	test_timer(EV_MONOT_PRECISE);
	test_timer(EV_MONOT_FALLBACK);
	test_timer(EV_MONOT_PRECISE | EV_MONOT_FALLBACK);
	test_precise_resolution();
	test_dates();
	return check_report();
}
