/* Where the code of libevent's generator crashes, leaks or recurses without bound,
 * ours answers -1 (or does nothing): NULL messages and values, a value that is the
 * field's own data, required fields that are not set when marshalling, NULL array
 * elements, copies from incomplete structs, and data nested deeper than
 * EVENT_RPCGEN_MAX_DEPTH (64) levels, up to 100000.
 */
// test: rpcgen rpcgen_hardening.rpc
// test: evrs-only the build against libevent 2.1 uses libevent's generator, which crashes on these
#include <event2/buffer.h>
#include <event2/rpc.h>
#include <event2/tag.h>

#include <string.h>

#include "check.h"
#include "rpcgen_hardening.gen.h"

static struct note *complete_note(void)
{
	struct note *note = note_new();
	struct node *root = NULL;
	REQUIRE(note != NULL);
	CHECK_INT_EQ(EVTAG_ASSIGN(note, text, "hello"), 0);
	CHECK_INT_EQ(EVTAG_GET(note, root, &root), 0);
	REQUIRE(root != NULL);
	CHECK_INT_EQ(EVTAG_ASSIGN(root, value, 1), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN_WITH_LEN(note, blob, (const ev_uint8_t *)"b", 1), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(note, count, 3), 0);
	CHECK_INT_EQ(note_complete(note), 0);
	return note;
}

static void test_null(void)
{
	struct note *note = complete_note();
	struct evbuffer *buf = evbuffer_new();
	char *text = NULL;
	REQUIRE(buf != NULL);

	note_free(NULL);
	note_clear(NULL);
	node_free(NULL);
	note_marshal(buf, NULL);
	evtag_marshal_note(buf, 1, NULL);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	CHECK_INT_EQ(note_unmarshal(NULL, buf), -1);
	CHECK_INT_EQ(note_complete(NULL), -1);

	CHECK_INT_EQ(EVTAG_ASSIGN(note, text, NULL), -1);
	CHECK_INT_EQ(EVTAG_GET(note, text, &text), 0);
	CHECK_STR_EQ(text, "hello");
	CHECK_INT_EQ(EVTAG_ASSIGN(note, fixed, NULL), -1);
	CHECK(!EVTAG_HAS(note, fixed));
	CHECK_INT_EQ(EVTAG_ASSIGN_WITH_LEN(note, blob, NULL, 4), -1);
	CHECK_UINT_EQ(note->blob_length, 1);
	CHECK_INT_EQ(EVTAG_ASSIGN_WITH_LEN(note, blob, NULL, 0), 0);
	CHECK_UINT_EQ(note->blob_length, 0);
	CHECK(note->blob_data != NULL);
	CHECK_INT_EQ(EVTAG_ASSIGN(note, root, NULL), -1);
	CHECK(EVTAG_HAS(note, root));

	/* A NULL array element (libevent's crashes when sending it) goes out as "". */
	CHECK(EVTAG_ARRAY_ADD_VALUE(note, words, NULL) != NULL);
	CHECK(note->words_data[0] == NULL);
	CHECK_INT_EQ(EVTAG_ARRAY_GET(note, words, 0, &text), 0);
	CHECK(text == NULL);
	note_marshal(buf, note);
	{
		struct note *copy = note_new();
		REQUIRE(copy != NULL);
		CHECK_INT_EQ(note_unmarshal(copy, buf), 0);
		CHECK_INT_EQ(EVTAG_ARRAY_GET(copy, words, 0, &text), 0);
		CHECK_STR_EQ(text, "");
		CHECK_UINT_EQ(copy->blob_length, 0);
		note_free(copy);
	}
	note_free(note);
	evbuffer_free(buf);
}

static void test_aliasing(void)
{
	struct note *note = complete_note();
	struct node *root = NULL, *again = NULL;
	char *text = NULL;
	ev_uint32_t value = 0;

	/* The value may be the field's own data. */
	CHECK_INT_EQ(EVTAG_ASSIGN(note, text, note->text_data), 0);
	CHECK_INT_EQ(EVTAG_GET(note, text, &text), 0);
	CHECK_STR_EQ(text, "hello");
	CHECK(EVTAG_ARRAY_ADD_VALUE(note, words, "word") != NULL);
	CHECK_INT_EQ(note_words_assign(note, 0, note->words_data[0]), 0);
	CHECK_INT_EQ(EVTAG_ARRAY_GET(note, words, 0, &text), 0);
	CHECK_STR_EQ(text, "word");
	CHECK_INT_EQ(EVTAG_ASSIGN_WITH_LEN(note, blob, note->blob_data, note->blob_length), 0);
	CHECK_UINT_EQ(note->blob_length, 1);
	CHECK_MEM_EQ(note->blob_data, "b", 1);
	CHECK_INT_EQ(EVTAG_GET(note, root, &root), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(note, root, root), 0);
	CHECK_INT_EQ(EVTAG_GET(note, root, &again), 0);
	CHECK(again == root);
	CHECK_INT_EQ(EVTAG_GET(root, value, &value), 0);
	CHECK_UINT_EQ(value, 1);
	/* A struct may be copied into its own child. */
	CHECK_INT_EQ(EVTAG_ASSIGN(root, left, root), 0);
	CHECK_INT_EQ(EVTAG_GET(root, left, &again), 0);
	CHECK(again != root);
	CHECK_INT_EQ(node_complete(again), 0);
	note_free(note);
}

