/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy header for the portable helpers. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT1_EVUTIL_H_INCLUDED_
#define EVENT1_EVUTIL_H_INCLUDED_

#include <event2/util.h>

#endif
