/* SPDX-License-Identifier: BSD-3-Clause */
/* Encoding and decoding of tagged values in evbuffers. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_TAG_H_INCLUDED_
#define EVENT2_TAG_H_INCLUDED_

/** @file event2/tag.h

  @brief Tagged records: a compact tag/length/value encoding stored in
  evbuffers (used by the RPC layer).

  Each record is a tag number, the payload length, and the payload.  Tags
  are written as 7-bit groups with a continuation bit; integers are written
  as a count of 4-bit digits followed by the digits, most significant first.
  Records should be written in increasing tag order, so that a reader can
  stop at the first tag it does not know.
 */

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif

/* Integer types. */
#include <event2/util.h>

struct evbuffer;

/**
   Prepare the tagging functions for use.  It has no effect; calling it is
   harmless and kept for old programs.
 */
EVENT2_EXPORT_SYMBOL
void evtag_init(void);

/**
   Read and remove the tag and length of the next record.

   @param evbuf the buffer holding the record
   @param ptag if not NULL, receives the tag
   @returns the payload length, or -1 if the header is malformed or the
     buffer holds less payload than announced
*/
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_header(struct evbuffer *evbuf, ev_uint32_t *ptag);

/**
   Append a record with the given tag and payload bytes.

   @param evbuf the buffer to append to
   @param tag the record's tag
   @param data the payload
   @param len the payload length
 */
EVENT2_EXPORT_SYMBOL
void evtag_marshal(struct evbuffer *evbuf, ev_uint32_t tag, const void *data,
    ev_uint32_t len);
/**
   Append a record whose payload is the whole contents of another buffer;
   data is left empty.

   @param evbuf the buffer to append to
   @param tag the record's tag
   @param data the buffer holding the payload
 */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_buffer(struct evbuffer *evbuf, ev_uint32_t tag,
    struct evbuffer *data);

/**
  Append a 32-bit number in the tagging integer format (no tag, no length).

  The format stores the number of significant hexadecimal digits, minus
  one, in the first 4 bits, followed by the digits; it does not depend on
  the host byte order.

  @param evbuf the buffer to append to
  @param number the value to encode
 */
EVENT2_EXPORT_SYMBOL
void evtag_encode_int(struct evbuffer *evbuf, ev_uint32_t number);
/**
  Append a 64-bit number in the tagging integer format (no tag, no length).

  @param evbuf the buffer to append to
  @param number the value to encode
 */
EVENT2_EXPORT_SYMBOL
void evtag_encode_int64(struct evbuffer *evbuf, ev_uint64_t number);

/**
  Append a record whose payload is an encoded 32-bit number.

  @param evbuf the buffer to append to
  @param tag the record's tag
  @param integer the value
 */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_int(struct evbuffer *evbuf, ev_uint32_t tag,
    ev_uint32_t integer);
/**
  Append a record whose payload is an encoded 64-bit number.

  @param evbuf the buffer to append to
  @param tag the record's tag
  @param integer the value
 */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_int64(struct evbuffer *evbuf, ev_uint32_t tag,
    ev_uint64_t integer);

/**
  Append a record whose payload is a string, without its terminating zero.

  @param buf the buffer to append to
  @param tag the record's tag
  @param string a zero-terminated string
 */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_string(struct evbuffer *buf, ev_uint32_t tag,
    const char *string);

/**
  Append a record whose payload is a time value (seconds, then
  microseconds, both encoded as integers).

  @param evbuf the buffer to append to
  @param tag the record's tag
  @param tv the time value
 */
EVENT2_EXPORT_SYMBOL
void evtag_marshal_timeval(struct evbuffer *evbuf, ev_uint32_t tag,
    struct timeval *tv);

/**
  Remove the next record from src and append its payload to dst.

  @param src the buffer to read from
  @param ptag if not NULL, receives the record's tag
  @param dst the buffer receiving the payload
  @return the payload length, or -1 on malformed or incomplete input
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal(struct evbuffer *src, ev_uint32_t *ptag,
    struct evbuffer *dst);
/**
  Read the tag of the next record without removing anything.

  @param evbuf the buffer to inspect
  @param ptag if not NULL, receives the tag
  @return the number of bytes the tag occupies, or -1 if no valid tag is
    present
 */
EVENT2_EXPORT_SYMBOL
int evtag_peek(struct evbuffer *evbuf, ev_uint32_t *ptag);
/**
  Get the total size of the next record (tag, length and payload) without
  removing anything.

  @param evbuf the buffer to inspect
  @param plength receives the total size in bytes
  @return 0 on success, -1 if the header is malformed or incomplete
 */
EVENT2_EXPORT_SYMBOL
int evtag_peek_length(struct evbuffer *evbuf, ev_uint32_t *plength);
/**
  Get the payload length of the next record without removing anything.

  @param evbuf the buffer to inspect
  @param plength receives the payload length in bytes
  @return 0 on success, -1 if the header is malformed or incomplete
 */
EVENT2_EXPORT_SYMBOL
int evtag_payload_length(struct evbuffer *evbuf, ev_uint32_t *plength);
/**
  Remove the next record, whatever it contains.

  @param evbuf the buffer to read from
  @return 0 on success, -1 on malformed or incomplete input
 */
EVENT2_EXPORT_SYMBOL
int evtag_consume(struct evbuffer *evbuf);

/**
  Remove the next record and decode its payload as a 32-bit number.

  @param evbuf the buffer to read from
  @param need_tag the tag the record must have
  @param pinteger receives the value
  @return a non-negative value on success, or -1 if the tag differs or
    the input is malformed
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_int(struct evbuffer *evbuf, ev_uint32_t need_tag,
    ev_uint32_t *pinteger);
/**
  Remove the next record and decode its payload as a 64-bit number.

  @param evbuf the buffer to read from
  @param need_tag the tag the record must have
  @param pinteger receives the value
  @return a non-negative value on success, or -1 if the tag differs or
    the input is malformed
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_int64(struct evbuffer *evbuf, ev_uint32_t need_tag,
    ev_uint64_t *pinteger);

/**
  Remove the next record and copy its payload, which must be exactly len
  bytes long, into data.

  @param src the buffer to read from
  @param need_tag the tag the record must have
  @param data where to store the payload
  @param len the required payload length
  @return 0 on success, -1 if the tag or length differs or the input is
    malformed
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_fixed(struct evbuffer *src, ev_uint32_t need_tag,
    void *data, size_t len);

/**
  Remove the next record and return its payload as a new string.

  @param evbuf the buffer to read from
  @param need_tag the tag the record must have
  @param pstring receives a newly allocated, zero-terminated copy of the
    payload, which the caller must free()
  @return 0 on success, -1 if the tag differs, the input is malformed or
    memory runs out
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_string(struct evbuffer *evbuf, ev_uint32_t need_tag,
    char **pstring);

/**
  Remove the next record and decode its payload as a time value.

  @param evbuf the buffer to read from
  @param need_tag the tag the record must have
  @param ptv receives the time value
  @return 0 on success, -1 if the tag differs or the input is malformed
 */
EVENT2_EXPORT_SYMBOL
int evtag_unmarshal_timeval(struct evbuffer *evbuf, ev_uint32_t need_tag,
    struct timeval *ptv);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_TAG_H_INCLUDED_ */
