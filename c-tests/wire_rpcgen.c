/* The wire format of generated messages: what the code of event_rpcgen.py writes for
 * every kind of field is exactly what the documented evtag calls write, field by field
 * in the order of the .rpc file; such bytes read back into the same values; every
 * proper prefix and a stray tag are refused. Run with `cross`, the bytes one library's
 * build writes are read by the other's (and the libevent build's code comes from
 * libevent's own generator when its source is at hand).
 */
// test: rpcgen wire_rpcgen.rpc
// test: cross
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/rpc.h>
#include <event2/tag.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "wire_rpcgen.gen.h"

static const ev_uint8_t blob_value[5] = { 0, 1, 0xfe, 0xff, 0x80 };
static const ev_uint8_t fixed_value[8] = { 'f', 'i', 'x', 'e', 'd', 0, 7, 9 };
static const ev_uint32_t sample_values[3] = { 0, 127, 0xffffffffu };
static const char *const tag_values[2] = { "red", "" };
#define BIG_VALUE 0x8000000000000001ull

/* A message with every field set, using the accessor macros of rpc.h. */
static struct wire *make_message(void)
{
	struct wire *msg = wire_new();
	struct point *origin = point_new(), *step;
	int i;

	CHECK(msg != NULL && origin != NULL);
	CHECK_INT_EQ(EVTAG_ASSIGN(msg, count, 42), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(msg, big, BIG_VALUE), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(msg, label, "hello, wire"), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN_WITH_LEN(msg, blob, blob_value, sizeof(blob_value)), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(msg, fixed, fixed_value), 0);
	EVTAG_ASSIGN(origin, x, 3);
	EVTAG_ASSIGN(origin, y, 4);
	CHECK_INT_EQ(EVTAG_ASSIGN(msg, origin, origin), 0);
	point_free(origin);
	for (i = 0; i < 3; i++)
		CHECK(EVTAG_ARRAY_ADD_VALUE(msg, samples, sample_values[i]) != NULL);
	for (i = 0; i < 2; i++)
		CHECK(EVTAG_ARRAY_ADD_VALUE(msg, tags, tag_values[i]) != NULL);
	for (i = 0; i < 2; i++) {
		step = EVTAG_ARRAY_ADD(msg, path);
		CHECK(step != NULL);
		EVTAG_ASSIGN(step, x, 10 + i);
		EVTAG_ASSIGN(step, y, 20 + i);
	}
	CHECK_INT_EQ(EVTAG_ASSIGN(msg, high_tag, 7), 0);
	CHECK_INT_EQ(wire_complete(msg), 0);
	return msg;
}

static void marshal_point(struct evbuffer *out, ev_uint32_t tag, ev_uint32_t x, ev_uint32_t y)
{
	struct evbuffer *inner = evbuffer_new();
	evtag_marshal_int(inner, 1, x);
	evtag_marshal_int(inner, 2, y);
	evtag_marshal_buffer(out, tag, inner);
	evbuffer_free(inner);
}

/* The same message, written by hand from the documented format. */
static void expected_bytes(struct evbuffer *out)
{
	int i;
	evtag_marshal_int(out, 1, 42);
	evtag_marshal_int64(out, 2, BIG_VALUE);
	evtag_marshal_string(out, 3, "hello, wire");
	evtag_marshal(out, 4, blob_value, sizeof(blob_value));
	evtag_marshal(out, 5, fixed_value, sizeof(fixed_value));
	marshal_point(out, 6, 3, 4);
	for (i = 0; i < 3; i++)
		evtag_marshal_int(out, 7, sample_values[i]);
	for (i = 0; i < 2; i++)
		evtag_marshal_string(out, 8, tag_values[i]);
	for (i = 0; i < 2; i++)
		marshal_point(out, 10, 10 + i, 20 + i);
	evtag_marshal_int(out, 0x10121, 7);
}

static int same_bytes(struct evbuffer *a, struct evbuffer *b)
{
	size_t n = evbuffer_get_length(a);
	return n == evbuffer_get_length(b) &&
	    memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), n) == 0;
}

