/* SPDX-License-Identifier: BSD-3-Clause */
/* evdns_base_new with EVDNS_BASE_INITIALIZE_NAMESERVERS when /etc/resolv.conf names
 * no server, as each libevent version answers it: with
 * EVDNS_BASE_NAMESERVERS_NO_DEFAULT both give a base with no server; without it 2.1
 * gives NULL and 2.2 a base using 127.0.0.1. The loaded library's version decides, so a
 * build with 2.1's binary interface must answer as 2.1 does.
 *
 * The program puts its own resolv.conf in place in a private user and mount
 * namespace, so it needs unprivileged user namespaces. */
#define _GNU_SOURCE
#include <event2/dns.h>
#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "check.h"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Enters a user and mount namespace where /etc/resolv.conf reads `text`. */
static int private_resolv_conf(const char *text)
{
	char map[64];
	char path[] = "/tmp/evrs-resolv-XXXXXX";
	uid_t uid = getuid();
	gid_t gid = getgid();
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	close(fd);
	if (write_file(path, text) < 0)
		goto fail;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		goto fail;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		goto fail;
	if (write_file("/proc/self/setgroups", "deny") < 0)
		goto fail;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		goto fail;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		goto fail;
	if (mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
		goto fail;
	unlink(path);
	return 0;
fail:
	fprintf(stderr, "private resolv.conf: %s\n", strerror(errno));
	unlink(path);
	return -1;
}

int main(void)
{
	struct event_base *base;
	struct evdns_base *dns;
	int is_2_1 = event_get_version_number() < 0x02020000;

	if (private_resolv_conf("# no server here\nsearch example.test\n") < 0) {
		printf("skip: user namespaces are not available to this user\n");
		return 0;
	}
	base = event_base_new();
	REQUIRE(base != NULL);

	/* NO_DEFAULT: both versions make a base with no server. */
	dns = evdns_base_new(base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_NAMESERVERS_NO_DEFAULT);
	CHECK(dns != NULL);
	if (dns) {
		CHECK_INT_EQ(evdns_base_count_nameservers(dns), 0);
		evdns_base_free(dns, 0);
	}

	/* Otherwise both fall back to 127.0.0.1 and call the file's lack of servers an
	 * error: 2.1 fails for it, 2.2 keeps the base. */
	dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (is_2_1) {
		CHECK(dns == NULL);
	} else {
		CHECK(dns != NULL);
		if (dns)
			CHECK_INT_EQ(evdns_base_count_nameservers(dns), 1);
	}
	if (dns)
		evdns_base_free(dns, 0);

	event_base_free(base);
	return check_report();
}
