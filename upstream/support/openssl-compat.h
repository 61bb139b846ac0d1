/* Stand-in for libevent's private openssl-compat.h, which the suite's TLS tests
 * include. It only fills in OpenSSL 1.1 API for older OpenSSL and LibreSSL releases;
 * the OpenSSL this project builds against (3.x) has all of it, so nothing is needed
 * here but the headers the original pulls in. */
#ifndef OPENSSL_COMPAT_H
#define OPENSSL_COMPAT_H

#include <openssl/bio.h>

#include "util-internal.h"

#endif /* OPENSSL_COMPAT_H */
