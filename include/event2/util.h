/* SPDX-License-Identifier: BSD-3-Clause */
/* Portable integer types, socket helpers, time helpers and other utilities. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_UTIL_H_INCLUDED_
#define EVENT2_UTIL_H_INCLUDED_

/** @file event2/util.h

  @brief Portability helpers used throughout the API.

  Fixed-width integer names (ev_uint32_t and friends) and their limits, the
  evutil_socket_t type, socket setup helpers, struct timeval arithmetic,
  locale-independent string functions, address parsing, a getaddrinfo()
  wrapper, monotonic timers and a secure random number generator.
 */
#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif
#ifdef EVENT__HAVE_STDINT_H
#include <stdint.h>
#elif defined(EVENT__HAVE_INTTYPES_H)
#include <inttypes.h>
#endif
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_STDDEF_H
#include <stddef.h>
#endif
#ifdef _MSC_VER
#include <BaseTsd.h>
#endif
#include <stdarg.h>
#ifdef EVENT__HAVE_NETDB_H
#include <netdb.h>
#endif

#ifdef _WIN32
#include <winsock2.h>
#ifdef EVENT__HAVE_GETADDRINFO
/* Supplies the EAI_* codes. */
#include <ws2tcpip.h>
#endif
#else
#ifdef EVENT__HAVE_ERRNO_H
#include <errno.h>
#endif
#include <sys/socket.h>
#endif

#include <time.h>

/* Accept the misspelled size macro that some configure scripts produce. */
#if defined(EVENT__SIZEOF_VOID__) && !defined(EVENT__SIZEOF_VOID_P)
#define EVENT__SIZEOF_VOID_P EVENT__SIZEOF_VOID__
#endif

/**
 * @name Fixed-width integer types
 *
 * Names for exact-width integers that work whether or not the platform has
 * <stdint.h>.  Where it does, they are plain aliases of the standard types.
 *
 * - ev_uint64_t, ev_uint32_t, ev_uint16_t, ev_uint8_t: unsigned integers
 *   whose width in bits is given by the name.
 * - ev_int64_t, ev_int32_t, ev_int16_t, ev_int8_t: the signed
 *   counterparts.
 * - ev_uintptr_t, ev_intptr_t: integers that can hold a pointer.
 * - ev_ssize_t: the signed type as wide as size_t.
 * - ev_off_t: a signed file offset, as wide as off_t was when the library
 *   was built.
 *
 * These are macros, not typedefs.
 *
 * @{
 */
#ifdef EVENT__HAVE_UINT64_T
#define ev_uint64_t uint64_t
#define ev_int64_t int64_t
#elif defined(_WIN32)
#define ev_uint64_t unsigned __int64
#define ev_int64_t signed __int64
#elif EVENT__SIZEOF_LONG_LONG == 8
#define ev_uint64_t unsigned long long
#define ev_int64_t long long
#elif EVENT__SIZEOF_LONG == 8
#define ev_uint64_t unsigned long
#define ev_int64_t long
#elif defined(EVENT_IN_DOXYGEN_)
#define ev_uint64_t ...
#define ev_int64_t ...
#else
#error "No way to define ev_uint64_t"
#endif

#ifdef EVENT__HAVE_UINT32_T
#define ev_uint32_t uint32_t
#define ev_int32_t int32_t
#elif defined(_WIN32)
#define ev_uint32_t unsigned int
#define ev_int32_t signed int
#elif EVENT__SIZEOF_LONG == 4
#define ev_uint32_t unsigned long
#define ev_int32_t signed long
#elif EVENT__SIZEOF_INT == 4
#define ev_uint32_t unsigned int
#define ev_int32_t signed int
#elif defined(EVENT_IN_DOXYGEN_)
#define ev_uint32_t ...
#define ev_int32_t ...
#else
#error "No way to define ev_uint32_t"
#endif

