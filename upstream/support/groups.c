/* Empty case lists for the suite's groups whose source file is not built (the driver
 * defines UPSTREAM_EMPTY_<group> for each), so that the runner's table of groups still
 * links.  The driver reports those groups as not built, with the reason. */
#include <stddef.h>
#include <sys/types.h>
#include <sys/time.h>
#include <event2/util.h>

#include "regress.h"

#define EMPTY_GROUP(cases) struct testcase_t cases[] = { END_OF_TESTCASES }

#ifdef UPSTREAM_EMPTY_http
EMPTY_GROUP(http_testcases);
#endif
#ifdef UPSTREAM_EMPTY_dns
EMPTY_GROUP(dns_testcases);
#endif
#ifdef UPSTREAM_EMPTY_rpc
EMPTY_GROUP(rpc_testcases);
#endif
#ifdef UPSTREAM_EMPTY_heap
EMPTY_GROUP(minheap_testcases);
#endif
#ifdef UPSTREAM_EMPTY_watch
EMPTY_GROUP(watch_testcases);
#endif
#ifdef UPSTREAM_EMPTY_openssl
EMPTY_GROUP(openssl_testcases);
#endif
#ifdef UPSTREAM_EMPTY_ssl
EMPTY_GROUP(ssl_testcases);
#endif
#ifdef UPSTREAM_EMPTY_mbedtls
EMPTY_GROUP(mbedtls_testcases);
#endif
