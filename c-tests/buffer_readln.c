/* Reading lines with evbuffer_readln in every end-of-line style (ANY, CRLF,
 * CRLF_STRICT, LF, NUL): lines split across chunks at every point, empty lines, a CR
 * at the very end, no end of line at all (NULL, data left alone), embedded NUL bytes,
 * long lines, data arriving one byte at a time, n_read_out, a frozen front, and the
 * compat evbuffer_readline. Lines are malloc'd and released with free(). */
#include <event2/buffer.h>
#include <event2/buffer_compat.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"

/* A buffer holding len bytes of text as lent chunks of `piece` bytes. */
static struct evbuffer *chunked(const char *text, size_t len, size_t piece)
{
	struct evbuffer *buf = evbuffer_new();
	size_t at;

	REQUIRE(buf != NULL);
	for (at = 0; at < len; at += piece) {
		size_t n = len - at < piece ? len - at : piece;
		REQUIRE(evbuffer_add_reference(buf, text + at, n, NULL, NULL) == 0);
	}
	return buf;
}

static int holds_str(struct evbuffer *buf, const char *want)
{
	size_t len = strlen(want);
	char tmp[256];
	if (evbuffer_get_length(buf) != len || len > sizeof(tmp))
		return 0;
	return evbuffer_copyout(buf, tmp, len) == (ev_ssize_t)len && memcmp(tmp, want, len) == 0;
}

/* Reads lines until readln says there is none; nonzero when they are exactly
 * want[0..n) (with matching n_read_out) and `left` is what remains. */
static int lines_are(struct evbuffer *buf, enum evbuffer_eol_style style,
    const char *const *want, int n, const char *left)
{
	int i = 0, ok = 1;
	size_t got_len = 12345;
	char *line;

	while ((line = evbuffer_readln(buf, &got_len, style)) != NULL) {
		ok &= i < n && strcmp(line, want[i]) == 0 && got_len == strlen(want[i]);
		free(line);
		i++;
		got_len = 12345;
		if (i > n + 5)
			break;
	}
	/* No line: n_read_out is set to 0. */
	ok &= got_len == 0;
	return ok && i == n && holds_str(buf, left);
}

static const char text[] = "one\r\ntwo\n\nthree\rfour\r\r\nfive\n\rsix";

static void test_styles(void)
{
	static const char *const any[] = {"one", "two", "three", "four", "five"};
	static const char *const crlf[] = {"one", "two", "", "three\rfour\r", "five"};
	static const char *const strict[] = {"one", "two\n\nthree\rfour\r"};
	static const char *const lf[] = {"one\r", "two", "", "three\rfour\r\r", "five"};
	size_t len = strlen(text), piece;

	for (piece = 1; piece <= len + 1; piece++) {
		struct evbuffer *b;

		b = chunked(text, len, piece);
		CHECK(lines_are(b, EVBUFFER_EOL_ANY, any, 5, "six"));
		evbuffer_free(b);
		b = chunked(text, len, piece);
		CHECK(lines_are(b, EVBUFFER_EOL_CRLF, crlf, 5, "\rsix"));
		evbuffer_free(b);
		b = chunked(text, len, piece);
		CHECK(lines_are(b, EVBUFFER_EOL_CRLF_STRICT, strict, 2, "five\n\rsix"));
		evbuffer_free(b);
		b = chunked(text, len, piece);
		CHECK(lines_are(b, EVBUFFER_EOL_LF, lf, 5, "\rsix"));
		evbuffer_free(b);
		b = chunked(text, len, piece);
		CHECK(lines_are(b, EVBUFFER_EOL_NUL, NULL, 0, text));
		evbuffer_free(b);
	}
}

static void test_nul_style(void)
{
	static const char data[] = "a\0\0bc\0d";
	static const char *const nul[] = {"a", "", "bc"};
	size_t piece;

	for (piece = 1; piece <= 8; piece++) {
		struct evbuffer *b = chunked(data, 7, piece);
		CHECK(lines_are(b, EVBUFFER_EOL_NUL, nul, 3, "d"));
		evbuffer_free(b);
	}
	/* With another style, NUL bytes are ordinary bytes of the line. */
	{
		struct evbuffer *b = chunked("x\0y\nrest", 8, 2);
		size_t n = 0;
		char *line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
		REQUIRE(line != NULL);
		CHECK_UINT_EQ(n, 3);
		CHECK_MEM_EQ(line, "x\0y", 4);
		free(line);
		CHECK(holds_str(b, "rest"));
		evbuffer_free(b);
	}
}

