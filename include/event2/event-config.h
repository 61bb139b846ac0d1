/* SPDX-License-Identifier: BSD-3-Clause */
/* Build configuration macros for Linux with glibc (x86_64 and aarch64). Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

/** @file event2/event-config.h

  @brief Facts about the platform and the build, as seen by the public headers.

  A libevent build generates this file while configuring.  evrs ships a fixed
  copy that carries the values of a default CMake build of libevent 2.2.1 on
  Linux with glibc.  The sizes that differ between 32-bit and 64-bit targets
  are chosen by the preprocessor, so the same file serves x86_64 and aarch64
  (and gives plausible answers on ILP32 targets).

  The other public headers consult only a few of these macros (integer type
  availability, type sizes, header availability, EVENT__HAVE_PTHREADS and the
  TLS switches); the rest are provided because applications sometimes test
  them.  Nothing guarantees that later versions keep any of them.
 */
#ifndef EVENT2_EVENT_CONFIG_H_INCLUDED_
#define EVENT2_EVENT_CONFIG_H_INCLUDED_

/** The version of the API, one byte each for major, minor and patch level
 * followed by a zero byte. */
#define EVENT__NUMERIC_VERSION 0x02020100
/** The version as "major.minor.patch", without the release stage. */
#define EVENT__PACKAGE_VERSION "2.2.1"

/** The major part of the version. */
#define EVENT__VERSION_MAJOR 2
/** The minor part of the version. */
#define EVENT__VERSION_MINOR 2
/** The patch level of the version. */
#define EVENT__VERSION_PATCH 1

/** The full version string, release stage included.  LIBEVENT_VERSION
 * expands to this. */
#define EVENT__VERSION "2.2.1-alpha"

/** The package name. */
#define EVENT__PACKAGE "libevent"

/** Left empty, as in libevent's own CMake builds. */
#define EVENT__PACKAGE_BUGREPORT ""

/** Left empty, as in libevent's own CMake builds. */
#define EVENT__PACKAGE_NAME ""

/** Left empty, as in libevent's own CMake builds. */
#define EVENT__PACKAGE_STRING ""

/** Left empty, as in libevent's own CMake builds. */
#define EVENT__PACKAGE_TARNAME ""

/* The build keeps debug mode, replaceable allocation functions and thread
 * support, so EVENT__DISABLE_DEBUG_MODE, EVENT__DISABLE_MM_REPLACEMENT and
 * EVENT__DISABLE_THREAD_SUPPORT are deliberately left undefined. */

/* Feature tests.  Each macro is defined to 1 when the platform or the build
 * has the feature; absent features are simply not defined. */

/** The C library provides accept4(). */
#define EVENT__HAVE_ACCEPT4 1

/** The C library provides arc4random(). */
#define EVENT__HAVE_ARC4RANDOM 1

/** The C library provides arc4random_buf(). */
#define EVENT__HAVE_ARC4RANDOM_BUF 1

/** DNS transaction ids may be derived from clock_gettime(). */
#define EVENT__DNS_USE_CPU_CLOCK_FOR_ID 1

/** The system header <arpa/inet.h> can be included. */
#define EVENT__HAVE_ARPA_INET_H 1

/** The C library provides clock_gettime(). */
#define EVENT__HAVE_CLOCK_GETTIME 1

/** Zero: the BSD sysctl name CTL_KERN is not declared on Linux. */
#define EVENT__HAVE_DECL_CTL_KERN 0

/** Zero: the BSD sysctl name KERN_ARND is not declared on Linux. */
#define EVENT__HAVE_DECL_KERN_ARND 0

/** The C library provides getrandom(). */
#define EVENT__HAVE_GETRANDOM 1

/** The system header <netdb.h> can be included. */
#define EVENT__HAVE_NETDB_H 1

/** The type fd_mask exists. */
#define EVENT__HAVE_FD_MASK 1

/** <sys/queue.h> offers the TAILQ_FOREACH macro. */
#define EVENT__HAVE_TAILQFOREACH 1

/** The system header <dlfcn.h> can be included. */
#define EVENT__HAVE_DLFCN_H 1

/** The epoll interface of Linux is present. */
#define EVENT__HAVE_EPOLL 1

/** The C library provides epoll_create1(). */
#define EVENT__HAVE_EPOLL_CREATE1 1

/** The C library provides epoll_pwait2(). */
#define EVENT__HAVE_EPOLL_PWAIT2 1

/** The C library provides epoll_ctl(). */
#define EVENT__HAVE_EPOLL_CTL 1

