/* Debug mode catches misuse of events through the fatal path: adding an event that was
 * never assigned, re-assigning an added one, and using one after event_free. Each case
 * runs in a child process whose fatal callback exits with a known status. Enabling it
 * twice is fatal, unless libevent_global_shutdown turned it off in between. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define FATAL_STATUS 42

static void on_fatal(int err)
{
	(void)err;
	_exit(FATAL_STATUS);
}

static void nothing_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static void add_unassigned(struct event_base *base)
{
	struct event ev;
	/* Looks like an event of this base, but was never assigned. */
	memset(&ev, 0, sizeof(ev));
	ev.ev_base = base;
	event_add(&ev, NULL);
}

static void reassign_added(struct event_base *base)
{
	struct event ev;
	struct timeval tv = {10, 0};
	event_assign(&ev, base, -1, 0, nothing_cb, NULL);
	event_add(&ev, &tv);
	event_assign(&ev, base, -1, 0, nothing_cb, NULL);
}

static void use_after_free(struct event_base *base)
{
	struct event *ev = event_new(base, -1, 0, nothing_cb, NULL);
	event_free(ev);
	/* The memory is gone; debug mode must notice without touching it. */
	event_del(ev);
}

static void correct_use(struct event_base *base)
{
	struct event ev;
	struct timeval tv = {0, 1000};
	event_assign(&ev, base, -1, 0, nothing_cb, NULL);
	event_add(&ev, &tv);
	event_base_dispatch(base);
	event_assign(&ev, base, -1, 0, nothing_cb, NULL);
	event_debug_unassign(&ev);
}

/* Runs `scenario` in a child with debug mode on; returns its exit status. */
static int run_child(void (*scenario)(struct event_base *))
{
	pid_t pid;
	int status = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		struct event_base *base;
		event_set_fatal_callback(on_fatal);
		event_enable_debug_mode();
		base = event_base_new();
		scenario(base);
		event_base_free(base);
		_exit(0);
	}
	REQUIRE(pid > 0);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void enable_too_late(struct event_base *base)
{
	(void)base;
	/* A base exists already. */
	event_enable_debug_mode();
}

/* Runs in a child of its own: no base is made before the second enable. */
static int enable_after_shutdown(int shutdown_between)
{
	pid_t pid;
	int status = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		struct event_base *base;
		event_set_fatal_callback(on_fatal);
		event_enable_debug_mode();
		if (shutdown_between)
			libevent_global_shutdown();
		event_enable_debug_mode();
		base = event_base_new();
		correct_use(base);
		event_base_free(base);
		_exit(0);
	}
	REQUIRE(pid > 0);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
	CHECK_INT_EQ(run_child(add_unassigned), FATAL_STATUS);
	CHECK_INT_EQ(run_child(reassign_added), FATAL_STATUS);
	CHECK_INT_EQ(run_child(use_after_free), FATAL_STATUS);
	CHECK_INT_EQ(run_child(enable_too_late), FATAL_STATUS);
	CHECK_INT_EQ(run_child(correct_use), 0);
	CHECK_INT_EQ(enable_after_shutdown(0), FATAL_STATUS);
	CHECK_INT_EQ(enable_after_shutdown(1), 0);
	return check_report();
}
