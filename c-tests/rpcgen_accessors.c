/* Generated message code (event_rpcgen.py) as a program uses it: every accessor
 * macro of rpc.h and the NAME_FIELD_assign/get/add functions behind them, required,
 * optional and array fields of every kind, nested structs, completeness, and
 * marshal/unmarshal round trips, plain and tagged.  Only what libevent's own
 * generator does the same way is checked here (see rpcgen_hardening.c for ours).
 */
// test: rpcgen rpcgen_courier.rpc
#include <event2/buffer.h>
#include <event2/rpc.h>
#include <event2/tag.h>

#include <string.h>

#include "check.h"
#include "rpcgen_courier.gen.h"

static const ev_uint8_t checksum_value[20] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0xff, 0x80, 0x7f, 15, 16, 17, 18, 19, 20
};

static int same_bytes(struct evbuffer *a, struct evbuffer *b)
{
	size_t n = evbuffer_get_length(a);
	return n == evbuffer_get_length(b) &&
	    (n == 0 || memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), n) == 0);
}

static void fill_leg(struct leg *leg, int which)
{
	CHECK_INT_EQ(EVTAG_ASSIGN(leg, carrier, which ? "boat" : "truck"), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(leg, checksum, checksum_value), 0);
	if (which == 1)
		CHECK_INT_EQ(EVTAG_ASSIGN_WITH_LEN(leg, manifest,
		    (const ev_uint8_t *)"ab\0cd", 5), 0);
	CHECK(EVTAG_ARRAY_ADD_VALUE(leg, remarks, "fragile") != NULL);
	CHECK(EVTAG_ARRAY_ADD_VALUE(leg, remarks, "") != NULL);
	if (which == 0)
		CHECK_INT_EQ(EVTAG_ASSIGN(leg, distance, 0xfedcba9876543210ull), 0);
	CHECK(EVTAG_ARRAY_ADD_VALUE(leg, stops, 7u * (ev_uint32_t)which) != NULL);
}

static void check_leg(struct leg *leg, int which)
{
	char *text = NULL;
	ev_uint8_t *bytes = NULL;
	ev_uint32_t len = 0, stop = 1;
	ev_uint64_t distance = 0;

	CHECK_INT_EQ(EVTAG_GET(leg, carrier, &text), 0);
	CHECK_STR_EQ(text, which ? "boat" : "truck");
	CHECK_INT_EQ(EVTAG_GET(leg, checksum, &bytes), 0);
	CHECK_MEM_EQ(bytes, checksum_value, sizeof(checksum_value));
	CHECK_INT_EQ(EVTAG_HAS(leg, manifest), which == 1);
	if (which == 1) {
		CHECK_INT_EQ(EVTAG_GET_WITH_LEN(leg, manifest, &bytes, &len), 0);
		CHECK_UINT_EQ(len, 5);
		CHECK_MEM_EQ(bytes, "ab\0cd", 5);
	} else {
		CHECK_INT_EQ(EVTAG_GET_WITH_LEN(leg, manifest, &bytes, &len), -1);
	}
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(leg, remarks), 2);
	CHECK_INT_EQ(EVTAG_ARRAY_GET(leg, remarks, 0, &text), 0);
	CHECK_STR_EQ(text, "fragile");
	CHECK_INT_EQ(EVTAG_ARRAY_GET(leg, remarks, 1, &text), 0);
	CHECK_STR_EQ(text, "");
	CHECK_INT_EQ(EVTAG_ARRAY_GET(leg, remarks, 2, &text), -1);
	CHECK_INT_EQ(EVTAG_ARRAY_GET(leg, remarks, -1, &text), -1);
	CHECK_INT_EQ(EVTAG_HAS(leg, distance), which == 0);
	CHECK_INT_EQ(EVTAG_GET(leg, distance, &distance), which == 0 ? 0 : -1);
	if (which == 0)
		CHECK_UINT_EQ(distance, 0xfedcba9876543210ull);
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(leg, stops), 1);
	CHECK_INT_EQ(EVTAG_ARRAY_GET(leg, stops, 0, &stop), 0);
	CHECK_UINT_EQ(stop, 7u * (ev_uint32_t)which);
}

static struct parcel *make_parcel(void)
{
	struct parcel *parcel = parcel_new();
	struct label *stamp;
	struct leg *leg;
	int i;