/** The C library provides eventfd(). */
#define EVENT__HAVE_EVENTFD 1

/** The C library provides fcntl(). */
#define EVENT__HAVE_FCNTL 1

/** The system header <fcntl.h> can be included. */
#define EVENT__HAVE_FCNTL_H 1

/** The C library provides getaddrinfo(). */
#define EVENT__HAVE_GETADDRINFO 1

/** The C library provides getegid(). */
#define EVENT__HAVE_GETEGID 1

/** The C library provides geteuid(). */
#define EVENT__HAVE_GETEUID 1

/** Some form of gethostbyname_r() is available. */
#define EVENT__HAVE_GETHOSTBYNAME_R 1

/** gethostbyname_r() has the six-argument glibc signature. */
#define EVENT__HAVE_GETHOSTBYNAME_R_6_ARG 1

/** The C library provides getifaddrs(). */
#define EVENT__HAVE_GETIFADDRS 1

/** The C library provides getnameinfo(). */
#define EVENT__HAVE_GETNAMEINFO 1

/** The C library provides getprotobynumber(). */
#define EVENT__HAVE_GETPROTOBYNUMBER 1

/** The C library provides getservbyname(). */
#define EVENT__HAVE_GETSERVBYNAME 1

/** The C library provides gettimeofday(). */
#define EVENT__HAVE_GETTIMEOFDAY 1

/** The system header <ifaddrs.h> can be included. */
#define EVENT__HAVE_IFADDRS_H 1

/** The C library provides inet_ntop(). */
#define EVENT__HAVE_INET_NTOP 1

/** The C library provides inet_pton(). */
#define EVENT__HAVE_INET_PTON 1

/** The system header <inttypes.h> can be included. */
#define EVENT__HAVE_INTTYPES_H 1

/** The system header <memory.h> can be included. */
#define EVENT__HAVE_MEMORY_H 1

/** The C library provides mmap(). */
#define EVENT__HAVE_MMAP 1

/** The C library provides mmap64(). */
#define EVENT__HAVE_MMAP64 1

/** The C library provides nanosleep(). */
#define EVENT__HAVE_NANOSLEEP 1

/** The C library provides usleep(). */
#define EVENT__HAVE_USLEEP 1

/** The system header <netinet/in.h> can be included. */
#define EVENT__HAVE_NETINET_IN_H 1

/** The system header <netinet/tcp.h> can be included. */
#define EVENT__HAVE_NETINET_TCP_H 1

/** The system header <sys/un.h> can be included. */
#define EVENT__HAVE_SYS_UN_H 1

/** libevent_openssl is built: event2/bufferevent_ssl.h declares its functions. */
#define EVENT__HAVE_OPENSSL 1

/** libevent_mbedtls is built: event2/bufferevent_ssl.h declares its functions. */
#define EVENT__HAVE_MBEDTLS 1

/** The C library provides pipe(). */
#define EVENT__HAVE_PIPE 1

/** The C library provides pipe2(). */
#define EVENT__HAVE_PIPE2 1

/** The C library provides poll(). */
#define EVENT__HAVE_POLL 1

/** The system header <poll.h> can be included. */
#define EVENT__HAVE_POLL_H 1

/** POSIX threads are available, so evthread_use_pthreads() is declared. */
#define EVENT__HAVE_PTHREADS 1

/** The C library provides pthread_mutexattr_setprotocol(). */
#define EVENT__HAVE_PTHREAD_MUTEXATTR_SETPROTOCOL 1

/** The C library provides putenv(). */
#define EVENT__HAVE_PUTENV 1

/** The type sa_family_t exists. */
#define EVENT__HAVE_SA_FAMILY_T 1

/** The C library provides select(). */
#define EVENT__HAVE_SELECT 1

/** The C library provides setenv(). */
#define EVENT__HAVE_SETENV 1

/** <fcntl.h> defines F_SETFD. */
#define EVENT__HAVE_SETFD 1

/** The C library provides setrlimit(). */
#define EVENT__HAVE_SETRLIMIT 1

/** The C library provides sendfile(). */
#define EVENT__HAVE_SENDFILE 1

/** The C library provides sigaction(). */
#define EVENT__HAVE_SIGACTION 1

/** The C library provides signal(). */
#define EVENT__HAVE_SIGNAL 1

/** The C library provides strsignal(). */
#define EVENT__HAVE_STRSIGNAL 1

/** The system header <stdarg.h> can be included. */
#define EVENT__HAVE_STDARG_H 1

