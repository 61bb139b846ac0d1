/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy libevent 1.x entry point for the RPC system. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT1_EVRPC_H_INCLUDED_
#define EVENT1_EVRPC_H_INCLUDED_

/** @file evrpc.h

  The RPC header of libevent 1.x, kept so that old programs still build.
  It pulls in <event.h> and the current RPC headers; new code should
  include <event2/rpc.h> (and the other <event2/...> headers it needs)
  directly.
 */

#include <event.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>
#include <event2/rpc_compat.h>

#endif /* EVENT1_EVRPC_H_INCLUDED_ */
