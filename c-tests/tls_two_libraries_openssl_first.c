/* Both TLS libraries in one program, libevent_openssl linked first: see
 * tls_two_libraries.h. */
// test: link event_openssl event_mbedtls event_core ssl crypto mbedtls mbedx509 mbedcrypto dl
// test: requires 2.2
// test: timeout 60
#include "tls_two_libraries.h"

int main(void)
{
	return run("libevent_openssl");
}
