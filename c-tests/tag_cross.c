/* Many evtag records of every kind (numbers of every length class, 64-bit numbers,
 * time values, strings, fixed fields, nested records, bare integers, empty payloads;
 * tags of 1 to 5 bytes) written by one library and read back by the other. Both sides
 * make the same sequence from a fixed seed; the reader also compares the bytes with
 * what its own library writes.
 *
 *   tag_cross first DIR    writes DIR/data, then DIR/ready
 *   tag_cross second DIR   waits for DIR/ready (10 s at most), reads and checks
 *   tag_cross              both, in one process
 */
// test: link event_core event_extra
// test: cross
#include <event2/buffer.h>
#include <event2/tag.h>
#include <event2/util.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

#define RECORDS 600
#define KINDS 8

/* splitmix64: a fixed sequence of 64-bit values, the same in both processes. */
static ev_uint64_t mix(ev_uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Record i's tag and value; shifts spread them over every length class. */
static void record_params(int i, ev_uint32_t *tag, ev_uint64_t *value)
{
	ev_uint64_t a = mix(2 * (ev_uint64_t)i), b = mix(2 * (ev_uint64_t)i + 1);

	*tag = (ev_uint32_t)(a >> (32 + (b & 31)));
	if ((b >> 8) % 7 == 0)
		*tag = 0xffffffffu - (ev_uint32_t)(b >> 60);
	*value = b >> ((a & 63));
}

static void make_string(ev_uint64_t value, char *out, size_t size)
{
	size_t len = (size_t)(value % (size - 1)), j;

	for (j = 0; j < len; j++)
		out[j] = (char)('a' + (value >> (j % 60)) % 26);
	out[len] = '\0';
}

static void bare_integers(struct evbuffer *out, ev_uint64_t value)
{
	evtag_encode_int(out, (ev_uint32_t)value);
	evtag_encode_int64(out, value);
	evtag_encode_int(out, (ev_uint32_t)(value >> 32));
}

static void write_records(struct evbuffer *out)
{
	struct evbuffer *inner = evbuffer_new();
	ev_uint64_t value;
	ev_uint32_t tag;
	struct timeval tv;
	unsigned char fixed[8];
	char text[64];
	int i, j;

	REQUIRE(inner != NULL);
	for (i = 0; i < RECORDS; i++) {
		record_params(i, &tag, &value);
		switch (i % KINDS) {
		case 0:
			evtag_marshal_int(out, tag, (ev_uint32_t)value);
			break;
		case 1:
			evtag_marshal_int64(out, tag, value);
			break;
		case 2:
			tv.tv_sec = (time_t)(ev_uint32_t)value;
			tv.tv_usec = (suseconds_t)((value >> 32) % 1000000);
			evtag_marshal_timeval(out, tag, &tv);
			break;
		case 3:
			make_string(value, text, sizeof(text));
			evtag_marshal_string(out, tag, text);
			break;
		case 4:
			for (j = 0; j < 8; j++)
				fixed[j] = (unsigned char)(value >> (8 * j));
			evtag_marshal(out, tag, fixed, sizeof(fixed));
			break;
		case 5:
			evtag_marshal_int(inner, 1, (ev_uint32_t)value);
			make_string(value >> 7, text, sizeof(text));
			evtag_marshal_string(inner, 0x4000, text);
			evtag_marshal_int64(inner, 0x10000000, ~value);
			evtag_marshal_buffer(out, tag, inner);
			break;
		case 6:
			bare_integers(inner, value);
			evtag_marshal_buffer(out, tag, inner);
			break;
		default:
			evtag_marshal(out, tag, "", 0);
			break;
		}
	}
	evbuffer_free(inner);
}

static int bytes_equal(struct evbuffer *a, struct evbuffer *b)
{
	size_t len = evbuffer_get_length(a);
	return len == evbuffer_get_length(b) &&
	    (len == 0 || memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), len) == 0);
}

