/* SPDX-License-Identifier: BSD-3-Clause */
/* Older evbuffer functions and macros kept for source compatibility. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_BUFFER_COMPAT_H_INCLUDED_
#define EVENT2_BUFFER_COMPAT_H_INCLUDED_

#include <event2/visibility.h>
/* Not included by the original header; added so that this header can be
 * compiled on its own.  It declares struct evbuffer, size_t and the
 * functions the macros below expand to. */
#include <event2/buffer.h>

/* C linkage for C++ programs (libevent 2.2.1 leaves these compat headers without it). */
#ifdef __cplusplus
extern "C" {
#endif

/** @file event2/buffer_compat.h

	@brief Superseded evbuffer interfaces.  New code should use the
	functions in event2/buffer.h instead.
 */


/**
   Remove one line from the front of an evbuffer, accepting any run of CR
   and LF bytes as the terminator.

   Same as evbuffer_readln(buffer, NULL, EVBUFFER_EOL_ANY).

   @deprecated Treating any CR/LF run as one line end is wrong for most
      protocols; call evbuffer_readln() with a suitable style instead.

   @param buffer the buffer to read from
   @return a newly allocated, zero-terminated line that the caller must
      free(), or NULL if no complete line is present or on error
*/
EVENT2_EXPORT_SYMBOL
char *evbuffer_readline(struct evbuffer *buffer);

/** Old-style callback run after an evbuffer's length changes.

    @param buffer the buffer that changed
    @param old_len its length before the change
    @param new_len its length now
    @param arg the pointer given to evbuffer_setcb()
*/
typedef void (*evbuffer_cb)(struct evbuffer *buffer, size_t old_len, size_t new_len, void *arg);

/**
  Make cb the only callback of an evbuffer.

  Every callback registered before is dropped; passing NULL simply removes
  them all.

  @deprecated Because it discards callbacks that other code may have
     installed, prefer evbuffer_add_cb() and evbuffer_remove_cb().

  @param buffer the buffer to watch
  @param cb the function to call on changes, or NULL
  @param cbarg last argument passed to cb
  @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_setcb(struct evbuffer *buffer, evbuffer_cb cb, void *cbarg);


/**
  Look for a byte string in an evbuffer and return its address.

  The buffer may be rearranged to make the match contiguous.

  @deprecated Use evbuffer_search().

  @param buffer the buffer to search
  @param what the bytes to look for
  @param len the length of what
  @return a pointer to the first match inside the buffer, or NULL if there
    is none
 */
EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_find(struct evbuffer *buffer, const unsigned char *what, size_t len);

/** Old spelling of evbuffer_get_length(x). @deprecated Call the function. */
#define EVBUFFER_LENGTH(x)	evbuffer_get_length(x)
/** Old spelling of evbuffer_pullup(x, -1): the whole buffer made contiguous.
    @deprecated Call the function. */
#define EVBUFFER_DATA(x)	evbuffer_pullup((x), -1)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_COMPAT_H_INCLUDED_ */
