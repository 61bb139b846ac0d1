/* What each evtag writer appends, byte for byte, as derived from the documented format:
 * a tag is 7-bit groups, least significant first, the high bit set on all but the last
 * byte; an integer is (digits - 1) in the high half of its first byte, then its hex
 * digits least significant first from the low half of the first byte on, padded with
 * a zero nibble; a record is tag, length (an integer), payload; a time value is its
 * seconds and microseconds as two integers. Every length class of tags (1 to 5 bytes,
 * so tags above 127 and above 2^28) and of integers (1 to 9 bytes) is covered.
 */
// test: link event_core event_extra
#include <event2/buffer.h>
#include <event2/tag.h>
#include <event2/tag_compat.h>
#include <event2/util.h>

#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include "check.h"

/* The buffer holds exactly `want` (n bytes); it is emptied either way. */
#define CHECK_HOLDS(buf, ...) do { \
	static const unsigned char want_[] = { __VA_ARGS__ }; \
	check_holds_((buf), want_, sizeof(want_), __LINE__); \
} while (0)

static void check_holds_(struct evbuffer *buf, const unsigned char *want, size_t n, int line)
{
	size_t len = evbuffer_get_length(buf);
	unsigned char *got = evbuffer_pullup(buf, -1);
	int ok = len == n && (n == 0 || memcmp(got, want, n) == 0);
	size_t i;

	CHECK(ok);
	if (!ok) {
		fprintf(stderr, "     line %d: got", line);
		for (i = 0; i < len; i++)
			fprintf(stderr, " %02x", got[i]);
		fprintf(stderr, ", want");
		for (i = 0; i < n; i++)
			fprintf(stderr, " %02x", want[i]);
		fprintf(stderr, "\n");
	}
	evbuffer_drain(buf, len);
}

static void test_integers(struct evbuffer *buf)
{
	evtag_init();
	/* One byte: zero and single digits. */
	evtag_encode_int(buf, 0);
	CHECK_HOLDS(buf, 0x00);
	evtag_encode_int(buf, 1);
	CHECK_HOLDS(buf, 0x01);
	evtag_encode_int(buf, 0xf);
	CHECK_HOLDS(buf, 0x0f);
	/* Two bytes: two and three digits. */
	evtag_encode_int(buf, 0x10);
	CHECK_HOLDS(buf, 0x10, 0x10);
	evtag_encode_int(buf, 0xff);
	CHECK_HOLDS(buf, 0x1f, 0xf0);
	evtag_encode_int(buf, 0x123);
	CHECK_HOLDS(buf, 0x23, 0x21);
	/* Three to five bytes. */
	evtag_encode_int(buf, 0x1234);
	CHECK_HOLDS(buf, 0x34, 0x32, 0x10);
	evtag_encode_int(buf, 0x12345);
	CHECK_HOLDS(buf, 0x45, 0x43, 0x21);
	evtag_encode_int(buf, 0x123456);
	CHECK_HOLDS(buf, 0x56, 0x54, 0x32, 0x10);
	evtag_encode_int(buf, 0x1234567);
	CHECK_HOLDS(buf, 0x67, 0x65, 0x43, 0x21);
	evtag_encode_int(buf, 0x12345678);
	CHECK_HOLDS(buf, 0x78, 0x76, 0x54, 0x32, 0x10);
	evtag_encode_int(buf, 0xffffffffu);
	CHECK_HOLDS(buf, 0x7f, 0xff, 0xff, 0xff, 0xf0);
	/* The old name from tag_compat.h. */
	encode_int(buf, 0x10);
	CHECK_HOLDS(buf, 0x10, 0x10);

	/* 64 bits: the same form, up to 16 digits in 9 bytes. */
	evtag_encode_int64(buf, 0);
	CHECK_HOLDS(buf, 0x00);
	evtag_encode_int64(buf, 0x1234);
	CHECK_HOLDS(buf, 0x34, 0x32, 0x10);
	evtag_encode_int64(buf, 0xffffffffull);
	CHECK_HOLDS(buf, 0x7f, 0xff, 0xff, 0xff, 0xf0);
	evtag_encode_int64(buf, 0x100000000ull);
	CHECK_HOLDS(buf, 0x80, 0x00, 0x00, 0x00, 0x01);
	evtag_encode_int64(buf, 0x123456789ull);
	CHECK_HOLDS(buf, 0x89, 0x87, 0x65, 0x43, 0x21);
	evtag_encode_int64(buf, 0x123456789aull);
	CHECK_HOLDS(buf, 0x9a, 0x98, 0x76, 0x54, 0x32, 0x10);
	evtag_encode_int64(buf, 0x8000000000000001ull);
	CHECK_HOLDS(buf, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80);
	evtag_encode_int64(buf, UINT64_MAX);
	CHECK_HOLDS(buf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0);
	encode_int64(buf, 1);
	CHECK_HOLDS(buf, 0x01);
}

