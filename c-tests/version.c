/* The version the library reports matches the headers a program was built with. */
#include <event2/event.h>

#include "check.h"

int main(void)
{
	const char *version = event_get_version();
	ev_uint32_t number = event_get_version_number();

	CHECK_STR_EQ(version, LIBEVENT_VERSION);
	CHECK_UINT_EQ(number, LIBEVENT_VERSION_NUMBER);
	/* The string and the number name the same release: "M.m.p..." vs 0xMMmmpp... */
	{
		unsigned major = 0, minor = 0, patch = 0;
		CHECK_INT_EQ(sscanf(version, "%u.%u.%u", &major, &minor, &patch), 3);
		CHECK_UINT_EQ(number >> 8, (major << 16) | (minor << 8) | patch);
	}
	/* Two calls give the same static string. */
	CHECK(event_get_version() == version);
	return check_report();
}
