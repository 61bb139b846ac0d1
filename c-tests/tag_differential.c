/* Every evtag reader on a few thousand random and damaged inputs (records of every
 * kind, then a flipped bit, a changed byte, a cut, or plain noise), with one library
 * against the other: `first` writes the inputs and a transcript of what each reader
 * answered, stored and left in the buffer; `second` runs the same readers over the
 * same inputs and must produce the same transcript, line for line. Outputs are
 * compared only after success (on failure libevent may fill part of them), and a
 * record size within 16 bytes of 4 GiB is not asked of evtag_peek_length (libevent
 * wraps it around 32 bits).
 *
 *   tag_differential first DIR    writes DIR/inputs, DIR/transcript, then DIR/ready
 *   tag_differential second DIR   waits for DIR/ready (10 s at most), compares
 *   tag_differential              one process: the transcript is stable and sane
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

#define CASES 4000
#define MAX_INPUT 96

static ev_uint64_t rng_state;

static ev_uint64_t rnd(void)
{
	ev_uint64_t x = (rng_state += 0x9e3779b97f4a7c15ull);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static ev_uint32_t random_tag(void)
{
	return (ev_uint32_t)(rnd() >> (32 + rnd() % 32));
}

static ev_uint64_t random_value(void)
{
	return rnd() >> (rnd() % 64);
}

/* A few records, maybe damaged; at most MAX_INPUT bytes into `out`. */
static size_t make_input(unsigned char *out)
{
	struct evbuffer *buf = evbuffer_new();
	struct timeval tv;
	unsigned char noise[12];
	int records = (int)(rnd() % 4), k;
	size_t len, j;

	REQUIRE(buf != NULL);
	for (k = 0; k < records; k++) {
		ev_uint32_t tag = random_tag();
		ev_uint64_t value = random_value();
		switch (rnd() % 7) {
		case 0:
			evtag_marshal_int(buf, tag, (ev_uint32_t)value);
			break;
		case 1:
			evtag_marshal_int64(buf, tag, value);
			break;
		case 2:
			tv.tv_sec = (time_t)(ev_uint32_t)value;
			tv.tv_usec = (suseconds_t)(rnd() % 1000000);
			evtag_marshal_timeval(buf, tag, &tv);
			break;
		case 3:
			evtag_marshal(buf, tag, "some payload", (ev_uint32_t)(value % 13));
			break;
		case 4:
			/* A number in a payload of another size. */
			evtag_encode_int(buf, tag % 0x100);
			evtag_encode_int(buf, (ev_uint32_t)(rnd() % 7));
			evtag_encode_int64(buf, value);
			break;
		default:
			for (j = 0; j < sizeof(noise); j++)
				noise[j] = (unsigned char)rnd();
			evbuffer_add(buf, noise, 1 + rnd() % sizeof(noise));
			break;
		}
	}
	len = evbuffer_get_length(buf);
	if (len > MAX_INPUT)
		len = MAX_INPUT;
	evbuffer_remove(buf, out, len);
	evbuffer_free(buf);
	if (len > 0) {
		switch (rnd() % 4) {
		case 0:
			out[rnd() % len] ^= (unsigned char)(1u << (rnd() % 8));
			break;
		case 1:
			out[rnd() % len] = (unsigned char)rnd();
			break;
		case 2:
			len = (size_t)(rnd() % len);
			break;
		default:
			break;
		}
	}
	return len;
}

static ev_uint32_t hash_bytes(const unsigned char *data, size_t len)
{
	ev_uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

static struct evbuffer *loaded(const unsigned char *input, size_t len)
{
	struct evbuffer *buf = evbuffer_new();
	REQUIRE(buf != NULL);
	evbuffer_add(buf, input, len);
	return buf;
}

#define LINE(...) do { \
	char line_[256]; \
	snprintf(line_, sizeof(line_), __VA_ARGS__); \
	evbuffer_add(out, line_, strlen(line_)); \
} while (0)

