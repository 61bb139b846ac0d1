/* SPDX-License-Identifier: BSD-3-Clause */
/* event_warn and event_warnx, in the build with libevent 2.1's binary interface only:
 * libevent keeps them out of its public headers, but the code its event_rpcgen.py
 * generates calls them, so programs built with that code need them from
 * libevent_core. Both log a warning as libevent does: the formatted message, and for
 * event_warn ": " and the text of errno as it was on entry. Variadic, hence C. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* libevent's EVENT_LOG_WARN. */
#define WARN_SEVERITY 2

int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap);
int evutil_snprintf(char *buf, size_t buflen, const char *format, ...);
void evrs_sibling_log(int severity, const char *message);
void event_warn(const char *fmt, ...);
void event_warnx(const char *fmt, ...);

/* As long as libevent's log lines; a longer message is cut, as there. */
#define MESSAGE_SIZE 1024

static void warn_with(const char *errstr, const char *fmt, va_list ap)
{
	char message[MESSAGE_SIZE] = "";

	/* A NULL format logs an empty message where libevent would crash. */
	if (fmt != NULL)
		evutil_vsnprintf(message, sizeof(message), fmt, ap);
	if (errstr != NULL) {
		size_t len = strlen(message);
		evutil_snprintf(message + len, sizeof(message) - len, ": %s", errstr);
	}
	evrs_sibling_log(WARN_SEVERITY, message);
}

void event_warn(const char *fmt, ...)
{
	/* Read before formatting, which may change errno. */
	const char *errstr = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	warn_with(errstr, fmt, ap);
	va_end(ap);
}

void event_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_with(NULL, fmt, ap);
	va_end(ap);
}
