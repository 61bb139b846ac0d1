/* Plain utilities behind the stand-in util-internal.h and time-internal.h. */
#include <stdlib.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "util-internal.h"
#include "time-internal.h"

/* ASCII character classes, independent of the locale. */
int EVUTIL_ISDIGIT_(char c) { return c >= '0' && c <= '9'; }
char EVUTIL_TOUPPER_(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }
char EVUTIL_TOLOWER_(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

void *upstream_mm_malloc(size_t n) { return malloc(n); }
void *upstream_mm_calloc(size_t count, size_t size) { return calloc(count, size); }
void upstream_mm_free(void *p) { free(p); }
char *upstream_mm_strdup(const char *s) { return s ? strdup(s) : NULL; }

ev_uint32_t
evutil_weakrand_seed_(struct evutil_weakrand_state *state, ev_uint32_t seed)
{
	if (seed == 0) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		seed = (ev_uint32_t)now.tv_sec ^ (ev_uint32_t)now.tv_nsec ^
		    ((ev_uint32_t)getpid() << 16);
	}
	state->seed = seed;
	return seed;
}

/* xorshift32 (Marsaglia), folded to 31 bits; a zero state would stay zero, so it
 * restarts from a fixed odd value. */
ev_int32_t
evutil_weakrand_(struct evutil_weakrand_state *state)
{
	ev_uint32_t x = state->seed ? state->seed : 0x9e3779b9U;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	state->seed = x;
	return (ev_int32_t)(x & EVUTIL_WEAKRAND_MAX);
}

/* Uniform in [0, top): draws are rejected above the largest multiple of top. */
ev_int32_t
evutil_weakrand_range_(struct evutil_weakrand_state *state, ev_int32_t top)
{
	ev_int32_t limit, r;
	if (top <= 0)
		return 0;
	limit = EVUTIL_WEAKRAND_MAX - (ev_int32_t)(((ev_uint32_t)EVUTIL_WEAKRAND_MAX + 1U) % (ev_uint32_t)top);
	do {
		r = evutil_weakrand_(state);
	} while (r > limit);
	return r % top;
}

void
evutil_usleep_(const struct timeval *tv)
{
	struct timespec left;
	if (!tv)
		return;
	left.tv_sec = tv->tv_sec;
	left.tv_nsec = tv->tv_usec * 1000L;
	while (nanosleep(&left, &left) == -1 && errno == EINTR)
		;
}

/* A socket; EVUTIL_SOCK_CLOEXEC and EVUTIL_SOCK_NONBLOCK in `type` are the kernel's own
 * flags here, so socket() applies them. */
evutil_socket_t
evutil_socket_(int domain, int type, int protocol)
{
	return socket(domain, type, protocol);
}

/* Connects *fd_ptr (a new non-blocking stream socket if it is negative) to sa: 1 when
 * connected at once, 0 while in progress, 2 when refused, -1 on another error. */
int
evutil_socket_connect_(evutil_socket_t *fd_ptr, const struct sockaddr *sa, int socklen)
{
	int made_fd = 0;
	if (*fd_ptr < 0) {
		*fd_ptr = socket(sa->sa_family, SOCK_STREAM, 0);
		if (*fd_ptr < 0)
			return -1;
		made_fd = 1;
		if (evutil_make_socket_nonblocking(*fd_ptr) < 0)
			goto fail;
	}
	if (connect(*fd_ptr, sa, (socklen_t)socklen) == 0)
		return 1;
	if (EVUTIL_ERR_CONNECT_RETRIABLE(errno))
		return 0;
	if (EVUTIL_ERR_CONNECT_REFUSED(errno))
		return 2;
fail:
	if (made_fd) {
		evutil_closesocket(*fd_ptr);
		*fd_ptr = -1;
	}
	return -1;
}

int
evutil_configure_monotonic_time_(struct evutil_monotonic_timer *mt, int flags)
{
	mt->library_timer = evutil_monotonic_timer_new();
	if (!mt->library_timer)
		return -1;
	return evutil_configure_monotonic_time(mt->library_timer, flags);
}

int
evutil_gettime_monotonic_(struct evutil_monotonic_timer *mt, struct timeval *tv)
{
	return evutil_gettime_monotonic(mt->library_timer, tv);
}

/* A socket address as text for the suite's messages: "a.b.c.d:port", "[v6]:port", or
 * "<addr with family N>" for other families, cut to `outlen`. */
const char *
evutil_format_sockaddr_port_(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		if (!evutil_inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)))
			return NULL;
		evutil_snprintf(out, outlen, "%s:%d", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		if (!evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)))
			return NULL;
		evutil_snprintf(out, outlen, "[%s]:%d", host, ntohs(sin6->sin6_port));
	} else {
		evutil_snprintf(out, outlen, "<addr with socktype %d>", (int)sa->sa_family);
	}
	return out;
}
