/* The evtag readers: values read back, what each returns, and on truncated, overlong,
 * corrupt or mistagged input exactly what each one leaves in the buffer (libevent's
 * rules: a bad tag removes nothing; evtag_unmarshal_int/_int64 check the tag before
 * the length and remove only the tag when it differs; the calls built on
 * evtag_unmarshal_header remove the header once it reads, and evtag_unmarshal_timeval
 * then removes the payload as well, even under a wrong tag).
 */
// test: link event_core event_extra
#include <event2/buffer.h>
#include <event2/tag.h>
#include <event2/util.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "check.h"

/* Empties the buffer and fills it with the given bytes. */
#define LOAD(buf, ...) do { \
	static const unsigned char bytes_[] = { __VA_ARGS__ }; \
	evbuffer_drain((buf), evbuffer_get_length(buf)); \
	evbuffer_add((buf), bytes_, sizeof(bytes_)); \
} while (0)

#define LEFT(buf) evbuffer_get_length(buf)

static void test_round_trips(struct evbuffer *buf)
{
	static const ev_uint32_t tags[] = { 0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff,
		0x200000, 0x0fffffff, 0x10000000, 0x87654321u, 0xffffffffu };
	static const ev_uint32_t values[] = { 0, 1, 0xf, 0x10, 0xff, 0x100, 0xfff, 0x1000,
		0xffff, 0x12345678, 0x7fffffff, 0x80000000u, 0xffffffffu };
	static const ev_uint64_t values64[] = { 0, 1, 0xffffffffull, 0x100000000ull,
		0x123456789abcdefull, 0x7fffffffffffffffull, 0x8000000000000000ull,
		UINT64_MAX };
	static const int int_lens[] = { 1, 1, 1, 2, 2, 2, 2, 3, 3, 5, 5, 5, 5 };
	static const int int64_lens[] = { 1, 1, 5, 5, 8, 9, 9, 9 };
	static const int tag_lens[] = { 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5 };
	ev_uint32_t tag, value, length;
	ev_uint64_t value64;
	size_t i, j;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		for (j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
			evtag_marshal_int(buf, tags[i], values[j]);
			CHECK_INT_EQ(evtag_peek(buf, &tag), tag_lens[i]);
			CHECK_UINT_EQ(tag, tags[i]);
			CHECK_INT_EQ(evtag_payload_length(buf, &length), 0);
			CHECK_UINT_EQ(length, int_lens[j]);
			CHECK_INT_EQ(evtag_peek_length(buf, &length), 0);
			CHECK_UINT_EQ(length, tag_lens[i] + 1 + int_lens[j]);
			CHECK_UINT_EQ(LEFT(buf), length);
			value = 12345;
			/* The answer is the number's encoded size. */
			CHECK_INT_EQ(evtag_unmarshal_int(buf, tags[i], &value), int_lens[j]);
			CHECK_UINT_EQ(value, values[j]);
			CHECK_UINT_EQ(LEFT(buf), 0);
		}
		for (j = 0; j < sizeof(values64) / sizeof(values64[0]); j++) {
			evtag_marshal_int64(buf, tags[i], values64[j]);
			CHECK_INT_EQ(evtag_unmarshal_int64(buf, tags[i], &value64), int64_lens[j]);
			CHECK_UINT_EQ(value64, values64[j]);
			CHECK_UINT_EQ(LEFT(buf), 0);
		}
		/* 32-bit values through the 64-bit reader. */
		evtag_marshal_int(buf, tags[i], 0xabcdef);
		CHECK_INT_EQ(evtag_unmarshal_int64(buf, tags[i], &value64), 4);
		CHECK_UINT_EQ(value64, 0xabcdef);
	}
	evbuffer_drain(buf, LEFT(buf));
}

