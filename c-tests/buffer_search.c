/* Positions (evbuffer_ptr_set), searching (search, search_range, search_eol), readln
 * with every end-of-line style, and peek, over data split across many chunks. */
#include <event2/buffer.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"

static void unused_cleanup(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	(void)arg;
}

/* Builds a buffer from small lent pieces so that every few bytes start a new chunk. */
static struct evbuffer *chunked(const char *s, size_t piece)
{
	struct evbuffer *buf = evbuffer_new();
	size_t len = strlen(s), i;
	for (i = 0; i < len; i += piece)
		evbuffer_add_reference(buf, s + i, len - i < piece ? len - i : piece, unused_cleanup, NULL);
	return buf;
}

static void test_ptr_set(void)
{
	struct evbuffer *buf = chunked("0123456789abcdef", 3);
	struct evbuffer_ptr p;
	char out[8];

	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 5, EVBUFFER_PTR_SET), 0);
	CHECK_INT_EQ(p.pos, 5);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &p, out, 4), 4);
	CHECK_MEM_EQ(out, "5678", 4);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 6, EVBUFFER_PTR_ADD), 0);
	CHECK_INT_EQ(p.pos, 11);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &p, out, 8), 5);
	CHECK_MEM_EQ(out, "bcdef", 5);
	/* the end itself is a valid position; past it is not */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 16, EVBUFFER_PTR_SET), 0);
	CHECK_INT_EQ(p.pos, 16);
	CHECK_INT_EQ(evbuffer_copyout_from(buf, &p, out, 8), 0);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 1, EVBUFFER_PTR_ADD), -1);
	CHECK_INT_EQ(p.pos, -1);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 17, EVBUFFER_PTR_SET), -1);
	CHECK_INT_EQ(p.pos, -1);
	/* adding to a "not found" position fails */
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 0, EVBUFFER_PTR_ADD), -1);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 0, EVBUFFER_PTR_SET), 0);
	CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, (size_t)-1, EVBUFFER_PTR_ADD), -1);
	evbuffer_free(buf);
}

static void test_search(void)
{
	const char *text = "the cat sat on the mat; the end";
	struct evbuffer *buf = chunked(text, 4);
	struct evbuffer_ptr p, end;
	int count = 0;

	p = evbuffer_search(buf, "the", 3, NULL);
	CHECK_INT_EQ(p.pos, 0);
	while (p.pos >= 0) {
		count++;
		CHECK_INT_EQ(evbuffer_ptr_set(buf, &p, 1, EVBUFFER_PTR_ADD), 0);
		p = evbuffer_search(buf, "the", 3, &p);
	}
	CHECK_INT_EQ(count, 3);
	/* matches that span chunk boundaries */
	p = evbuffer_search(buf, "t on the m", 10, NULL);
	CHECK_INT_EQ(p.pos, 10);
	p = evbuffer_search(buf, "mat;", 4, NULL);
	CHECK_INT_EQ(p.pos, 19);
	p = evbuffer_search(buf, "dog", 3, NULL);
	CHECK_INT_EQ(p.pos, -1);
	p = evbuffer_search(buf, "the endX", 8, NULL);
	CHECK_INT_EQ(p.pos, -1);

	/* search_range: the match must end by `end` */
	evbuffer_ptr_set(buf, &end, 18, EVBUFFER_PTR_SET);
	evbuffer_ptr_set(buf, &p, 1, EVBUFFER_PTR_SET);
	p = evbuffer_search_range(buf, "the", 3, &p, &end);
	CHECK_INT_EQ(p.pos, 15);
	evbuffer_ptr_set(buf, &end, 17, EVBUFFER_PTR_SET);
	evbuffer_ptr_set(buf, &p, 1, EVBUFFER_PTR_SET);
	p = evbuffer_search_range(buf, "the", 3, &p, &end);
	CHECK_INT_EQ(p.pos, -1);
	p = evbuffer_search_range(buf, "cat", 3, NULL, NULL);
	CHECK_INT_EQ(p.pos, 4);
	evbuffer_free(buf);
}

