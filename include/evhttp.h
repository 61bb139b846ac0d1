/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy libevent 1.x entry point for the HTTP server and client. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT1_EVHTTP_H_INCLUDED_
#define EVENT1_EVHTTP_H_INCLUDED_

/** @file evhttp.h

  The HTTP header of libevent 1.x, kept so that old programs still build.
  It pulls in <event.h> and the current HTTP headers; new code should
  include <event2/http.h> (and the other <event2/...> headers it needs)
  directly.
 */

#include <event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/http_compat.h>

#endif /* EVENT1_EVHTTP_H_INCLUDED_ */
