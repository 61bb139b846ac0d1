/* SPDX-License-Identifier: BSD-3-Clause */
/* Older forms of the RPC message accessor macros. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_RPC_COMPAT_H_INCLUDED_
#define EVENT2_RPC_COMPAT_H_INCLUDED_

/** @file event2/rpc_compat.h

  @brief Variadic versions of the EVTAG_* accessors, kept for old programs.

  With GCC-compatible compilers in a non-strict mode, EVTAG_ASSIGN,
  EVTAG_GET and EVTAG_ADD are redefined to take any number of trailing
  arguments, which is how libevent 1.4 spelled them.  Included after
  event2/rpc.h, this header replaces that header's definitions; included
  before it, it keeps event2/rpc.h from defining EVTAG_ASSIGN,
  EVTAG_ASSIGN_WITH_LEN, EVTAG_GET and EVTAG_GET_WITH_LEN at all.
 */

#ifdef __cplusplus
extern "C" {
#endif

/* Variadic accessors; they rely on the GNU named variadic macro extension. */
#if defined(__GNUC__) && !defined(__STRICT_ANSI__)

#undef EVTAG_ASSIGN
#undef EVTAG_GET
#undef EVTAG_ADD

/** Sets a field of a message through its generated _assign function,
 * passing the remaining arguments along. */
#define EVTAG_ASSIGN(msg, member, args...) \
	(*(msg)->base->member##_assign)(msg, ## args)
/** Reads a field of a message through its generated _get function,
 * passing the remaining arguments along. */
#define EVTAG_GET(msg, member, args...) \
	(*(msg)->base->member##_get)(msg, ## args)
/** Appends to an array field of a message through its generated _add
 * function, passing the remaining arguments along. */
#define EVTAG_ADD(msg, member, args...) \
	(*(msg)->base->member##_add)(msg, ## args)
#endif
/** Number of elements in an array field of a message. */
#define EVTAG_LEN(msg, member) ((msg)->member##_length)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_COMPAT_H_INCLUDED_ */
