/* After fork(), event_reinit gives the child's base its own kernel state: I/O events,
 * timers and signals keep working in the child. */
// test: per-backend
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int reads, sigs;

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	char c;
	(void)what;
	(void)arg;
	if (read(fd, &c, 1) == 1)
		reads++;
}

static void sig_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sigs++;
}

int main(void)
{
	struct event_base *base = event_base_new();
	evutil_socket_t pair[2];
	struct event rd, sig;
	pid_t pid;
	int status = 0;

	REQUIRE(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
	event_assign(&rd, base, pair[0], EV_READ | EV_PERSIST, read_cb, NULL);
	evsignal_assign(&sig, base, SIGUSR1, sig_cb, NULL);
	event_add(&rd, NULL);
	evsignal_add(&sig, NULL);

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		int ok = 1;
		if (event_reinit(base) != 0)
			_exit(10);
		if (write(pair[1], "c", 1) != 1)
			_exit(11);
		event_base_loop(base, EVLOOP_ONCE);
		ok &= reads == 1;
		raise(SIGUSR1);
		event_base_loop(base, EVLOOP_ONCE);
		ok &= sigs == 1;
		_exit(ok ? 0 : 12);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_INT_EQ(WEXITSTATUS(status), 0);

	/* The parent's base is unaffected. */
	CHECK_INT_EQ(write(pair[1], "p", 1), 1);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_INT_EQ(reads, 1);
	raise(SIGUSR1);
	event_base_loop(base, EVLOOP_ONCE);
	CHECK_INT_EQ(sigs, 1);

	event_del(&rd);
	evsignal_del(&sig);
	evutil_closesocket(pair[0]);
	evutil_closesocket(pair[1]);
	event_base_free(base);
	return check_report();
}