/** The system header <stddef.h> can be included. */
#define EVENT__HAVE_STDDEF_H 1

/** The system header <stdint.h> can be included. */
#define EVENT__HAVE_STDINT_H 1

/** The system header <stdlib.h> can be included. */
#define EVENT__HAVE_STDLIB_H 1

/** The system header <string.h> can be included. */
#define EVENT__HAVE_STRING_H 1

/** The C library provides strsep(). */
#define EVENT__HAVE_STRSEP 1

/** The C library provides strtok_r(). */
#define EVENT__HAVE_STRTOK_R 1

/** The C library provides strtoll(). */
#define EVENT__HAVE_STRTOLL 1

/** struct addrinfo exists, so evutil_addrinfo is an alias of it. */
#define EVENT__HAVE_STRUCT_ADDRINFO 1

/** struct in6_addr exists. */
#define EVENT__HAVE_STRUCT_IN6_ADDR 1

/** struct in6_addr has the member s6_addr16. */
#define EVENT__HAVE_STRUCT_IN6_ADDR_S6_ADDR16 1

/** struct in6_addr has the member s6_addr32. */
#define EVENT__HAVE_STRUCT_IN6_ADDR_S6_ADDR32 1

/** struct sockaddr_in6 exists. */
#define EVENT__HAVE_STRUCT_SOCKADDR_IN6 1

/** struct sockaddr_un exists. */
#define EVENT__HAVE_STRUCT_SOCKADDR_UN 1

/** struct sockaddr_storage exists. */
#define EVENT__HAVE_STRUCT_SOCKADDR_STORAGE 1

/** struct sockaddr_storage names its family member ss_family. */
#define EVENT__HAVE_STRUCT_SOCKADDR_STORAGE_SS_FAMILY 1

/** struct linger exists. */
#define EVENT__HAVE_STRUCT_LINGER 1

/** The system header <sys/epoll.h> can be included. */
#define EVENT__HAVE_SYS_EPOLL_H 1

/** The system header <sys/eventfd.h> can be included. */
#define EVENT__HAVE_SYS_EVENTFD_H 1

/** The system header <sys/ioctl.h> can be included. */
#define EVENT__HAVE_SYS_IOCTL_H 1

/** The system header <sys/mman.h> can be included. */
#define EVENT__HAVE_SYS_MMAN_H 1

/** The system header <sys/param.h> can be included. */
#define EVENT__HAVE_SYS_PARAM_H 1

/** The system header <sys/queue.h> can be included. */
#define EVENT__HAVE_SYS_QUEUE_H 1

/** The system header <sys/resource.h> can be included. */
#define EVENT__HAVE_SYS_RESOURCE_H 1

/** The system header <sys/select.h> can be included. */
#define EVENT__HAVE_SYS_SELECT_H 1

/** The system header <sys/sendfile.h> can be included. */
#define EVENT__HAVE_SYS_SENDFILE_H 1

/** The system header <sys/socket.h> can be included. */
#define EVENT__HAVE_SYS_SOCKET_H 1

/** The system header <sys/stat.h> can be included. */
#define EVENT__HAVE_SYS_STAT_H 1

/** The system header <sys/random.h> can be included. */
#define EVENT__HAVE_SYS_RANDOM_H 1

/** The system header <sys/timerfd.h> can be included. */
#define EVENT__HAVE_SYS_TIMERFD_H 1

/** The system header <sys/signalfd.h> can be included. */
#define EVENT__HAVE_SYS_SIGNALFD_H 1

/** The system header <sys/time.h> can be included. */
#define EVENT__HAVE_SYS_TIME_H 1

/** The system header <sys/types.h> can be included. */
#define EVENT__HAVE_SYS_TYPES_H 1

/** The system header <sys/uio.h> can be included. */
#define EVENT__HAVE_SYS_UIO_H 1

/** The system header <sys/wait.h> can be included. */
#define EVENT__HAVE_SYS_WAIT_H 1

/** The system header <errno.h> can be included. */
#define EVENT__HAVE_ERRNO_H 1

/** <sys/time.h> offers timeradd() and timersub(), which evutil_timeradd() and evutil_timersub() then use. */
#define EVENT__HAVE_TIMERADD 1

/** <sys/time.h> offers timerclear(). */
#define EVENT__HAVE_TIMERCLEAR 1

/** <sys/time.h> offers timercmp(). */
#define EVENT__HAVE_TIMERCMP 1

/** The C library provides timerfd_create(). */
#define EVENT__HAVE_TIMERFD_CREATE 1