/* Reads one record; on a failed check says which one. */
static void read_record(struct evbuffer *in, struct evbuffer *scratch, int i)
{
	unsigned before = check_failed_;
	ev_uint64_t value, value64;
	ev_uint32_t tag, got_tag, value32, length;
	struct timeval tv;
	unsigned char fixed[8];
	char text[64], *string = NULL;
	int j;

	record_params(i, &tag, &value);
	CHECK(evtag_peek(in, &got_tag) > 0);
	CHECK_UINT_EQ(got_tag, tag);
	CHECK_INT_EQ(evtag_peek_length(in, &length), 0);
	switch (i % KINDS) {
	case 0:
		CHECK(evtag_unmarshal_int(in, tag, &value32) > 0);
		CHECK_UINT_EQ(value32, (ev_uint32_t)value);
		break;
	case 1:
		CHECK(evtag_unmarshal_int64(in, tag, &value64) > 0);
		CHECK_UINT_EQ(value64, value);
		break;
	case 2:
		CHECK_INT_EQ(evtag_unmarshal_timeval(in, tag, &tv), 0);
		CHECK_INT_EQ(tv.tv_sec, (ev_uint32_t)value);
		CHECK_INT_EQ(tv.tv_usec, (value >> 32) % 1000000);
		break;
	case 3:
		make_string(value, text, sizeof(text));
		CHECK_INT_EQ(evtag_unmarshal_string(in, tag, &string), 0);
		CHECK_STR_EQ(string, text);
		free(string);
		break;
	case 4:
		CHECK_INT_EQ(evtag_unmarshal_fixed(in, tag, fixed, sizeof(fixed)), 0);
		for (j = 0; j < 8; j++)
			CHECK_UINT_EQ(fixed[j], (unsigned char)(value >> (8 * j)));
		break;
	case 5:
		CHECK(evtag_unmarshal(in, &got_tag, scratch) > 0);
		CHECK_UINT_EQ(got_tag, tag);
		CHECK(evtag_unmarshal_int(scratch, 1, &value32) > 0);
		CHECK_UINT_EQ(value32, (ev_uint32_t)value);
		make_string(value >> 7, text, sizeof(text));
		CHECK_INT_EQ(evtag_unmarshal_string(scratch, 0x4000, &string), 0);
		CHECK_STR_EQ(string, text);
		free(string);
		CHECK(evtag_unmarshal_int64(scratch, 0x10000000, &value64) > 0);
		CHECK_UINT_EQ(value64, ~value);
		CHECK_UINT_EQ(evbuffer_get_length(scratch), 0);
		break;
	case 6: {
		/* Bare integers: the bytes this library writes for the same values. */
		struct evbuffer *mine = evbuffer_new();
		bare_integers(mine, value);
		CHECK_INT_EQ(evtag_unmarshal(in, &got_tag, scratch), (int)evbuffer_get_length(mine));
		CHECK(bytes_equal(scratch, mine));
		evbuffer_drain(scratch, evbuffer_get_length(scratch));
		evbuffer_free(mine);
		break;
	}
	default:
		CHECK_INT_EQ(evtag_unmarshal_header(in, &got_tag), 0);
		CHECK_UINT_EQ(got_tag, tag);
		break;
	}
	if (check_failed_ != before)
		fprintf(stderr, "     in record %d (kind %d, tag %#x)\n", i, i % KINDS, tag);
}

static void read_records(struct evbuffer *in)
{
	struct evbuffer *scratch = evbuffer_new(), *mine = evbuffer_new();
	int i;

	REQUIRE(scratch && mine);
	/* Byte for byte what this library writes. */
	write_records(mine);
	CHECK_UINT_EQ(evbuffer_get_length(in), evbuffer_get_length(mine));
	CHECK(bytes_equal(in, mine));
	for (i = 0; i < RECORDS && check_failed_ < 20; i++)
		read_record(in, scratch, i);
	CHECK_UINT_EQ(evbuffer_get_length(in), 0);
	evbuffer_free(scratch);
	evbuffer_free(mine);
}

static int write_part(const char *dir)
{
	char path[4096], temp[4096], ready[4096];
	struct evbuffer *out = evbuffer_new();
	size_t len;
	FILE *f;

	REQUIRE(out != NULL);
	write_records(out);
	len = evbuffer_get_length(out);
	snprintf(path, sizeof(path), "%s/data", dir);
	snprintf(temp, sizeof(temp), "%s/ready.tmp", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	f = fopen(path, "wb");
	REQUIRE(f != NULL);
	CHECK_UINT_EQ(fwrite(evbuffer_pullup(out, -1), 1, len, f), len);
	CHECK_INT_EQ(fclose(f), 0);
	/* DIR/ready appears whole, after the data. */
	f = fopen(temp, "w");
	REQUIRE(f != NULL);
	fprintf(f, "%zu\n", len);
	CHECK_INT_EQ(fclose(f), 0);
	CHECK_INT_EQ(rename(temp, ready), 0);
	evbuffer_free(out);
	return check_report();
}

static int read_part(const char *dir)
{
	char path[4096], ready[4096], chunk[4096];
	struct evbuffer *in = evbuffer_new();
	size_t got;
	FILE *f;
	int i;

	REQUIRE(in != NULL);
	snprintf(path, sizeof(path), "%s/data", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	for (i = 0; i < 1000 && access(ready, F_OK) != 0; i++)
		usleep(10000);
	REQUIRE(access(ready, F_OK) == 0);
	f = fopen(path, "rb");
	REQUIRE(f != NULL);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		evbuffer_add(in, chunk, got);
	fclose(f);
	read_records(in);
	evbuffer_free(in);
	return check_report();
}

int main(int argc, char **argv)
{
	struct evbuffer *buf;

	if (argc == 3 && strcmp(argv[1], "first") == 0)
		return write_part(argv[2]);
	if (argc == 3 && strcmp(argv[1], "second") == 0)
		return read_part(argv[2]);
	buf = evbuffer_new();
	REQUIRE(buf != NULL);
	write_records(buf);
	read_records(buf);
	evbuffer_free(buf);
	return check_report();
}
