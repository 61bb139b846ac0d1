/* Stand-in for libevent's private strlcpy-internal.h. */
#ifndef UPSTREAM_STRLCPY_INTERNAL_H
#define UPSTREAM_STRLCPY_INTERNAL_H
#include <stddef.h>
size_t event_strlcpy_(char *dst, const char *src, size_t siz);
#define strlcpy event_strlcpy_
#endif