#ifdef EVENT__HAVE_UINT16_T
#define ev_uint16_t uint16_t
#define ev_int16_t  int16_t
#elif defined(_WIN32)
#define ev_uint16_t unsigned short
#define ev_int16_t  signed short
#elif EVENT__SIZEOF_INT == 2
#define ev_uint16_t unsigned int
#define ev_int16_t  signed int
#elif EVENT__SIZEOF_SHORT == 2
#define ev_uint16_t unsigned short
#define ev_int16_t  signed short
#elif defined(EVENT_IN_DOXYGEN_)
#define ev_uint16_t ...
#define ev_int16_t ...
#else
#error "No way to define ev_uint16_t"
#endif

#ifdef EVENT__HAVE_UINT8_T
#define ev_uint8_t uint8_t
#define ev_int8_t int8_t
#elif defined(EVENT_IN_DOXYGEN_)
#define ev_uint8_t ...
#define ev_int8_t ...
#else
#define ev_uint8_t unsigned char
#define ev_int8_t signed char
#endif

#ifdef EVENT__HAVE_UINTPTR_T
#define ev_uintptr_t uintptr_t
#define ev_intptr_t intptr_t
#elif EVENT__SIZEOF_VOID_P <= 4
#define ev_uintptr_t ev_uint32_t
#define ev_intptr_t ev_int32_t
#elif EVENT__SIZEOF_VOID_P <= 8
#define ev_uintptr_t ev_uint64_t
#define ev_intptr_t ev_int64_t
#elif defined(EVENT_IN_DOXYGEN_)
#define ev_uintptr_t ...
#define ev_intptr_t ...
#else
#error "No way to define ev_uintptr_t"
#endif

#ifdef EVENT__ssize_t
#define ev_ssize_t EVENT__ssize_t
#else
#define ev_ssize_t ssize_t
#endif

/* ev_off_t is fixed by the size off_t had when the library was compiled,
 * not by off_t in the including program: a program built with a different
 * _FILE_OFFSET_BITS must still agree with the library on the width. */
#ifdef _WIN32
#define ev_off_t ev_int64_t
#elif EVENT__SIZEOF_OFF_T == 8
#define ev_off_t ev_int64_t
#elif EVENT__SIZEOF_OFF_T == 4
#define ev_off_t ev_int32_t
#elif defined(EVENT_IN_DOXYGEN_)
#define ev_off_t ...
#else
#define ev_off_t off_t
#endif
/**@}*/

/**
   @name Integer limits

   Range bounds for each fixed-width type above: the <stdint.h> constants
   when that header exists, otherwise values worked out assuming two's
   complement.

   @{
*/
#ifndef EVENT__HAVE_STDINT_H
#define EV_UINT64_MAX ((((ev_uint64_t)0xffffffffUL) << 32) | 0xffffffffUL)
#define EV_INT64_MAX  ((((ev_int64_t) 0x7fffffffL) << 32) | 0xffffffffL)
#define EV_INT64_MIN  ((-EV_INT64_MAX) - 1)
#define EV_UINT32_MAX ((ev_uint32_t)0xffffffffUL)
#define EV_INT32_MAX  ((ev_int32_t) 0x7fffffffL)
#define EV_INT32_MIN  ((-EV_INT32_MAX) - 1)
#define EV_UINT16_MAX ((ev_uint16_t)0xffffUL)
#define EV_INT16_MAX  ((ev_int16_t) 0x7fffL)
#define EV_INT16_MIN  ((-EV_INT16_MAX) - 1)
#define EV_UINT8_MAX  255
#define EV_INT8_MAX   127
#define EV_INT8_MIN   ((-EV_INT8_MAX) - 1)
#else
#define EV_UINT64_MAX UINT64_MAX
#define EV_INT64_MAX  INT64_MAX
#define EV_INT64_MIN  INT64_MIN
#define EV_UINT32_MAX UINT32_MAX
#define EV_INT32_MAX  INT32_MAX
#define EV_INT32_MIN  INT32_MIN
#define EV_UINT16_MAX UINT16_MAX
#define EV_INT16_MIN  INT16_MIN
#define EV_INT16_MAX  INT16_MAX
#define EV_UINT8_MAX  UINT8_MAX
#define EV_INT8_MAX   INT8_MAX
#define EV_INT8_MIN   INT8_MIN
/** @} */
#endif


