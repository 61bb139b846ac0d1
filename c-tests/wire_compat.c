/* The 1.x spellings: <evrpc.h>, tag_compat.h's encode_int/encode_int64 and
 * rpc_compat.h's variadic EVTAG_ASSIGN, EVTAG_GET, EVTAG_ADD and EVTAG_LEN, on
 * generated messages.
 */
// test: rpcgen wire_rpcgen.rpc
#include <evrpc.h>
#include <event2/buffer.h>
#include <event2/tag.h>
#include <event2/tag_compat.h>

#include <string.h>

#include "check.h"
#include "wire_rpcgen.gen.h"

static int same_bytes(struct evbuffer *a, struct evbuffer *b)
{
	size_t n = evbuffer_get_length(a);
	return n == evbuffer_get_length(b) &&
	    memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), n) == 0;
}

static void test_encode_macros(void)
{
	static const ev_uint32_t ints[] = { 0, 1, 0x7f, 0x80, 0x12345, 0xffffffffu };
	static const ev_uint64_t int64s[] = { 0, 0x1234567890ull, 0xffffffffffffffffull };
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	size_t i;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		encode_int(a, ints[i]);
		evtag_encode_int(b, ints[i]);
	}
	for (i = 0; i < sizeof(int64s) / sizeof(int64s[0]); i++) {
		encode_int64(a, int64s[i]);
		evtag_encode_int64(b, int64s[i]);
	}
	CHECK(evbuffer_get_length(a) > 0);
	CHECK(same_bytes(a, b));
	evbuffer_free(a);
	evbuffer_free(b);
}

static void test_variadic_accessors(void)
{
	static const ev_uint8_t blob[3] = { 9, 8, 7 };
	struct wire *msg = wire_new();
	struct point *step;
	ev_uint8_t *got = NULL;
	ev_uint32_t len = 0, value = 0;
	ev_uint32_t *added;

	CHECK(msg != NULL);
	CHECK_INT_EQ(EVTAG_ASSIGN(msg, count, 5), 0);
	CHECK_INT_EQ(EVTAG_GET(msg, count, &value), 0);
	CHECK_UINT_EQ(value, 5);
	/* Variable-length fields take their length as one more argument. */
	CHECK_INT_EQ(EVTAG_ASSIGN(msg, blob, blob, sizeof(blob)), 0);
	CHECK_INT_EQ(EVTAG_GET(msg, blob, &got, &len), 0);
	CHECK_UINT_EQ(len, sizeof(blob));
	CHECK(got && memcmp(got, blob, sizeof(blob)) == 0);
	added = EVTAG_ADD(msg, samples, 11);
	CHECK(added != NULL && *added == 11);
	CHECK_INT_EQ(EVTAG_LEN(msg, samples), 1);
	step = EVTAG_ADD(msg, path);
	CHECK(step != NULL);
	CHECK_INT_EQ(EVTAG_LEN(msg, path), 1);
	CHECK(EVTAG_HAS(msg, count));
	CHECK(!EVTAG_HAS(msg, absent));
	wire_free(msg);
}

int main(void)
{
	test_encode_macros();
	test_variadic_accessors();
	return check_report();
}
