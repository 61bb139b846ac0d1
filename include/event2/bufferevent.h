/* SPDX-License-Identifier: BSD-3-Clause */
/* Bufferevents: buffered, callback-driven I/O on sockets, pairs and filters. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_BUFFEREVENT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_H_INCLUDED_

/**
   @file event2/bufferevent.h

  @brief Bufferevents: an I/O channel with an input and an output evbuffer.

  A bufferevent owns two evbuffers.  Incoming data is read into the input
  buffer for you and your read callback is told about it; whatever you put
  in the output buffer is written out for you, and your write callback runs
  once the output has drained far enough.  An event callback reports end of
  file, errors, timeouts and completed connects.  Reading and writing are
  switched on and off with bufferevent_enable() and bufferevent_disable().

  Available kinds:

  <dl>
    <dt>Socket-backed</dt>
      <dd>Transfer data over a socket; see bufferevent_socket_new().</dd>

    <dt>In-memory pairs</dt>
      <dd>Two bufferevents wired to each other in memory; see
          bufferevent_pair_new().</dd>

    <dt>Filters</dt>
      <dd>Transform data on its way to and from another bufferevent; see
          bufferevent_filter_new().</dd>

    <dt>TLS</dt>
      <dd>Encrypt data with OpenSSL or Mbed TLS; see
          event2/bufferevent_ssl.h.</dd>
  </dl>
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

/* Integer and socket types. */
#include <event2/util.h>

/** @name Bufferevent event codes

    Bits combined in the "what" argument of a bufferevent_event_cb.

    @{
*/
#define BEV_EVENT_READING	0x01	/**< the condition arose while reading */
#define BEV_EVENT_WRITING	0x02	/**< the condition arose while writing */
#define BEV_EVENT_EOF		0x10	/**< the peer closed the stream */
#define BEV_EVENT_ERROR		0x20	/**< an error occurred; see EVUTIL_SOCKET_ERROR() */
#define BEV_EVENT_TIMEOUT	0x40	/**< a read or write timeout expired */
#define BEV_EVENT_CONNECTED	0x80	/**< an outgoing connect completed */
/**@}*/

/**
   Opaque handle for a bufferevent.

   @see event2/bufferevent.h
 */
struct bufferevent
#ifdef EVENT_IN_DOXYGEN_
{}
#endif
;
struct event_base;
struct evbuffer;
struct sockaddr;

/**
   Read or write callback of a bufferevent.

   The read callback runs when the input buffer has grown to at least the
   read low watermark (0 unless changed).  The write callback runs when the
   output buffer has drained to the write low watermark or below.

   @param bev the bufferevent concerned
   @param ctx the pointer given to bufferevent_setcb()
 */
typedef void (*bufferevent_data_cb)(struct bufferevent *bev, void *ctx);

/**
   Event callback of a bufferevent.

   Runs on end of file, errors, timeouts and completed connects.  With
   deferred callbacks, the bits of all conditions seen since the last call
   are combined.

   @param bev the bufferevent concerned
   @param what BEV_EVENT_READING or BEV_EVENT_WRITING (telling which
	  direction is affected) combined with one or more of
	  BEV_EVENT_EOF, BEV_EVENT_ERROR, BEV_EVENT_TIMEOUT and
	  BEV_EVENT_CONNECTED
   @param ctx the pointer given to bufferevent_setcb()
*/
typedef void (*bufferevent_event_cb)(struct bufferevent *bev, short what, void *ctx);

/** Flags accepted when creating a bufferevent. */
enum bufferevent_options {
	/** Closing the bufferevent also closes what lies beneath it (the
	 * socket or the underlying bufferevent). */
	BEV_OPT_CLOSE_ON_FREE = (1<<0),

	/** Protect the bufferevent with a lock (threading must be set
	 * up). */
	BEV_OPT_THREADSAFE = (1<<1),

	/** Run callbacks later from the event loop instead of immediately. */
	BEV_OPT_DEFER_CALLBACKS = (1<<2),

