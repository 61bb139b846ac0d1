/* The secure random number generator: evutil_secure_rng_init succeeds, get_bytes
 * fills exactly the bytes asked for (at any alignment and length) with data that
 * varies, and extra entropy from add_bytes is accepted. */
#include <event2/util.h>

#include <string.h>

#include "check.h"

int main(void)
{
	unsigned char buf[48], seen[48];
	unsigned char a[32], b[32];
	static unsigned char big[1 << 20];
	size_t start, end, i, run, nonzero;

	CHECK_INT_EQ(evutil_secure_rng_init(), 0);
	/* Calling it again is fine. */
	CHECK_INT_EQ(evutil_secure_rng_init(), 0);

	/* Every byte of the range and none outside: for each byte, eight draws that all
	 * leave it zero happen with probability 2^-64. */
	for (start = 0; start < 4; ++start) {
		for (end = 40; end < 44; ++end) {
			memset(seen, 0, sizeof(seen));
			for (run = 0; run < 8; ++run) {
				memset(buf, 0, sizeof(buf));
				evutil_secure_rng_get_bytes(buf + start, end - start);
				for (i = 0; i < sizeof(buf); ++i) {
					if (i < start || i >= end)
						CHECK_INT_EQ(buf[i], 0);
					seen[i] |= buf[i];
				}
			}
			for (i = start; i < end; ++i)
				CHECK(seen[i] != 0);
		}
	}

	/* Nothing is written for zero bytes. */
	memset(buf, 0x5a, sizeof(buf));
	evutil_secure_rng_get_bytes(buf, 0);
	CHECK_INT_EQ(buf[0], 0x5a);

	/* Two draws differ. */
	evutil_secure_rng_get_bytes(a, sizeof(a));
	evutil_secure_rng_get_bytes(b, sizeof(b));
	CHECK(memcmp(a, b, sizeof(a)) != 0);

	/* Caller entropy is accepted, and the generator keeps working. */
	evutil_secure_rng_add_bytes("some extra entropy", 18);
	evutil_secure_rng_add_bytes("", 0);
	evutil_secure_rng_get_bytes(a, sizeof(a));
	CHECK(memcmp(a, b, sizeof(a)) != 0);

	/* A large request is filled in full. */
	evutil_secure_rng_get_bytes(big, sizeof(big));
	nonzero = 0;
	for (i = sizeof(big) - 4096; i < sizeof(big); ++i)
		nonzero += big[i] != 0;
	CHECK(nonzero > 3900);

	return check_report();
}
