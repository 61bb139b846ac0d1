/* SPDX-License-Identifier: BSD-3-Clause */
/* Byte buffers (evbuffer) for staging network input and output. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_BUFFER_H_INCLUDED_
#define EVENT2_BUFFER_H_INCLUDED_

/** @file event2/buffer.h

  @brief The evbuffer type: a growable queue of bytes.

  An evbuffer holds bytes that are waiting to be written to a socket or that
  have just been read from one.  Data is appended at the back and consumed at
  the front.  Internally the bytes may be split over several separately
  allocated chunks, so moving data from one evbuffer to another usually only
  relinks chunks instead of copying bytes.

  Create one with evbuffer_new() and release it with evbuffer_free().  Most
  programs meet evbuffers as the input and output queues of a bufferevent
  (see bufferevent_get_input() and bufferevent_get_output()).

  Because the contents need not be contiguous, there is no direct pointer to
  "the data".  Use evbuffer_peek() to look at the chunks in place,
  evbuffer_pullup() to make a prefix contiguous (which may copy), or
  evbuffer_reserve_space() / evbuffer_commit_space() to fill free space
  without an intermediate copy.
 */

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <stdarg.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_UIO_H
#include <sys/uio.h>
#endif
#include <event2/util.h>

/**
   Opaque handle for a byte buffer.

   Its contents are only reachable through the evbuffer_* functions.
*/
struct evbuffer
#ifdef EVENT_IN_DOXYGEN_
{}
#endif
;

/**
    A position inside an evbuffer.

    Useful for searching a buffer step by step.  A position stays meaningful
    only while the buffer is not modified; any change to the buffer may leave
    it stale.  Set it up with evbuffer_ptr_set() rather than by writing the
    fields yourself.  Valid positions run from the first byte up to and
    including the point just past the last byte.

    @see evbuffer_ptr_set()
 */
struct evbuffer_ptr {
	/** Offset from the start of the buffer, or -1 for "not found". */
	ev_ssize_t pos;

	/* Private bookkeeping of the implementation; leave untouched. */
	struct {
		void *chain;
		size_t pos_in_chain;
	} internal_;
};

/** One contiguous region of memory belonging to an evbuffer, as handed out
    by the zero-copy functions.  When the platform has struct iovec this name
    is an alias for it.

    @see evbuffer_reserve_space, evbuffer_commit_space, evbuffer_peek
 */
#ifdef EVENT__HAVE_SYS_UIO_H
#define evbuffer_iovec iovec
/* Private marker: set when evbuffer_iovec is the system's struct iovec. */
#define EVBUFFER_IOVEC_IS_NATIVE_
#else
struct evbuffer_iovec {
	/** First byte of the region. */
	void *iov_base;
	/** Size of the region in bytes. */
	size_t iov_len;
};
#endif

/**
  Create an empty evbuffer.

  @return the new buffer, or NULL when memory could not be allocated
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer *evbuffer_new(void);
/**
  Release an evbuffer and everything it holds.

  @param buf the buffer to destroy
 */
EVENT2_EXPORT_SYMBOL
void evbuffer_free(struct evbuffer *buf);


/**
  Set the largest number of bytes one read into this buffer may take.

  The default is 4096 bytes.  Raising it lets a busy connection take more per
  read, at the price of larger allocations and less fairness between
  connections.

  @param buf the buffer to configure
  @param max the new limit in bytes
  @return 0 on success, or -1 if max is larger than INT_MAX
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_set_max_read(struct evbuffer *buf, size_t max);
/**
  Report the per-read size limit of a buffer.

  @param buf the buffer to query
  @return the limit set by evbuffer_set_max_read(), or the default
 */
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_max_read(struct evbuffer *buf);

/**
   Give an evbuffer a lock so several threads may use it.

   Callbacks run while the lock is held, so a callback that waits for another
   thread holding a different lock can deadlock.

   @param buf the buffer to protect
   @param lock an existing lock to use, or NULL to have one allocated
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_enable_locking(struct evbuffer *buf, void *lock);

/**
   Take the buffer's lock.  Does nothing for a buffer without a lock.

   @param buf the buffer to lock
*/
EVENT2_EXPORT_SYMBOL
void evbuffer_lock(struct evbuffer *buf);

/**
   Give back the buffer's lock.  Does nothing for a buffer without a lock.

   @param buf the buffer to unlock
*/
EVENT2_EXPORT_SYMBOL
void evbuffer_unlock(struct evbuffer *buf);