static void test_headers(struct evbuffer *buf)
{
	struct evbuffer *dst = evbuffer_new();
	ev_uint32_t tag = 0, length = 0;
	unsigned char out[16];

	REQUIRE(dst != NULL);
	/* Header: tag and length go, the payload stays. */
	evtag_marshal_string(buf, 0x4000, "payload");
	CHECK_INT_EQ(evtag_unmarshal_header(buf, &tag), 7);
	CHECK_UINT_EQ(tag, 0x4000);
	CHECK_UINT_EQ(LEFT(buf), 7);
	CHECK_INT_EQ(evbuffer_remove(buf, out, 7), 7);
	CHECK_MEM_EQ(out, "payload", 7);
	evtag_marshal_string(buf, 3, "x");
	CHECK_INT_EQ(evtag_unmarshal_header(buf, NULL), 1);
	CHECK_UINT_EQ(LEFT(buf), 1);
	evbuffer_drain(buf, 1);

	/* Consume: the whole record. */
	evtag_marshal_string(buf, 1, "skip me");
	evtag_marshal_int(buf, 2, 9);
	CHECK_INT_EQ(evtag_consume(buf), 0);
	CHECK_UINT_EQ(LEFT(buf), 3);
	CHECK_INT_EQ(evtag_consume(buf), 0);
	CHECK_UINT_EQ(LEFT(buf), 0);
	CHECK_INT_EQ(evtag_consume(buf), -1);

	/* Unmarshal: the payload is appended to dst, whatever the tag. */
	evbuffer_add(dst, "<", 1);
	evtag_marshal(buf, 0x10000000, "abc", 3);
	evtag_marshal(buf, 5, "", 0);
	CHECK_INT_EQ(evtag_unmarshal(buf, &tag, dst), 3);
	CHECK_UINT_EQ(tag, 0x10000000);
	CHECK_INT_EQ(evtag_unmarshal(buf, &tag, dst), 0);
	CHECK_UINT_EQ(tag, 5);
	CHECK_UINT_EQ(LEFT(buf), 0);
	CHECK_UINT_EQ(LEFT(dst), 4);
	CHECK_INT_EQ(evbuffer_remove(dst, out, 4), 4);
	CHECK_MEM_EQ(out, "<abc", 4);
	CHECK_INT_EQ(evtag_unmarshal(buf, NULL, dst), -1);

	/* peek_length and payload_length need only the header. */
	LOAD(buf, 0x06, 0x0a, '0', '1');
	CHECK_INT_EQ(evtag_payload_length(buf, &length), 0);
	CHECK_UINT_EQ(length, 10);
	CHECK_INT_EQ(evtag_peek_length(buf, &length), 0);
	CHECK_UINT_EQ(length, 12);
	CHECK_UINT_EQ(LEFT(buf), 4);
	/* ... but the readers need the payload; the header goes all the same. */
	CHECK_INT_EQ(evtag_unmarshal_header(buf, &tag), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	LOAD(buf, 0x06, 0x0a, '0', '1');
	CHECK_INT_EQ(evtag_consume(buf), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	LOAD(buf, 0x06, 0x0a, '0', '1');
	CHECK_INT_EQ(evtag_unmarshal(buf, &tag, dst), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	CHECK_UINT_EQ(LEFT(dst), 0);
	/* A length of 4 GiB - 1: read, never there. */
	LOAD(buf, 0x09, 0x7f, 0xff, 0xff, 0xff, 0xf0, 't', 'i', 'n', 'y');
	CHECK_INT_EQ(evtag_payload_length(buf, &length), 0);
	CHECK_UINT_EQ(length, 0xffffffffu);
	CHECK_INT_EQ(evtag_unmarshal_header(buf, &tag), -1);
	CHECK_UINT_EQ(LEFT(buf), 4);

	evbuffer_drain(buf, LEFT(buf));
	evbuffer_free(dst);
}

static void test_bad_tags(struct evbuffer *buf)
{
	ev_uint32_t tag = 77, value = 77, length = 77;
	ev_uint64_t value64;
	struct timeval tv;
	char *string = NULL;
	char fixed[4];

	/* Empty: nothing to read. */
	CHECK_INT_EQ(evtag_peek(buf, &tag), -1);
	CHECK_INT_EQ(evtag_peek_length(buf, &length), -1);
	CHECK_INT_EQ(evtag_payload_length(buf, &length), -1);
	CHECK_INT_EQ(evtag_unmarshal_header(buf, &tag), -1);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 0, &value), -1);
	CHECK_UINT_EQ(tag, 77);
	CHECK_UINT_EQ(length, 77);

	/* A tag that never ends: nothing is removed by any reader. */
	LOAD(buf, 0x80, 0x81);
	CHECK_INT_EQ(evtag_peek(buf, &tag), -1);
	CHECK_INT_EQ(evtag_peek_length(buf, &length), -1);
	CHECK_INT_EQ(evtag_payload_length(buf, &length), -1);
	CHECK_INT_EQ(evtag_unmarshal_header(buf, &tag), -1);
	CHECK_INT_EQ(evtag_consume(buf), -1);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 0, &value), -1);
	CHECK_INT_EQ(evtag_unmarshal_int64(buf, 0, &value64), -1);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 0, &tv), -1);
	CHECK_INT_EQ(evtag_unmarshal_string(buf, 0, &string), -1);
	CHECK_INT_EQ(evtag_unmarshal_fixed(buf, 0, fixed, 4), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);

	/* More than 32 bits: a fifth byte over 15, or a fifth byte that continues. */
	LOAD(buf, 0xff, 0xff, 0xff, 0xff, 0x10, 0x01, 0x00);
	CHECK_INT_EQ(evtag_peek(buf, &tag), -1);
	CHECK_INT_EQ(evtag_unmarshal_header(buf, &tag), -1);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 0, &value), -1);
	CHECK_UINT_EQ(LEFT(buf), 7);
	LOAD(buf, 0x80, 0x80, 0x80, 0x80, 0x81, 0x00, 0x01, 0x00);
	CHECK_INT_EQ(evtag_peek(buf, &tag), -1);
	CHECK_INT_EQ(evtag_consume(buf), -1);
	CHECK_UINT_EQ(LEFT(buf), 8);
	LOAD(buf, 0x80, 0x80, 0x80, 0x80, 0x80);
	CHECK_INT_EQ(evtag_peek(buf, &tag), -1);
	/* The largest tag, and a tag with needless zero groups. */
	LOAD(buf, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x03);
	CHECK_INT_EQ(evtag_peek(buf, &tag), 5);
	CHECK_UINT_EQ(tag, 0xffffffffu);
	LOAD(buf, 0x81, 0x80, 0x80, 0x00, 0x01, 0x03);
	CHECK_INT_EQ(evtag_peek(buf, &tag), 4);
	CHECK_UINT_EQ(tag, 1);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 1, &value), 1);
	CHECK_UINT_EQ(value, 3);
	CHECK_UINT_EQ(LEFT(buf), 0);
}

