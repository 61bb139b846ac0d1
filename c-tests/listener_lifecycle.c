/* Listener corner cases, all under event debug mode: a callback set to NULL on an enabled
 * listener makes it accept and close connections; set_cb on a disabled listener does not
 * enable it; enable without a callback; an accept error with no error callback is logged
 * and the listener keeps going; the error callback may free the listener; new_bind's
 * socket stays open on free without LEV_OPT_CLOSE_ON_FREE; evconnlistener_new leaves the
 * socket's blocking mode alone (checked in a child, outside debug mode); new_bind without
 * an address fails; a NULL base is event_init's; a listener freed from another event's
 * callback accepts nothing more; freed listeners leave debug mode clean for the events
 * that follow. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "bev_support.h"

#define MAX_HOLD 4096

struct acc {
	int calls;
	int errors;
	int free_in_error_cb;
	int after_free;
};

/* Descriptors held to make accept() fail with EMFILE. */
struct exhaustion {
	int held[MAX_HOLD];
	int nheld;
	struct rlimit saved;
};

static struct exhaustion exhausted;
static int warnings;
static int accept_warning_seen;

static void release_descriptors(void)
{
	while (exhausted.nheld > 0)
		close(exhausted.held[--exhausted.nheld]);
	setrlimit(RLIMIT_NOFILE, &exhausted.saved);
}

/* Takes every descriptor: the limit just above the highest in use, the holes filled. */
static void exhaust_descriptors(void)
{
	struct rlimit low;
	int fd = dup(0);
	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(getrlimit(RLIMIT_NOFILE, &exhausted.saved) == 0);
	low = exhausted.saved;
	low.rlim_cur = (rlim_t)fd + 1;
	REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	while (exhausted.nheld < MAX_HOLD && (fd = dup(0)) >= 0)
		exhausted.held[exhausted.nheld++] = fd;
}

static void log_cb(int severity, const char *msg)
{
	if (severity == EVENT_LOG_WARN && strcmp(msg, "Error from accept() call: Too many open files") == 0)
		accept_warning_seen = 1;
	warnings++;
	release_descriptors();
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct acc *a = arg;
	(void)lev;
	(void)sa;
	(void)socklen;
	a->calls++;
	evutil_closesocket(fd);
}

static void error_cb(struct evconnlistener *lev, void *arg)
{
	struct acc *a = arg;
	a->errors++;
	release_descriptors();
	if (a->free_in_error_cb)
		evconnlistener_free(lev);
}

/* A listener on a free loopback port (its address in sin), counting into a fresh a. */
static struct evconnlistener *bind_loopback(struct event_base *base, struct acc *a,
    unsigned flags, struct sockaddr_in *sin)
{
	ev_socklen_t len = sizeof(*sin);
	struct evconnlistener *lev;
	memset(a, 0, sizeof(*a));
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lev = evconnlistener_new_bind(base, accept_cb, a, flags, -1, (struct sockaddr *)sin,
	    sizeof(*sin));
	REQUIRE(lev != NULL);
	REQUIRE(getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)sin, &len) == 0);
	return lev;
}

static evutil_socket_t connect_to(const struct sockaddr_in *sin)
{
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	REQUIRE(connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == 0);
	return fd;
}

/* Whether the peer closed the connection, waiting up to ms for it. */
static int peer_closed(struct event_base *base, evutil_socket_t fd, int ms)
{
	char c;
	evutil_make_socket_nonblocking(fd);
	for (int waited = 0; waited < ms; waited += 10) {
		if (read(fd, &c, 1) == 0)
			return 1;
		run_for(base, 10);
	}
	return 0;
}

