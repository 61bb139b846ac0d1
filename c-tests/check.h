/* SPDX-License-Identifier: BSD-3-Clause */
/* A small assertion helper for the C test programs in c-tests/.
 *
 * Each CHECK* macro records one assertion; a failed one prints where and what, and the
 * program goes on so that one run shows every failure. End main() with
 * `return check_report();`, which prints "N passed, N failed" and gives the exit status.
 *
 * A program's first comment lines may hold directives for the harness
 * (tests/c_programs.rs), one per line:
 *   // test: link event_core event_pthreads   libraries to link (default: event)
 *   // test: requires 2.2                      uses API that libevent 2.1 lacks
 *   // test: evrs-only REASON                  not run against libevent 2.1, which
 *                                              crashes or differs on purpose (REASON)
 *   // test: per-backend                       run once per poll backend
 *   // test: timeout 60                        seconds before the run counts as hung
 *   // test: rpcgen NAME.rpc                   compile the code event_rpcgen.py makes
 *                                              of c-tests/NAME.rpc with the program,
 *                                              which includes "NAME.gen.h" (the
 *                                              libevent build uses libevent's own
 *                                              generator when its source is unpacked)
 *   // test: cross                             also run as `first DIR` on one library
 *                                              and, meanwhile, `second DIR` on the
 *                                              other (both orders); with no arguments
 *                                              the program plays both parts itself
 */
#ifndef EVRS_C_TESTS_CHECK_H
#define EVRS_C_TESTS_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned check_passed_;
static unsigned check_failed_;

static void check_record_(int ok, const char *file, int line, const char *what)
{
	if (ok) {
		check_passed_++;
	} else {
		check_failed_++;
		fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
	}
}

#define CHECK(cond) check_record_(!!(cond), __FILE__, __LINE__, #cond)

#define CHECK_INT_EQ(a, b) do { \
	long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
	check_record_(check_a_ == check_b_, __FILE__, __LINE__, #a " == " #b); \
	if (check_a_ != check_b_) \
		fprintf(stderr, "     %lld != %lld\n", check_a_, check_b_); \
} while (0)

#define CHECK_UINT_EQ(a, b) do { \
	unsigned long long check_a_ = (unsigned long long)(a), check_b_ = (unsigned long long)(b); \
	check_record_(check_a_ == check_b_, __FILE__, __LINE__, #a " == " #b); \
	if (check_a_ != check_b_) \
		fprintf(stderr, "     %#llx != %#llx\n", check_a_, check_b_); \
} while (0)

#define CHECK_STR_EQ(a, b) do { \
	const char *check_a_ = (a), *check_b_ = (b); \
	int check_ok_ = check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0; \
	check_record_(check_ok_, __FILE__, __LINE__, #a " equals " #b); \
	if (!check_ok_) \
		fprintf(stderr, "     \"%s\" vs \"%s\"\n", check_a_ ? check_a_ : "(null)", \
		    check_b_ ? check_b_ : "(null)"); \
} while (0)

#define CHECK_MEM_EQ(a, b, n) \
	check_record_(memcmp((a), (b), (n)) == 0, __FILE__, __LINE__, #a " has the bytes of " #b)

/* Stops the program at once: for a failure that makes the rest meaningless. */
#define REQUIRE(cond) do { \
	int check_ok_ = !!(cond); \
	check_record_(check_ok_, __FILE__, __LINE__, #cond); \
	if (!check_ok_) { \
		fprintf(stderr, "     (cannot go on)\n"); \
		exit(1); \
	} \
} while (0)

static int check_report(void)
{
	printf("%u passed, %u failed\n", check_passed_, check_failed_);
	if (check_passed_ == 0 && check_failed_ == 0) {
		fprintf(stderr, "FAIL: no assertion ran\n");
		return 1;
	}
	return check_failed_ ? 1 : 0;
}

#endif /* EVRS_C_TESTS_CHECK_H */