/** Buffer flag: the contents leave this buffer only by being written to a
 * file descriptor, drained unseen, or moved wholesale into another buffer,
 * never by being read out byte by byte.  This allows file data added with
 * evbuffer_add_file() to be sent with sendfile().  Bufferevents set it on
 * their output buffers where it helps.
 */
#define EVBUFFER_FLAG_DRAINS_TO_FD 1

/** Turn on flags of an evbuffer; flags already set stay set.
 *
 * @param buf the buffer to change
 * @param flags a bitwise OR of EVBUFFER_FLAG_* values
 * @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags);
/** Turn off flags of an evbuffer; other flags are left alone.
 *
 * @param buf the buffer to change
 * @param flags a bitwise OR of EVBUFFER_FLAG_* values
 * @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags);

/**
  Count the bytes held in an evbuffer.

  @param buf the buffer to measure
  @return the number of bytes stored
*/
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_length(const struct evbuffer *buf);

/**
   Count the bytes stored in the first internal chunk of an evbuffer.

   This many bytes can be read from the front without evbuffer_pullup()
   having to copy anything.

   @param buf the buffer to inspect
   @return the size of the first chunk's data, or 0 when the buffer is empty
*/
EVENT2_EXPORT_SYMBOL
size_t evbuffer_get_contiguous_space(const struct evbuffer *buf);

/**
  Preallocate room in an evbuffer.

  Afterwards at least datlen more bytes can be appended without another
  allocation.

  @param buf the buffer to grow
  @param datlen how many bytes of free space to guarantee
  @return 0 on success, -1 on failure
*/
EVENT2_EXPORT_SYMBOL
int evbuffer_expand(struct evbuffer *buf, size_t datlen);

/**
   Obtain writable space at the end of an evbuffer without copying.

   The space is returned as up to n_vec regions in vec.  Bytes written there
   become part of the buffer only after evbuffer_commit_space().  Calling this
   again before committing hands out the same space.  Between reserving and
   committing, do not call anything else that rearranges the buffer.

   Asking for a single region forces the space to be contiguous; allowing
   two is cheaper.

   @param buf the buffer to reserve space in
   @param size the minimum number of bytes wanted; more may be given
   @param vec array that receives the regions
   @param n_vec number of entries in vec; must be at least 1
   @return the number of regions filled in, or -1 on error
   @see evbuffer_commit_space()
*/
EVENT2_EXPORT_SYMBOL
int
evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size,
    struct evbuffer_iovec *vec, int n_vec);

/**
   Make bytes written into reserved space part of the buffer.

   Pass the regions obtained from evbuffer_reserve_space(), with iov_len
   lowered to the number of bytes actually written in each one.

   @param buf the buffer the space was reserved in
   @param vec the regions to commit
   @param n_vecs the number of regions in vec
   @return 0 on success, or -1 if the regions do not match the current
     reservation (for example because the buffer changed meanwhile)
   @see evbuffer_reserve_space()
*/
EVENT2_EXPORT_SYMBOL
int evbuffer_commit_space(struct evbuffer *buf,
    struct evbuffer_iovec *vec, int n_vecs);

/**
  Copy bytes onto the end of an evbuffer.

  @param buf the buffer to append to
  @param data the bytes to copy
  @param datlen the number of bytes to copy
  @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen);


/**
  Move bytes from the front of an evbuffer into memory.

  At most datlen bytes are copied out and then removed from the buffer;
  fewer are taken when the buffer holds less.

  @param buf the buffer to take from
  @param data where to store the bytes
  @param datlen the capacity of data
  @return the number of bytes taken, or -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen);

/**
  Copy bytes from the front of an evbuffer without removing them.

  @param buf the buffer to copy from
  @param data_out where to store the bytes
  @param datlen the capacity of data_out
  @return the number of bytes copied (possibly fewer than datlen), or -1 on
    failure
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout(struct evbuffer *buf, void *data_out, size_t datlen);

/**
  Copy bytes starting at a given position without removing them.

  @param buf the buffer to copy from
  @param pos where to start copying, or NULL for the start of the buffer
  @param data_out where to store the bytes
  @param datlen the capacity of data_out
  @return the number of bytes copied (possibly fewer than datlen), or -1 on
    failure
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t evbuffer_copyout_from(struct evbuffer *buf, const struct evbuffer_ptr *pos, void *data_out, size_t datlen);

/**
  Move up to datlen bytes from the front of src to the end of dst.

  Whole chunks are relinked rather than copied where possible.  When src
  holds less than datlen bytes, all of it is moved.

  @param src the buffer to take from
  @param dst the buffer to append to
  @param datlen the most bytes to move
  @return the number of bytes moved, or -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst,
    size_t datlen);

/** Which line terminator evbuffer_readln() and evbuffer_search_eol() accept.
 */
