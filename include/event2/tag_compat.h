/* SPDX-License-Identifier: BSD-3-Clause */
/* Older names for tag encoding functions, kept for source compatibility. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_TAG_COMPAT_H_INCLUDED_
#define EVENT2_TAG_COMPAT_H_INCLUDED_

/** @file event2/tag_compat.h

    @brief Superseded names from event2/tag.h.
 */

/* Not included by the original header; added so that this header can be
 * compiled on its own and so that the macros below have their targets
 * declared. */
#include <event2/tag.h>

/**
   @name Old integer encoding names

   @deprecated Use evtag_encode_int() and evtag_encode_int64(); these
     names lack the evtag_ prefix.

   @{
*/
/** Old name of evtag_encode_int(). */
#define encode_int(evbuf, number) evtag_encode_int((evbuf), (number))
/** Old name of evtag_encode_int64(). */
#define encode_int64(evbuf, number) evtag_encode_int64((evbuf), (number))
/**@}*/

#endif /* EVENT2_TAG_COMPAT_H_INCLUDED_ */
