/* Stand-in for libevent's private bufferevent-internal.h. */
#ifndef UPSTREAM_BUFFEREVENT_INTERNAL_H
#define UPSTREAM_BUFFEREVENT_INTERNAL_H
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include "evthread-internal.h"
#include "evbuffer-internal.h"
#endif
