/* With a malloc that fails, evwatch_prepare_new and evwatch_check_new return NULL; once
 * malloc works again, watchers are made and run as usual, and a watcher may free
 * itself from inside its own callback. */
// test: requires 2.2
#include <event2/event.h>
#include <event2/watch.h>

#include <errno.h>
#include <stdlib.h>

#include "check.h"

static int failing;

static void *maybe_malloc(size_t n)
{
	if (failing) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc(n);
}

static void *maybe_realloc(void *p, size_t n)
{
	if (failing) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n);
}

static int prepared, checked;

static void prepare_cb(struct evwatch *w, const struct evwatch_prepare_cb_info *info, void *arg)
{
	(void)info;
	(void)arg;
	prepared++;
	evwatch_free(w);
}

static void check_cb(struct evwatch *w, const struct evwatch_check_cb_info *info, void *arg)
{
	(void)w;
	(void)info;
	(void)arg;
	checked++;
}

int main(void)
{
	struct event_base *base;
	struct evwatch *check;

	event_set_mem_functions(maybe_malloc, maybe_realloc, free);
	base = event_base_new();
	CHECK(base != NULL);

	failing = 1;
	CHECK(evwatch_prepare_new(base, prepare_cb, NULL) == NULL);
	CHECK(evwatch_check_new(base, check_cb, NULL) == NULL);
	failing = 0;

	CHECK(evwatch_prepare_new(base, prepare_cb, NULL) != NULL);
	check = evwatch_check_new(base, check_cb, NULL);
	CHECK(check != NULL);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_NO_EXIT_ON_EMPTY), 0);
	CHECK_INT_EQ(event_base_loop(base, EVLOOP_NONBLOCK | EVLOOP_NO_EXIT_ON_EMPTY), 0);
	/* The prepare watcher freed itself in its first run. */
	CHECK_INT_EQ(prepared, 1);
	CHECK_INT_EQ(checked, 2);
	evwatch_free(check);
	event_base_free(base);
	return check_report();
}
