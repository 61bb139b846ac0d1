/* Stand-in for libevent's private util-internal.h, for building libevent's regression
 * suite against this library.  Only what the suite names is here.  The functions that
 * running cases use are in evutil.c of this directory, outside the library under test;
 * those that only excluded cases call are declared only, and the build gives them
 * stand-ins that abort. */
#ifndef UPSTREAM_UTIL_INTERNAL_H
#define UPSTREAM_UTIL_INTERNAL_H

#include "evconfig-private.h"
#include <event2/event-config.h>
#include <event2/util.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "ipv6-internal.h"
#include "log-internal.h"
#include "time-internal.h"
#include "mm-internal.h"

/* Marks the members of libevent's private structs that the suite names: each read of
 * one is a compiler warning that the driver lists, since a case doing it cannot run
 * against this library and belongs in excluded.txt. */
#define UPSTREAM_PRIVATE __attribute__((deprecated("libevent-private")))

#define EVUTIL_SHUT_RD SHUT_RD
#define EVUTIL_SHUT_WR SHUT_WR
#define EVUTIL_SHUT_BOTH SHUT_RDWR

/* Which errno values mean "try again" for each kind of socket call (POSIX). */
#define EVUTIL_ERR_IS_EAGAIN(e) ((e) == EAGAIN || (e) == EWOULDBLOCK)
#define EVUTIL_ERR_RW_RETRIABLE(e) ((e) == EINTR || EVUTIL_ERR_IS_EAGAIN(e))
#define EVUTIL_ERR_CONNECT_RETRIABLE(e) ((e) == EINTR || (e) == EINPROGRESS)
#define EVUTIL_ERR_CONNECT_REFUSED(e) ((e) == ECONNREFUSED)

/* printf formats for the library's integer types. */
#define EV_U64_FMT "%llu"
#define EV_I64_FMT "%lld"
#define EV_U64_ARG(x) ((unsigned long long)(x))
#define EV_I64_ARG(x) ((long long)(x))
#define EV_SIZE_FMT "%zu"
#define EV_SSIZE_FMT "%zd"
#define EV_SIZE_ARG(x) ((size_t)(x))
#define EV_SSIZE_ARG(x) ((ssize_t)(x))
#define EV_SOCK_FMT "%d"
#define EV_SOCK_ARG(x) ((int)(x))

/* The struct of type `type` whose member `field` is at `ptr`. */
#define EVUTIL_UPCAST(ptr, type, field) \
	((type *)(((char *)(ptr)) - evutil_offsetof(type, field)))

/* Locale-independent ASCII character classes. */
int EVUTIL_ISDIGIT_(char c);
char EVUTIL_TOUPPER_(char c);
char EVUTIL_TOLOWER_(char c);

/* A small, fast, non-cryptographic random number generator for test data. */
struct evutil_weakrand_state {
	ev_uint32_t seed;
};
#define EVUTIL_WEAKRAND_MAX EV_INT32_MAX
ev_uint32_t evutil_weakrand_seed_(struct evutil_weakrand_state *state, ev_uint32_t seed);
ev_int32_t evutil_weakrand_(struct evutil_weakrand_state *state);
ev_int32_t evutil_weakrand_range_(struct evutil_weakrand_state *state, ev_int32_t top);

void evutil_usleep_(const struct timeval *tv);
void evutil_rtrim_lws_(char *str);
/* Flags that evutil_socket_ takes in its type argument (Linux takes them in socket()). */
#define EVUTIL_SOCK_CLOEXEC SOCK_CLOEXEC
#define EVUTIL_SOCK_NONBLOCK SOCK_NONBLOCK
evutil_socket_t evutil_socket_(int domain, int type, int protocol);
int evutil_socket_connect_(evutil_socket_t *fd_ptr, const struct sockaddr *sa, int socklen);
int evutil_ersatz_socketpair_(int family, int type, int protocol, evutil_socket_t fd[2]);
int evutil_sockaddr_is_loopback_(const struct sockaddr *sa);
const char *evutil_format_sockaddr_port_(const struct sockaddr *sa, char *out, size_t outlen);
int evutil_v4addr_is_local_(const struct in_addr *in);
int evutil_v6addr_is_local_(const struct in6_addr *in);

/* libevent's internal assertion, as the suite uses it: a failed one reports where and
 * aborts. */
#define EVUTIL_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: assertion %s failed\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif
