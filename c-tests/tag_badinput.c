/* evtag calls where libevent dereferences NULL or misbehaves: NULL buffers, output
 * pointers, data, strings and time values; a buffer used as its own payload or
 * destination; a record size that wraps around 32 bits; and readers that fail must not
 * write their output (libevent can fill part of it first). Each answers -1 or writes
 * nothing, leaving the buffers as they were.
 */
// test: link event_core event_extra
// test: evrs-only libevent dereferences NULL in these calls and differs on purpose in a few
#include <event2/buffer.h>
#include <event2/tag.h>
#include <event2/util.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "check.h"

#define LEFT(buf) evbuffer_get_length(buf)

static void test_null_buffers(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct timeval tv = { 1, 2 };
	ev_uint32_t tag = 5, value = 5;
	ev_uint64_t value64 = 5;
	char *string = NULL;
	char fixed[4];

	REQUIRE(buf != NULL);
	evtag_encode_int(NULL, 1);
	evtag_encode_int64(NULL, 1);
	evtag_marshal(NULL, 1, "x", 1);
	evtag_marshal_buffer(NULL, 1, buf);
	evtag_marshal_buffer(buf, 1, NULL);
	evtag_marshal_int(NULL, 1, 1);
	evtag_marshal_int64(NULL, 1, 1);
	evtag_marshal_string(NULL, 1, "x");
	evtag_marshal_timeval(NULL, 1, &tv);
	CHECK_UINT_EQ(LEFT(buf), 0);
	CHECK_INT_EQ(evtag_unmarshal_header(NULL, &tag), -1);
	CHECK_INT_EQ(evtag_unmarshal(NULL, &tag, buf), -1);
	CHECK_INT_EQ(evtag_peek(NULL, &tag), -1);
	CHECK_INT_EQ(evtag_peek_length(NULL, &value), -1);
	CHECK_INT_EQ(evtag_payload_length(NULL, &value), -1);
	CHECK_INT_EQ(evtag_consume(NULL), -1);
	CHECK_INT_EQ(evtag_unmarshal_int(NULL, 1, &value), -1);
	CHECK_INT_EQ(evtag_unmarshal_int64(NULL, 1, &value64), -1);
	CHECK_INT_EQ(evtag_unmarshal_fixed(NULL, 1, fixed, 4), -1);
	CHECK_INT_EQ(evtag_unmarshal_string(NULL, 1, &string), -1);
	CHECK_INT_EQ(evtag_unmarshal_timeval(NULL, 1, &tv), -1);
	CHECK_UINT_EQ(tag, 5);
	CHECK_UINT_EQ(value, 5);
	CHECK(string == NULL);
	evbuffer_free(buf);
}

static void test_null_arguments(void)
{
	struct evbuffer *buf = evbuffer_new();
	ev_uint32_t tag;

	REQUIRE(buf != NULL);
	/* Writers: nothing appended. */
	evtag_marshal(buf, 1, NULL, 3);
	evtag_marshal_string(buf, 1, NULL);
	evtag_marshal_timeval(buf, 1, NULL);
	CHECK_UINT_EQ(LEFT(buf), 0);
	/* NULL with no bytes is an empty record. */
	evtag_marshal(buf, 1, NULL, 0);
	CHECK_UINT_EQ(LEFT(buf), 2);
	evbuffer_drain(buf, LEFT(buf));

	/* Readers with nowhere to put the answer: -1, nothing removed. */
	evtag_marshal_int(buf, 1, 7);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 1, NULL), -1);
	CHECK_INT_EQ(evtag_unmarshal_int64(buf, 1, NULL), -1);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 1, NULL), -1);
	CHECK_INT_EQ(evtag_unmarshal_string(buf, 1, NULL), -1);
	CHECK_INT_EQ(evtag_unmarshal_fixed(buf, 1, NULL, 1), -1);
	CHECK_INT_EQ(evtag_unmarshal(buf, &tag, NULL), -1);
	CHECK_INT_EQ(evtag_peek_length(buf, NULL), -1);
	CHECK_INT_EQ(evtag_payload_length(buf, NULL), -1);
	CHECK_UINT_EQ(LEFT(buf), 3);
	/* A NULL tag slot is allowed where the header documents it. */
	CHECK_INT_EQ(evtag_peek(buf, NULL), 1);
	CHECK_INT_EQ(evtag_unmarshal_header(buf, NULL), 1);
	CHECK_UINT_EQ(LEFT(buf), 1);
	evbuffer_free(buf);
}

static void test_same_buffer(void)
{
	struct evbuffer *buf = evbuffer_new();
	ev_uint32_t tag = 0;

	REQUIRE(buf != NULL);
	evtag_marshal_string(buf, 1, "abc");
	evtag_marshal_int(buf, 2, 2);
	/* Its own destination: refused, nothing removed. */
	CHECK_INT_EQ(evtag_unmarshal(buf, &tag, buf), -1);
	CHECK_UINT_EQ(LEFT(buf), 8);
	/* Its own payload: refused, nothing added. */
	evtag_marshal_buffer(buf, 3, buf);
	CHECK_UINT_EQ(LEFT(buf), 8);
	evbuffer_free(buf);
}

static void test_size_wraps(void)
{
	static const unsigned char near_4g[] = { 0x09, 0x7f, 0xff, 0xff, 0xff, 0xf0 };
	struct evbuffer *buf = evbuffer_new();
	ev_uint32_t length = 77;

	REQUIRE(buf != NULL);
	/* Header and payload do not fit 32 bits: libevent answers a wrapped size. */
	evbuffer_add(buf, near_4g, sizeof(near_4g));
	CHECK_INT_EQ(evtag_peek_length(buf, &length), -1);
	CHECK_UINT_EQ(length, 77);
	CHECK_INT_EQ(evtag_payload_length(buf, &length), 0);
	CHECK_UINT_EQ(length, 0xffffffffu);
	evbuffer_free(buf);
}

static void test_no_partial_output(void)
{
	static const unsigned char seconds_only[] = { 0x08, 0x01, 0x05, 0x06 };
	static const unsigned char past_payload[] = { 0x03, 0x00, 0x01, 0x01, 0x05 };
	struct evbuffer *buf = evbuffer_new();
	struct timeval tv = { 77, 77 };
	ev_uint32_t value = 77;
	ev_uint64_t value64 = 77;

	REQUIRE(buf != NULL);
	/* libevent stores the seconds before it finds the microseconds missing. */
	evbuffer_add(buf, seconds_only, sizeof(seconds_only));
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 8, &tv), -1);
	CHECK_INT_EQ(tv.tv_sec, 77);
	CHECK_INT_EQ(tv.tv_usec, 77);
	CHECK_UINT_EQ(LEFT(buf), 1);
	evbuffer_drain(buf, LEFT(buf));
	/* libevent reads the number from the next record's bytes, stores it, then
	 * refuses it. */
	evbuffer_add(buf, past_payload, sizeof(past_payload));
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 3, &value), -1);
	CHECK_UINT_EQ(value, 77);
	CHECK_UINT_EQ(LEFT(buf), 3);
	evbuffer_drain(buf, LEFT(buf));
	evbuffer_add(buf, past_payload, sizeof(past_payload));
	CHECK_INT_EQ(evtag_unmarshal_int64(buf, 3, &value64), -1);
	CHECK_UINT_EQ(value64, 77);
	CHECK_UINT_EQ(LEFT(buf), 3);
	evbuffer_free(buf);
}

/* A frozen buffer takes no half record: the header and payload go in together. */
static void test_frozen(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct timeval tv = { 1, 2 };

	REQUIRE(buf != NULL);
	evbuffer_freeze(buf, 0);
	evtag_marshal(buf, 1, "abc", 3);
	evtag_marshal_string(buf, 1, "abc");
	evtag_marshal_int(buf, 1, 1);
	evtag_marshal_int64(buf, 1, 1);
	evtag_marshal_timeval(buf, 1, &tv);
	evtag_encode_int(buf, 1);
	CHECK_UINT_EQ(LEFT(buf), 0);
	evbuffer_unfreeze(buf, 0);
	evbuffer_free(buf);
}

int main(void)
{
	test_null_buffers();
	test_null_arguments();
	test_same_buffer();
	test_size_wraps();
	test_no_partial_output();
	test_frozen();
	return check_report();
}
