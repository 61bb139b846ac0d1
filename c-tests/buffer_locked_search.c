/* Searches and position steps on a buffer with a lock (evbuffer_enable_locking after
 * evthread_use_pthreads) give the same answers as on one without: evbuffer_ptr_set
 * steps inside and across chunks and past the end, evbuffer_search_eol with every
 * style, evbuffer_search and evbuffer_search_range. */
// test: link event_core event_pthreads
#include <event2/buffer.h>
#include <event2/thread.h>

#include <string.h>

#include "check.h"

/* Pieces added one by one, so that lines and the needle cross chunk boundaries. */
static void fill(struct evbuffer *buf)
{
	static const char *pieces[] = {"alpha\r\nbe", "ta\nga", "mma\r", "\ndelta", "\n", "needle!", "\r\nend"};
	size_t i;
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct evbuffer *piece = evbuffer_new();
		REQUIRE(piece != NULL);
		REQUIRE(evbuffer_add(piece, pieces[i], strlen(pieces[i])) == 0);
		REQUIRE(evbuffer_add_buffer(buf, piece) == 0);
		evbuffer_free(piece);
	}
}

/* The line-end offsets and lengths found walking the buffer with one style. */
static int walk(struct evbuffer *buf, enum evbuffer_eol_style style, long *offs, size_t *lens, int max)
{
	struct evbuffer_ptr p;
	int n = 0;
	REQUIRE(evbuffer_ptr_set(buf, &p, 0, EVBUFFER_PTR_SET) == 0);
	while (n < max) {
		size_t len = 0;
		struct evbuffer_ptr e = evbuffer_search_eol(buf, &p, &len, style);
		if (e.pos < 0)
			break;
		offs[n] = (long)e.pos;
		lens[n] = len;
		n++;
		p = e;
		if (evbuffer_ptr_set(buf, &p, len, EVBUFFER_PTR_ADD) != 0)
			break;
	}
	return n;
}

static void compare(enum evbuffer_eol_style style, struct evbuffer *plain, struct evbuffer *locked)
{
	long o1[16], o2[16];
	size_t l1[16], l2[16];
	int n1 = walk(plain, style, o1, l1, 16), n2 = walk(locked, style, o2, l2, 16);
	int i;
	CHECK_INT_EQ(n1, n2);
	CHECK(n1 > 0);
	for (i = 0; i < n1 && i < n2; i++) {
		CHECK_INT_EQ((int)o1[i], (int)o2[i]);
		CHECK_UINT_EQ(l1[i], l2[i]);
	}
}

int main(void)
{
	struct evbuffer *plain = evbuffer_new(), *locked = evbuffer_new();
	struct evbuffer_ptr p, q, end;
	size_t len;

	REQUIRE(evthread_use_pthreads() == 0);
	REQUIRE(plain && locked);
	REQUIRE(evbuffer_enable_locking(locked, NULL) == 0);
	fill(plain);
	fill(locked);
	CHECK_UINT_EQ(evbuffer_get_length(locked), evbuffer_get_length(plain));

	compare(EVBUFFER_EOL_ANY, plain, locked);
	compare(EVBUFFER_EOL_CRLF, plain, locked);
	compare(EVBUFFER_EOL_CRLF_STRICT, plain, locked);
	compare(EVBUFFER_EOL_LF, plain, locked);

	/* The LF walk on the locked buffer, spelled out. */
	REQUIRE(evbuffer_ptr_set(locked, &p, 0, EVBUFFER_PTR_SET) == 0);
	q = evbuffer_search_eol(locked, &p, &len, EVBUFFER_EOL_CRLF);
	CHECK_INT_EQ((int)q.pos, 5);
	CHECK_UINT_EQ(len, 2);
	CHECK_INT_EQ(evbuffer_ptr_set(locked, &q, 2, EVBUFFER_PTR_ADD), 0);
	q = evbuffer_search_eol(locked, &q, &len, EVBUFFER_EOL_CRLF);
	CHECK_INT_EQ((int)q.pos, 11);
	CHECK_UINT_EQ(len, 1);

	/* Steps past the end fail and mark the position not found. */
	CHECK_INT_EQ(evbuffer_ptr_set(locked, &q, 1000, EVBUFFER_PTR_ADD), -1);
	CHECK_INT_EQ((int)q.pos, -1);
	CHECK_INT_EQ(evbuffer_ptr_set(locked, &end, evbuffer_get_length(locked), EVBUFFER_PTR_SET), 0);

	/* Substring search across chunks, and within a range. */
	p = evbuffer_search(locked, "needle!\r\n", 9, NULL);
	CHECK_INT_EQ((int)p.pos, (int)evbuffer_search(plain, "needle!\r\n", 9, NULL).pos);
	CHECK_INT_EQ((int)p.pos, 25);
	REQUIRE(evbuffer_ptr_set(locked, &q, 0, EVBUFFER_PTR_SET) == 0);
	CHECK_INT_EQ((int)evbuffer_search_range(locked, "needle", 6, &q, &end).pos, 25);
	CHECK_INT_EQ((int)evbuffer_search_range(locked, "needle", 6, NULL, &p).pos, -1);

	evbuffer_free(plain);
	evbuffer_free(locked);
	return check_report();
}