	/** Run callbacks without holding the bufferevent's lock.  Currently
	 * only honoured together with BEV_OPT_DEFER_CALLBACKS. */
	BEV_OPT_UNLOCK_CALLBACKS = (1<<3)
};

/**
  Create a bufferevent that transfers data over a socket.

  @param base the event base that will drive it
  @param fd a socket (not a pipe), or -1 to supply one later with
	    bufferevent_setfd() or bufferevent_socket_connect()
  @param options a bitwise OR of BEV_OPT_* flags
  @return the new bufferevent, or NULL on failure
  @see bufferevent_free()
  */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_socket_new(struct event_base *base, evutil_socket_t fd, int options);

/**
   Start connecting a socket bufferevent to an address.

   When no socket is set yet, a new nonblocking one is created.  With addr
   NULL the socket is taken to be connecting already.  Completion is
   reported to the event callback with BEV_EVENT_CONNECTED.

   @param bufev a bufferevent made by bufferevent_socket_new()
   @param addr the address to connect to, or NULL
   @param socklen the length of addr
   @return 0 if the attempt started, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect(struct bufferevent *bufev, const struct sockaddr *addr, int socklen);

struct evdns_base;
/**
   Look up a host name and connect a socket bufferevent to it.

   @param bufev a bufferevent made by bufferevent_socket_new()
   @param evdns_base resolver to use for a nonblocking lookup, or NULL to
      resolve with a blocking call
   @param family AF_INET, AF_INET6 or AF_UNSPEC
   @param hostname a name or a numeric IPv4/IPv6 address (IPv6 optionally
      in square brackets)
   @param port the TCP port on the remote host
   @return 0 if the lookup or connect started, -1 on failure
   @see bufferevent_socket_connect_hostname_hints()
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect_hostname(struct bufferevent *bufev,
    struct evdns_base *evdns_base, int family, const char *hostname, int port);

/**
   Look up a host name with addrinfo hints and connect to the result.

   Without an evdns_base the lookup blocks the calling thread.

   @param bufev a bufferevent made by bufferevent_socket_new()
   @param evdns_base resolver to use for a nonblocking lookup, or NULL
   @param hints_in lookup hints (family, socket type, flags)
   @param hostname a name or a numeric IPv4/IPv6 address (IPv6 optionally
      in square brackets)
   @param port the TCP port on the remote host
   @return 0 if the lookup or connect started, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_connect_hostname_hints(struct bufferevent *bufev,
    struct evdns_base *evdns_base, const struct evutil_addrinfo *hints_in, const char *hostname, int port);


/**
   Report why the last host name lookup of a bufferevent failed.

   @param bev the bufferevent
   @return an EVUTIL_EAI_* code, or 0 if the last lookup did not fail
   @see evutil_gai_strerror()
*/
EVENT2_EXPORT_SYMBOL
int bufferevent_socket_get_dns_error(struct bufferevent *bev);

/**
  Move a bufferevent to another event base.

  Only socket bufferevents can be moved.

  @param base the new event base
  @param bufev the bufferevent to move
  @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_base_set(struct event_base *base, struct bufferevent *bufev);

/**
   Return the event base a bufferevent belongs to.

   @param bev the bufferevent
   @return its event base
*/
EVENT2_EXPORT_SYMBOL
struct event_base *bufferevent_get_base(struct bufferevent *bev);

/**
  Set the event priority of a bufferevent's I/O events.

  Only socket bufferevents support priorities.

  @param bufev the bufferevent
  @param pri the priority
  @return 0 on success, -1 on failure
  */
EVENT2_EXPORT_SYMBOL
int bufferevent_priority_set(struct bufferevent *bufev, int pri);

/**
   Return the event priority of a socket bufferevent.

   @param bufev the bufferevent
   @return its priority
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_get_priority(const struct bufferevent *bufev);

/**
  Release a bufferevent.

  Output that has not been written yet is likely to be lost.  Callbacks
  are not run any more after this call.

  @param bufev the bufferevent to release
  */