static void test_bad_lengths(struct evbuffer *buf)
{
	ev_uint32_t tag, value = 77, length = 77;
	ev_uint64_t value64;
	struct timeval tv;
	char *string = NULL;
	char fixed[4];

	/* A length whose digits run past the end: the tag goes. */
	LOAD(buf, 0x05, 0x30, 0x00);
	CHECK_INT_EQ(evtag_peek(buf, &tag), 1);
	CHECK_INT_EQ(evtag_peek_length(buf, &length), -1);
	CHECK_INT_EQ(evtag_payload_length(buf, &length), -1);
	CHECK_UINT_EQ(length, 77);
	CHECK_INT_EQ(evtag_unmarshal_header(buf, &tag), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	LOAD(buf, 0x05, 0x30, 0x00);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 5, &value), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	LOAD(buf, 0x05, 0x30, 0x00);
	CHECK_INT_EQ(evtag_unmarshal_string(buf, 5, &string), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	LOAD(buf, 0x05, 0x30, 0x00);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 5, &tv), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	/* A length of nine digits: more than 32 bits. */
	LOAD(buf, 0x05, 0x80, 0x00, 0x00, 0x00, 0x01, 0x00);
	CHECK_INT_EQ(evtag_payload_length(buf, &length), -1);
	CHECK_INT_EQ(evtag_consume(buf), -1);
	CHECK_UINT_EQ(LEFT(buf), 6);
	LOAD(buf, 0x05, 0x80, 0x00, 0x00, 0x00, 0x01, 0x00);
	CHECK_INT_EQ(evtag_unmarshal_fixed(buf, 5, fixed, 4), -1);
	CHECK_UINT_EQ(LEFT(buf), 6);
	LOAD(buf, 0x05, 0x80, 0x00, 0x00, 0x00, 0x01, 0x00);
	CHECK_INT_EQ(evtag_unmarshal_int64(buf, 5, &value64), -1);
	CHECK_UINT_EQ(LEFT(buf), 6);
	/* A length with needless zero digits and a stray padding nibble is fine. */
	LOAD(buf, 0x05, 0x21, 0x00, 0xaa);
	CHECK_INT_EQ(evtag_payload_length(buf, &length), 0);
	CHECK_UINT_EQ(length, 1);
	LOAD(buf, 0x05, 0x12, 0x1f, 0x00);
	CHECK_INT_EQ(evtag_peek_length(buf, &length), 0);
	CHECK_UINT_EQ(length, 0x12 + 3);
	evbuffer_drain(buf, LEFT(buf));
}

