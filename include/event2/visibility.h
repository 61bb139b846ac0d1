/* SPDX-License-Identifier: BSD-3-Clause */
/* Symbol visibility and import/export annotations for the public declarations. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

/** @file event2/visibility.h

  @brief Markers placed in front of every exported function declaration.

  While one of the libraries is itself being built as a shared object, the
  markers make its functions visible (or, with MSVC, exported from the DLL).
  Everywhere else, including in application code, they expand to nothing,
  except that MSVC users may ask for dllimport of core symbols.
 */
#ifndef EVENT2_VISIBILITY_H_INCLUDED_
#define EVENT2_VISIBILITY_H_INCLUDED_

#include <event2/event-config.h>

#if defined(event_shared_EXPORTS) || \
    defined(event_extra_shared_EXPORTS) || \
    defined(event_core_shared_EXPORTS) || \
    defined(event_pthreads_shared_EXPORTS) || \
    defined(event_openssl_shared_EXPORTS) || \
    defined(event_mbedtls_shared_EXPORTS)

/* Building one of the shared libraries: export the symbol. */
# if defined (__SUNPRO_C) && (__SUNPRO_C >= 0x550)
/** Marks a function as part of the exported interface of the library. */
#  define EVENT2_EXPORT_SYMBOL __global
# elif defined __GNUC__
/** Marks a function as part of the exported interface of the library. */
#  define EVENT2_EXPORT_SYMBOL __attribute__ ((visibility("default")))
# elif defined(_MSC_VER)
/** Marks a function as part of the exported interface of the library. */
#  define EVENT2_EXPORT_SYMBOL __declspec(dllexport)
# else
/** Marks a function as part of the exported interface of the library. */
#  define EVENT2_EXPORT_SYMBOL /* no known annotation for this compiler */
# endif

#else /* event_*_EXPORTS */

/** Marks a function as part of the exported interface of the library;
 * empty when compiling code that only uses the library. */
# define EVENT2_EXPORT_SYMBOL

#endif /* event_*_EXPORTS */

/* With MSVC, a few core data symbols are imported into event_extra, which
 * needs dllimport on the consuming side. */
#if defined(_MSC_VER)
# if defined(event_core_shared_EXPORTS)
/** Marks a symbol that belongs to the core library. */
#  define EVENT2_CORE_EXPORT_SYMBOL __declspec(dllexport)
# elif defined(event_extra_shared_EXPORTS) || \
       defined(EVENT_VISIBILITY_WANT_DLLIMPORT)
/** Marks a symbol that belongs to the core library. */
#  define EVENT2_CORE_EXPORT_SYMBOL __declspec(dllimport)
# endif
#endif /* _MSC_VER */
#if !defined(EVENT2_CORE_EXPORT_SYMBOL)
/** Marks a symbol that belongs to the core library; the same as
 * EVENT2_EXPORT_SYMBOL except when MSVC needs an import annotation. */
# define EVENT2_CORE_EXPORT_SYMBOL EVENT2_EXPORT_SYMBOL
#endif

#endif /* EVENT2_VISIBILITY_H_INCLUDED_ */