/* Feeds the text one byte at a time, reading all complete lines after each byte. */
static int trickle(enum evbuffer_eol_style style, const char *const *want, int n,
    const char *left)
{
	struct evbuffer *b = evbuffer_new();
	size_t i, len = strlen(text), got_len;
	int count = 0, ok = 1;
	char *line;

	if (!b)
		return 0;
	for (i = 0; i < len; i++) {
		ok &= evbuffer_add(b, text + i, 1) == 0;
		while ((line = evbuffer_readln(b, &got_len, style)) != NULL) {
			ok &= count < n && strcmp(line, want[count]) == 0 && got_len == strlen(line);
			count++;
			free(line);
		}
	}
	ok &= count == n && holds_str(b, left);
	evbuffer_free(b);
	return ok;
}

static void test_trickle(void)
{
	/* ANY takes whatever run of CR and LF is there when asked, so a CRLF (or CR CR
	 * LF) that arrives in parts yields empty lines for the later parts. */
	static const char *const any[] = {"one", "", "two", "", "three", "four", "", "",
	    "five", ""};
	static const char *const crlf[] = {"one", "two", "", "three\rfour\r", "five"};
	static const char *const strict[] = {"one", "two\n\nthree\rfour\r"};
	static const char *const lf[] = {"one\r", "two", "", "three\rfour\r\r", "five"};

	CHECK(trickle(EVBUFFER_EOL_ANY, any, 10, "six"));
	CHECK(trickle(EVBUFFER_EOL_CRLF, crlf, 5, "\rsix"));
	CHECK(trickle(EVBUFFER_EOL_CRLF_STRICT, strict, 2, "five\n\rsix"));
	CHECK(trickle(EVBUFFER_EOL_LF, lf, 5, "\rsix"));
}