/** <sys/time.h> offers timerisset(). */
#define EVENT__HAVE_TIMERISSET 1

/** The type uint8_t exists; ev_uint8_t names it. */
#define EVENT__HAVE_UINT8_T 1

/** The type uint16_t exists; ev_uint16_t names it. */
#define EVENT__HAVE_UINT16_T 1

/** The type uint32_t exists; ev_uint32_t names it. */
#define EVENT__HAVE_UINT32_T 1

/** The type uint64_t exists; ev_uint64_t names it. */
#define EVENT__HAVE_UINT64_T 1

/** The type uintptr_t exists; ev_uintptr_t names it. */
#define EVENT__HAVE_UINTPTR_T 1

/** The C library provides umask(). */
#define EVENT__HAVE_UMASK 1

/** The system header <unistd.h> can be included. */
#define EVENT__HAVE_UNISTD_H 1

/** The C library provides unsetenv(). */
#define EVENT__HAVE_UNSETENV 1

/* Only defined when __USE_UNUSED_DEFINITIONS__ is; nothing uses it. */
#ifdef __USE_UNUSED_DEFINITIONS__
/** Placeholder for a nonstandard name of PTHREAD_CREATE_JOINABLE (unused). */
#define EVENT__PTHREAD_CREATE_JOINABLE
#endif

/* Sizes of C types, in bytes.  LP64 targets (x86_64, aarch64) take the first
 * branch; 32-bit targets the second, where glibc's default off_t and time_t
 * are 4 bytes unless the target has no 32-bit variant of them (x32). */
#if defined(__LP64__) || defined(_LP64)
/** sizeof(pthread_t). */
#define EVENT__SIZEOF_PTHREAD_T 8
/** sizeof(long). */
#define EVENT__SIZEOF_LONG 8
/** sizeof(off_t) when the library was built; ev_off_t follows it. */
#define EVENT__SIZEOF_OFF_T 8
/** sizeof(ssize_t). */
#define EVENT__SIZEOF_SSIZE_T 8
/** sizeof(size_t); EV_SIZE_MAX and EV_SSIZE_MAX follow it. */
#define EVENT__SIZEOF_SIZE_T 8
/** sizeof(void *). */
#define EVENT__SIZEOF_VOID_P 8
/** sizeof(time_t). */
#define EVENT__SIZEOF_TIME_T 8
#else
/** sizeof(pthread_t). */
#define EVENT__SIZEOF_PTHREAD_T 4
/** sizeof(long). */
#define EVENT__SIZEOF_LONG 4
#if defined(__x86_64__) && defined(__ILP32__)
/** sizeof(off_t) when the library was built; ev_off_t follows it. */
#define EVENT__SIZEOF_OFF_T 8
/** sizeof(time_t). */
#define EVENT__SIZEOF_TIME_T 8
#else
/** sizeof(off_t) when the library was built; ev_off_t follows it. */
#define EVENT__SIZEOF_OFF_T 4
/** sizeof(time_t). */
#define EVENT__SIZEOF_TIME_T 4
#endif
/** sizeof(ssize_t). */
#define EVENT__SIZEOF_SSIZE_T 4
/** sizeof(size_t); EV_SIZE_MAX and EV_SSIZE_MAX follow it. */
#define EVENT__SIZEOF_SIZE_T 4
/** sizeof(void *). */
#define EVENT__SIZEOF_VOID_P 4
#endif

/** sizeof(int). */
#define EVENT__SIZEOF_INT 4

/** sizeof(long long). */
#define EVENT__SIZEOF_LONG_LONG 8

/** sizeof(short). */
#define EVENT__SIZEOF_SHORT 2

/** sizeof(socklen_t). */
#define EVENT__SIZEOF_SOCKLEN_T 4

#ifndef __cplusplus
/** How the C compiler spells the inline keyword (not defined for C++). */
#define EVENT__inline inline
#endif

/** The compiler understands __func__. */
#define EVENT__HAVE___func__ 1
/** The compiler understands __FUNCTION__. */
#define EVENT__HAVE___FUNCTION__ 1

/** The type used for object sizes. */
#define EVENT__size_t size_t

/** The type used for socket address lengths; ev_socklen_t follows it. */
#define EVENT__socklen_t socklen_t

/** The signed counterpart of size_t; ev_ssize_t follows it. */
#define EVENT__ssize_t ssize_t

#endif /* EVENT2_EVENT_CONFIG_H_INCLUDED_ */
