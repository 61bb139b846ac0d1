/* SPDX-License-Identifier: BSD-3-Clause */
/* Build configuration seen by the public headers: what this Linux build of evrs has.
 * libevent generates this file when it is built; evrs ships it for Linux with glibc.
 * Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */
#ifndef EVENT2_EVENT_CONFIG_H_INCLUDED_
#define EVENT2_EVENT_CONFIG_H_INCLUDED_

/* The release whose API this is. */
#define EVENT__NUMERIC_VERSION 0x02020100
#define EVENT__VERSION "2.2.1-alpha"
#define EVENT__PACKAGE_VERSION "2.2.1"
#define EVENT__VERSION_MAJOR 2
#define EVENT__VERSION_MINOR 2
#define EVENT__VERSION_PATCH 1
#define EVENT__PACKAGE "libevent"
#define EVENT__PACKAGE_BUGREPORT ""
#define EVENT__PACKAGE_NAME ""
#define EVENT__PACKAGE_STRING ""
#define EVENT__PACKAGE_TARNAME ""

/* Headers, functions and types the system provides.  The set is what a default
 * CMake configuration finds on Linux with glibc 2.36; none of the public
 * headers depend on the function checks, only on the header and type ones. */
#define EVENT__HAVE_ACCEPT4 1
#define EVENT__HAVE_ARPA_INET_H 1
#define EVENT__HAVE_CLOCK_GETTIME 1
#define EVENT__HAVE_DLFCN_H 1
#define EVENT__HAVE_EPOLL 1
#define EVENT__HAVE_EPOLL_CREATE1 1
#define EVENT__HAVE_EPOLL_CTL 1
#define EVENT__HAVE_EPOLL_PWAIT2 1
#define EVENT__HAVE_ERRNO_H 1
#define EVENT__HAVE_EVENTFD 1
#define EVENT__HAVE_FCNTL 1
#define EVENT__HAVE_FCNTL_H 1
#define EVENT__HAVE_FD_MASK 1
#define EVENT__HAVE_GETADDRINFO 1
#define EVENT__HAVE_GETEGID 1
#define EVENT__HAVE_GETEUID 1
#define EVENT__HAVE_GETIFADDRS 1
#define EVENT__HAVE_GETNAMEINFO 1
#define EVENT__HAVE_GETPROTOBYNUMBER 1
#define EVENT__HAVE_GETRANDOM 1
#define EVENT__HAVE_GETSERVBYNAME 1
#define EVENT__HAVE_GETTIMEOFDAY 1
#define EVENT__HAVE_IFADDRS_H 1
#define EVENT__HAVE_INET_NTOP 1
#define EVENT__HAVE_INET_PTON 1
#define EVENT__HAVE_INTTYPES_H 1
#define EVENT__HAVE_MMAP 1
#define EVENT__HAVE_NANOSLEEP 1
#define EVENT__HAVE_NETDB_H 1
#define EVENT__HAVE_NETINET_IN_H 1
#define EVENT__HAVE_NETINET_TCP_H 1
#define EVENT__HAVE_PIPE 1
#define EVENT__HAVE_PIPE2 1
#define EVENT__HAVE_POLL 1
#define EVENT__HAVE_POLL_H 1
#define EVENT__HAVE_PTHREADS 1
#define EVENT__HAVE_PTHREAD_MUTEXATTR_SETPROTOCOL 1
#define EVENT__HAVE_PUTENV 1
#define EVENT__HAVE_SA_FAMILY_T 1
#define EVENT__HAVE_SELECT 1
#define EVENT__HAVE_SENDFILE 1
#define EVENT__HAVE_SETENV 1
#define EVENT__HAVE_SETFD 1
#define EVENT__HAVE_SETRLIMIT 1
#define EVENT__HAVE_SIGACTION 1
#define EVENT__HAVE_SIGNAL 1
#define EVENT__HAVE_STDARG_H 1
#define EVENT__HAVE_STDDEF_H 1
#define EVENT__HAVE_STDINT_H 1
#define EVENT__HAVE_STDLIB_H 1
#define EVENT__HAVE_STRING_H 1
#define EVENT__HAVE_STRSEP 1
#define EVENT__HAVE_STRTOK_R 1
#define EVENT__HAVE_STRTOLL 1
#define EVENT__HAVE_STRUCT_ADDRINFO 1
#define EVENT__HAVE_STRUCT_IN6_ADDR 1
#define EVENT__HAVE_STRUCT_IN6_ADDR_S6_ADDR16 1
#define EVENT__HAVE_STRUCT_IN6_ADDR_S6_ADDR32 1
#define EVENT__HAVE_STRUCT_LINGER 1
#define EVENT__HAVE_STRUCT_SOCKADDR_IN6 1
#define EVENT__HAVE_STRUCT_SOCKADDR_STORAGE 1
#define EVENT__HAVE_STRUCT_SOCKADDR_STORAGE_SS_FAMILY 1
#define EVENT__HAVE_STRUCT_SOCKADDR_UN 1
#define EVENT__HAVE_SYS_EPOLL_H 1
#define EVENT__HAVE_SYS_EVENTFD_H 1
#define EVENT__HAVE_SYS_IOCTL_H 1
#define EVENT__HAVE_SYS_MMAN_H 1
#define EVENT__HAVE_SYS_PARAM_H 1
#define EVENT__HAVE_SYS_QUEUE_H 1
#define EVENT__HAVE_SYS_RANDOM_H 1
#define EVENT__HAVE_SYS_RESOURCE_H 1
#define EVENT__HAVE_SYS_SELECT_H 1
#define EVENT__HAVE_SYS_SENDFILE_H 1
#define EVENT__HAVE_SYS_SIGNALFD_H 1
#define EVENT__HAVE_SYS_SOCKET_H 1
#define EVENT__HAVE_SYS_STAT_H 1
#define EVENT__HAVE_SYS_TIMERFD_H 1
#define EVENT__HAVE_SYS_TIME_H 1
#define EVENT__HAVE_SYS_TYPES_H 1
#define EVENT__HAVE_SYS_UIO_H 1
#define EVENT__HAVE_SYS_UN_H 1
#define EVENT__HAVE_SYS_WAIT_H 1
#define EVENT__HAVE_TAILQFOREACH 1
#define EVENT__HAVE_TIMERADD 1
#define EVENT__HAVE_TIMERCLEAR 1
#define EVENT__HAVE_TIMERCMP 1
#define EVENT__HAVE_TIMERFD_CREATE 1
#define EVENT__HAVE_TIMERISSET 1
#define EVENT__HAVE_UINT8_T 1
#define EVENT__HAVE_UINT16_T 1
#define EVENT__HAVE_UINT32_T 1
#define EVENT__HAVE_UINT64_T 1
#define EVENT__HAVE_UINTPTR_T 1
#define EVENT__HAVE_UMASK 1
#define EVENT__HAVE_UNISTD_H 1
#define EVENT__HAVE_UNSETENV 1
#define EVENT__HAVE_USLEEP 1
#define EVENT__HAVE___FUNCTION__ 1
#define EVENT__HAVE_ARC4RANDOM 1
#define EVENT__HAVE_ARC4RANDOM_BUF 1
#define EVENT__DNS_USE_CPU_CLOCK_FOR_ID 1
#define EVENT__HAVE_GETHOSTBYNAME_R 1
#define EVENT__HAVE_GETHOSTBYNAME_R_6_ARG 1
#define EVENT__HAVE_MEMORY_H 1
#define EVENT__HAVE_MMAP64 1
#define EVENT__HAVE_STRSIGNAL 1
#define EVENT__HAVE___func__ 1