enum evbuffer_eol_style {
	/** Any run of CR and LF bytes ends the line.  A CR and an LF that
	 * arrive in separate reads may therefore count as two line ends. */
	EVBUFFER_EOL_ANY,
	/** A LF, with or without a CR just before it: the usual choice for
	 * text protocols on the Internet. */
	EVBUFFER_EOL_CRLF,
	/** Exactly the two bytes CR LF. */
	EVBUFFER_EOL_CRLF_STRICT,
	/** A single LF byte. */
	EVBUFFER_EOL_LF,
	/** A single zero byte. */
	EVBUFFER_EOL_NUL
};

/**
 * Remove one line from the front of an evbuffer.
 *
 * The line and its terminator are removed from the buffer; the terminator
 * is not part of the result.
 *
 * @param buffer the buffer to read from
 * @param n_read_out if not NULL, receives the length of the returned line
 *        (handy when the line may contain zero bytes)
 * @param eol_style which terminator ends a line
 * @return a newly allocated, zero-terminated string that the caller must
 *         free(), or NULL if no complete line is present or on error
 */
EVENT2_EXPORT_SYMBOL
char *evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out,
    enum evbuffer_eol_style eol_style);

/**
  Move the whole contents of inbuf to the end of outbuf.

  Chunks are relinked, not copied.  inbuf is empty afterwards.

  @param outbuf the buffer to append to
  @param inbuf the buffer to empty
  @return 0 on success, -1 on failure
  @see evbuffer_remove_buffer()
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf);

/**
  Append the contents of inbuf to outbuf while leaving inbuf intact.

  The data is shared by reference rather than copied.  A buffer that itself
  already contains such references cannot be used as inbuf.

  @param outbuf the buffer to append to
  @param inbuf the buffer whose contents are shared
  @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_buffer_reference(struct evbuffer *outbuf,
    struct evbuffer *inbuf);

/**
   Called when an evbuffer stops using memory it was given with
   evbuffer_add_reference().

   @param data the memory that was referenced
   @param datalen its length
   @param extra the argument given to evbuffer_add_reference()
   @see evbuffer_add_reference()
 */
typedef void (*evbuffer_ref_cleanup_cb)(const void *data,
    size_t datalen, void *extra);

/**
  Append caller-owned memory to an evbuffer without copying it.

  The memory must stay valid and unchanged until the buffer is done with it,
  which is signalled by a call to cleanupfn.

  @param outbuf the buffer to append to
  @param data the memory to append
  @param datlen the number of bytes at data
  @param cleanupfn called once the buffer no longer needs the memory, or
    NULL
  @param cleanupfn_arg last argument passed to cleanupfn
  @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_reference(struct evbuffer *outbuf,
    const void *data, size_t datlen,
    evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg);

/**
  Append a range of a file to an evbuffer, to be sent to a socket.

  Where possible the bytes are not copied into memory: sendfile() is used
  when the buffer has EVBUFFER_FLAG_DRAINS_TO_FD, otherwise the file may be
  memory-mapped.  The buffer takes ownership of fd and closes it when done.
  Reading the data back out with evbuffer_remove() or evbuffer_pullup() has
  undefined results; evbuffer_add_file_segment() offers finer control.

  @param outbuf the buffer to append to
  @param fd an open file
  @param offset where in the file the range starts
  @param length the number of bytes, or -1 for everything up to the end of
    the file (fd must then support fstat())
  @return 0 on success, -1 on failure
*/

EVENT2_EXPORT_SYMBOL
int evbuffer_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset,
    ev_off_t length);

/**
  Opaque handle for a range of a file that can be appended to one or more
  evbuffers, possibly several times, and is sent with sendfile(), via a
  memory mapping, or from a copy in memory.
 */
struct evbuffer_file_segment;

/**
    Segment flag: close the file descriptor when the segment is freed and no
    evbuffer uses it any more.
 */
#define EVBUF_FS_CLOSE_ON_FREE    0x01
/**
   Segment flag: never memory-map the file.
 */
#define EVBUF_FS_DISABLE_MMAP     0x02
/**
   Segment flag: never use sendfile().  Needed when the data will be read out
   of the evbuffer rather than only written to a socket.
 */