static void test_incomplete(void)
{
	struct note *note = note_new();
	struct pair *empty = pair_new(), *first = NULL, *kept = NULL;
	struct evbuffer *buf = evbuffer_new();
	REQUIRE(note != NULL && empty != NULL && buf != NULL);

	/* Required string and struct not set: left out, not dereferenced. */
	CHECK_INT_EQ(EVTAG_ASSIGN(note, count, 9), 0);
	note_marshal(buf, note);
	CHECK(evbuffer_get_length(buf) > 0);
	{
		struct note *copy = note_new();
		REQUIRE(copy != NULL);
		CHECK_INT_EQ(note_unmarshal(copy, buf), -1);
		note_free(copy);
	}

	/* Copying an incomplete struct in fails; the field's object stays valid. */
	CHECK_INT_EQ(EVTAG_GET(note, first, &first), 0);
	CHECK_INT_EQ(EVTAG_ASSIGN(first, key, "k"), 0);
	kept = first;
	CHECK_INT_EQ(EVTAG_ASSIGN(note, first, empty), -1);
	CHECK(!EVTAG_HAS(note, first));
	CHECK(!EVTAG_HAS(kept, key));
	CHECK_INT_EQ(EVTAG_GET(note, first, &first), 0);
	CHECK(first == kept);
	CHECK(EVTAG_ARRAY_ADD(note, pairs) != NULL);
	CHECK_INT_EQ(note_pairs_assign(note, 0, empty), -1);
	CHECK_INT_EQ(note_pairs_assign(note, 0, kept), -1);
	CHECK_INT_EQ(EVTAG_ASSIGN(kept, key, "k2"), 0);
	CHECK_INT_EQ(note_pairs_assign(note, 0, kept), 0);

	/* Clearing zeroes the integers too. */
	note_clear(note);
	CHECK_UINT_EQ(note->count_data, 0);
	CHECK(!EVTAG_HAS(note, count));

	note_free(note);
	pair_free(empty);
	evbuffer_free(buf);
}

/* A chain of n nodes linked through left, built with the accessors. */
static struct node *chain(int n)
{
	struct node *head = node_new(), *at = head;
	int i;
	REQUIRE(head != NULL);
	for (i = 0; i < n; i++) {
		CHECK_INT_EQ(EVTAG_ASSIGN(at, value, (ev_uint32_t)i), 0);
		if (i + 1 < n)
			REQUIRE(EVTAG_GET(at, left, &at) == 0);
	}
	return head;
}

static int round_trip(struct node *node)
{
	struct evbuffer *buf = evbuffer_new();
	struct node *copy = node_new();
	int res;
	REQUIRE(buf != NULL && copy != NULL);
	node_marshal(buf, node);
	res = node_unmarshal(copy, buf);
	node_free(copy);
	evbuffer_free(buf);
	return res;
}

static void test_depth(void)
{
	struct node *ok = chain(65), *deep = chain(66);
	struct evbuffer *buf = evbuffer_new(), *scratch = evbuffer_new();
	ev_uint32_t *lengths;
	int levels = 100000, i;
	struct node *node = node_new();
	REQUIRE(buf != NULL && scratch != NULL && node != NULL);

	CHECK_INT_EQ(round_trip(ok), 0);
	CHECK_INT_EQ(round_trip(deep), -1);
	node_free(ok);
	node_free(deep);

	/* 100000 nested left fields written by hand, outermost first: level i's body
	 * is level i + 1's tag, length and body. */
	lengths = calloc((size_t)levels + 1, sizeof(*lengths));
	REQUIRE(lengths != NULL);
	for (i = levels - 1; i >= 0; i--) {
		evtag_encode_int(scratch, lengths[i + 1]);
		lengths[i] = 1 + (ev_uint32_t)evbuffer_get_length(scratch) + lengths[i + 1];
		evbuffer_drain(scratch, evbuffer_get_length(scratch));
	}
	for (i = 0; i < levels; i++) {
		evbuffer_add(buf, "\x02", 1);
		evtag_encode_int(buf, lengths[i + 1]);
	}
	CHECK_UINT_EQ(evbuffer_get_length(buf), lengths[0]);
	CHECK_INT_EQ(node_unmarshal(node, buf), -1);
	free(lengths);
	node_free(node);
	evbuffer_free(buf);
	evbuffer_free(scratch);
}

int main(void)
{
	evtag_init();
	test_null();
	test_aliasing();
	test_incomplete();
	test_depth();
	return check_report();
}