static void test_tags(struct evbuffer *buf)
{
	/* evtag_marshal_int with a one-digit value: tag, length 1, value. */
	evtag_marshal_int(buf, 0, 5);
	CHECK_HOLDS(buf, 0x00, 0x01, 0x05);
	evtag_marshal_int(buf, 0x7f, 5);
	CHECK_HOLDS(buf, 0x7f, 0x01, 0x05);
	evtag_marshal_int(buf, 0x80, 5);
	CHECK_HOLDS(buf, 0x80, 0x01, 0x01, 0x05);
	evtag_marshal_int(buf, 0x166, 5);
	CHECK_HOLDS(buf, 0xe6, 0x02, 0x01, 0x05);
	evtag_marshal_int(buf, 0x3fff, 5);
	CHECK_HOLDS(buf, 0xff, 0x7f, 0x01, 0x05);
	evtag_marshal_int(buf, 0x4000, 5);
	CHECK_HOLDS(buf, 0x80, 0x80, 0x01, 0x01, 0x05);
	evtag_marshal_int(buf, 0x1fffff, 5);
	CHECK_HOLDS(buf, 0xff, 0xff, 0x7f, 0x01, 0x05);
	evtag_marshal_int(buf, 0x200000, 5);
	CHECK_HOLDS(buf, 0x80, 0x80, 0x80, 0x01, 0x01, 0x05);
	evtag_marshal_int(buf, 0x0fffffff, 5);
	CHECK_HOLDS(buf, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x05);
	/* Above 2^28: five bytes, the last holding the top 4 bits. */
	evtag_marshal_int(buf, 0x10000000, 5);
	CHECK_HOLDS(buf, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01, 0x05);
	evtag_marshal_int(buf, 0x87654321u, 5);
	CHECK_HOLDS(buf, 0xa1, 0x86, 0x95, 0xbb, 0x08, 0x01, 0x05);
	evtag_marshal_int(buf, 0xffffffffu, 5);
	CHECK_HOLDS(buf, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x05);
}

