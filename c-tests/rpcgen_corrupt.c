/* Generated unmarshalling code (event_rpcgen.py) against bad data: every proper
 * prefix of a tagged message, every byte flipped, duplicated and unknown fields,
 * fixed-size fields of the wrong size, lengths beyond the data, malformed integers
 * and tags, and random bytes.  Each answer is -1 or a message that is complete and
 * encodes again as what was read; nothing crashes.  Libevent's own generator
 * answers the same.
 */
// test: rpcgen rpcgen_courier.rpc
// test: timeout 120
#include <event2/buffer.h>
#include <event2/rpc.h>
#include <event2/tag.h>

#include <string.h>

#include "check.h"
#include "rpcgen_courier.gen.h"

static struct parcel *make_parcel(void)
{
	static const ev_uint8_t checksum[20] = { 9, 8, 7 };
	struct parcel *parcel = parcel_new();
	struct label *stamp = NULL;
	int i;

	REQUIRE(parcel != NULL);
	CHECK_INT_EQ(EVTAG_ASSIGN(parcel, sender, "alice"), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(parcel, recipient, "bob"), 0);
	CHECK_INT_EQ(EVTAG_GET(parcel, stamp, &stamp), 0);
	REQUIRE(stamp != NULL);
	CHECK_INT_EQ(EVTAG_ASSIGN(stamp, office, "north"), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(stamp, clerk, "dan"), 0);
	CHECK(EVTAG_ARRAY_ADD_VALUE(stamp, weights, 300) != NULL);
	CHECK(EVTAG_ARRAY_ADD_VALUE(stamp, weights, 0x12345678) != NULL);
	for (i = 0; i < 2; i++) {
		struct leg *leg = EVTAG_ARRAY_ADD(parcel, route);
		REQUIRE(leg != NULL);
		CHECK_INT_EQ(EVTAG_ASSIGN(leg, carrier, i ? "ship" : "rail"), 0);
		CHECK_INT_EQ(EVTAG_ASSIGN_WITH_LEN(leg, manifest, (const ev_uint8_t *)"m\0n", 3), 0);
		CHECK_INT_EQ(EVTAG_ASSIGN(leg, checksum, checksum), 0);
		CHECK(EVTAG_ARRAY_ADD_VALUE(leg, remarks, "keep dry") != NULL);
		CHECK_INT_EQ(EVTAG_ASSIGN(leg, distance, 1234567890123ull), 0);
		CHECK(EVTAG_ARRAY_ADD_VALUE(leg, stops, 42) != NULL);
	}
	CHECK_INT_EQ(parcel_complete(parcel), 0);
	return parcel;
}

static struct evbuffer *buffer_of(const void *data, size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	REQUIRE(buf != NULL);
	REQUIRE(evbuffer_add(buf, data, len) == 0);
	return buf;
}

/* Decodes len bytes as a parcel's fields; -1, or 0 with a complete parcel whose
 * encoding read back gives the same encoding again.  Returns what unmarshal said,
 * 2 when a decoded parcel misbehaves. */
static int decode_plain(const ev_uint8_t *data, size_t len)
{
	struct evbuffer *buf = buffer_of(data, len), *again = evbuffer_new();
	struct parcel *parcel = parcel_new(), *copy = parcel_new();
	int res;

	REQUIRE(again != NULL && parcel != NULL && copy != NULL);
	res = parcel_unmarshal(parcel, buf);
	if (res == 0) {
		size_t n;
		if (parcel_complete(parcel) != 0)
			res = 2;
		parcel_marshal(again, parcel);
		n = evbuffer_get_length(again);
		if (parcel_unmarshal(copy, again) != 0)
			res = 2;
		parcel_marshal(again, copy);
		if (evbuffer_get_length(again) != n)
			res = 2;
	} else if (res != -1) {
		res = 2;
	}
	parcel_free(parcel);
	parcel_free(copy);
	evbuffer_free(buf);
	evbuffer_free(again);
	return res;
}

static int decode_tagged(const ev_uint8_t *data, size_t len, ev_uint32_t tag)
{
	struct evbuffer *buf = buffer_of(data, len);
	struct parcel *parcel = parcel_new();
	int res;

	REQUIRE(parcel != NULL);
	res = evtag_unmarshal_parcel(buf, tag, parcel);
	if (res == 0 && parcel_complete(parcel) != 0)
		res = 2;
	parcel_free(parcel);
	evbuffer_free(buf);
	return res;
}