	REQUIRE(parcel != NULL);
	CHECK(parcel->base != NULL);
	CHECK_INT_EQ(EVTAG_ASSIGN(parcel, sender, "alice"), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(parcel, recipient, "bob"), 0);
	/* Getting a struct field that is not set creates it. */
	CHECK(!EVTAG_HAS(parcel, stamp));
	CHECK_INT_EQ(EVTAG_GET(parcel, stamp, &stamp), 0);
	REQUIRE(stamp != NULL);
	CHECK(EVTAG_HAS(parcel, stamp));
	CHECK_INT_EQ(EVTAG_ASSIGN(stamp, office, "Main St."), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(stamp, clerk, "carol"), 0);
	for (i = 0; i < 40; i++)
		CHECK(EVTAG_ARRAY_ADD_VALUE(stamp, weights, (ev_uint32_t)i * 1000u) != NULL);
	for (i = 0; i < 3; i++) {
		leg = EVTAG_ARRAY_ADD(parcel, route);
		REQUIRE(leg != NULL);
		fill_leg(leg, i);
	}
	return parcel;
}

static void check_parcel(struct parcel *parcel)
{
	char *text = NULL;
	struct label *stamp = NULL;
	struct leg *leg = NULL;
	ev_uint32_t weight = 0;
	int i;

	CHECK_INT_EQ(EVTAG_GET(parcel, sender, &text), 0);
	CHECK_STR_EQ(text, "alice");
	CHECK_INT_EQ(parcel_recipient_get(parcel, &text), 0);
	CHECK_STR_EQ(text, "bob");
	CHECK_INT_EQ(EVTAG_GET(parcel, stamp, &stamp), 0);
	REQUIRE(stamp != NULL);
	CHECK_INT_EQ(EVTAG_GET(stamp, office, &text), 0);
	CHECK_STR_EQ(text, "Main St.");
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(stamp, weights), 40);
	for (i = 0; i < 40; i++) {
		CHECK_INT_EQ(EVTAG_ARRAY_GET(stamp, weights, i, &weight), 0);
		CHECK_UINT_EQ(weight, (ev_uint32_t)i * 1000u);
	}
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(parcel, route), 3);
	for (i = 0; i < 3; i++) {
		CHECK_INT_EQ(EVTAG_ARRAY_GET(parcel, route, i, &leg), 0);
		REQUIRE(leg != NULL);
		check_leg(leg, i);
	}
	CHECK_INT_EQ(parcel_complete(parcel), 0);
}

static void test_tags(void)
{
	CHECK_INT_EQ(PARCEL_SENDER, 1);
	CHECK_INT_EQ(PARCEL_ROUTE, 4);
	CHECK_INT_EQ(PARCEL_MAX_TAGS, 5);
	CHECK_INT_EQ(LABEL_OFFICE, 0x2A031);
	CHECK_INT_EQ(LABEL_MAX_TAGS, 4);
	CHECK_INT_EQ(LEG_STOPS, 6);
	CHECK_INT_EQ(LEG_MAX_TAGS, 7);
}

static void test_round_trip(void)
{
	struct parcel *parcel = make_parcel(), *copy = parcel_new_with_arg(NULL);
	struct evbuffer *wire = evbuffer_new(), *again = evbuffer_new();
	struct evbuffer *tagged = evbuffer_new();
	REQUIRE(copy != NULL && wire != NULL && again != NULL && tagged != NULL);

	check_parcel(parcel);
	parcel_marshal(wire, parcel);
	CHECK(evbuffer_get_length(wire) > 0);
	/* The first field is the sender: tag 1, length 5, "alice". */
	CHECK_MEM_EQ(evbuffer_pullup(wire, 7), "\x01\x05" "alice", 7);
	parcel_marshal(again, parcel);
	CHECK_INT_EQ(parcel_unmarshal(copy, wire), 0);
	CHECK_UINT_EQ(evbuffer_get_length(wire), 0);
	check_parcel(copy);
	parcel_marshal(wire, copy);
	CHECK(same_bytes(wire, again));

	/* Unmarshalling into a message that already has the fields is refused. */
	CHECK_INT_EQ(parcel_unmarshal(copy, wire), -1);

	/* Tagged: the tag must be the one asked for. */
	evtag_marshal_parcel(tagged, 77, parcel);
	evbuffer_drain(wire, evbuffer_get_length(wire));
	evbuffer_add_buffer(wire, tagged);
	evtag_marshal_parcel(tagged, 77, parcel);
	parcel_clear(copy);
	CHECK(!EVTAG_HAS(copy, sender));
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(copy, route), 0);
	CHECK_INT_EQ(evtag_unmarshal_parcel(wire, 78, copy), -1);
	parcel_clear(copy);
	CHECK_INT_EQ(evtag_unmarshal_parcel(tagged, 77, copy), 0);
	check_parcel(copy);

	parcel_free(copy);
	parcel_free(parcel);
	evbuffer_free(wire);
	evbuffer_free(again);
	evbuffer_free(tagged);
}