static void test_records(struct evbuffer *buf)
{
	struct evbuffer *payload = evbuffer_new();
	struct timeval tv;
	char big[300];

	REQUIRE(payload != NULL);
	/* Numbers: the length is the number's encoded size. */
	evtag_marshal_int(buf, 2, 0);
	CHECK_HOLDS(buf, 0x02, 0x01, 0x00);
	evtag_marshal_int(buf, 2, 0x1234);
	CHECK_HOLDS(buf, 0x02, 0x03, 0x34, 0x32, 0x10);
	evtag_marshal_int(buf, 2, 0xffffffffu);
	CHECK_HOLDS(buf, 0x02, 0x05, 0x7f, 0xff, 0xff, 0xff, 0xf0);
	evtag_marshal_int64(buf, 3, 0);
	CHECK_HOLDS(buf, 0x03, 0x01, 0x00);
	evtag_marshal_int64(buf, 3, 0x100000000ull);
	CHECK_HOLDS(buf, 0x03, 0x05, 0x80, 0x00, 0x00, 0x00, 0x01);
	evtag_marshal_int64(buf, 0x10000000, UINT64_MAX);
	CHECK_HOLDS(buf, 0x80, 0x80, 0x80, 0x80, 0x01, 0x09,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0);

	/* Bytes and strings; the string's zero is not written. */
	evtag_marshal(buf, 4, "ab\0c", 4);
	CHECK_HOLDS(buf, 0x04, 0x04, 'a', 'b', 0x00, 'c');
	evtag_marshal(buf, 4, "", 0);
	CHECK_HOLDS(buf, 0x04, 0x00);
	evtag_marshal_string(buf, 0x81, "hello");
	CHECK_HOLDS(buf, 0x81, 0x01, 0x05, 'h', 'e', 'l', 'l', 'o');
	evtag_marshal_string(buf, 5, "");
	CHECK_HOLDS(buf, 0x05, 0x00);
	/* A length of two digits: 16 bytes; of three: 300 bytes. */
	evtag_marshal_string(buf, 6, "0123456789abcdef");
	CHECK_UINT_EQ(evbuffer_get_length(buf), 2 + 1 + 16);
	{
		unsigned char head[3];
		evbuffer_remove(buf, head, 3);
		CHECK_UINT_EQ(head[0], 0x06);
		CHECK_UINT_EQ(head[1], 0x10);
		CHECK_UINT_EQ(head[2], 0x10);
		evbuffer_drain(buf, 16);
	}
	memset(big, 'x', sizeof(big));
	evtag_marshal(buf, 7, big, sizeof(big));
	CHECK_UINT_EQ(evbuffer_get_length(buf), 1 + 2 + sizeof(big));
	{
		unsigned char head[3];
		evbuffer_remove(buf, head, 3);
		CHECK_UINT_EQ(head[0], 0x07);
		CHECK_UINT_EQ(head[1], 0x2c); /* 300 = 0x12c: digits c, 2, 1 */
		CHECK_UINT_EQ(head[2], 0x21);
		evbuffer_drain(buf, sizeof(big));
	}

	/* A buffer as payload: it is moved, leaving it empty. */
	evbuffer_add(payload, "xyz", 3);
	evtag_marshal_buffer(buf, 0x4000, payload);
	CHECK_UINT_EQ(evbuffer_get_length(payload), 0);
	CHECK_HOLDS(buf, 0x80, 0x80, 0x01, 0x03, 'x', 'y', 'z');
	evtag_marshal_buffer(buf, 1, payload);
	CHECK_HOLDS(buf, 0x01, 0x00);
	/* Nested: a record inside a record. */
	evtag_marshal_int(payload, 1, 7);
	evtag_marshal_string(payload, 2, "n");
	evtag_marshal_buffer(buf, 9, payload);
	CHECK_HOLDS(buf, 0x09, 0x06, 0x01, 0x01, 0x07, 0x02, 0x01, 'n');

	/* Time values: seconds then microseconds, as integers. */
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	evtag_marshal_timeval(buf, 8, &tv);
	CHECK_HOLDS(buf, 0x08, 0x02, 0x00, 0x00);
	tv.tv_sec = 1700000000; /* 0x6553f100 */
	tv.tv_usec = 999999;    /* 0xf423f */
	evtag_marshal_timeval(buf, 8, &tv);
	CHECK_HOLDS(buf, 0x08, 0x08, 0x70, 0x01, 0xf3, 0x55, 0x60,
	    0x4f, 0x32, 0x4f);
	tv.tv_sec = 0xffffffff;
	tv.tv_usec = 0x10;
	evtag_marshal_timeval(buf, 0xffffffffu, &tv);
	CHECK_HOLDS(buf, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x07,
	    0x7f, 0xff, 0xff, 0xff, 0xf0, 0x10, 0x10);

	evbuffer_free(payload);
}

/* Records appended one after another form a stream. */
static void test_stream(struct evbuffer *buf)
{
	evtag_marshal_int(buf, 1, 1);
	evtag_marshal_string(buf, 2, "a");
	evtag_encode_int(buf, 0x10);
	CHECK_HOLDS(buf, 0x01, 0x01, 0x01, 0x02, 0x01, 'a', 0x10, 0x10);
}

int main(void)
{
	struct evbuffer *buf = evbuffer_new();

	REQUIRE(buf != NULL);
	test_integers(buf);
	test_tags(buf);
	test_records(buf);
	test_stream(buf);
	evbuffer_free(buf);
	return check_report();
}