static void test_prefixes_and_flips(void)
{
	struct parcel *parcel = make_parcel();
	struct evbuffer *wire = evbuffer_new(), *plain = evbuffer_new();
	static const ev_uint8_t masks[] = { 0x01, 0x0f, 0x10, 0x80, 0xff };
	ev_uint8_t *bytes, *copy;
	size_t len, i, m;
	int prefix_ok = 1, plain_ok = 1, flip_ok = 1, accepted = 0;

	REQUIRE(wire != NULL && plain != NULL);
	evtag_marshal_parcel(wire, 0x77, parcel);
	parcel_marshal(plain, parcel);
	len = evbuffer_get_length(wire);
	bytes = evbuffer_pullup(wire, -1);
	REQUIRE(bytes != NULL && len > 60);

	CHECK_INT_EQ(decode_tagged(bytes, len, 0x77), 0);
	CHECK_INT_EQ(decode_tagged(bytes, len, 0x78), -1);
	for (i = 0; i < len; i++)
		prefix_ok &= decode_tagged(bytes, i, 0x77) == -1;
	CHECK(prefix_ok);

	/* Without the outer tag a prefix that ends between fields may be a whole
	 * message (the optional and array fields come last). */
	{
		size_t plen = evbuffer_get_length(plain);
		ev_uint8_t *pbytes = evbuffer_pullup(plain, -1);
		REQUIRE(pbytes != NULL);
		CHECK_INT_EQ(decode_plain(pbytes, plen), 0);
		for (i = 0; i < plen; i++) {
			int res = decode_plain(pbytes, i);
			plain_ok &= res == -1 || res == 0;
			accepted += res == 0;
		}
		CHECK(plain_ok);
		CHECK(accepted > 0);
	}

	copy = malloc(len);
	REQUIRE(copy != NULL);
	for (i = 0; i < len; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			int res;
			memcpy(copy, bytes, len);
			copy[i] ^= masks[m];
			res = decode_tagged(copy, len, 0x77);
			flip_ok &= res == -1 || res == 0;
			res = decode_plain(copy, len);
			flip_ok &= res == -1 || res == 0;
		}
	}
	CHECK(flip_ok);
	free(copy);
	parcel_free(parcel);
	evbuffer_free(wire);
	evbuffer_free(plain);
}

/* The fields of a label, written by hand with the evtag calls. */
static struct evbuffer *label_wire(void)
{
	struct evbuffer *buf = evbuffer_new();
	REQUIRE(buf != NULL);
	evtag_marshal_string(buf, LABEL_OFFICE, "o");
	evtag_marshal_string(buf, LABEL_CLERK, "c");
	return buf;
}

static int decode_label(struct evbuffer *buf)
{
	struct label *label = label_new();
	int res;
	REQUIRE(label != NULL);
	res = label_unmarshal(label, buf);
	label_free(label);
	evbuffer_free(buf);
	return res;
}

static int decode_leg(struct evbuffer *buf)
{
	struct leg *leg = leg_new();
	int res;
	REQUIRE(leg != NULL);
	res = leg_unmarshal(leg, buf);
	leg_free(leg);
	evbuffer_free(buf);
	return res;
}

static struct evbuffer *leg_wire(size_t checksum_len)
{
	static const ev_uint8_t zeros[64];
	struct evbuffer *buf = evbuffer_new();
	REQUIRE(buf != NULL);
	evtag_marshal_string(buf, LEG_CARRIER, "bus");
	evtag_marshal(buf, LEG_CHECKSUM, zeros, (ev_uint32_t)checksum_len);
	return buf;
}

/* A tag below 128 is one byte (tag.h has no call that writes a tag alone). */
static void add_small_tag(struct evbuffer *buf, ev_uint8_t tag)
{
	REQUIRE(tag < 128);
	evbuffer_add(buf, &tag, 1);
}