static void test_search_eol(void)
{
	struct evbuffer *buf = chunked("ab\r\ncd\nef\r\r\n\ngh\0ij", 2);
	struct evbuffer_ptr p;
	size_t eol_len = 99;

	evbuffer_add(buf, "\0", 1); /* chunked() stops at the first NUL */
	evbuffer_drain(buf, 0);
	p = evbuffer_search_eol(buf, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	CHECK_INT_EQ(p.pos, 2);
	CHECK_UINT_EQ(eol_len, 2);
	p = evbuffer_search_eol(buf, NULL, &eol_len, EVBUFFER_EOL_LF);
	CHECK_INT_EQ(p.pos, 3);
	CHECK_UINT_EQ(eol_len, 1);
	p = evbuffer_search_eol(buf, NULL, &eol_len, EVBUFFER_EOL_CRLF_STRICT);
	CHECK_INT_EQ(p.pos, 2);
	CHECK_UINT_EQ(eol_len, 2);
	p = evbuffer_search_eol(buf, NULL, &eol_len, EVBUFFER_EOL_ANY);
	CHECK_INT_EQ(p.pos, 2);
	CHECK_UINT_EQ(eol_len, 2);
	/* from a later position: ANY swallows the whole run of CR and LF */
	evbuffer_ptr_set(buf, &p, 7, EVBUFFER_PTR_SET);
	p = evbuffer_search_eol(buf, &p, &eol_len, EVBUFFER_EOL_ANY);
	CHECK_INT_EQ(p.pos, 9);
	CHECK_UINT_EQ(eol_len, 4);
	evbuffer_ptr_set(buf, &p, 7, EVBUFFER_PTR_SET);
	p = evbuffer_search_eol(buf, &p, &eol_len, EVBUFFER_EOL_CRLF);
	CHECK_INT_EQ(p.pos, 10);
	CHECK_UINT_EQ(eol_len, 2);
	p = evbuffer_search_eol(buf, NULL, &eol_len, EVBUFFER_EOL_NUL);
	CHECK_INT_EQ(p.pos, 15);
	CHECK_UINT_EQ(eol_len, 1);
	evbuffer_free(buf);

	buf = evbuffer_new();
	evbuffer_add(buf, "no end of line", 14);
	p = evbuffer_search_eol(buf, NULL, &eol_len, EVBUFFER_EOL_ANY);
	CHECK_INT_EQ(p.pos, -1);
	CHECK_UINT_EQ(eol_len, 0);
	evbuffer_free(buf);
}

static void readln_case(const char *input, size_t len, enum evbuffer_eol_style style,
    const char **want, int n_want, size_t left)
{
	struct evbuffer *buf = evbuffer_new();
	size_t i, n_read;
	int k;
	/* one byte per add: lines span many chunks */
	for (i = 0; i < len; i++)
		evbuffer_add_reference(buf, input + i, 1, unused_cleanup, NULL);
	for (k = 0; k < n_want; k++) {
		char *line = evbuffer_readln(buf, &n_read, style);
		CHECK_STR_EQ(line, want[k]);
		if (line)
			CHECK_UINT_EQ(n_read, strlen(want[k]));
		free(line);
	}
	n_read = 77;
	CHECK(evbuffer_readln(buf, &n_read, style) == NULL);
	CHECK_UINT_EQ(n_read, 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), left);
	evbuffer_free(buf);
}