EVENT2_EXPORT_SYMBOL
void bufferevent_free(struct bufferevent *bufev);


/**
  Install the callbacks of a bufferevent.

  @param bufev the bufferevent
  @param readcb called when input is available, or NULL
  @param writecb called when output has drained, or NULL
  @param eventcb called on EOF, errors, timeouts and connects, or NULL
  @param cbarg last argument passed to all three callbacks
  */
EVENT2_EXPORT_SYMBOL
void bufferevent_setcb(struct bufferevent *bufev,
    bufferevent_data_cb readcb, bufferevent_data_cb writecb,
    bufferevent_event_cb eventcb, void *cbarg);

/**
 Fetch the callbacks of a bufferevent.

 Each output pointer may be NULL if that value is not wanted.

 @param bufev the bufferevent
 @param readcb_ptr receives the read callback
 @param writecb_ptr receives the write callback
 @param eventcb_ptr receives the event callback
 @param cbarg_ptr receives the callback argument
 @see bufferevent_setcb()
*/
EVENT2_EXPORT_SYMBOL
void bufferevent_getcb(struct bufferevent *bufev,
    bufferevent_data_cb *readcb_ptr,
    bufferevent_data_cb *writecb_ptr,
    bufferevent_event_cb *eventcb_ptr,
    void **cbarg_ptr);

/**
  Set the socket a bufferevent uses.  The previous socket is not closed.

  Not every kind of bufferevent supports this.

  @param bufev the bufferevent
  @param fd the new socket
  @return 0 on success, -1 on failure
*/
EVENT2_EXPORT_SYMBOL
int bufferevent_setfd(struct bufferevent *bufev, evutil_socket_t fd);

/**
  Set the socket a bufferevent uses and close the previous one, if any.

  Not every kind of bufferevent supports this.

  @param bufev the bufferevent
  @param fd the new socket
  @return 0 on success, -1 on failure
*/
EVENT2_EXPORT_SYMBOL
int bufferevent_replacefd(struct bufferevent *bufev, evutil_socket_t fd);

/**
   Return the socket of a bufferevent.

   @param bufev the bufferevent
   @return the socket, or -1 if it has none
 */
EVENT2_EXPORT_SYMBOL
evutil_socket_t bufferevent_getfd(struct bufferevent *bufev);

/**
   Return the bufferevent that a filtering or TLS bufferevent runs on.

   @param bufev the bufferevent
   @return the underlying bufferevent, or NULL if there is none
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_get_underlying(struct bufferevent *bufev);

/**
  Queue bytes for sending on a bufferevent.

  The bytes are copied to the output buffer and sent as the connection
  allows.

  @param bufev the bufferevent
  @param data the bytes to send
  @param size the number of bytes
  @return 0 on success, -1 on failure
  @see bufferevent_write_buffer()
  */
EVENT2_EXPORT_SYMBOL
int bufferevent_write(struct bufferevent *bufev,
    const void *data, size_t size);


/**
  Queue the whole contents of an evbuffer for sending; buf is left empty.

  @param bufev the bufferevent
  @param buf the buffer to move data from
  @return 0 on success, -1 on failure
  @see bufferevent_write()
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_write_buffer(struct bufferevent *bufev, struct evbuffer *buf);


/**
  Take received bytes out of a bufferevent's input buffer.

  @param bufev the bufferevent
  @param data where to store the bytes
  @param size the capacity of data
  @return the number of bytes taken; 0 when nothing was available or on
    failure
 */
EVENT2_EXPORT_SYMBOL
size_t bufferevent_read(struct bufferevent *bufev, void *data, size_t size);

/**
  Move everything in a bufferevent's input buffer to another evbuffer,
  without copying bytes.

  @param bufev the bufferevent
  @param buf the buffer to append to
  @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_read_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/**
   Return the input buffer of a bufferevent.

   You may remove data from it, but must not install callbacks on it.

   @param bufev the bufferevent
   @return its input evbuffer
 */

EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_input(struct bufferevent *bufev);

/**
   Return the output buffer of a bufferevent.

   You may add data to it, but must not install callbacks on it.  For a
   filtering bufferevent, call bufferevent_flush() or
   bufferevent_trigger() after changing it directly.

   @param bufev the bufferevent
   @return its output evbuffer
 */

EVENT2_EXPORT_SYMBOL
struct evbuffer *bufferevent_get_output(struct bufferevent *bufev);

/**
  Turn on reading and/or writing for a bufferevent.

  @param bufev the bufferevent
  @param event EV_READ, EV_WRITE or both
  @return 0 on success, -1 on failure
  @see bufferevent_disable()
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_enable(struct bufferevent *bufev, short event);

/**
  Turn off reading and/or writing for a bufferevent.

  @param bufev the bufferevent
  @param event EV_READ, EV_WRITE or both
  @return 0 on success, -1 on failure
  @see bufferevent_enable()
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_disable(struct bufferevent *bufev, short event);

/**
   Tell which directions of a bufferevent are turned on.

   @param bufev the bufferevent
   @return a combination of EV_READ and EV_WRITE
 */
EVENT2_EXPORT_SYMBOL
short bufferevent_get_enabled(struct bufferevent *bufev);

/**
  Set inactivity timeouts for reading and writing.

  A timeout only counts while the bufferevent actually wants to read or
  write (the direction is enabled and not paused by watermarks or rate
  limits); each successful transfer, bufferevent_enable() or new call to
  this function starts it afresh.  When it expires, that direction is
  disabled and the event callback gets BEV_EVENT_TIMEOUT together with
  BEV_EVENT_READING or BEV_EVENT_WRITING.

  @param bufev the bufferevent
  @param timeout_read how long reading may stall, or NULL for no limit
  @param timeout_write how long writing may stall, or NULL for no limit
  @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_timeouts(struct bufferevent *bufev,
    const struct timeval *timeout_read, const struct timeval *timeout_write);

/**
  Set the watermarks of a bufferevent.

  Reading: the read callback waits until the input holds at least lowmark
  bytes, and reading from the source pauses while the input holds highmark
  bytes or more (0 means no limit).  Some kinds, TLS in particular, can
  still overshoot highmark.

  Writing: the write callback runs once the output has drained to lowmark
  or below; filters feeding this bufferevent try to keep its output under
  highmark unless flushing.

  @param bufev the bufferevent
  @param events EV_READ, EV_WRITE or both
  @param lowmark the low watermark
  @param highmark the high watermark
*/

EVENT2_EXPORT_SYMBOL
void bufferevent_setwatermark(struct bufferevent *bufev, short events,
    size_t lowmark, size_t highmark);

/**
  Read back the watermarks of one direction.

  @param bufev the bufferevent
  @param events exactly one of EV_READ and EV_WRITE
  @param lowmark if not NULL, receives the low watermark
  @param highmark if not NULL, receives the high watermark
  @return 0 on success, or -1 if events is not exactly one direction
*/
EVENT2_EXPORT_SYMBOL
int bufferevent_getwatermark(struct bufferevent *bufev, short events,
    size_t *lowmark, size_t *highmark);

/**
   Take the lock of a bufferevent.  Does nothing unless it was created with
   BEV_OPT_THREADSAFE.

   @param bufev the bufferevent
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_lock(struct bufferevent *bufev);

/**
   Give back the lock of a bufferevent.  Does nothing unless it was created
   with BEV_OPT_THREADSAFE.

   @param bufev the bufferevent
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_unlock(struct bufferevent *bufev);


/**
 * Add a reference to a bufferevent, keeping it allocated until a matching
 * bufferevent_decref().
 *
 * @param bufev the bufferevent
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_incref(struct bufferevent *bufev);

/**
 * Drop a reference taken with bufferevent_incref().
 *
 * When the last reference goes, the bufferevent is destroyed.
 *
 * @param bufev the bufferevent
 * @return 1 if the bufferevent was destroyed, 0 if references remain
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_decref(struct bufferevent *bufev);

/**
   How urgently a filter or bufferevent_flush() should push data on.
*/
enum bufferevent_flush_mode {
	/** Ordinary operation: pass data on when convenient. */
	BEV_NORMAL = 0,