/**
   @name Limits of size_t and ev_ssize_t

   @{
*/
#if EVENT__SIZEOF_SIZE_T == 8
#define EV_SIZE_MAX EV_UINT64_MAX
#define EV_SSIZE_MAX EV_INT64_MAX
#elif EVENT__SIZEOF_SIZE_T == 4
#define EV_SIZE_MAX EV_UINT32_MAX
#define EV_SSIZE_MAX EV_INT32_MAX
#elif defined(EVENT_IN_DOXYGEN_)
#define EV_SIZE_MAX ...
#define EV_SSIZE_MAX ...
#else
#error "No way to define SIZE_MAX"
#endif

#define EV_SSIZE_MIN ((-EV_SSIZE_MAX) - 1)
/**@}*/

/** The type of socket address lengths (socklen_t, or int on Windows). */
#ifdef _WIN32
#define ev_socklen_t int
#elif defined(EVENT__socklen_t)
#define ev_socklen_t EVENT__socklen_t
#else
#define ev_socklen_t socklen_t
#endif

#ifdef EVENT__HAVE_STRUCT_SOCKADDR_STORAGE___SS_FAMILY
#if !defined(EVENT__HAVE_STRUCT_SOCKADDR_STORAGE_SS_FAMILY) \
 && !defined(ss_family)
#define ss_family __ss_family
#endif
#endif

/**
 * The type of a socket as returned by socket() or accept(): int on
 * Unix-like systems, intptr_t on Windows. */
#ifdef _WIN32
#define evutil_socket_t intptr_t
#else
#define evutil_socket_t int
#endif

/**
 * An opaque monotonic clock.
 *
 * Create one with evutil_monotonic_timer_new(), set it up with
 * evutil_configure_monotonic_time(), read it with evutil_gettime_monotonic()
 * and release it with evutil_monotonic_timer_free().
 */
struct evutil_monotonic_timer
#ifdef EVENT_IN_DOXYGEN_
{/* Empty body, only so that documentation tools list the type. */}
#endif
;

/** Flag for evutil_configure_monotonic_time(): prefer the most precise
 * clock available over the cheapest one. */
#define EV_MONOT_PRECISE  1
/** Flag for evutil_configure_monotonic_time(): do not use a true monotonic
 * clock, only the wall clock corrected so that it never goes backwards. */
#define EV_MONOT_FALLBACK 2

/** Write a date in the RFC 1123 form used by HTTP, such as
 * "Sun, 06 Nov 1994 08:49:37 GMT".
 *
 * @param date the buffer to write into; the text is always NUL-terminated
 *   when datelen is nonzero.
 * @param datelen the size of the buffer.
 * @param tm the broken-down UTC time to format, or NULL for the current
 *   time.
 * @return the length of the full date string, as snprintf() counts it; a
 *   value of datelen or more means the output was truncated.
 */
EVENT2_EXPORT_SYMBOL int
evutil_date_rfc1123(char *date, const size_t datelen, const struct tm *tm);

/** Allocate a monotonic timer.  It must be set up with
 * evutil_configure_monotonic_time() before it is read.
 *
 * @return the timer, or NULL if memory could not be allocated.
 */
EVENT2_EXPORT_SYMBOL
struct evutil_monotonic_timer * evutil_monotonic_timer_new(void);

