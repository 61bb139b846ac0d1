/* Listener calls given NULL: creation fails, getters report nothing, the rest do
 * nothing. */
// test: evrs-only libevent dereferences a NULL listener or base in these calls
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "check.h"

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	(void)lev;
	(void)sa;
	(void)socklen;
	(void)arg;
	evutil_closesocket(fd);
}

static void error_cb(struct evconnlistener *lev, void *arg)
{
	(void)lev;
	(void)arg;
}

int main(void)
{
	struct sockaddr_in sin;
	evutil_socket_t fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	REQUIRE(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(evconnlistener_new(NULL, accept_cb, NULL, 0, -1, fd) == NULL);
	CHECK(evconnlistener_new_bind(NULL, accept_cb, NULL, 0, -1, (struct sockaddr *)&sin,
	    sizeof(sin)) == NULL);
	CHECK_INT_EQ(evconnlistener_enable(NULL), -1);
	CHECK_INT_EQ(evconnlistener_disable(NULL), -1);
	CHECK(evconnlistener_get_base(NULL) == NULL);
	CHECK_INT_EQ(evconnlistener_get_fd(NULL), -1);
	evconnlistener_set_cb(NULL, accept_cb, NULL);
	evconnlistener_set_error_cb(NULL, error_cb);
	evconnlistener_free(NULL);
	evutil_closesocket(fd);
	return check_report();
}