static void test_numbers(struct evbuffer *buf)
{
	ev_uint32_t value = 77;
	ev_uint64_t value64 = 77;

	/* A wrong tag: only the tag goes (the length is not even read). */
	evtag_marshal_int(buf, 3, 0x1234);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 4, &value), -1);
	CHECK_UINT_EQ(LEFT(buf), 4);
	LOAD(buf, 0x03, 0x30);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 4, &value), -1);
	CHECK_UINT_EQ(LEFT(buf), 1);
	LOAD(buf, 0x80, 0x01, 0x01, 0x01);
	CHECK_INT_EQ(evtag_unmarshal_int64(buf, 0x81, &value64), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	/* Short payload: the header goes. */
	LOAD(buf, 0x03, 0x03, 0x34, 0x32);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 3, &value), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	/* A number longer than its payload: the record goes, the rest stays. */
	LOAD(buf, 0x03, 0x02, 0x34, 0x32, 0x10);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 3, &value), -1);
	CHECK_UINT_EQ(LEFT(buf), 1);
	LOAD(buf, 0x03, 0x00, 0x01, 0x01, 0x05);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 3, &value), -1);
	CHECK_UINT_EQ(LEFT(buf), 3);
	/* A payload longer than its number: accepted, removed whole. */
	LOAD(buf, 0x03, 0x03, 0x01, 0xaa, 0xbb, 0x07);
	value = 77;
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 3, &value), 1);
	CHECK_UINT_EQ(value, 1);
	CHECK_UINT_EQ(LEFT(buf), 1);
	/* Needless zero digits and a stray padding nibble. */
	LOAD(buf, 0x03, 0x05, 0x70, 0x00, 0x00, 0x00, 0x00);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 3, &value), 5);
	CHECK_UINT_EQ(value, 0);
	LOAD(buf, 0x03, 0x02, 0x10, 0x1f);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 3, &value), 2);
	CHECK_UINT_EQ(value, 0x10);
	/* Nine digits do not fit 32 bits; the record goes. */
	evbuffer_drain(buf, LEFT(buf));
	evtag_marshal_int64(buf, 3, 0x100000000ull);
	evtag_marshal_int(buf, 4, 1);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 3, &value), -1);
	CHECK_UINT_EQ(LEFT(buf), 3);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 4, &value), 1);
	CHECK_UINT_EQ(value, 1);
	/* Sixteen digits are the most a count nibble says: always fine for int64. */
	LOAD(buf, 0x03, 0x09, 0xf1, 0, 0, 0, 0, 0, 0, 0, 0x80);
	CHECK_INT_EQ(evtag_unmarshal_int64(buf, 3, &value64), 9);
	CHECK_UINT_EQ(value64, 0x8000000000000001ull);
	LOAD(buf, 0x03, 0x08, 0xf1, 0, 0, 0, 0, 0, 0, 0);
	CHECK_INT_EQ(evtag_unmarshal_int64(buf, 3, &value64), -1);
	CHECK_UINT_EQ(LEFT(buf), 0);
	evbuffer_drain(buf, LEFT(buf));
}