static void test_readln(void)
{
	static const char text[] = "one\r\ntwo\nthree\r\r\nfour\n\rfive\r\n\nsix";
	static const char *any[] = {"one", "two", "three", "four", "five"};
	static const char *crlf[] = {"one", "two", "three\r", "four", "\rfive", ""};
	static const char *strict[] = {"one", "two\nthree\r", "four\n\rfive"};
	static const char *lf[] = {"one\r", "two", "three\r\r", "four", "\rfive\r", ""};
	static const char nul_text[] = "a\0\0bc\0d";
	static const char *nul[] = {"a", "", "bc"};
	size_t len = sizeof(text) - 1;

	readln_case(text, len, EVBUFFER_EOL_ANY, any, 5, 3);
	readln_case(text, len, EVBUFFER_EOL_CRLF, crlf, 6, 3);
	readln_case(text, len - 3, EVBUFFER_EOL_CRLF_STRICT, strict, 3, 1);
	readln_case(text, len, EVBUFFER_EOL_LF, lf, 6, 3);
	readln_case(nul_text, sizeof(nul_text) - 1, EVBUFFER_EOL_NUL, nul, 3, 1);
}

static void test_readln_edges(void)
{
	struct evbuffer *buf = evbuffer_new();
	char *line;
	size_t n;

	/* a CR at the very end is not a CRLF line end (yet) */
	evbuffer_add(buf, "abc\r", 4);
	CHECK(evbuffer_readln(buf, &n, EVBUFFER_EOL_CRLF_STRICT) == NULL);
	CHECK(evbuffer_readln(buf, &n, EVBUFFER_EOL_CRLF) == NULL);
	evbuffer_add(buf, "\n", 1);
	line = evbuffer_readln(buf, &n, EVBUFFER_EOL_CRLF_STRICT);
	CHECK_STR_EQ(line, "abc");
	free(line);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 0);
	/* an empty line */
	evbuffer_add(buf, "\nx", 2);
	line = evbuffer_readln(buf, &n, EVBUFFER_EOL_LF);
	CHECK_STR_EQ(line, "");
	CHECK_UINT_EQ(n, 0);
	free(line);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 1);
	/* NULL n_read_out is allowed */
	evbuffer_add(buf, "yz\n", 3);
	line = evbuffer_readln(buf, NULL, EVBUFFER_EOL_LF);
	CHECK_STR_EQ(line, "xyz");
	free(line);
	evbuffer_free(buf);
}

static void test_peek(void)
{
	struct evbuffer *buf = chunked("aaaabbbbccccdddd", 4);
	struct evbuffer_iovec v[8];
	struct evbuffer_ptr p;
	int n;

	/* how many regions the whole buffer takes */
	CHECK_INT_EQ(evbuffer_peek(buf, -1, NULL, NULL, 0), 4);
	n = evbuffer_peek(buf, -1, NULL, v, 8);
	CHECK_INT_EQ(n, 4);
	CHECK_UINT_EQ(v[0].iov_len, 4);
	CHECK_MEM_EQ(v[2].iov_base, "cccc", 4);
	/* only as many regions as cover len */
	CHECK_INT_EQ(evbuffer_peek(buf, 5, NULL, v, 8), 2);
	CHECK_INT_EQ(evbuffer_peek(buf, 4, NULL, v, 8), 1);
	/* fewer slots than needed: the count is still what is needed for len */
	CHECK_INT_EQ(evbuffer_peek(buf, 16, NULL, v, 2), 4);
	CHECK_MEM_EQ(v[1].iov_base, "bbbb", 4);
	/* with len -1 and too few slots, only the slots are filled */
	CHECK_INT_EQ(evbuffer_peek(buf, -1, NULL, v, 2), 2);
	/* from a position inside a chunk */
	evbuffer_ptr_set(buf, &p, 6, EVBUFFER_PTR_SET);
	n = evbuffer_peek(buf, -1, &p, v, 8);
	CHECK_INT_EQ(n, 3);
	CHECK_UINT_EQ(v[0].iov_len, 2);
	CHECK_MEM_EQ(v[0].iov_base, "bb", 2);
	CHECK_INT_EQ(evbuffer_peek(buf, 1, &p, v, 8), 1);
	CHECK_INT_EQ(evbuffer_peek(buf, 0, NULL, v, 8), 0);
	evbuffer_free(buf);
}

int main(void)
{
	test_ptr_set();
	test_search();
	test_search_eol();
	test_readln();
	test_readln_edges();
	test_peek();
	return check_report();
}
