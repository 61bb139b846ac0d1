/* Stand-in for libevent's private mm-internal.h.  The library's allocator wrappers are
 * not part of its API; what the suite allocates and frees itself goes through the C
 * library here (evutil.c). */
#ifndef UPSTREAM_MM_INTERNAL_H
#define UPSTREAM_MM_INTERNAL_H
#include <stddef.h>
void *upstream_mm_malloc(size_t n);
void *upstream_mm_calloc(size_t count, size_t size);
void upstream_mm_free(void *p);
/* Like libevent's: NULL for NULL. */
char *upstream_mm_strdup(const char *s);
#define mm_malloc(n) upstream_mm_malloc(n)
#define mm_calloc(count, size) upstream_mm_calloc((count), (size))
#define mm_free(p) upstream_mm_free(p)
#define mm_strdup(s) upstream_mm_strdup(s)
#endif
