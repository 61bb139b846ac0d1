/* The suite's calls to libevent's internal log functions, printed to stderr.  The
 * library's logging is reached only through its own code, so these never stand in
 * for it in a case that checks the library's log output (see excluded.txt). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log-internal.h"

static void
print_line(const char *severity, const char *errstr, const char *fmt, va_list ap)
{
	fprintf(stderr, "[%s] ", severity);
	vfprintf(stderr, fmt, ap);
	if (errstr)
		fprintf(stderr, ": %s", errstr);
	fputc('\n', stderr);
}

static void EV_NORETURN
finish(int eval)
{
	if (eval == EVENT_ERR_ABORT_)
		abort();
	exit(eval);
}

#define PRINT(severity, errstr) do {				\
	va_list ap;						\
	va_start(ap, fmt);					\
	print_line((severity), (errstr), fmt, ap);		\
	va_end(ap);						\
} while (0)

void
event_err(int eval, const char *fmt, ...)
{
	const char *errstr = strerror(errno);
	PRINT("err", errstr);
	finish(eval);
}

void
event_warn(const char *fmt, ...)
{
	const char *errstr = strerror(errno);
	PRINT("warn", errstr);
}

void
event_sock_err(int eval, evutil_socket_t sock, const char *fmt, ...)
{
	const char *errstr = evutil_socket_error_to_string(evutil_socket_geterror(sock));
	PRINT("err", errstr);
	finish(eval);
}

void
event_sock_warn(evutil_socket_t sock, const char *fmt, ...)
{
	const char *errstr = evutil_socket_error_to_string(evutil_socket_geterror(sock));
	PRINT("warn", errstr);
}

void
event_errx(int eval, const char *fmt, ...)
{
	PRINT("err", NULL);
	finish(eval);
}

void
event_warnx(const char *fmt, ...)
{
	PRINT("warn", NULL);
}

void
event_msgx(const char *fmt, ...)
{
	PRINT("msg", NULL);
}

void
event_debugx_(const char *fmt, ...)
{
	PRINT("debug", NULL);
}
