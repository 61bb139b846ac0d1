/* Stand-in for libevent's private log-internal.h.  The library's own log functions
 * are not part of its API, so the suite's calls to them print to stderr here
 * (log.c of this directory); cases that test the library's logging through them
 * are listed in excluded.txt. */
#ifndef UPSTREAM_LOG_INTERNAL_H
#define UPSTREAM_LOG_INTERNAL_H

#include <stdarg.h>
#include <event2/util.h>

#define EV_CHECK_FMT(a, b) __attribute__((format(printf, a, b)))
#define EV_NORETURN __attribute__((noreturn))

/* event_err()'s exit code that asks for abort() instead of exit(). */
#define EVENT_ERR_ABORT_ ((int)0xdeaddead)

void event_err(int eval, const char *fmt, ...) EV_CHECK_FMT(2, 3) EV_NORETURN;
void event_warn(const char *fmt, ...) EV_CHECK_FMT(1, 2);
void event_sock_err(int eval, evutil_socket_t sock, const char *fmt, ...) EV_CHECK_FMT(3, 4) EV_NORETURN;
void event_sock_warn(evutil_socket_t sock, const char *fmt, ...) EV_CHECK_FMT(2, 3);
void event_errx(int eval, const char *fmt, ...) EV_CHECK_FMT(2, 3) EV_NORETURN;
void event_warnx(const char *fmt, ...) EV_CHECK_FMT(1, 2);
void event_msgx(const char *fmt, ...) EV_CHECK_FMT(1, 2);
void event_debugx_(const char *fmt, ...) EV_CHECK_FMT(1, 2);

/* Set by event_enable_debug_logging(); the library exports it for this macro. */
extern ev_uint32_t event_debug_logging_mask_;
#define event_debug(x) do {				\
	if (event_debug_logging_mask_)			\
		event_debugx_ x;			\
} while (0)

#endif