/* Checks that msg holds the values make_message() sets. */
static void check_values(struct wire *msg)
{
	ev_uint32_t u32 = 0, len = 0;
	ev_uint64_t u64 = 0;
	char *s = NULL;
	ev_uint8_t *bytes = NULL;
	struct point *p = NULL;
	int i;

	CHECK_INT_EQ(EVTAG_GET(msg, count, &u32), 0);
	CHECK_UINT_EQ(u32, 42);
	CHECK_INT_EQ(EVTAG_GET(msg, big, &u64), 0);
	CHECK_UINT_EQ(u64, BIG_VALUE);
	CHECK_INT_EQ(EVTAG_GET(msg, label, &s), 0);
	CHECK_STR_EQ(s, "hello, wire");
	CHECK_INT_EQ(EVTAG_GET_WITH_LEN(msg, blob, &bytes, &len), 0);
	CHECK_UINT_EQ(len, sizeof(blob_value));
	CHECK(bytes && memcmp(bytes, blob_value, sizeof(blob_value)) == 0);
	CHECK_INT_EQ(EVTAG_GET(msg, fixed, &bytes), 0);
	CHECK(bytes && memcmp(bytes, fixed_value, sizeof(fixed_value)) == 0);
	CHECK(EVTAG_HAS(msg, origin));
	CHECK_INT_EQ(EVTAG_GET(msg, origin, &p), 0);
	if (p) {
		CHECK_INT_EQ(EVTAG_GET(p, x, &u32), 0);
		CHECK_UINT_EQ(u32, 3);
		CHECK_INT_EQ(EVTAG_GET(p, y, &u32), 0);
		CHECK_UINT_EQ(u32, 4);
	}
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(msg, samples), 3);
	for (i = 0; i < 3; i++) {
		CHECK_INT_EQ(EVTAG_ARRAY_GET(msg, samples, i, &u32), 0);
		CHECK_UINT_EQ(u32, sample_values[i]);
	}
	CHECK_INT_EQ(EVTAG_ARRAY_GET(msg, samples, 3, &u32), -1);
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(msg, tags), 2);
	for (i = 0; i < 2; i++) {
		CHECK_INT_EQ(EVTAG_ARRAY_GET(msg, tags, i, &s), 0);
		CHECK_STR_EQ(s, tag_values[i]);
	}
	CHECK(!EVTAG_HAS(msg, absent));
	CHECK_INT_EQ(EVTAG_GET(msg, absent, &u32), -1);
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(msg, path), 2);
	for (i = 0; i < 2; i++) {
		p = NULL;
		CHECK_INT_EQ(EVTAG_ARRAY_GET(msg, path, i, &p), 0);
		if (p) {
			CHECK_INT_EQ(EVTAG_GET(p, x, &u32), 0);
			CHECK_UINT_EQ(u32, 10 + i);
			CHECK_INT_EQ(EVTAG_GET(p, y, &u32), 0);
			CHECK_UINT_EQ(u32, 20 + i);
		}
	}
	CHECK_INT_EQ(EVTAG_GET(msg, high_tag, &u32), 0);
	CHECK_UINT_EQ(u32, 7);
}

/* Reads bytes into a fresh message; the message, or NULL when it is refused. */
static struct wire *read_message(const unsigned char *data, size_t len)
{
	struct evbuffer *in = evbuffer_new();
	struct wire *msg = wire_new();
	evbuffer_add(in, data, len);
	if (wire_unmarshal(msg, in) != 0) {
		wire_free(msg);
		msg = NULL;
	}
	evbuffer_free(in);
	return msg;
}

