/* The four evtag functions libevent exports without a header (its regression suite
 * declares them itself): evtag_encode_tag, evtag_decode_tag, evtag_decode_int and
 * evtag_decode_int64.
 */
// test: link event_extra event_core
#include <event2/buffer.h>
#include <event2/tag.h>
#include <event2/util.h>

#include "check.h"

int evtag_encode_tag(struct evbuffer *evbuf, ev_uint32_t tag);
int evtag_decode_tag(ev_uint32_t *ptag, struct evbuffer *evbuf);
int evtag_decode_int(ev_uint32_t *pnumber, struct evbuffer *evbuf);
int evtag_decode_int64(ev_uint64_t *pnumber, struct evbuffer *evbuf);

static void test_tags(void)
{
	static const ev_uint32_t tags[] = { 0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x10121,
		0x0fffffff, 0x10000000, 0xffffffffu };
	static const int lengths[] = { 1, 1, 1, 2, 2, 3, 3, 4, 5, 5 };
	struct evbuffer *buf = evbuffer_new();
	size_t i;
	ev_uint32_t tag;
	unsigned char *p;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		CHECK_INT_EQ(evtag_encode_tag(NULL, tags[i]), lengths[i]);
		CHECK_INT_EQ(evtag_encode_tag(buf, tags[i]), lengths[i]);
	}
	/* 0x80 is two groups of 7 bits, least significant first. */
	p = evbuffer_pullup(buf, 5);
	CHECK_UINT_EQ(p[3], 0x80);
	CHECK_UINT_EQ(p[4], 0x01);
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t before = evbuffer_get_length(buf);
		tag = 12345;
		CHECK_INT_EQ(evtag_decode_tag(&tag, buf), lengths[i]);
		CHECK_UINT_EQ(tag, tags[i]);
		CHECK_UINT_EQ(before - evbuffer_get_length(buf), (size_t)lengths[i]);
	}
	CHECK_INT_EQ(evtag_decode_tag(&tag, buf), -1);

	/* A tag that never ends, and one whose fifth group is too large: refused, and
	 * nothing removed. */
	evbuffer_add(buf, "\x81\x82", 2);
	CHECK_INT_EQ(evtag_decode_tag(&tag, buf), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 2);
	evbuffer_drain(buf, 2);
	evbuffer_add(buf, "\xff\xff\xff\xff\x1f", 5);
	CHECK_INT_EQ(evtag_decode_tag(&tag, buf), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 5);
	evbuffer_free(buf);
}

static void test_ints(void)
{
	static const ev_uint32_t ints[] = { 0, 1, 0xf, 0x10, 0x1234567, 0xffffffffu };
	static const ev_uint64_t int64s[] = { 0, 0x10, 0x123456789abcdefull,
		0xffffffffffffffffull };
	struct evbuffer *buf = evbuffer_new();
	ev_uint32_t u32;
	ev_uint64_t u64;
	size_t i;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		evtag_encode_int(buf, ints[i]);
	for (i = 0; i < sizeof(int64s) / sizeof(int64s[0]); i++)
		evtag_encode_int64(buf, int64s[i]);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		CHECK_INT_EQ(evtag_decode_int(&u32, buf), 0);
		CHECK_UINT_EQ(u32, ints[i]);
	}
	for (i = 0; i < sizeof(int64s) / sizeof(int64s[0]); i++) {
		CHECK_INT_EQ(evtag_decode_int64(&u64, buf), 0);
		CHECK_UINT_EQ(u64, int64s[i]);
	}
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_INT_EQ(evtag_decode_int(&u32, buf), -1);
	CHECK_INT_EQ(evtag_decode_int64(&u64, buf), -1);

	/* Nine digits do not fit 32 bits; a count past the data is short. Nothing is
	 * removed. */
	evtag_encode_int64(buf, 0x123456789ull);
	CHECK_INT_EQ(evtag_decode_int(&u32, buf), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 5);
	evbuffer_drain(buf, 5);
	evbuffer_add(buf, "\x70\x12", 2);
	CHECK_INT_EQ(evtag_decode_int(&u32, buf), -1);
	CHECK_INT_EQ(evtag_decode_int64(&u64, buf), -1);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 2);
	evbuffer_free(buf);
}

int main(void)
{
	test_tags();
	test_ints();
	return check_report();
}