static void test_edges(void)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *line;

	REQUIRE(b != NULL);
	/* An empty buffer. */
	n = 7;
	CHECK(evbuffer_readln(b, &n, EVBUFFER_EOL_ANY) == NULL);
	CHECK_UINT_EQ(n, 0);
	CHECK(evbuffer_readln(b, NULL, EVBUFFER_EOL_LF) == NULL);

	/* No end of line: NULL, and the data stays. */
	CHECK_INT_EQ(evbuffer_add(b, "partial", 7), 0);
	n = 7;
	CHECK(evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF) == NULL);
	CHECK_UINT_EQ(n, 0);
	CHECK(holds_str(b, "partial"));

	/* A CR at the very end: a line end for ANY only. */
	CHECK_INT_EQ(evbuffer_add(b, "\r", 1), 0);
	CHECK(evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF) == NULL);
	CHECK(evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF_STRICT) == NULL);
	CHECK(evbuffer_readln(b, &n, EVBUFFER_EOL_LF) == NULL);
	CHECK(holds_str(b, "partial\r"));
	/* ...and when the LF arrives, CRLF takes the pair. */
	CHECK_INT_EQ(evbuffer_add(b, "\n", 1), 0);
	line = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
	CHECK_STR_EQ(line, "partial");
	CHECK_UINT_EQ(n, 7);
	free(line);
	CHECK_UINT_EQ(evbuffer_get_length(b), 0);

	/* ANY with a CR at the very end takes the CR alone. */
	CHECK_INT_EQ(evbuffer_add(b, "last\r", 5), 0);
	line = evbuffer_readln(b, &n, EVBUFFER_EOL_ANY);
	CHECK_STR_EQ(line, "last");
	CHECK_UINT_EQ(n, 4);
	free(line);
	CHECK_UINT_EQ(evbuffer_get_length(b), 0);

	/* Lines that are nothing but the end of line. */
	CHECK_INT_EQ(evbuffer_add(b, "\n", 1), 0);
	line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
	CHECK_STR_EQ(line, "");
	CHECK_UINT_EQ(n, 0);
	free(line);
	CHECK_INT_EQ(evbuffer_add(b, "\r\n", 2), 0);
	line = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF_STRICT);
	CHECK_STR_EQ(line, "");
	free(line);
	CHECK_INT_EQ(evbuffer_add(b, "\r\n\n\r", 4), 0);
	line = evbuffer_readln(b, &n, EVBUFFER_EOL_ANY);
	CHECK_STR_EQ(line, "");
	free(line);
	CHECK_UINT_EQ(evbuffer_get_length(b), 0);

	/* n_read_out may be NULL. */
	CHECK_INT_EQ(evbuffer_add(b, "x\ny", 3), 0);
	line = evbuffer_readln(b, NULL, EVBUFFER_EOL_LF);
	CHECK_STR_EQ(line, "x");
	free(line);
	CHECK(holds_str(b, "y"));

	/* An unknown style reads nothing. */
	CHECK_INT_EQ(evbuffer_add(b, "\n", 1), 0);
	n = 7;
	CHECK(evbuffer_readln(b, &n, (enum evbuffer_eol_style)42) == NULL);
	CHECK_UINT_EQ(n, 0);
	CHECK(holds_str(b, "y\n"));

	/* A frozen front reads nothing; a frozen end does not matter. */
	CHECK_INT_EQ(evbuffer_freeze(b, 1), 0);
	n = 7;
	CHECK(evbuffer_readln(b, &n, EVBUFFER_EOL_LF) == NULL);
	CHECK_UINT_EQ(n, 0);
	CHECK_UINT_EQ(evbuffer_get_length(b), 2);
	CHECK_INT_EQ(evbuffer_unfreeze(b, 1), 0);
	CHECK(holds_str(b, "y\n"));
	CHECK_INT_EQ(evbuffer_freeze(b, 0), 0);
	line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
	CHECK_STR_EQ(line, "y");
	CHECK_UINT_EQ(n, 1);
	free(line);
	CHECK_INT_EQ(evbuffer_unfreeze(b, 0), 0);
	CHECK_UINT_EQ(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

static void test_long_line(void)
{
	static char big[20001];
	struct evbuffer *b = evbuffer_new();
	size_t i, n = 0;
	char *line;

	REQUIRE(b != NULL);
	for (i = 0; i < 20000; i++)
		big[i] = (char)('a' + i % 26);
	/* A 20000-byte line arriving in pieces, its CRLF split between two of them. */
	for (i = 0; i < 20000; i += 1000)
		CHECK_INT_EQ(evbuffer_add(b, big + i, 1000), 0);
	CHECK(evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF) == NULL);
	CHECK_INT_EQ(evbuffer_add(b, "\r", 1), 0);
	CHECK(evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF) == NULL);
	CHECK_INT_EQ(evbuffer_add(b, "\nnext", 5), 0);
	line = evbuffer_readln(b, &n, EVBUFFER_EOL_CRLF);
	REQUIRE(line != NULL);
	CHECK_UINT_EQ(n, 20000);
	CHECK_UINT_EQ(strlen(line), 20000);
	CHECK_MEM_EQ(line, big, 20000);
	free(line);
	CHECK(holds_str(b, "next"));

	/* Many short lines in one big buffer. */
	CHECK_INT_EQ(evbuffer_drain(b, 4), 0);
	{
		int ok = 1;
		char want[32];
		for (i = 0; i < 2000; i++)
			ok &= evbuffer_add_printf(b, "line %u\n", (unsigned)i) > 0;
		CHECK(ok);
		for (i = 0; i < 2000; i++) {
			line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
			sprintf(want, "line %u", (unsigned)i);
			ok &= line != NULL && strcmp(line, want) == 0 && n == strlen(want);
			free(line);
		}
		CHECK(ok);
	}
	CHECK_UINT_EQ(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

static void test_readline_compat(void)
{
	struct evbuffer *b = chunked("alpha\r\n\r\nbeta\n\rgamma", 20, 3);
	char *line;

	/* evbuffer_readline is readln with EVBUFFER_EOL_ANY. */
	line = evbuffer_readline(b);
	CHECK_STR_EQ(line, "alpha");
	free(line);
	line = evbuffer_readline(b);
	CHECK_STR_EQ(line, "beta");
	free(line);
	CHECK(evbuffer_readline(b) == NULL);
	CHECK(holds_str(b, "gamma"));
	evbuffer_free(b);
}

int main(void)
{
	test_styles();
	test_nul_style();
	test_trickle();
	test_edges();
	test_long_line();
	test_readline_compat();
	return check_report();
}
