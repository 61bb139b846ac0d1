/*
 * rpc_tag: evtag marshalling and unmarshalling of a 20-field message.
 *
 * The message is what event_rpcgen.py makes of a struct with 8 int, 4 int64, 4
 * string, 2 bytes and 2 timeval fields, written out by hand with the calls that
 * generated code makes: each field is tagged (tags 1..20) into a scratch buffer, which
 * is then wrapped as one nested tag (evtag_marshal_buffer) in the output buffer. Reading
 * it back unwraps the nested tag (evtag_unmarshal) and reads field by field, peeking at
 * each tag as generated code does. A run marshals N messages (each one into an empty
 * output buffer) and, separately, unmarshals N messages (each from a fresh copy of the
 * marshalled bytes); every decoded field is checked against what was written.
 *
 * Output: a '#' line with the library version, then
 *   rpc_tag messages=N runs=R bytes_per_message=B marshal_ns=X unmarshal_ns=Y
 * where X and Y are nanoseconds per message, medians over the runs.
 *
 * Uses only API present in both libevent 2.1 and 2.2.
 */
#define _GNU_SOURCE
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/tag.h>
#include <event2/util.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE_TAG 0x42

enum { N_INT = 8, N_INT64 = 4, N_STRING = 4, N_BYTES = 2, N_TV = 2 };
#define BYTES_LEN 24

struct message {
	ev_uint32_t ints[N_INT];
	ev_uint64_t int64s[N_INT64];
	char *strings[N_STRING];
	ev_uint8_t bytes[N_BYTES][BYTES_LEN];
	struct timeval tvs[N_TV];
};

static const char *const string_values[N_STRING] = {
	"alpha", "a somewhat longer string field", "x", "/path/to/some/resource?q=1",
};

static void fill(struct message *m)
{
	int i, j;
	memset(m, 0, sizeof(*m));
	for (i = 0; i < N_INT; i++)
		m->ints[i] = (ev_uint32_t)(i * 1000003u + (i & 1 ? 0xfffffu : 7u));
	for (i = 0; i < N_INT64; i++)
		m->int64s[i] = ((ev_uint64_t)0x123456789ull << (i * 7)) + (ev_uint64_t)i;
	for (i = 0; i < N_STRING; i++)
		m->strings[i] = (char *)string_values[i];
	for (i = 0; i < N_BYTES; i++)
		for (j = 0; j < BYTES_LEN; j++)
			m->bytes[i][j] = (ev_uint8_t)(i * 31 + j);
	for (i = 0; i < N_TV; i++) {
		m->tvs[i].tv_sec = 1700000000 + i;
		m->tvs[i].tv_usec = 123456 + i;
	}
}

__attribute__((noinline)) static void marshal(struct evbuffer *out, struct evbuffer *scratch, const struct message *m)
{
	ev_uint32_t tag = 1;
	int i;
	for (i = 0; i < N_INT; i++)
		evtag_marshal_int(scratch, tag++, m->ints[i]);
	for (i = 0; i < N_INT64; i++)
		evtag_marshal_int64(scratch, tag++, m->int64s[i]);
	for (i = 0; i < N_STRING; i++)
		evtag_marshal_string(scratch, tag++, m->strings[i]);
	for (i = 0; i < N_BYTES; i++)
		evtag_marshal(scratch, tag++, m->bytes[i], BYTES_LEN);
	for (i = 0; i < N_TV; i++)
		evtag_marshal_timeval(scratch, tag++, (struct timeval *)&m->tvs[i]);
	evtag_marshal_buffer(out, MESSAGE_TAG, scratch); /* drains scratch */
}