/** Release a timer made by evutil_monotonic_timer_new().
 *
 * @param timer the timer to free; NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL
void evutil_monotonic_timer_free(struct evutil_monotonic_timer *timer);

/** Choose the clock a monotonic timer reads.
 *
 * @param timer the timer to set up.
 * @param flags zero, or EV_MONOT_PRECISE and/or EV_MONOT_FALLBACK.
 * @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_configure_monotonic_time(struct evutil_monotonic_timer *timer,
                                    int flags);

/** Read a configured monotonic timer.
 *
 * The value never decreases, whatever happens to the system clock, but it
 * counts from an unspecified starting point: only differences between two
 * readings are meaningful.  One timer must not be read from several
 * threads at once.
 *
 * @param timer a timer set up with evutil_configure_monotonic_time().
 * @param tp receives the reading.
 * @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_gettime_monotonic(struct evutil_monotonic_timer *timer,
                             struct timeval *tp);

/** Create a pair of connected sockets, like socketpair().

    Unix-like systems call socketpair() itself.  On Windows the pair is
    built from two TCP sockets over the loopback interface, so only AF_INET
    with SOCK_STREAM works there, and a local firewall may prevent it.

    @param d the address family.
    @param type the socket type.
    @param protocol the protocol, usually 0.
    @param sv receives the two sockets.
    @return 0 on success, -1 on failure with the socket error set.
*/
EVENT2_EXPORT_SYMBOL
int evutil_socketpair(int d, int type, int protocol, evutil_socket_t sv[2]);
/** Put a socket into non-blocking mode.

    @param sock the socket.
    @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_socket_nonblocking(evutil_socket_t sock);

/** Let a new listener bind the address of this one as soon as this one is
    closed (SO_REUSEADDR on Unix-like systems; nothing on Windows, where
    that option means something else).

    @param sock the listening socket.
    @return 0 on success (including when nothing is done), -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_reuseable(evutil_socket_t sock);

/** Let several sockets that all set this option listen on the same address
    and port at once (SO_REUSEPORT, Linux 3.9 and later).

    @param sock the listening socket.
    @return 0 on success (or where the option does not exist and nothing
       is done), -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_reuseable_port(evutil_socket_t sock);

/** Restrict an IPv6 listener to IPv6 traffic (IPV6_V6ONLY on).

    Most Linux systems default to accepting IPv4-mapped connections on IPv6
    sockets, which stops a separate IPv4 listener from binding the same
    port; Windows defaults the other way.

    @param sock the IPv6 listening socket.
    @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_ipv6only(evutil_socket_t sock);

/** Let an IPv6 listener accept IPv4 traffic too, through IPv4-mapped
    addresses (IPV6_V6ONLY off).

    @param sock the IPv6 listening socket.
    @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_not_ipv6only(evutil_socket_t sock);

/** Mark a socket close-on-exec, so that programs started with exec*() do
    not inherit it.

    @param sock the socket.
    @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_socket_closeonexec(evutil_socket_t sock);

/** Close a socket: close() on Unix-like systems, closesocket() on Windows.

    @param sock the socket.
    @return 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_closesocket(evutil_socket_t sock);
/** Same as evutil_closesocket(). */
#define EVUTIL_CLOSESOCKET(s) evutil_closesocket(s)

/** Ask the system not to complete accept() on a TCP listener until the
 *  client has sent data (TCP_DEFER_ACCEPT on Linux).
 *
 *  Only suitable for protocols in which the client speaks first.  On
 *  systems without such an option this does nothing.
 *
 *  @param sock the listening socket.
 *  @return 0 on success or when unsupported, -1 on failure.
*/
EVENT2_EXPORT_SYMBOL
int evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock);

#ifdef _WIN32
/** The error code of the last failed socket call. */
#define EVUTIL_SOCKET_ERROR() WSAGetLastError()
/** Set the socket error code. */
#define EVUTIL_SET_SOCKET_ERROR(errcode)		\
	do { WSASetLastError(errcode); } while (0)
/** The pending error of a given socket. */
EVENT2_EXPORT_SYMBOL
int evutil_socket_geterror(evutil_socket_t sock);
/** Describe a socket error code as text. */
EVENT2_EXPORT_SYMBOL
const char *evutil_socket_error_to_string(int errcode);
/** The value of a socket handle that is not a valid socket. */
#define EVUTIL_INVALID_SOCKET INVALID_SOCKET
#elif defined(EVENT_IN_DOXYGEN_)
/**
   @name Socket error access

   Winsock keeps socket errors apart from errno and has its own way of
   reading, setting and describing them.  These macros hide the
   difference; elsewhere they simply use errno and strerror().

   @{
*/
/** The error code of the last failed socket call. */
#define EVUTIL_SOCKET_ERROR() ...
/** Set the socket error code. */
#define EVUTIL_SET_SOCKET_ERROR(errcode) ...
/** The pending error of a given socket. */
#define evutil_socket_geterror(sock) ...
/** Describe a socket error code as text. */
#define evutil_socket_error_to_string(errcode) ...
/** The value of a socket handle that is not a valid socket. */
#define EVUTIL_INVALID_SOCKET -1
/**@}*/
#else /* neither _WIN32 nor EVENT_IN_DOXYGEN_ */
/** The error code of the last failed socket call (errno). */
#define EVUTIL_SOCKET_ERROR() (errno)
/** Set the socket error code (errno). */
#define EVUTIL_SET_SOCKET_ERROR(errcode)		\
		do { errno = (errcode); } while (0)
/** The pending error of a socket; errno on Unix-like systems. */
#define evutil_socket_geterror(sock) (errno)
/** Describe a socket error code as text, using strerror(). */
#define evutil_socket_error_to_string(errcode) (strerror(errcode))
/** The value of a socket handle that is not a valid socket. */
#define EVUTIL_INVALID_SOCKET -1
#endif /* !_WIN32 */


/**
 * @name struct timeval arithmetic
 *
 * Portable versions of timeradd(), timersub() and timerclear(); the
 * system's macros are used when it has them.
 *
 * @{
 */
#ifdef EVENT__HAVE_TIMERADD
/** Store the sum of *tvp and *uvp in *vvp. */
#define evutil_timeradd(tvp, uvp, vvp) timeradd((tvp), (uvp), (vvp))
/** Store *tvp minus *uvp in *vvp. */
#define evutil_timersub(tvp, uvp, vvp) timersub((tvp), (uvp), (vvp))
#else
/** Store the sum of *tvp and *uvp in *vvp. */
#define evutil_timeradd(tvp, uvp, vvp)					\
	do {								\
		(vvp)->tv_sec = (tvp)->tv_sec + (uvp)->tv_sec;		\
		(vvp)->tv_usec = (tvp)->tv_usec + (uvp)->tv_usec;       \
		if ((vvp)->tv_usec >= 1000000) {			\
			(vvp)->tv_sec++;				\
			(vvp)->tv_usec -= 1000000;			\
		}							\
	} while (0)
/** Store *tvp minus *uvp in *vvp. */
#define	evutil_timersub(tvp, uvp, vvp)					\
	do {								\
		(vvp)->tv_sec = (tvp)->tv_sec - (uvp)->tv_sec;		\
		(vvp)->tv_usec = (tvp)->tv_usec - (uvp)->tv_usec;	\
		if ((vvp)->tv_usec < 0) {				\
			(vvp)->tv_sec--;				\
			(vvp)->tv_usec += 1000000;			\
		}							\
	} while (0)
#endif /* !EVENT__HAVE_TIMERADD */

#ifdef EVENT__HAVE_TIMERCLEAR
/** Set *tvp to zero. */
#define evutil_timerclear(tvp) timerclear(tvp)
#else
/** Set *tvp to zero. */
#define	evutil_timerclear(tvp)	(tvp)->tv_sec = (tvp)->tv_usec = 0
#endif
/**@}*/

/** Compare two struct timeval values with the C operator given as cmp
 * (one of ==, <=, <, >=, >); true when the relation holds. */
#define	evutil_timercmp(tvp, uvp, cmp)					\
	(((tvp)->tv_sec == (uvp)->tv_sec) ?				\
	 ((tvp)->tv_usec cmp (uvp)->tv_usec) :				\
	 ((tvp)->tv_sec cmp (uvp)->tv_sec))

#ifdef EVENT__HAVE_TIMERISSET
/** True when *tvp is not zero. */
#define evutil_timerisset(tvp) timerisset(tvp)
#else
/** True when *tvp is not zero. */
#define	evutil_timerisset(tvp)	((tvp)->tv_sec || (tvp)->tv_usec)
#endif

/** The byte offset of a member in a structure; offsetof() where defined. */
#ifdef offsetof
#define evutil_offsetof(type, field) offsetof(type, field)
#else
#define evutil_offsetof(type, field) ((off_t)(&((type *)0)->field))
#endif

/** Convert a string to a 64-bit signed integer, as strtoll() does.
 *
 * @param s the text to convert.
 * @param endptr if not NULL, receives the position after the number.
 * @param base the radix, as for strtol().
 * @return the value; 0 if nothing could be converted.
 */