static void test_null_cb_drops(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct acc a;
	struct evconnlistener *lev;
	evutil_socket_t c;

	lev = bind_loopback(base, &a, LEV_OPT_CLOSE_ON_FREE, &sin);
	/* Enabled, then the callback goes: connections are accepted and closed. */
	evconnlistener_set_cb(lev, NULL, &a);
	c = connect_to(&sin);
	CHECK(peer_closed(base, c, 3000));
	CHECK_INT_EQ(a.calls, 0);
	evutil_closesocket(c);
	/* A callback again: accepting as usual. */
	evconnlistener_set_cb(lev, accept_cb, &a);
	c = connect_to(&sin);
	CHECK(run_until(base, &a.calls, 3000));
	evutil_closesocket(c);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void test_set_cb_while_disabled(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct acc a;
	struct evconnlistener *lev;
	evutil_socket_t c;

	lev = bind_loopback(base, &a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED, &sin);
	evconnlistener_set_cb(lev, NULL, NULL);
	/* Enabling without a callback succeeds and accepts nothing. */
	CHECK_INT_EQ(evconnlistener_enable(lev), 0);
	c = connect_to(&sin);
	run_for(base, 30);
	CHECK_INT_EQ(a.calls, 0);
	CHECK_INT_EQ(evconnlistener_disable(lev), 0);
	/* A callback on a disabled listener does not enable it. */
	evconnlistener_set_cb(lev, accept_cb, &a);
	run_for(base, 30);
	CHECK_INT_EQ(a.calls, 0);
	CHECK_INT_EQ(evconnlistener_enable(lev), 0);
	CHECK(run_until(base, &a.calls, 3000));
	CHECK_INT_EQ(a.calls, 1);
	evutil_closesocket(c);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void test_error_logged(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct acc a;
	struct evconnlistener *lev;
	evutil_socket_t c1, c2;

	lev = bind_loopback(base, &a, LEV_OPT_CLOSE_ON_FREE, &sin);
	c1 = connect_to(&sin);
	warnings = 0;
	accept_warning_seen = 0;
	event_set_log_callback(log_cb);
	exhaust_descriptors();
	/* No error callback: a warning, after which the log callback frees descriptors. */
	CHECK(run_until(base, &warnings, 3000));
	CHECK(accept_warning_seen);
	event_set_log_callback(NULL);
	release_descriptors();
	/* Still enabled. */
	c2 = connect_to(&sin);
	CHECK(run_until(base, &a.calls, 3000));
	evutil_closesocket(c1);
	evutil_closesocket(c2);
	evconnlistener_free(lev);
	event_base_free(base);
}

static void test_free_in_error_cb(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct acc a;
	struct evconnlistener *lev;
	evutil_socket_t c, lfd;

	lev = bind_loopback(base, &a, LEV_OPT_CLOSE_ON_FREE, &sin);
	a.free_in_error_cb = 1;
	evconnlistener_set_error_cb(lev, error_cb);
	lfd = evconnlistener_get_fd(lev);
	c = connect_to(&sin);
	exhaust_descriptors();
	CHECK(run_until(base, &a.errors, 3000));
	release_descriptors();
	run_for(base, 30);
	CHECK_INT_EQ(a.errors, 1);
	CHECK_INT_EQ(a.calls, 0);
	CHECK(!fd_is_open(lfd));
	evutil_closesocket(c);
	event_base_free(base);
}

/* Without LEV_OPT_CLOSE_ON_FREE the socket is the program's to close. */
static void free_keeps_socket(struct evconnlistener *lev, evutil_socket_t fd)
{
	evconnlistener_free(lev);
	CHECK(fd_is_open(fd));
	evutil_closesocket(fd);
}

static void test_bind_without_close_on_free(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct acc a;
	struct evconnlistener *lev;

	lev = bind_loopback(base, &a, 0, &sin);
	free_keeps_socket(lev, evconnlistener_get_fd(lev));
	event_base_free(base);
}

static void test_new_keeps_blocking_mode(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
	struct evconnlistener *lev;

	REQUIRE(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	/* The caller makes the socket nonblocking; the listener does not. */
	lev = evconnlistener_new(base, accept_cb, NULL, LEV_OPT_DISABLED | LEV_OPT_CLOSE_ON_EXEC,
	    -1, fd);
	REQUIRE(lev != NULL);
	CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
	/* Close-on-exec is for sockets the listener makes, not this one. */
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0);
	free_keeps_socket(lev, fd);
	event_base_free(base);
}

static void test_bind_without_address(void)
{
	struct event_base *base = new_base();
	errno = 0;
	CHECK(evconnlistener_new_bind(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, -1, NULL,
	    0) == NULL);
	CHECK_INT_EQ(errno, EAFNOSUPPORT);
	event_base_free(base);
}

/* A NULL base is the current one, as for events. */
static void test_current_base(void)
{
	struct event_base *base = event_init();
	struct sockaddr_in sin;
	struct acc a;
	struct evconnlistener *lev;
	evutil_socket_t c;

	REQUIRE(base != NULL);
	lev = bind_loopback(NULL, &a, LEV_OPT_CLOSE_ON_FREE, &sin);
	CHECK(evconnlistener_get_base(lev) == base);
	c = connect_to(&sin);
	CHECK(run_until(base, &a.calls, 3000));
	evutil_closesocket(c);
	evconnlistener_free(lev);
	event_base_free(base);
}

struct free_later {
	struct evconnlistener *lev;
	struct acc *a;
};

static void free_listener_cb(evutil_socket_t fd, short what, void *arg)
{
	struct free_later *f = arg;
	(void)fd;
	(void)what;
	evconnlistener_free(f->lev);
	f->a->after_free = f->a->calls;
}

static void test_free_from_other_event(void)
{
	struct event_base *base = new_base();
	struct sockaddr_in sin;
	struct acc a;
	struct free_later f;
	struct evconnlistener *lev;
	struct event *ev;
	evutil_socket_t c[2], lfd;

	lev = bind_loopback(base, &a, LEV_OPT_CLOSE_ON_FREE, &sin);
	a.after_free = -1;
	lfd = evconnlistener_get_fd(lev);
	c[0] = connect_to(&sin);
	c[1] = connect_to(&sin);
	/* A timer that fires in the same round as the readable socket frees the listener;
	 * whichever runs first, nothing is accepted afterwards. */
	f.lev = lev;
	f.a = &a;
	ev = evtimer_new(base, free_listener_cb, &f);
	REQUIRE(ev != NULL);
	event_active(ev, EV_TIMEOUT, 0);
	run_for(base, 30);
	CHECK(a.after_free >= 0);
	CHECK_INT_EQ(a.calls, a.after_free);
	CHECK(!fd_is_open(lfd));
	event_free(ev);
	evutil_closesocket(c[0]);
	evutil_closesocket(c[1]);
	event_base_free(base);
}

/* Outside debug mode, which (in libevent) refuses to watch a blocking socket. */
static void check_blocking_mode_in_child(void)
{
	int status = -1;
	pid_t child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		test_new_keeps_blocking_mode();
		exit(check_report() == 0 ? 0 : 1);
	}
	REQUIRE(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	check_blocking_mode_in_child();
	event_enable_debug_mode();
	test_null_cb_drops();
	test_set_cb_while_disabled();
	test_error_logged();
	test_free_in_error_cb();
	test_bind_without_close_on_free();
	test_bind_without_address();
	test_current_base();
	test_free_from_other_event();
	return check_report();
}