static void test_timevals(struct evbuffer *buf)
{
	struct timeval in, out;

	in.tv_sec = 1700000000;
	in.tv_usec = 999999;
	evtag_marshal_timeval(buf, 0x200000, &in);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 0x200000, &out), 0);
	CHECK_INT_EQ(out.tv_sec, 1700000000);
	CHECK_INT_EQ(out.tv_usec, 999999);
	CHECK_UINT_EQ(LEFT(buf), 0);
	in.tv_sec = 0xffffffff;
	in.tv_usec = 0;
	evtag_marshal_timeval(buf, 1, &in);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 1, &out), 0);
	CHECK_INT_EQ(out.tv_sec, 0xffffffffll);
	CHECK_INT_EQ(out.tv_usec, 0);

	/* A wrong tag: the whole record goes. */
	evtag_marshal_timeval(buf, 2, &in);
	evtag_marshal_int(buf, 3, 3);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 1, &out), -1);
	CHECK_UINT_EQ(LEFT(buf), 3);
	evbuffer_drain(buf, LEFT(buf));
	/* Seconds only, or nothing: the record goes. */
	LOAD(buf, 0x08, 0x01, 0x05, 0x06);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 8, &out), -1);
	CHECK_UINT_EQ(LEFT(buf), 1);
	LOAD(buf, 0x08, 0x00, 0x05, 0x06);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 8, &out), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	/* Microseconds cut short. */
	LOAD(buf, 0x08, 0x02, 0x05, 0x10, 0x10);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 8, &out), -1);
	CHECK_UINT_EQ(LEFT(buf), 1);
	/* Short payload: only the header goes. */
	LOAD(buf, 0x08, 0x03, 0x05, 0x06);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 8, &out), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	/* A longer payload is fine and removed whole. */
	LOAD(buf, 0x08, 0x04, 0x05, 0x06, 0xee, 0xee, 0x01);
	CHECK_INT_EQ(evtag_unmarshal_timeval(buf, 8, &out), 0);
	CHECK_INT_EQ(out.tv_sec, 5);
	CHECK_INT_EQ(out.tv_usec, 6);
	CHECK_UINT_EQ(LEFT(buf), 1);
	evbuffer_drain(buf, LEFT(buf));
}

static void test_strings_and_fixed(struct evbuffer *buf)
{
	char *string = NULL;
	char fixed[8];

	evtag_marshal_string(buf, 0x7f, "hello");
	CHECK_INT_EQ(evtag_unmarshal_string(buf, 0x7f, &string), 0);
	CHECK_STR_EQ(string, "hello");
	free(string);
	string = NULL;
	evtag_marshal(buf, 0x80, "a\0b", 3);
	CHECK_INT_EQ(evtag_unmarshal_string(buf, 0x80, &string), 0);
	CHECK(string != NULL && memcmp(string, "a\0b\0", 4) == 0);
	free(string);
	string = NULL;
	evtag_marshal_string(buf, 1, "");
	CHECK_INT_EQ(evtag_unmarshal_string(buf, 1, &string), 0);
	CHECK_STR_EQ(string, "");
	free(string);
	string = NULL;
	/* A wrong tag: the header goes, the payload stays. */
	evtag_marshal_string(buf, 1, "abc");
	CHECK_INT_EQ(evtag_unmarshal_string(buf, 2, &string), -1);
	CHECK(string == NULL);
	CHECK_UINT_EQ(LEFT(buf), 3);
	evbuffer_drain(buf, LEFT(buf));
	/* Short payload. */
	LOAD(buf, 0x01, 0x05, 'a', 'b');
	CHECK_INT_EQ(evtag_unmarshal_string(buf, 1, &string), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);

	/* Fixed: tag and length must both match. */
	evbuffer_drain(buf, LEFT(buf));
	evtag_marshal(buf, 0x10000000, "12345678", 8);
	memset(fixed, 0, sizeof(fixed));
	CHECK_INT_EQ(evtag_unmarshal_fixed(buf, 0x10000000, fixed, 8), 0);
	CHECK_MEM_EQ(fixed, "12345678", 8);
	CHECK_UINT_EQ(LEFT(buf), 0);
	evtag_marshal(buf, 3, "1234", 4);
	CHECK_INT_EQ(evtag_unmarshal_fixed(buf, 3, fixed, 8), -1);
	CHECK_UINT_EQ(LEFT(buf), 4);
	evbuffer_drain(buf, LEFT(buf));
	evtag_marshal(buf, 3, "1234", 4);
	CHECK_INT_EQ(evtag_unmarshal_fixed(buf, 4, fixed, 4), -1);
	CHECK_UINT_EQ(LEFT(buf), 4);
	evbuffer_drain(buf, LEFT(buf));
	evtag_marshal(buf, 3, "", 0);
	CHECK_INT_EQ(evtag_unmarshal_fixed(buf, 3, fixed, 0), 0);
	CHECK_UINT_EQ(LEFT(buf), 0);
	LOAD(buf, 0x03, 0x04, '1', '2');
	CHECK_INT_EQ(evtag_unmarshal_fixed(buf, 3, fixed, 4), -1);
	CHECK_UINT_EQ(LEFT(buf), 2);
	evbuffer_drain(buf, LEFT(buf));
}

