/* evhttp_parse_query_str_flags, which libevent 2.2 added: with no flags it is
 * evhttp_parse_query_str; EVHTTP_URI_QUERY_NONCONFORMANT takes a key without '=' as an
 * empty value and skips empty pairs and empty keys; EVHTTP_URI_QUERY_LAST_VAL keeps
 * only the last value of a repeated key (case-insensitive), at the position of that last
 * one; both flags together. */
// test: requires 2.2
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void check_pairs(int line, struct evkeyvalq *headers, const char *const *want, int n)
{
	struct evkeyval *kv;
	int i = 0, ok = 1;
	TAILQ_FOREACH(kv, headers, next) {
		if (i >= n || strcmp(kv->key, want[2 * i]) != 0 ||
		    strcmp(kv->value, want[2 * i + 1]) != 0)
			ok = 0;
		i++;
	}
	CHECK(ok && i == n);
	if (!ok || i != n) {
		fprintf(stderr, "     (case at line %d) got:", line);
		TAILQ_FOREACH(kv, headers, next)
			fprintf(stderr, " [%s]=[%s]", kv->key, kv->value);
		fprintf(stderr, "\n");
	}
}

/* Parses s with flags, expects success and exactly the pairs given. */
#define PARSES(s, flags, ...) do { \
	static const char *const want_[] = {__VA_ARGS__}; \
	struct evkeyvalq q_; \
	CHECK_INT_EQ(evhttp_parse_query_str_flags(s, &q_, flags), 0); \
	check_pairs(__LINE__, &q_, want_, (int)(sizeof(want_) / sizeof(want_[0]) / 2)); \
	evhttp_clear_headers(&q_); \
} while (0)

#define PARSES_EMPTY(s, flags) do { \
	struct evkeyvalq q_; \
	CHECK_INT_EQ(evhttp_parse_query_str_flags(s, &q_, flags), 0); \
	CHECK(TAILQ_EMPTY(&q_)); \
	evhttp_clear_headers(&q_); \
} while (0)

#define FAILS(s, flags) do { \
	struct evkeyvalq q_; \
	CHECK_INT_EQ(evhttp_parse_query_str_flags(s, &q_, flags), -1); \
	CHECK(TAILQ_EMPTY(&q_)); \
	evhttp_clear_headers(&q_); \
} while (0)

static const unsigned NC = EVHTTP_URI_QUERY_NONCONFORMANT;
static const unsigned LAST = EVHTTP_URI_QUERY_LAST_VAL;

int main(void)
{
	/* No flags: as evhttp_parse_query_str. */
	PARSES("a=1&b=2+3", 0, "a", "1", "b", "2 3");
	PARSES("a=1&a=2", 0, "a", "1", "a", "2");
	FAILS("a=1&b", 0);
	FAILS("a=1&&b=2", 0);
	FAILS("=1", 0);
	PARSES_EMPTY("", 0);

	/* NONCONFORMANT: "b" alone is b="", empty pairs and empty keys are skipped. */
	PARSES("test=123&test2", NC, "test", "123", "test2", "");
	PARSES("test=123&&test2=1", NC, "test", "123", "test2", "1");
	PARSES("test=123&=456&test2=1", NC, "test", "123", "test2", "1");
	PARSES("&&a&&", NC, "a", "");
	PARSES("a=&b", NC, "a", "", "b", "");
	PARSES("k=%41+b", NC, "k", "A b");
	PARSES_EMPTY("&", NC);
	PARSES_EMPTY("=x", NC);
	PARSES_EMPTY("=", NC);
	PARSES_EMPTY("", NC);

	/* LAST_VAL: the last value wins, and sits where the last one was. */
	PARSES("test=123&test=456", LAST, "test", "456");
	PARSES("a=1&b=2&a=3", LAST, "b", "2", "a", "3");
	/* Keys are compared without case; the last spelling stays. */
	PARSES("Key=1&KEY=2&key=3", LAST, "key", "3");
	PARSES("a=1&b=2", LAST, "a", "1", "b", "2");
	/* It does not make bad queries good. */
	FAILS("a=1&a", LAST);

	/* Both. */
	PARSES("a=1&a&&=2&b=x&a=3", NC | LAST, "b", "x", "a", "3");
	PARSES("a=1&a", NC | LAST, "a", "");

	return check_report();
}
