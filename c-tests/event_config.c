/* Choosing a backend: event_config_avoid_method, required features, the EVENT_NO*
 * environment variables and EVENT_BASE_FLAG_IGNORE_ENV, and the method list. */
#include <event2/event.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"

static int supported(const char *name)
{
	const char **methods = event_get_supported_methods();
	int i;
	for (i = 0; methods && methods[i]; i++)
		if (strcmp(methods[i], name) == 0)
			return 1;
	return 0;
}

static void test_methods(void)
{
	const char **methods = event_get_supported_methods();
	struct event_base *base = event_base_new();
	REQUIRE(methods != NULL);
	REQUIRE(methods[0] != NULL);
	/* The default base uses the most preferred method. */
	CHECK_STR_EQ(event_base_get_method(base), methods[0]);
	CHECK(supported("poll"));
	CHECK(supported("select"));
	CHECK(!supported("no-such-method"));
	event_base_free(base);
}

static void test_avoid(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;
	const char **methods = event_get_supported_methods();
	int i;

	REQUIRE(cfg != NULL);
	for (i = 0; methods[i]; i++) {
		if (strcmp(methods[i], "select") == 0)
			continue;
		CHECK_INT_EQ(event_config_avoid_method(cfg, methods[i]), 0);
	}
	base = event_base_new_with_config(cfg);
	REQUIRE(base != NULL);
	CHECK_STR_EQ(event_base_get_method(base), "select");
	event_base_free(base);

	/* Avoiding everything leaves no base. */
	CHECK_INT_EQ(event_config_avoid_method(cfg, "select"), 0);
	base = event_base_new_with_config(cfg);
	CHECK(base == NULL);
	event_config_free(cfg);
}

static void test_features(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	/* Any fd kind: epoll cannot, so poll (or select) is chosen. */
	CHECK_INT_EQ(event_config_require_features(cfg, EV_FEATURE_FDS), 0);
	base = event_base_new_with_config(cfg);
	REQUIRE(base != NULL);
	CHECK(event_base_get_features(base) & EV_FEATURE_FDS);
	CHECK(strcmp(event_base_get_method(base), "epoll") != 0);
	event_base_free(base);
	event_config_free(cfg);

	if (supported("epoll")) {
		cfg = event_config_new();
		event_config_require_features(cfg, EV_FEATURE_ET | EV_FEATURE_O1);
		base = event_base_new_with_config(cfg);
		REQUIRE(base != NULL);
		CHECK_STR_EQ(event_base_get_method(base), "epoll");
		CHECK((event_base_get_features(base) & (EV_FEATURE_ET | EV_FEATURE_O1)) ==
		    (EV_FEATURE_ET | EV_FEATURE_O1));
		event_base_free(base);
		event_config_free(cfg);
	}
}

static void test_environment(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if (!supported("epoll"))
		return;
	setenv("EVENT_NOEPOLL", "1", 1);
	base = event_base_new();
	REQUIRE(base != NULL);
	CHECK_STR_EQ(event_base_get_method(base), "poll");
	event_base_free(base);

	/* IGNORE_ENV: the variable has no effect. */
	cfg = event_config_new();
	CHECK_INT_EQ(event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV), 0);
	base = event_base_new_with_config(cfg);
	REQUIRE(base != NULL);
	CHECK_STR_EQ(event_base_get_method(base), "epoll");
	event_base_free(base);
	event_config_free(cfg);
	unsetenv("EVENT_NOEPOLL");
}

static void test_flags(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;
	struct timeval tv;

	CHECK_INT_EQ(event_config_set_flag(cfg, EVENT_BASE_FLAG_NO_CACHE_TIME), 0);
	CHECK_INT_EQ(event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER), 0);
	CHECK_INT_EQ(event_config_set_num_cpus_hint(cfg, 4), 0);
	base = event_base_new_with_config(cfg);
	REQUIRE(base != NULL);
	CHECK_INT_EQ(event_base_gettimeofday_cached(base, &tv), 0);
	CHECK(tv.tv_sec > 0);
	CHECK_INT_EQ(event_gettime_monotonic(base, &tv), 0);
	event_base_free(base);
	event_config_free(cfg);

	/* A NULL config is the default. */
	base = event_base_new_with_config(NULL);
	CHECK(base != NULL);
	event_base_free(base);
}

int main(void)
{
	test_methods();
	test_avoid();
	test_features();
	test_environment();
	test_flags();
	return check_report();
}