EVENT2_EXPORT_SYMBOL
ev_int64_t evutil_strtoll(const char *s, char **endptr, int base);

/** Get the wall-clock time, as gettimeofday() does; a function of its own
 * only on systems that lack gettimeofday(). */
#ifdef EVENT__HAVE_GETTIMEOFDAY
#define evutil_gettimeofday(tv, tz) gettimeofday((tv), (tz))
#else
struct timezone;
EVENT2_EXPORT_SYMBOL
int evutil_gettimeofday(struct timeval *tv, struct timezone *tz);
#endif

/** Format into a buffer like snprintf(), with the C99 behaviour on every
    platform: the output is always NUL-terminated (when buflen is nonzero)
    and the return value is the length the full output would have had.

    @return that length, or a negative value on error.
 */
EVENT2_EXPORT_SYMBOL
int evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 3, 4)))
#endif
;
/** The va_list form of evutil_snprintf(), behaving like a C99
    vsnprintf().

    @return the length the full output would have had, or a negative value
       on error.
 */
EVENT2_EXPORT_SYMBOL
int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
#ifdef __GNUC__
	__attribute__((format(printf, 3, 0)))
#endif
;

/** Convert a binary IPv4 (AF_INET) or IPv6 (AF_INET6) address to text, as
 * inet_ntop() does.
 *
 * @return dst on success, or NULL if the family is unknown or dst is too
 *   small.
 */
EVENT2_EXPORT_SYMBOL
const char *evutil_inet_ntop(int af, const void *src, char *dst, size_t len);
/** Like evutil_inet_pton(), but for AF_INET6 also accepts a "%scope" suffix
    (an interface name or number) and stores the interface index in
    *indexp.  Exposed for testing; applications have no need for it.

    @return 1 on success, 0 if src is not a valid address, -1 if the family
       is not supported.
 */
EVENT2_EXPORT_SYMBOL
int evutil_inet_pton_scope(int af, const char *src, void *dst,
	unsigned *indexp);
/** Convert an IPv4 or IPv6 address from text to binary, as inet_pton()
 * does.
 *
 * @return 1 on success, 0 if src is not a valid address, -1 if the family
 *   is not supported.
 */
EVENT2_EXPORT_SYMBOL
int evutil_inet_pton(int af, const char *src, void *dst);
struct sockaddr;

/** Turn text such as "1.2.3.4:80" or "[::1]:8080" into a socket address.

    Accepted forms are "IPv4", "IPv4:port", "IPv6", "[IPv6]" and
    "[IPv6]:port".  Without a port, the port is 0.

    @param str the text.
    @param out receives the address; a struct sockaddr_storage is always
       big enough.
    @param outlen on entry, the size of *out; on success, the number of
       bytes written.
    @return 0 on success; -1 if the text is malformed, the port number is
       too large, or *out cannot hold the result.
*/
EVENT2_EXPORT_SYMBOL
int evutil_parse_sockaddr_port(const char *str, struct sockaddr *out, int *outlen);

/** Order two socket addresses.
 *
 * Only AF_INET and AF_INET6 addresses are compared by content; the order
 * is consistent but may change between versions.
 *
 * @param sa1 the first address.
 * @param sa2 the second address.
 * @param include_port nonzero to compare the ports as well.
 * @return 0 if equal, a negative value if sa1 sorts first, a positive
 *   value if sa2 does.
 */
EVENT2_EXPORT_SYMBOL
int evutil_sockaddr_cmp(const struct sockaddr *sa1, const struct sockaddr *sa2,
    int include_port);

/** Compare two strings ignoring the case of ASCII letters, whatever the
    locale; handy for text protocols.

    @return less than, equal to or greater than 0, as strcasecmp() does.
 */
EVENT2_EXPORT_SYMBOL
int evutil_ascii_strcasecmp(const char *str1, const char *str2);
/** Compare at most n characters of two strings ignoring the case of ASCII
    letters, whatever the locale.

    @return less than, equal to or greater than 0, as strncasecmp() does.
 */
