/* Stand-in for libevent's private http-internal.h.
 *
 * The suite's HTTP cases mostly use the public API. Some of its raw-socket peers read
 * what the server sent with libevent's internal first-line and header parsers: those
 * have stand-ins in http.c. A few cases call the raw URI decoder or the connection
 * failure path, or read the private list of a server's connections: those names are
 * declared here only so that the suite compiles (the cases are in excluded.txt, and
 * the struct member is marked, so the build lists each read). */
#ifndef UPSTREAM_HTTP_INTERNAL_H
#define UPSTREAM_HTTP_INTERNAL_H
#include <sys/queue.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include "util-internal.h"

enum message_read_status {
	ALL_DATA_READ = 1,
	MORE_DATA_EXPECTED = 0,
	DATA_CORRUPTED = -1,
	REQUEST_CANCELED = -2,
	DATA_TOO_LONG = -3
};

struct evhttp_connection;
TAILQ_HEAD(upstream_evconq, evhttp_connection);

struct evhttp {
	struct upstream_evconq connections UPSTREAM_PRIVATE;
};

enum message_read_status evhttp_parse_firstline_(struct evhttp_request *, struct evbuffer *);
enum message_read_status evhttp_parse_headers_(struct evhttp_request *, struct evbuffer *);
size_t evhttp_decode_uri_internal(const char *uri, size_t length, char *ret, int decode_plus);
void evhttp_connection_fail_(struct evhttp_connection *, enum evhttp_request_error error);

#endif