static void test_hand_made(void)
{
	struct evbuffer *buf;

	CHECK_INT_EQ(decode_label(label_wire()), 0);

	/* A field that is not an array may come once only. */
	buf = label_wire();
	evtag_marshal_string(buf, LABEL_CLERK, "again");
	CHECK_INT_EQ(decode_label(buf), -1);
	/* Array elements may come any number of times, anywhere. */
	buf = evbuffer_new();
	REQUIRE(buf != NULL);
	evtag_marshal_int(buf, LABEL_WEIGHTS, 1);
	evtag_marshal_string(buf, LABEL_OFFICE, "o");
	evtag_marshal_int(buf, LABEL_WEIGHTS, 2);
	evtag_marshal_string(buf, LABEL_CLERK, "c");
	evtag_marshal_int(buf, LABEL_WEIGHTS, 3);
	CHECK_INT_EQ(decode_label(buf), 0);
	/* An unknown tag, even one past MAX_TAGS or between known ones. */
	buf = label_wire();
	evtag_marshal_int(buf, 99, 1);
	CHECK_INT_EQ(decode_label(buf), -1);
	buf = label_wire();
	evtag_marshal_string(buf, 0x2A030, "x");
	CHECK_INT_EQ(decode_label(buf), -1);
	/* A known tag with a payload of the wrong kind. */
	buf = label_wire();
	evtag_marshal(buf, LABEL_WEIGHTS, "\xf0\x01", 2);
	CHECK_INT_EQ(decode_label(buf), -1);
	buf = label_wire();
	evtag_marshal(buf, LABEL_WEIGHTS, "", 0);
	CHECK_INT_EQ(decode_label(buf), -1);
	/* A length beyond the data, and a huge one. */
	buf = label_wire();
	add_small_tag(buf, LABEL_WEIGHTS);
	evtag_encode_int(buf, 1000);
	evbuffer_add(buf, "\x00\x01", 2);
	CHECK_INT_EQ(decode_label(buf), -1);
	buf = label_wire();
	add_small_tag(buf, LABEL_CLERK);
	evtag_encode_int(buf, 0xffffffffu);
	CHECK_INT_EQ(decode_label(buf), -1);
	/* A tag whose continuation bit never ends. */
	buf = label_wire();
	evbuffer_add(buf, "\x81\x82\x83\x84\x85\x86\x87\x88", 8);
	CHECK_INT_EQ(decode_label(buf), -1);
	/* Trailing bytes that are not a whole field. */
	buf = label_wire();
	evbuffer_add(buf, "\x02", 1);
	CHECK_INT_EQ(decode_label(buf), -1);

	/* A fixed-size field must have exactly its size. */
	CHECK_INT_EQ(decode_leg(leg_wire(20)), 0);
	CHECK_INT_EQ(decode_leg(leg_wire(19)), -1);
	CHECK_INT_EQ(decode_leg(leg_wire(21)), -1);
	CHECK_INT_EQ(decode_leg(leg_wire(0)), -1);
	CHECK_INT_EQ(decode_leg(leg_wire(64)), -1);
	/* Variable bytes: empty is fine, a length beyond the data is not. */
	buf = leg_wire(20);
	evtag_marshal(buf, LEG_MANIFEST, "", 0);
	CHECK_INT_EQ(decode_leg(buf), 0);
	buf = leg_wire(20);
	add_small_tag(buf, LEG_MANIFEST);
	evtag_encode_int(buf, 4);
	evbuffer_add(buf, "abc", 3);
	CHECK_INT_EQ(decode_leg(buf), -1);
	/* An int64 payload that is not one int64. */
	buf = leg_wire(20);
	evtag_marshal(buf, LEG_DISTANCE, "\xff\xff", 2);
	CHECK_INT_EQ(decode_leg(buf), -1);
	buf = leg_wire(20);
	evtag_marshal_int64(buf, LEG_DISTANCE, 5);
	CHECK_INT_EQ(decode_leg(buf), 0);

	/* Nested: an incomplete struct inside, a bad one inside an array, and a
	 * nested struct under the wrong tag. */
	{
		struct evbuffer *inner = evbuffer_new();
		REQUIRE(inner != NULL);
		buf = evbuffer_new();
		REQUIRE(buf != NULL);
		evtag_marshal_string(buf, PARCEL_SENDER, "s");
		evtag_marshal_string(buf, PARCEL_RECIPIENT, "r");
		evtag_marshal_string(inner, LABEL_CLERK, "c");
		evtag_marshal_buffer(buf, PARCEL_STAMP, inner);
		{
			struct parcel *parcel = parcel_new();
			REQUIRE(parcel != NULL);
			CHECK_INT_EQ(parcel_unmarshal(parcel, buf), -1);
			parcel_free(parcel);
		}
		evbuffer_drain(buf, evbuffer_get_length(buf));
		evtag_marshal_string(buf, PARCEL_SENDER, "s");
		evtag_marshal_string(buf, PARCEL_RECIPIENT, "r");
		evtag_marshal_string(inner, LEG_CARRIER, "c");
		evbuffer_add(inner, "\x03", 1);
		evtag_marshal_buffer(buf, PARCEL_ROUTE, inner);
		{
			struct parcel *parcel = parcel_new();
			REQUIRE(parcel != NULL);
			CHECK_INT_EQ(parcel_unmarshal(parcel, buf), -1);
			parcel_free(parcel);
		}
		evbuffer_free(buf);
		evbuffer_free(inner);
	}
}

static void test_random_bytes(void)
{
	ev_uint32_t state = 2463534242u;
	ev_uint8_t data[96];
	int round, ok = 1;
	size_t i;

	for (round = 0; round < 4000; round++) {
		size_t len = round % sizeof(data);
		for (i = 0; i < len; i++) {
			state ^= state << 13;
			state ^= state >> 17;
			state ^= state << 5;
			/* Small tags and lengths now and then, so that fields parse. */
			data[i] = (ev_uint8_t)(round & 1 ? state % 8 : state);
		}
		ok &= decode_plain(data, len) != 2;
		ok &= decode_tagged(data, len, data[0]) != 2;
	}
	CHECK(ok);
}

int main(void)
{
	evtag_init();
	test_prefixes_and_flips();
	test_hand_made();
	test_random_bytes();
	return check_report();
}