EVENT2_EXPORT_SYMBOL
int evutil_ascii_strncasecmp(const char *str1, const char *str2, size_t n);

/* evutil_addrinfo is the system's struct addrinfo when there is one. */
#ifdef EVENT__HAVE_STRUCT_ADDRINFO
/** The address information type used by evutil_getaddrinfo(): an alias
 * of struct addrinfo. */
#define evutil_addrinfo addrinfo
#else
/** A stand-in for struct addrinfo on systems that lack one; its members
    mean what they do in struct addrinfo.
*/
struct evutil_addrinfo {
	int     ai_flags;     /* EVUTIL_AI_* flags */
	int     ai_family;    /* address family */
	int     ai_socktype;  /* socket type */
	int     ai_protocol;  /* protocol, or 0 */
	size_t  ai_addrlen;   /* size of *ai_addr */
	char   *ai_canonname; /* canonical host name, if requested */
	struct sockaddr  *ai_addr; /* the address */
	struct evutil_addrinfo  *ai_next; /* next entry, or NULL */
};
#endif
/** @name evutil_getaddrinfo() error codes

    Results that evutil_getaddrinfo() and the DNS resolver functions may
    return.  Where the system has getaddrinfo(), they are its EAI_* values.

    @{
*/
#if defined(EAI_ADDRFAMILY) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_ADDRFAMILY EAI_ADDRFAMILY
#else
#define EVUTIL_EAI_ADDRFAMILY -901
#endif
#if defined(EAI_AGAIN) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_AGAIN EAI_AGAIN
#else
#define EVUTIL_EAI_AGAIN -902
#endif
#if defined(EAI_BADFLAGS) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_BADFLAGS EAI_BADFLAGS
#else
#define EVUTIL_EAI_BADFLAGS -903
#endif
#if defined(EAI_FAIL) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_FAIL EAI_FAIL
#else
#define EVUTIL_EAI_FAIL -904
#endif
#if defined(EAI_FAMILY) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_FAMILY EAI_FAMILY
#else
#define EVUTIL_EAI_FAMILY -905
#endif
#if defined(EAI_MEMORY) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_MEMORY EAI_MEMORY
#else
#define EVUTIL_EAI_MEMORY -906
#endif
/* Some Windows SDKs drop EAI_NODATA or make it equal to EAI_NONAME; use
 * our own value then, so the two codes stay distinct. */
#if defined(EAI_NODATA) && defined(EVENT__HAVE_GETADDRINFO) && (!defined(EAI_NONAME) || EAI_NODATA != EAI_NONAME)
#define EVUTIL_EAI_NODATA EAI_NODATA
#else
#define EVUTIL_EAI_NODATA -907
#endif
#if defined(EAI_NONAME) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_NONAME EAI_NONAME
#else
#define EVUTIL_EAI_NONAME -908
#endif
#if defined(EAI_SERVICE) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_SERVICE EAI_SERVICE
#else
#define EVUTIL_EAI_SERVICE -909
#endif
#if defined(EAI_SOCKTYPE) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_SOCKTYPE EAI_SOCKTYPE
#else
#define EVUTIL_EAI_SOCKTYPE -910
#endif
#if defined(EAI_SYSTEM) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_EAI_SYSTEM EAI_SYSTEM
#else
#define EVUTIL_EAI_SYSTEM -911
#endif

/** The request was cancelled (asynchronous lookups only). */
#define EVUTIL_EAI_CANCEL -90001
/**@}*/