static void test_in_process(void)
{
	struct wire *msg = make_message(), *back;
	struct evbuffer *written = evbuffer_new(), *expected = evbuffer_new();
	struct evbuffer *nested = evbuffer_new();
	unsigned char *bytes;
	size_t len, cut;
	ev_uint32_t tag;

	wire_marshal(written, msg);
	expected_bytes(expected);
	CHECK(same_bytes(written, expected));

	len = evbuffer_get_length(expected);
	bytes = evbuffer_pullup(expected, -1);
	back = read_message(bytes, len);
	CHECK(back != NULL);
	if (back) {
		check_values(back);
		wire_free(back);
	}

	/* Fields in another order read back the same. */
	{
		struct evbuffer *shuffled = evbuffer_new();
		evtag_marshal_int(shuffled, 0x10121, 7);
		evbuffer_add(shuffled, bytes, len - evbuffer_get_length(shuffled));
		back = read_message(evbuffer_pullup(shuffled, -1), evbuffer_get_length(shuffled));
		CHECK(back != NULL);
		if (back)
			wire_free(back);
		evbuffer_free(shuffled);
	}

	/* Every proper prefix lacks the last required field, or cuts a field short. */
	for (cut = 0; cut < len; cut++) {
		back = read_message(bytes, cut);
		CHECK(back == NULL);
		if (back) {
			fprintf(stderr, "     a prefix of %zu of %zu bytes was accepted\n", cut, len);
			wire_free(back);
		}
	}

	/* A tag the message does not have, and a second copy of a single field. */
	{
		struct evbuffer *extra = evbuffer_new();
		evbuffer_add(extra, bytes, len);
		evtag_marshal_int(extra, 99, 1);
		CHECK(read_message(evbuffer_pullup(extra, -1), evbuffer_get_length(extra)) == NULL);
		evbuffer_drain(extra, evbuffer_get_length(extra));
		evbuffer_add(extra, bytes, len);
		evtag_marshal_int(extra, 1, 43);
		CHECK(read_message(evbuffer_pullup(extra, -1), evbuffer_get_length(extra)) == NULL);
		evbuffer_free(extra);
	}

	/* evtag_marshal_wire nests the message under a tag; evtag_unmarshal_wire reads it. */
	evtag_marshal_wire(nested, 77, msg);
	CHECK_INT_EQ(evtag_peek(nested, &tag), 1);
	CHECK_UINT_EQ(tag, 77);
	back = wire_new();
	CHECK_INT_EQ(evtag_unmarshal_wire(nested, 77, back), 0);
	check_values(back);
	CHECK_UINT_EQ(evbuffer_get_length(nested), 0);
	wire_free(back);

	evbuffer_free(nested);
	evbuffer_free(written);
	evbuffer_free(expected);
	wire_free(msg);
}

/* `first DIR`: writes a generated message to DIR/data, then DIR/ready. */
static int write_part(const char *dir)
{
	char path[4096], ready[4096];
	struct wire *msg = make_message();
	struct evbuffer *out = evbuffer_new();
	FILE *f;
	size_t len;

	wire_marshal(out, msg);
	len = evbuffer_get_length(out);
	snprintf(path, sizeof(path), "%s/data", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK_UINT_EQ(fwrite(evbuffer_pullup(out, -1), 1, len, f), len);
		CHECK_INT_EQ(fclose(f), 0);
		f = fopen(ready, "w");
		CHECK(f != NULL);
		if (f)
			fclose(f);
	}
	evbuffer_free(out);
	wire_free(msg);
	return check_report();
}

/* `second DIR`: reads what the other library's build wrote and checks it. */
static int read_part(const char *dir)
{
	char path[4096], ready[4096];
	unsigned char data[4096];
	struct evbuffer *expected = evbuffer_new();
	struct wire *msg;
	size_t len = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/data", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	for (i = 0; i < 1000 && access(ready, F_OK) != 0; i++)
		usleep(10000);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (f) {
		len = fread(data, 1, sizeof(data), f);
		fclose(f);
	}
	expected_bytes(expected);
	CHECK_UINT_EQ(len, evbuffer_get_length(expected));
	CHECK(len == evbuffer_get_length(expected) &&
	    memcmp(data, evbuffer_pullup(expected, -1), len) == 0);
	msg = read_message(data, len);
	CHECK(msg != NULL);
	if (msg) {
		check_values(msg);
		wire_free(msg);
	}
	evbuffer_free(expected);
	return check_report();
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "first") == 0)
		return write_part(argv[2]);
	if (argc == 3 && strcmp(argv[1], "second") == 0)
		return read_part(argv[2]);
	test_in_process();
	return check_report();
}
