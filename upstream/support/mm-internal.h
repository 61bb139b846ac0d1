/* Stand-in for libevent's private mm-internal.h.  The library's allocator wrappers are
 * not part of its API; what the suite allocates and frees itself goes through the C
 * library here. */
#ifndef UPSTREAM_MM_INTERNAL_H
#define UPSTREAM_MM_INTERNAL_H
#include <stdlib.h>
#include <string.h>
#define mm_malloc(n) malloc(n)
#define mm_calloc(n, m) calloc((n), (m))
#define mm_realloc(p, n) realloc((p), (n))
#define mm_free(p) free(p)
/* Like libevent's: NULL for NULL. */
static inline char *
upstream_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}
#define mm_strdup(s) upstream_strdup(s)
#endif
