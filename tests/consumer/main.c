/* The smallest libevent consumer: built against an installed copy through pkg-config
 * and through CMake by tests/install.rs. It checks that the library it loaded is the
 * release its headers describe. */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

int main(void)
{
	if (strcmp(event_get_version(), LIBEVENT_VERSION) != 0 ||
	    event_get_version_number() != LIBEVENT_VERSION_NUMBER) {
		fprintf(stderr, "headers say %s, library says %s\n", LIBEVENT_VERSION,
		    event_get_version());
		return 1;
	}
	printf("libevent %s\n", event_get_version());
	return 0;
}