	/** Pass on everything that is buffered so far. */
	BEV_FLUSH = 1,

	/** No more data will follow (end of input or of output). */
	BEV_FINISHED = 2
};

/**
   Ask a bufferevent to push buffered data through now.

   @param bufev the bufferevent
   @param iotype EV_READ, EV_WRITE or both
   @param mode BEV_NORMAL, BEV_FLUSH or BEV_FINISHED
   @return 1 if data was moved, 0 if none was, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_flush(struct bufferevent *bufev,
    short iotype,
    enum bufferevent_flush_mode mode);

/**
   Options for bufferevent_trigger() and bufferevent_trigger_event().
*/
enum bufferevent_trigger_options {
	/** Run the callback even if the watermarks say not to. */
	BEV_TRIG_IGNORE_WATERMARKS = (1<<16),

	/** Run the callback from the event loop even if the bufferevent
	 * does not normally defer callbacks. */
	BEV_TRIG_DEFER_CALLBACKS = BEV_OPT_DEFER_CALLBACKS

	/* These values must not collide with bufferevent_options, except
	 * where the meaning is the same. */
};

/**
   Run the read and/or write callback of a bufferevent by hand.

   Watermarks are respected unless BEV_TRIG_IGNORE_WATERMARKS is given.

   @param bufev the bufferevent
   @param iotype EV_READ, EV_WRITE or both
   @param options a bitwise OR of bufferevent_trigger_options
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger(struct bufferevent *bufev, short iotype,
    int options);

/**
   Run the event callback of a bufferevent by hand.

   @param bufev the bufferevent
   @param what the BEV_EVENT_* bits to report
   @param options a bitwise OR of bufferevent_trigger_options
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_trigger_event(struct bufferevent *bufev, short what,
    int options);

/**
   @name Filtering support

   @{
*/
/**
   Result of a bufferevent_filter_cb.
 */
enum bufferevent_filter_result {
	/** Data was processed normally. */
	BEV_OK = 0,

	/** More input is needed before any output can be produced. */
	BEV_NEED_MORE = 1,

	/** A fatal error occurred; the stream cannot continue. */
	BEV_ERROR = 2
};

/** A data transformation used by a filtering bufferevent.

    The filter consumes bytes from src and appends its output to dst.

    @param src the buffer to take input from
    @param dst the buffer to write output to
    @param dst_limit a suggested maximum number of bytes to add to dst, or
       -1 for no limit; going beyond it overruns dst's high watermark
    @param mode BEV_NORMAL to produce output when convenient, BEV_FLUSH to
       produce all it can, BEV_FINISHED when the stream is ending (an end
       marker may be written)
    @param ctx the context pointer given to bufferevent_filter_new()
    @return BEV_OK if output was produced, BEV_NEED_MORE if more input is
       needed first, BEV_ERROR on failure
 */
typedef enum bufferevent_filter_result (*bufferevent_filter_cb)(
    struct evbuffer *src, struct evbuffer *dst, ev_ssize_t dst_limit,
    enum bufferevent_flush_mode mode, void *ctx);

/**
   Create a bufferevent that filters data going to and from another one.

   @param underlying the bufferevent to run on
   @param input_filter transforms data read from underlying, or NULL to
     pass it through unchanged
   @param output_filter transforms data before it is written to
     underlying, or NULL to pass it through unchanged
   @param options a bitwise OR of BEV_OPT_* flags
   @param free_context called with ctx when the new bufferevent is freed,
     or NULL
   @param ctx context pointer given to both filters
   @return the new bufferevent, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent *
bufferevent_filter_new(struct bufferevent *underlying,
		       bufferevent_filter_cb input_filter,
		       bufferevent_filter_cb output_filter,
		       int options,
		       void (*free_context)(void *),
		       void *ctx);
/**@}*/

