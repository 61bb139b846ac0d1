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

/* ----- evbuffer_add_printf / evbuffer_add_vprintf ----------------------------------- */

#include <limits.h>
#include <sys/types.h>
#include <sys/uio.h>

struct evbuffer;
int evbuffer_reserve_space(struct evbuffer *buf, ssize_t size, struct iovec *vec, int n_vec);
int evbuffer_commit_space(struct evbuffer *buf, struct iovec *vec, int n_vecs);
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap);
int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...);

/* Formats straight into reserved space at the end of the buffer: first into what a
 * small reservation offers, and if the output is longer, once more into a reservation
 * of exactly the right size. */
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
{
	struct iovec space;
	va_list aq;
	int size;

	if (buf == NULL || fmt == NULL)
		return -1;
	if (evbuffer_reserve_space(buf, 64, &space, 1) != 1)
		return -1;
	va_copy(aq, ap);
	size = vsnprintf(space.iov_base, space.iov_len, fmt, aq);
	va_end(aq);
	if (size < 0)
		return -1;
	if ((size_t)size >= space.iov_len) {
		int again;

		if (size == INT_MAX)
			return -1;
		if (evbuffer_reserve_space(buf, (ssize_t)size + 1, &space, 1) != 1)
			return -1;
		va_copy(aq, ap);
		again = vsnprintf(space.iov_base, space.iov_len, fmt, aq);
		va_end(aq);
		if (again != size)
			return -1;
	}
	space.iov_len = (size_t)size;
	if (evbuffer_commit_space(buf, &space, 1) != 0)
		return -1;
	return size;
}

int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	int size;

	va_start(ap, fmt);
	size = evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	return size;
}
