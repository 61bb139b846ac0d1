/* SPDX-License-Identifier: BSD-3-Clause */
/* The printf-style entry points. Stable Rust can neither define a variadic function
 * nor read a va_list, so these few lines are C; they format with the C library's
 * vsnprintf, so every conversion behaves as C programs expect. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap);
int evutil_snprintf(char *buf, size_t buflen, const char *format, ...);

/* vsnprintf that always terminates a non-empty buffer and returns the length the
 * whole output would have (or vsnprintf's negative error). An empty buffer is left
 * alone and the answer is 0, as in libevent. */
int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
{
	int written;

	if (buflen == 0)
		return 0;
	if (buf == NULL || format == NULL)
		return -1;
	written = vsnprintf(buf, buflen, format, ap);
	buf[buflen - 1] = '\0';
	return written;
}

int evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
{
	va_list ap;
	int written;

	va_start(ap, format);
	written = evutil_vsnprintf(buf, buflen, format, ap);
	va_end(ap);
	return written;
}