/* A message inside a message, as generated RPC code nests structures. */
static void test_nested(struct evbuffer *buf)
{
	struct evbuffer *inner = evbuffer_new(), *got = evbuffer_new();
	struct timeval tv = { 12, 34 }, back;
	ev_uint32_t tag, value, length;
	ev_uint64_t value64;
	char *string = NULL;

	REQUIRE(inner && got);
	evtag_marshal_int(inner, 1, 0xdeadbeef);
	evtag_marshal_string(inner, 2, "inner");
	evtag_marshal_timeval(inner, 3, &tv);
	evtag_marshal_int64(inner, 0x4000, UINT64_MAX);
	length = evbuffer_get_length(inner);
	evtag_marshal_buffer(buf, 0x10000001, inner);
	evtag_marshal_int(buf, 9, 99);
	CHECK_UINT_EQ(evbuffer_get_length(inner), 0);

	CHECK_INT_EQ(evtag_payload_length(buf, &value), 0);
	CHECK_UINT_EQ(value, length);
	CHECK_INT_EQ(evtag_unmarshal(buf, &tag, got), (int)length);
	CHECK_UINT_EQ(tag, 0x10000001);
	CHECK_INT_EQ(evtag_unmarshal_int(got, 1, &value), 5);
	CHECK_UINT_EQ(value, 0xdeadbeef);
	CHECK_INT_EQ(evtag_unmarshal_string(got, 2, &string), 0);
	CHECK_STR_EQ(string, "inner");
	free(string);
	CHECK_INT_EQ(evtag_unmarshal_timeval(got, 3, &back), 0);
	CHECK_INT_EQ(back.tv_sec, 12);
	CHECK_INT_EQ(back.tv_usec, 34);
	CHECK_INT_EQ(evtag_unmarshal_int64(got, 0x4000, &value64), 9);
	CHECK_UINT_EQ(value64, UINT64_MAX);
	CHECK_UINT_EQ(evbuffer_get_length(got), 0);
	CHECK_INT_EQ(evtag_unmarshal_int(buf, 9, &value), 2);
	CHECK_UINT_EQ(value, 99);
	CHECK_UINT_EQ(LEFT(buf), 0);

	evbuffer_free(inner);
	evbuffer_free(got);
}

/* Records spread over many small chains read as from one block. */
static void test_fragmented(struct evbuffer *buf)
{
	struct evbuffer *pieces = evbuffer_new();
	unsigned char byte;
	ev_uint64_t value64;
	char *string = NULL;

	REQUIRE(pieces != NULL);
	evtag_marshal_int64(pieces, 0x12345678, 0x0123456789abcdefull);
	evtag_marshal_string(pieces, 0x200000, "split over chains");
	while (evbuffer_remove(pieces, &byte, 1) == 1) {
		struct evbuffer *one = evbuffer_new();
		evbuffer_add(one, &byte, 1);
		evbuffer_add_buffer(buf, one);
		evbuffer_free(one);
	}
	CHECK_INT_EQ(evtag_unmarshal_int64(buf, 0x12345678, &value64), 8);
	CHECK_UINT_EQ(value64, 0x0123456789abcdefull);
	CHECK_INT_EQ(evtag_unmarshal_string(buf, 0x200000, &string), 0);
	CHECK_STR_EQ(string, "split over chains");
	free(string);
	CHECK_UINT_EQ(LEFT(buf), 0);
	evbuffer_free(pieces);
}

int main(void)
{
	struct evbuffer *buf = evbuffer_new();

	REQUIRE(buf != NULL);
	test_round_trips(buf);
	test_headers(buf);
	test_bad_tags(buf);
	test_bad_lengths(buf);
	test_numbers(buf);
	test_timevals(buf);
	test_strings_and_fixed(buf);
	test_nested(buf);
	test_fragmented(buf);
	evbuffer_free(buf);
	return check_report();
}