#define EVBUF_FS_DISABLE_SENDFILE 0x04
/**
   Segment flag: give the segment no lock.  The segment and every evbuffer it
   is added to must then be used from one thread at a time.
 */
#define EVBUF_FS_DISABLE_LOCKING  0x08

/**
   Called when a file segment is finally released.

   @param seg the segment being released
   @param flags the EVBUF_FS_* flags it was created with
   @param arg the argument given to evbuffer_file_segment_add_cleanup_cb()
 */
typedef void (*evbuffer_file_segment_cleanup_cb)(
    struct evbuffer_file_segment const* seg, int flags, void* arg);

/**
   Create a file segment describing part of a file.

   fd must remain open for as long as any evbuffer uses the segment.  Unless
   EVBUF_FS_DISABLE_SENDFILE is given, buffers holding the segment should
   only be written to sockets, not read from.

   @param fd an open file
   @param offset where in the file the segment starts
   @param length the segment's size, or -1 for everything up to the end of
      the file (fd must then support fstat())
   @param flags a bitwise OR of EVBUF_FS_* flags
   @return the new segment, or NULL on failure
 **/
EVENT2_EXPORT_SYMBOL
struct evbuffer_file_segment *evbuffer_file_segment_new(
	int fd, ev_off_t offset, ev_off_t length, unsigned flags);

/**
   Drop the caller's reference to a file segment.

   Buffers that still hold the segment keep it alive; it is destroyed when
   the last of them lets go.

   @param seg the segment to release
 */
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_free(struct evbuffer_file_segment *seg);

/**
   Register a function to run when a file segment is destroyed.

   @param seg the segment to watch
   @param cb the function to call once nothing refers to seg any more
   @param arg last argument passed to cb
 **/
EVENT2_EXPORT_SYMBOL
void evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment *seg,
	evbuffer_file_segment_cleanup_cb cb, void* arg);

/**
   Append all or part of a file segment to an evbuffer.

   Here offset and length are measured inside the segment, not inside the
   file: for a segment covering file bytes 100..199, offset 10 and length 5
   append file bytes 110..114.

   @param buf the buffer to append to
   @param seg the segment to take data from
   @param offset where inside the segment to start
   @param length how many bytes to take, or -1 for the rest of the segment
   @return 0 on success, -1 on failure.  On failure the call releases seg
     once, as evbuffer_file_segment_free() would: the caller's handle is gone.
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_file_segment(struct evbuffer *buf,
    struct evbuffer_file_segment *seg, ev_off_t offset, ev_off_t length);

/**
  Append text formatted as by printf() to an evbuffer.

  @param buf the buffer to append to
  @param fmt a printf() format string
  @param ... values for the format
  @return the number of bytes appended, or -1 on failure
  @see evbuffer_add_vprintf()
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 2, 3)))
#endif
;

/**
  Append text formatted as by vprintf() to an evbuffer.

  @param buf the buffer to append to
  @param fmt a printf() format string
  @param ap values for the format
  @return the number of bytes appended, or -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 0)))
#endif
;


/**
  Throw away bytes from the front of an evbuffer.

  @param buf the buffer to shorten
  @param len how many bytes to discard; asking for more than the buffer
    holds empties it
  @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_drain(struct evbuffer *buf, size_t len);


/**
  Write as much of an evbuffer's data as possible through a file
  descriptor.

  Whatever was written is removed from the buffer.

  @param buffer the buffer to send from
  @param fd the descriptor to write to
  @return how many bytes went out, or -1 on error
  @see evbuffer_read()
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_write(struct evbuffer *buffer, evutil_socket_t fd);

/**
  Write up to howmuch bytes from an evbuffer through a file descriptor.

  Whatever was written is removed from the buffer.

  @param buffer the buffer to send from
  @param fd the descriptor to write to
  @param howmuch the most bytes to write, or -1 for no limit
  @return how many bytes went out, or -1 on error
  @see evbuffer_read()
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_write_atmost(struct evbuffer *buffer, evutil_socket_t fd,
						  ev_ssize_t howmuch);

/**
  Append data received from a file descriptor to an evbuffer.

  @param buffer the buffer to append to
  @param fd the descriptor to take data from
  @param howmuch the most bytes to read; a negative value or one above the
    per-read limit means "as much as one read allows"
  @return the number of bytes read (0 at end of file), or -1 on error
  @see evbuffer_write()
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch);

/**
   Look for a byte string in an evbuffer.

   @param buffer the buffer to search
   @param what the bytes to look for
   @param len the length of what
   @param start position to begin at, or NULL for the start of the buffer
   @return the position of the first match at or after start; its pos
     field is -1 when there is no match
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start);

/**
   Look for a byte string inside a range of an evbuffer.

   @param buffer the buffer to search
   @param what the bytes to look for
   @param len the length of what
   @param start position to begin at, or NULL for the start of the buffer
   @param end a match must finish before this position; NULL means the end
     of the buffer
   @return the position of the first match in the range; its pos field is
     -1 when there is no match
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_range(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start, const struct evbuffer_ptr *end);

/**
   How evbuffer_ptr_set() interprets its position argument.

   @see evbuffer_ptr_set() */