/**
   Create two bufferevents connected to each other in memory.

   What is written to one arrives as input on the other, as with the two
   ends of a socketpair(), but no socket is involved.

   @param base the event base for both
   @param options a bitwise OR of BEV_OPT_* flags
   @param pair receives the two new bufferevents
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_pair_new(struct event_base *base, int options,
    struct bufferevent *pair[2]);

/**
   Return the other end of a bufferevent pair.

   @param bev one end of a pair made by bufferevent_pair_new()
   @return the other end, or NULL if it has been freed
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent *bufferevent_pair_get_partner(struct bufferevent *bev);

/**
   Opaque rate-limit configuration (a token bucket) for a bufferevent or a
   group of them.
 */
struct ev_token_bucket_cfg;

/**
   Opaque group of bufferevents that share one rate limit.
*/
struct bufferevent_rate_limit_group;

/** The largest rate or burst value a rate limit accepts. */
#define EV_RATE_LIMIT_MAX EV_SSIZE_MAX

/**
   Create a rate-limit configuration.

   Limits are enforced on a best-effort basis.

   @param read_rate average bytes that may be read per tick
   @param read_burst most bytes that may be read in a single tick
   @param write_rate average bytes that may be written per tick
   @param write_burst most bytes that may be written in a single tick
   @param tick_len the duration of one tick, or NULL for one second; precision
     below one millisecond is ignored
   @return the new configuration, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct ev_token_bucket_cfg *ev_token_bucket_cfg_new(
	size_t read_rate, size_t read_burst,
	size_t write_rate, size_t write_burst,
	const struct timeval *tick_len);

/** Release a rate-limit configuration.

    It is not reference counted: free it only when no bufferevent uses it.

    @param cfg the configuration to release
 */
EVENT2_EXPORT_SYMBOL
void ev_token_bucket_cfg_free(struct ev_token_bucket_cfg *cfg);

/**
   Apply a rate limit to a single bufferevent.

   Socket and TLS bufferevents honour rate limits; other kinds may not.

   @param bev the bufferevent
   @param cfg the limit to apply, or NULL to remove its own limit
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_rate_limit(struct bufferevent *bev,
    struct ev_token_bucket_cfg *cfg);

/**
   Create a group whose members share one combined rate limit.

   Limits are enforced on a best-effort basis, and only by kinds of
   bufferevent that support rate limiting (socket and TLS).

   @param base the event base that runs the group's refill timer; members
      may use other bases
   @param cfg the group's limit (copied)
   @return the new group, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct bufferevent_rate_limit_group *bufferevent_rate_limit_group_new(
	struct event_base *base,
	const struct ev_token_bucket_cfg *cfg);
/**
   Replace the limit of a rate-limit group.

   @return 0 on success, -1 on failure
*/
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_cfg(
	struct bufferevent_rate_limit_group *,
	const struct ev_token_bucket_cfg *);

/**
   Set the smallest share of a group's budget given to one member at a
   time.

   When the budget per tick is small compared to the number of members,
   giving each member a tiny share would produce many tiny packets; with a
   minimum share some members get a useful amount each tick instead, and
   the average rate stays the same.  The default is 64 bytes.

   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_set_min_share(
	struct bufferevent_rate_limit_group *, size_t);

/**
   Release a rate-limit group.  It must have no members left.
*/
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_free(struct bufferevent_rate_limit_group *);