/* What every reader does with `input`, one line each, appended to `out`. */
static void transcribe(struct evbuffer *out, const unsigned char *input, size_t len)
{
	struct evbuffer *buf, *dst = evbuffer_new();
	ev_uint32_t tag = 0, value = 0, payload = 0, needs[2];
	ev_uint64_t value64 = 0;
	struct timeval tv;
	char *string;
	unsigned char fixed[MAX_INPUT];
	int ret, have_payload, n;

	REQUIRE(dst != NULL);
	buf = loaded(input, len);
	ret = evtag_peek(buf, &tag);
	LINE("peek %d %u\n", ret, ret >= 0 ? tag : 0);
	needs[0] = ret >= 0 ? tag : 0;
	needs[1] = needs[0] + 1;
	ret = evtag_payload_length(buf, &payload);
	have_payload = ret == 0;
	LINE("payload_length %d %u\n", ret, have_payload ? payload : 0);
	if (!have_payload || payload < 0xfffffff0u) {
		ret = evtag_peek_length(buf, &value);
		LINE("peek_length %d %u\n", ret, ret == 0 ? value : 0);
	}
	evbuffer_free(buf);

	buf = loaded(input, len);
	ret = evtag_unmarshal_header(buf, &tag);
	LINE("unmarshal_header %d %u left %zu\n", ret, ret >= 0 ? tag : 0,
	    evbuffer_get_length(buf));
	evbuffer_free(buf);

	buf = loaded(input, len);
	ret = evtag_consume(buf);
	LINE("consume %d left %zu\n", ret, evbuffer_get_length(buf));
	evbuffer_free(buf);

	buf = loaded(input, len);
	ret = evtag_unmarshal(buf, &tag, dst);
	LINE("unmarshal %d %u left %zu got %zu %08x\n", ret, ret >= 0 ? tag : 0,
	    evbuffer_get_length(buf), evbuffer_get_length(dst),
	    hash_bytes(evbuffer_pullup(dst, -1), evbuffer_get_length(dst)));
	evbuffer_drain(dst, evbuffer_get_length(dst));
	evbuffer_free(buf);

	for (n = 0; n < 2; n++) {
		buf = loaded(input, len);
		ret = evtag_unmarshal_int(buf, needs[n], &value);
		LINE("int %u: %d %u left %zu\n", needs[n], ret, ret >= 0 ? value : 0,
		    evbuffer_get_length(buf));
		evbuffer_free(buf);

		buf = loaded(input, len);
		ret = evtag_unmarshal_int64(buf, needs[n], &value64);
		LINE("int64 %u: %d %llu left %zu\n", needs[n], ret,
		    ret >= 0 ? (unsigned long long)value64 : 0ull, evbuffer_get_length(buf));
		evbuffer_free(buf);

		buf = loaded(input, len);
		ret = evtag_unmarshal_timeval(buf, needs[n], &tv);
		LINE("timeval %u: %d %lld %lld left %zu\n", needs[n], ret,
		    ret == 0 ? (long long)tv.tv_sec : 0ll, ret == 0 ? (long long)tv.tv_usec : 0ll,
		    evbuffer_get_length(buf));
		evbuffer_free(buf);

		buf = loaded(input, len);
		string = NULL;
		ret = evtag_unmarshal_string(buf, needs[n], &string);
		LINE("string %u: %d %08x left %zu\n", needs[n], ret,
		    ret == 0 && string ? hash_bytes((unsigned char *)string, strlen(string)) : 0,
		    evbuffer_get_length(buf));
		free(string);
		evbuffer_free(buf);

		/* The length the header says, and one less. */
		if (have_payload && payload <= sizeof(fixed)) {
			size_t want = payload - (size_t)(n == 1 && payload > 0);
			buf = loaded(input, len);
			ret = evtag_unmarshal_fixed(buf, needs[0], fixed, want);
			LINE("fixed %zu: %d %08x left %zu\n", want, ret,
			    ret == 0 ? hash_bytes(fixed, want) : 0, evbuffer_get_length(buf));
			evbuffer_free(buf);
		}
	}
	evbuffer_free(dst);
}

static struct evbuffer *make_inputs(void)
{
	struct evbuffer *inputs = evbuffer_new();
	unsigned char input[MAX_INPUT];
	unsigned char len;
	int i;

	REQUIRE(inputs != NULL);
	rng_state = 20261204;
	for (i = 0; i < CASES; i++) {
		len = (unsigned char)make_input(input);
		evbuffer_add(inputs, &len, 1);
		evbuffer_add(inputs, input, len);
	}
	return inputs;
}

/* The transcript of every input in `inputs` (length byte, bytes; repeated). */
static struct evbuffer *transcript_of(struct evbuffer *inputs)
{
	struct evbuffer *out = evbuffer_new();
	unsigned char *data = evbuffer_pullup(inputs, -1);
	size_t total = evbuffer_get_length(inputs), at = 0;