enum evbuffer_ptr_how {
	/** Place the pointer at an absolute offset; the pointer may be
	    uninitialised beforehand. */
	EVBUFFER_PTR_SET,
	/** Move an already valid pointer forward by the given amount. */
	EVBUFFER_PTR_ADD
};

/**
   Set or advance a position inside an evbuffer.

   With EVBUFFER_PTR_SET the pointer is placed position bytes from the start
   of the buffer; with EVBUFFER_PTR_ADD an already valid pointer moves forward
   by position bytes.  The result may point just past the last byte, but no
   further.

   @param buffer the buffer the position refers to
   @param ptr the position to change
   @param position the offset or distance in bytes
   @param how EVBUFFER_PTR_SET or EVBUFFER_PTR_ADD
   @returns 0 on success, or -1 if the result would lie outside the buffer
*/
EVENT2_EXPORT_SYMBOL
int
evbuffer_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr,
    size_t position, enum evbuffer_ptr_how how);

/**
   Find the next line terminator in an evbuffer.

   @param buffer the buffer to search
   @param start position to begin at, or NULL for the start of the buffer
   @param eol_len_out if not NULL, receives the length of the terminator
      that was found
   @param eol_style which terminator to look for (see evbuffer_readln())
   @return the position of the terminator; its pos field is -1 when none
     was found
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_ptr evbuffer_search_eol(struct evbuffer *buffer,
    struct evbuffer_ptr *start, size_t *eol_len_out,
    enum evbuffer_eol_style eol_style);

/** Look at the data in an evbuffer in place, without copying or removing it.

    vec_out is filled with pointers to the internal regions holding the
    requested bytes.  The regions may cover more than len bytes (the last one
    is not trimmed) or fewer (when vec_out is too short or the buffer holds
    less).

    @param buffer the buffer to inspect
    @param len how many bytes to cover; a negative value means "as many as
       fit in vec_out", or, with no vec_out, all of the data
    @param start_at where to begin, or NULL for the start of the buffer
    @param vec_out array receiving the regions; may be NULL when n_vec is 0
    @param n_vec the number of entries in vec_out; 0 only counts regions
    @return how many regions are needed for the requested bytes; this can
       be larger than n_vec.  Only regions holding data are counted, so an
       empty buffer needs none (libevent may also count empty space it
       allocated, such as after evbuffer_expand()).
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_peek(struct evbuffer *buffer, ev_ssize_t len,
    struct evbuffer_ptr *start_at,
    struct evbuffer_iovec *vec_out, int n_vec);


/** Size changes reported to an evbuffer_cb_func callback.

    @see evbuffer_cb_func, evbuffer_add_cb()
 */
struct evbuffer_cb_info {
	/** Length of the buffer at the previous round of callbacks. */
	size_t orig_size;
	/** Bytes appended since the previous round of callbacks. */
	size_t n_added;
	/** Bytes removed since the previous round of callbacks. */
	size_t n_deleted;
};

/** A function called after bytes are added to or removed from an evbuffer.

    A buffer may carry several such callbacks, run in no particular order.
    A callback may add callbacks or remove itself, and may change buffers;
    doing so can make callbacks run again recursively, so take care not to
    loop forever.  It must not remove a different callback.

    @param buffer the buffer that changed
    @param info how much was added and removed
    @param arg the pointer given when the callback was added
*/
typedef void (*evbuffer_cb_func)(struct evbuffer *buffer, const struct evbuffer_cb_info *info, void *arg);

