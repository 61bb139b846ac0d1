/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy header for the RPC API. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT1_EVRPC_H_INCLUDED_
#define EVENT1_EVRPC_H_INCLUDED_

#include <event.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>
#include <event2/rpc_compat.h>

#endif