	REQUIRE(out != NULL);
	while (at < total) {
		size_t len = data[at];
		REQUIRE(at + 1 + len <= total);
		LINE("input %zu\n", at);
		transcribe(out, data + at + 1, len);
		at += 1 + len;
	}
	return out;
}

static int write_file(const char *dir, const char *name, struct evbuffer *buf)
{
	char path[4096];
	size_t len = evbuffer_get_length(buf);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	if (fwrite(evbuffer_pullup(buf, -1), 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static struct evbuffer *read_file(const char *dir, const char *name)
{
	char path[4096], chunk[4096];
	struct evbuffer *buf = evbuffer_new();
	size_t got;
	FILE *f;

	REQUIRE(buf != NULL);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	REQUIRE(f != NULL);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		evbuffer_add(buf, chunk, got);
	fclose(f);
	return buf;
}

/* Compares two transcripts line by line; prints the first differences. */
static void compare(struct evbuffer *theirs, struct evbuffer *mine)
{
	char *a, *b, *input_a = NULL;
	size_t len_a, len_b;
	int shown = 0;

	for (;;) {
		a = evbuffer_readln(theirs, &len_a, EVBUFFER_EOL_LF);
		b = evbuffer_readln(mine, &len_b, EVBUFFER_EOL_LF);
		if (!a || !b) {
			CHECK(a == NULL && b == NULL);
			free(a);
			free(b);
			break;
		}
		if (strncmp(a, "input ", 6) == 0) {
			free(input_a);
			input_a = strdup(a);
		}
		CHECK_STR_EQ(a, b);
		if (strcmp(a, b) != 0 && shown++ < 5)
			fprintf(stderr, "     at %s\n", input_a ? input_a : "start");
		free(a);
		free(b);
		if (shown >= 5)
			break;
	}
	free(input_a);
}

static int write_part(const char *dir)
{
	char temp[4096], ready[4096];
	struct evbuffer *inputs = make_inputs(), *transcript = transcript_of(inputs);
	FILE *f;

	CHECK_INT_EQ(write_file(dir, "inputs", inputs), 0);
	CHECK_INT_EQ(write_file(dir, "transcript", transcript), 0);
	snprintf(temp, sizeof(temp), "%s/ready.tmp", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	f = fopen(temp, "w");
	REQUIRE(f != NULL);
	CHECK_INT_EQ(fclose(f), 0);
	CHECK_INT_EQ(rename(temp, ready), 0);
	evbuffer_free(inputs);
	evbuffer_free(transcript);
	return check_report();
}

static int read_part(const char *dir)
{
	char ready[4096];
	struct evbuffer *inputs, *theirs, *mine;
	int i;

	snprintf(ready, sizeof(ready), "%s/ready", dir);
	for (i = 0; i < 1000 && access(ready, F_OK) != 0; i++)
		usleep(10000);
	REQUIRE(access(ready, F_OK) == 0);
	inputs = read_file(dir, "inputs");
	theirs = read_file(dir, "transcript");
	mine = transcript_of(inputs);
	compare(theirs, mine);
	evbuffer_free(inputs);
	evbuffer_free(theirs);
	evbuffer_free(mine);
	return check_report();
}

/* One process: the same inputs give the same transcript, and it reads sanely. */
static void test_in_process(void)
{
	struct evbuffer *inputs = make_inputs(), *again = make_inputs();
	struct evbuffer *first = transcript_of(inputs), *second = transcript_of(again);
	size_t successes = 0, failures = 0;
	char *line;

	CHECK_UINT_EQ(evbuffer_get_length(inputs), evbuffer_get_length(again));
	compare(first, second);
	evbuffer_free(first);
	first = transcript_of(inputs);
	while ((line = evbuffer_readln(first, NULL, EVBUFFER_EOL_LF)) != NULL) {
		const char *colon = strchr(line, ':');
		if (strncmp(line, "int ", 4) == 0 && colon) {
			if (strncmp(colon, ": -1 ", 5) == 0)
				failures++;
			else
				successes++;
		}
		free(line);
	}
	/* The inputs reach both outcomes often. */
	CHECK(successes > CASES / 10);
	CHECK(failures > CASES / 10);
	evbuffer_free(inputs);
	evbuffer_free(again);
	evbuffer_free(first);
	evbuffer_free(second);
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