/**
   Make a bufferevent a member of a rate-limit group.

   A bufferevent is in at most one group; it leaves its previous group
   first.

   @param bev the bufferevent
   @param g the group to join, or NULL to just leave the current group
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_add_to_rate_limit_group(struct bufferevent *bev,
    struct bufferevent_rate_limit_group *g);

/** Take a bufferevent out of its rate-limit group, if it is in one.

    @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_remove_from_rate_limit_group(struct bufferevent *bev);

/**
   Limit how many bytes a bufferevent reads in one go.

   @param bev the bufferevent
   @param size the limit, or 0 to restore the default
   @return 0 on success, -1 on failure
   @see evbuffer_set_max_read()
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_read(struct bufferevent *bev, size_t size);

/**
   Limit how many bytes a bufferevent writes in one go.

   @param bev the bufferevent
   @param size the limit, or 0 to restore the default
   @return 0 on success, -1 on failure
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_set_max_single_write(struct bufferevent *bev, size_t size);

/** Return the per-read byte limit of a bufferevent. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_read(struct bufferevent *bev);

/** Return the per-write byte limit of a bufferevent. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_single_write(struct bufferevent *bev);

/**
   @name Rate limit inspection

   Return what is left in a bufferevent's own read or write bucket, or
   EV_SSIZE_MAX if it has no limit of its own.  Group limits are not taken
   into account.  The value is negative when the bufferevent has overdrawn
   its bucket.

   @{
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_read_limit(struct bufferevent *bev);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_write_limit(struct bufferevent *bev);
/**@}*/

/** Return how many bytes a bufferevent may read right now, taking its own
    limit, its group's limit and the per-read maximum into account. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_read(struct bufferevent *bev);
/** Return how many bytes a bufferevent may write right now, taking its own
    limit, its group's limit and the per-write maximum into account. */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_get_max_to_write(struct bufferevent *bev);

/** Return the rate-limit configuration of a bufferevent, or NULL if it has
    none. */
EVENT2_EXPORT_SYMBOL
const struct ev_token_bucket_cfg *bufferevent_get_token_bucket_cfg(const struct bufferevent * bev);

/**
   @name Group rate limit inspection

   Return what is left in a rate-limit group's read or write bucket.  The
   value is negative when the members have overdrawn it.

   @{
 */
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_read_limit(
	struct bufferevent_rate_limit_group *);
EVENT2_EXPORT_SYMBOL
ev_ssize_t bufferevent_rate_limit_group_get_write_limit(
	struct bufferevent_rate_limit_group *);
/**@}*/

/**
   @name Rate limit manipulation

   Take bytes out of a bufferevent's own read or write bucket; a negative
   amount puts bytes back.  Reading or writing is paused or resumed if the
   bucket crosses zero.  The group's bucket is not touched.

   Return 0 on success, -1 on failure.

   @{
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_read_limit(struct bufferevent *bev, ev_ssize_t decr);
EVENT2_EXPORT_SYMBOL
int bufferevent_decrement_write_limit(struct bufferevent *bev, ev_ssize_t decr);
/**@}*/

/**
   @name Group rate limit manipulation

   Take bytes out of a rate-limit group's read or write bucket; a negative
   amount puts bytes back.  Members are paused or resumed if the bucket
   crosses zero.

   Return 0 on success, -1 on failure.

   @{
 */
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_read(
	struct bufferevent_rate_limit_group *, ev_ssize_t);
EVENT2_EXPORT_SYMBOL
int bufferevent_rate_limit_group_decrement_write(
	struct bufferevent_rate_limit_group *, ev_ssize_t);
/**@}*/


/**
 * Report how many bytes the members of a group have transferred in total.
 *
 * @param grp the group
 * @param total_read_out receives the total bytes read
 * @param total_written_out receives the total bytes written
 */
EVENT2_EXPORT_SYMBOL
void bufferevent_rate_limit_group_get_totals(
    struct bufferevent_rate_limit_group *grp,
    ev_uint64_t *total_read_out, ev_uint64_t *total_written_out);

/**
 * Set a group's read and write totals back to zero.
 *
 * @param grp the group
 */
EVENT2_EXPORT_SYMBOL
void
bufferevent_rate_limit_group_reset_totals(
	struct bufferevent_rate_limit_group *grp);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_H_INCLUDED_ */