/** Opaque handle for a callback registered on an evbuffer. */
struct evbuffer_cb_entry;
/** Register a function to run whenever an evbuffer's contents change.

  Each call adds one more callback.  Remove it again with
  evbuffer_remove_cb_entry() or evbuffer_remove_cb().

  @param buffer the buffer to watch
  @param cb the function to call
  @param cbarg last argument passed to cb
  @return a handle for the registration, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evbuffer_cb_entry *evbuffer_add_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg);

/** Unregister a callback by the handle evbuffer_add_cb() returned.

    The handle must not be used afterwards.

    @param buffer the buffer the callback was added to
    @param ent the handle to remove
    @return 0 on removal, -1 if the handle is unknown
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb_entry(struct evbuffer *buffer,
			     struct evbuffer_cb_entry *ent);

/** Unregister a callback by its function and argument.

    @param buffer the buffer the callback was added to
    @param cb the function that was registered
    @param cbarg the argument that was registered with it
    @return 0 on removal, -1 if no registration matched
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg);

/** Callback flag: the callback is active.  Clearing it mutes the callback
 * without unregistering it.
 *
 * @see evbuffer_cb_set_flags(), evbuffer_cb_clear_flags()
 */
#define EVBUFFER_CB_ENABLED 1

/** Turn on flags of a registered callback.

    @param buffer the buffer the callback belongs to
    @param cb the callback's handle
    @param flags the flags to set; EVBUFFER_CB_ENABLED reactivates it
    @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_set_flags(struct evbuffer *buffer,
			  struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/** Turn off flags of a registered callback.

    @param buffer the buffer the callback belongs to
    @param cb the callback's handle
    @param flags the flags to clear; EVBUFFER_CB_ENABLED mutes it
    @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_cb_clear_flags(struct evbuffer *buffer,
			  struct evbuffer_cb_entry *cb, ev_uint32_t flags);

#if 0
/* Not part of the API: these two declarations are compiled out. */
EVENT2_EXPORT_SYMBOL
void evbuffer_cb_suspend(struct evbuffer *buffer, struct evbuffer_cb_entry *cb);
EVENT2_EXPORT_SYMBOL
void evbuffer_cb_unsuspend(struct evbuffer *buffer, struct evbuffer_cb_entry *cb);
#endif

/**
  Make the first bytes of an evbuffer contiguous in memory.

  This may copy data between internal chunks.

  @param buf the buffer to rearrange
  @param size how many bytes from the front to join, or -1 for all of them
  @return a pointer to the first byte, or NULL if size exceeds the amount
	stored (or on allocation failure)
*/

EVENT2_EXPORT_SYMBOL
unsigned char *evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size);

/**
  Insert bytes at the front of an evbuffer.

  @param buf the buffer to prepend to
  @param data the bytes to insert
  @param size the number of bytes
  @return 0 on success, -1 on failure
*/

EVENT2_EXPORT_SYMBOL
int evbuffer_prepend(struct evbuffer *buf, const void *data, size_t size);

/**
  Move the whole contents of src to the front of dst.

  @param dst the buffer to prepend to
  @param src the buffer to empty
  @return 0 on success, -1 on failure
*/
EVENT2_EXPORT_SYMBOL
int evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer* src);

/**
   Lock one end of an evbuffer against changes.

   While the front is frozen, removing or prepending data fails; while the
   back is frozen, appending fails.

   @param buf the evbuffer concerned
   @param at_front nonzero for the front, zero for the back
   @return 0 on success, -1 on failure
*/
EVENT2_EXPORT_SYMBOL
int evbuffer_freeze(struct evbuffer *buf, int at_front);
/**
   Undo evbuffer_freeze() on one end of an evbuffer.

   @param buf the buffer to thaw
   @param at_front nonzero for the front, zero for the back
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_unfreeze(struct evbuffer *buf, int at_front);

struct event_base;
/**
   Run an evbuffer's callbacks later from the event loop of base instead of
   at the moment the buffer changes.

   Handy for keeping every callback on the loop's thread.

   @param buffer the buffer whose callbacks are postponed
   @param base the event base that will run them
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int evbuffer_defer_callbacks(struct evbuffer *buffer, struct event_base *base);

/**
  Append the bytes described by an array of regions to an evbuffer.

  The total size is computed first so the data lands in one chunk, which is
  cheaper than calling evbuffer_add() once per region.

  @param buffer the buffer to append to
  @param vec the regions to copy from
  @param n_vec the number of regions
  @return the number of bytes appended
*/
EVENT2_EXPORT_SYMBOL
size_t evbuffer_add_iovec(struct evbuffer * buffer, struct evbuffer_iovec * vec, int n_vec);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_H_INCLUDED_ */
