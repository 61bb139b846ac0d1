/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy name of the utility header. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT1_EVUTIL_H_INCLUDED_
#define EVENT1_EVUTIL_H_INCLUDED_

/** @file evutil.h

  @brief Compatibility header for programs written against libevent 1.x;
  it only includes <event2/util.h>.

  @deprecated Include <event2/util.h> instead.
*/

#include <event2/util.h>

#endif /* EVENT1_EVUTIL_H_INCLUDED_ */