static void test_required_and_complete(void)
{
	struct parcel *parcel = parcel_new();
	struct label *stamp = label_new();
	struct leg *leg;
	struct evbuffer *wire = evbuffer_new();
	REQUIRE(parcel != NULL && stamp != NULL && wire != NULL);

	CHECK_INT_EQ(parcel_complete(parcel), -1);
	CHECK_INT_EQ(EVTAG_ASSIGN(parcel, sender, "a"), 0);
	CHECK_INT_EQ(parcel_complete(parcel), -1);
	CHECK_INT_EQ(EVTAG_ASSIGN(parcel, recipient, "b"), 0);
	CHECK_INT_EQ(parcel_complete(parcel), 0);

	/* An incomplete nested struct makes the whole incomplete. */
	CHECK_INT_EQ(EVTAG_ASSIGN(stamp, office, "x"), 0);
	CHECK_INT_EQ(label_complete(stamp), -1);
	CHECK_INT_EQ(EVTAG_ASSIGN(stamp, clerk, "y"), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(parcel, stamp, stamp), 0);
	CHECK_INT_EQ(parcel_complete(parcel), 0);
	leg = EVTAG_ARRAY_ADD(parcel, route);
	REQUIRE(leg != NULL);
	CHECK_INT_EQ(parcel_complete(parcel), -1);
	CHECK_INT_EQ(EVTAG_ASSIGN(leg, carrier, "c"), 0);
	CHECK_INT_EQ(parcel_complete(parcel), -1);
	CHECK_INT_EQ(EVTAG_ASSIGN(leg, checksum, checksum_value), 0);
	CHECK_INT_EQ(parcel_complete(parcel), 0);

	/* Assigning a struct copies it: later changes to the source do not show. */
	CHECK_INT_EQ(EVTAG_ASSIGN(stamp, clerk, "changed"), 0);
	{
		struct label *inside = NULL;
		char *clerk = NULL;
		CHECK_INT_EQ(EVTAG_GET(parcel, stamp, &inside), 0);
		REQUIRE(inside != NULL && inside != stamp);
		CHECK_INT_EQ(EVTAG_GET(inside, clerk, &clerk), 0);
		CHECK_STR_EQ(clerk, "y");
		/* A second assignment refills the same object. */
		CHECK_INT_EQ(EVTAG_ASSIGN(parcel, stamp, stamp), 0);
		CHECK_INT_EQ(EVTAG_GET(inside, clerk, &clerk), 0);
		CHECK_STR_EQ(clerk, "changed");
	}

	/* A message missing a required field does not unmarshal. */
	{
		struct label *partial = label_new();
		REQUIRE(partial != NULL);
		evtag_marshal_string(wire, LABEL_CLERK, "only");
		CHECK_INT_EQ(label_unmarshal(partial, wire), -1);
		label_clear(partial);
		evtag_marshal_string(wire, LABEL_CLERK, "only");
		evtag_marshal_string(wire, LABEL_OFFICE, "fields may come in any order");
		CHECK_INT_EQ(label_unmarshal(partial, wire), 0);
		label_free(partial);
	}
	parcel_free(parcel);
	label_free(stamp);
	evbuffer_free(wire);
}

