/* Both TLS libraries in one program, libevent_mbedtls linked first: see
 * tls_two_libraries.h. */
// test: link event_mbedtls event_openssl event_core mbedtls mbedx509 mbedcrypto ssl crypto dl
// test: requires 2.2
// test: timeout 60
#include "tls_two_libraries.h"

int main(void)
{
	return run("libevent_mbedtls");
}
