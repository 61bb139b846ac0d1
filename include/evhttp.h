/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy header for the HTTP API. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT1_EVHTTP_H_INCLUDED_
#define EVENT1_EVHTTP_H_INCLUDED_

#include <event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/http_compat.h>

#endif