static void test_direct_functions(void)
{
	struct leg *leg = leg_new();
	struct parcel *parcel = parcel_new();
	ev_uint32_t *stop;
	char **remark, *text = NULL;
	ev_uint8_t *bytes = NULL;
	ev_uint32_t len = 0;
	REQUIRE(leg != NULL && parcel != NULL);

	CHECK_INT_EQ(leg_carrier_assign(leg, "van"), 0);
	CHECK_INT_EQ(leg_carrier_get(leg, &text), 0);
	CHECK_STR_EQ(text, "van");
	CHECK_INT_EQ(leg_carrier_assign(leg, "bike"), 0);
	CHECK_INT_EQ(leg->base->carrier_get(leg, &text), 0);
	CHECK_STR_EQ(text, "bike");
	CHECK_STR_EQ(leg->carrier_data, "bike");
	CHECK_INT_EQ(leg->carrier_set, 1);

	CHECK_INT_EQ(leg_checksum_assign(leg, checksum_value), 0);
	CHECK_MEM_EQ(leg->checksum_data, checksum_value, 20);
	CHECK_INT_EQ(leg_manifest_assign(leg, (const ev_uint8_t *)"xyz", 3), 0);
	CHECK_INT_EQ(leg_manifest_get(leg, &bytes, &len), 0);
	CHECK_UINT_EQ(len, 3);
	CHECK_UINT_EQ(leg->manifest_length, 3);
	CHECK_INT_EQ(leg_distance_assign(leg, 5), 0);
	CHECK_UINT_EQ(leg->distance_data, 5);

	stop = leg_stops_add(leg, 11);
	REQUIRE(stop != NULL);
	CHECK_UINT_EQ(*stop, 11);
	CHECK(leg_stops_add(leg, 12) != NULL);
	CHECK_INT_EQ(leg->stops_length, 2);
	CHECK(leg->stops_num_allocated >= 2);
	CHECK_INT_EQ(leg_stops_assign(leg, 1, 13), 0);
	CHECK_UINT_EQ(leg->stops_data[1], 13);
	CHECK_INT_EQ(leg_stops_assign(leg, 2, 13), -1);
	CHECK_INT_EQ(leg_stops_assign(leg, -1, 13), -1);

	remark = leg_remarks_add(leg, "first");
	REQUIRE(remark != NULL);
	CHECK_STR_EQ(*remark, "first");
	CHECK_INT_EQ(leg_remarks_assign(leg, 0, "second"), 0);
	CHECK_INT_EQ(leg_remarks_get(leg, 0, &text), 0);
	CHECK_STR_EQ(text, "second");
	CHECK_INT_EQ(leg_remarks_get(leg, 1, &text), -1);

	/* An array of structs: add gives a new element, assign copies into one. */
	{
		struct leg *added = parcel_route_add(parcel);
		struct leg *got = NULL;
		REQUIRE(added != NULL);
		CHECK_INT_EQ(parcel_route_assign(parcel, 0, leg), 0);
		CHECK_INT_EQ(parcel_route_get(parcel, 0, &got), 0);
		CHECK(got == added);
		CHECK_INT_EQ(leg_carrier_get(got, &text), 0);
		CHECK_STR_EQ(text, "bike");
		CHECK_INT_EQ(parcel_route_assign(parcel, 1, leg), -1);
	}

	/* Clearing leaves a message that can be filled again. */
	leg_clear(leg);
	CHECK(!EVTAG_HAS(leg, carrier));
	CHECK(!EVTAG_HAS(leg, manifest));
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(leg, stops), 0);
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(leg, remarks), 0);
	CHECK_INT_EQ(EVTAG_GET(leg, carrier, &text), -1);
	fill_leg(leg, 1);
	check_leg(leg, 1);

	leg_free(leg);
	parcel_free(parcel);
}

static void test_many_elements(void)
{
	struct label *stamp = label_new(), *copy = label_new();
	struct evbuffer *wire = evbuffer_new();
	ev_uint32_t value = 0;
	int i, ok = 1;
	REQUIRE(stamp != NULL && copy != NULL && wire != NULL);

	CHECK_INT_EQ(EVTAG_ASSIGN(stamp, office, "o"), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(stamp, clerk, "c"), 0);
	for (i = 0; i < 5000; i++)
		ok &= EVTAG_ARRAY_ADD_VALUE(stamp, weights, (ev_uint32_t)i * 2654435761u) != NULL;
	CHECK(ok);
	label_marshal(wire, stamp);
	CHECK_INT_EQ(label_unmarshal(copy, wire), 0);
	CHECK_INT_EQ(EVTAG_ARRAY_LEN(copy, weights), 5000);
	for (i = 0; i < 5000; i++) {
		ok &= EVTAG_ARRAY_GET(copy, weights, i, &value) == 0;
		ok &= value == (ev_uint32_t)i * 2654435761u;
	}
	CHECK(ok);
	label_free(stamp);
	label_free(copy);
	evbuffer_free(wire);
}

int main(void)
{
	evtag_init();
	test_tags();
	test_round_trip();
	test_required_and_complete();
	test_direct_functions();
	test_many_elements();
	return check_report();
}