/** @name evutil_getaddrinfo() flags

    Values for ai_flags in the hints; the system's AI_* values where it has
    getaddrinfo().

    @{
*/
#if defined(AI_PASSIVE) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_AI_PASSIVE AI_PASSIVE
#else
#define EVUTIL_AI_PASSIVE 0x1000
#endif
#if defined(AI_CANONNAME) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_AI_CANONNAME AI_CANONNAME
#else
#define EVUTIL_AI_CANONNAME 0x2000
#endif
#if defined(AI_NUMERICHOST) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_AI_NUMERICHOST AI_NUMERICHOST
#else
#define EVUTIL_AI_NUMERICHOST 0x4000
#endif
#if defined(AI_NUMERICSERV) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_AI_NUMERICSERV AI_NUMERICSERV
#else
#define EVUTIL_AI_NUMERICSERV 0x8000
#endif
#if defined(AI_V4MAPPED) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_AI_V4MAPPED AI_V4MAPPED
#else
#define EVUTIL_AI_V4MAPPED 0x10000
#endif
#if defined(AI_ALL) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_AI_ALL AI_ALL
#else
#define EVUTIL_AI_ALL 0x20000
#endif
#if defined(AI_ADDRCONFIG) && defined(EVENT__HAVE_GETADDRINFO)
#define EVUTIL_AI_ADDRCONFIG AI_ADDRCONFIG
#else
#define EVUTIL_AI_ADDRCONFIG 0x40000
#endif
/**@}*/

struct evutil_addrinfo;
/**
 * Resolve a host and service name, with the interface of getaddrinfo()
 * (RFC 3493), on every platform.
 *
 * The call blocks.  Numeric hosts and services are handled without asking
 * the resolver.  EVUTIL_AI_V4MAPPED and EVUTIL_AI_ALL are not supported.
 * evdns_getaddrinfo() in event2/dns.h is the non-blocking counterpart.
 *
 * @param nodename a host name or numeric address, or NULL.
 * @param servname a service name or port number, or NULL.
 * @param hints_in constraints on the results, or NULL.
 * @param res receives a list to be freed with evutil_freeaddrinfo().
 * @return 0 on success, or one of the EVUTIL_EAI_* codes.
 */
EVENT2_EXPORT_SYMBOL
int evutil_getaddrinfo(const char *nodename, const char *servname,
    const struct evutil_addrinfo *hints_in, struct evutil_addrinfo **res);

/** Free a result list from evutil_getaddrinfo() or evdns_getaddrinfo().
 *
 * @param ai the head of the list.
 */
EVENT2_EXPORT_SYMBOL
void evutil_freeaddrinfo(struct evutil_addrinfo *ai);

/** Describe an EVUTIL_EAI_* code.
 *
 * @param err the code.
 * @return a static, human-readable message.
 */
EVENT2_EXPORT_SYMBOL
const char *evutil_gai_strerror(int err);

/** Fill a buffer with random bytes meant to be unpredictable.
 *
 * The generator takes its seed from the kernel (getrandom() or the
 * urandom device), or the C library's arc4random() is used directly where
 * one exists.  It is good enough for things like DNS transaction ids, but
 * should not be relied on for cryptography.
 *
 * @param buf where to write.
 * @param n how many bytes to write.
 */
EVENT2_EXPORT_SYMBOL
void evutil_secure_rng_get_bytes(void *buf, size_t n);

/**
 * Make sure the secure random number generator is seeded.
 *
 * The generator seeds itself the first time it is used, so calling this is
 * optional.  It is useful to confirm that seeding works, or to seed before
 * the process loses access to the entropy source (for example before
 * chroot() or dropping privileges).  Calling it again is harmless.
 *
 * @return 0 if the generator is seeded, -1 if it cannot be.
 */
EVENT2_EXPORT_SYMBOL
int evutil_secure_rng_init(void);

/**
 * Read seed material from another device file instead of /dev/urandom.
 *
 * Must be called before the generator is first used.  The string is kept,
 * not copied, so it has to outlive every use of the generator.  Only a
 * genuine random device should be named.  This interface may change.
 *
 * @param fname the path of the device.
 * @return 0 on success, -1 on failure or when the system's own generator
 *   is used and no file is read.
 */
EVENT2_EXPORT_SYMBOL
int evutil_secure_rng_set_urandom_device_file(char *fname);

/** Mix extra entropy into the secure random number generator.

    Normally unnecessary.  Anyone using it in place of the system's entropy
    must supply a large amount of truly unpredictable data.  Where the
    system's arc4random() is used, the call has no effect.

    @param dat the extra random bytes.
    @param datlen how many bytes dat holds.
 */
EVENT2_EXPORT_SYMBOL
void evutil_secure_rng_add_bytes(const char *dat, size_t datlen);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_UTIL_H_INCLUDED_ */