/* Constants of the BSD sysctl interface, which Linux does not have (0 = absent). */
#define EVENT__HAVE_DECL_CTL_KERN 0
#define EVENT__HAVE_DECL_KERN_ARND 0

/* Sizes of C types, from the compiler, so one file serves 32- and 64-bit targets. */
#define EVENT__SIZEOF_SHORT __SIZEOF_SHORT__
#define EVENT__SIZEOF_INT __SIZEOF_INT__
#define EVENT__SIZEOF_LONG __SIZEOF_LONG__
#define EVENT__SIZEOF_LONG_LONG __SIZEOF_LONG_LONG__
#define EVENT__SIZEOF_SIZE_T __SIZEOF_SIZE_T__
#define EVENT__SIZEOF_SSIZE_T __SIZEOF_SIZE_T__
#define EVENT__SIZEOF_VOID_P __SIZEOF_POINTER__
/* Linux on 64-bit targets; evrs also keeps ev_off_t 64 bits wide on 32-bit ones. */
#define EVENT__SIZEOF_OFF_T 8
#define EVENT__SIZEOF_SOCKLEN_T 4
#define EVENT__SIZEOF_PTHREAD_T __SIZEOF_LONG__
#define EVENT__SIZEOF_TIME_T __SIZEOF_LONG__

/* Spellings of a few keywords and types on this platform. */
#ifndef __cplusplus
#define EVENT__inline inline
#endif
#define EVENT__size_t size_t
#define EVENT__socklen_t socklen_t
#define EVENT__ssize_t ssize_t

#endif /* EVENT2_EVENT_CONFIG_H_INCLUDED_ */