/* Reads one message back; 0 on success. Strings are malloc'd, as generated code does. */
__attribute__((noinline)) static int unmarshal(struct evbuffer *in, struct evbuffer *scratch, struct message *m)
{
	ev_uint32_t tag;
	if (evtag_unmarshal(in, &tag, scratch) == -1 || tag != MESSAGE_TAG)
		return -1;
	while (evbuffer_get_length(scratch) > 0) {
		if (evtag_peek(scratch, &tag) == -1)
			return -1;
		if (tag >= 1 && tag <= 8) {
			if (evtag_unmarshal_int(scratch, tag, &m->ints[tag - 1]) == -1)
				return -1;
		} else if (tag <= 12) {
			if (evtag_unmarshal_int64(scratch, tag, &m->int64s[tag - 9]) == -1)
				return -1;
		} else if (tag <= 16) {
			if (evtag_unmarshal_string(scratch, tag, &m->strings[tag - 13]) == -1)
				return -1;
		} else if (tag <= 18) {
			ev_uint32_t len;
			if (evtag_payload_length(scratch, &len) == -1 || len != BYTES_LEN ||
			    evtag_unmarshal_fixed(scratch, tag, m->bytes[tag - 17], BYTES_LEN) == -1)
				return -1;
		} else if (tag <= 20) {
			if (evtag_unmarshal_timeval(scratch, tag, &m->tvs[tag - 19]) == -1)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

static int same(const struct message *a, const struct message *b)
{
	int i;
	for (i = 0; i < N_STRING; i++)
		if (!a->strings[i] || !b->strings[i] || strcmp(a->strings[i], b->strings[i]))
			return 0;
	for (i = 0; i < N_TV; i++)
		if (a->tvs[i].tv_sec != b->tvs[i].tv_sec || a->tvs[i].tv_usec != b->tvs[i].tv_usec)
			return 0;
	return !memcmp(a->ints, b->ints, sizeof(a->ints)) &&
	    !memcmp(a->int64s, b->int64s, sizeof(a->int64s)) &&
	    !memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long messages = 100000;
	int runs = 5, opt, r;
	long i;
	double *marshal_ns, *unmarshal_ns;
	struct message sent, got;
	struct evbuffer *out, *scratch, *encoded;
	size_t message_bytes;
	unsigned char *bytes;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		switch (opt) {
		case 'n': messages = atol(optarg); break;
		case 'r': runs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: rpc_tag [-n messages] [-r runs]\n");
			return 2;
		}
	}
	if (messages < 1 || runs < 1) {
		fprintf(stderr, "rpc_tag: -n and -r must be positive\n");
		return 2;
	}
	printf("# %s\n", event_get_version());
	marshal_ns = calloc(runs, sizeof(double));
	unmarshal_ns = calloc(runs, sizeof(double));
	out = evbuffer_new();
	scratch = evbuffer_new();
	encoded = evbuffer_new();
	if (!marshal_ns || !unmarshal_ns || !out || !scratch || !encoded)
		return 1;
	fill(&sent);
	marshal(encoded, scratch, &sent);
	message_bytes = evbuffer_get_length(encoded);
	bytes = malloc(message_bytes);
	if (!bytes || evbuffer_copyout(encoded, bytes, message_bytes) != (ev_ssize_t)message_bytes)
		return 1;

	for (r = 0; r < runs; r++) {
		double start = now_ns();
		for (i = 0; i < messages; i++) {
			marshal(out, scratch, &sent);
			if (evbuffer_get_length(out) != message_bytes) {
				fprintf(stderr, "rpc_tag: marshalled %zu bytes, expected %zu\n",
				    evbuffer_get_length(out), message_bytes);
				return 1;
			}
			evbuffer_drain(out, message_bytes);
		}
		marshal_ns[r] = (now_ns() - start) / messages;

		start = now_ns();
		for (i = 0; i < messages; i++) {
			int k, ok;
			evbuffer_add(out, bytes, message_bytes);
			memset(&got, 0, sizeof(got));
			ok = unmarshal(out, scratch, &got) == 0 && same(&sent, &got);
			for (k = 0; k < N_STRING; k++)
				free(got.strings[k]);
			if (!ok || evbuffer_get_length(out) != 0) {
				fprintf(stderr, "rpc_tag: message %ld did not read back\n", i);
				return 1;
			}
		}
		unmarshal_ns[r] = (now_ns() - start) / messages;
	}
	qsort(marshal_ns, runs, sizeof(double), compare_double);
	qsort(unmarshal_ns, runs, sizeof(double), compare_double);
	printf("rpc_tag messages=%ld runs=%d bytes_per_message=%zu marshal_ns=%.1f unmarshal_ns=%.1f\n",
	    messages, runs, message_bytes, marshal_ns[runs / 2], unmarshal_ns[runs / 2]);
	free(bytes);
	free(marshal_ns);
	free(unmarshal_ns);
	evbuffer_free(out);
	evbuffer_free(scratch);
	evbuffer_free(encoded);
	return 0;
}
