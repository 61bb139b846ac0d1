/* evbuffer locking with the program's own lock functions
 * (evthread_set_lock_callbacks): evbuffer_enable_locking allocates a recursive lock
 * and frees it with the buffer, a lock the program passes in is used but never freed
 * (and may be shared by two buffers), evbuffer_lock/unlock reach the program's
 * functions, callbacks run with the lock held, every call leaves it released, and
 * file segments allocate a lock unless EVBUF_FS_DISABLE_LOCKING. */
#include <event2/buffer.h>
#include <event2/thread.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

struct test_lock {
	pthread_mutex_t mutex;
	unsigned type;
	int depth;
	int lock_calls;
};

static int allocs, frees, allocs_recursive;
static struct test_lock *last_allocated, *last_freed;

static void *lock_alloc(unsigned locktype)
{
	struct test_lock *l = calloc(1, sizeof(*l));
	pthread_mutexattr_t attr;

	if (!l)
		return NULL;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&l->mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	l->type = locktype;
	allocs++;
	if (locktype & EVTHREAD_LOCKTYPE_RECURSIVE)
		allocs_recursive++;
	last_allocated = l;
	return l;
}

static void lock_free(void *lock, unsigned locktype)
{
	struct test_lock *l = lock;
	(void)locktype;
	frees++;
	last_freed = l;
	pthread_mutex_destroy(&l->mutex);
	free(l);
}

static int lock_lock(unsigned mode, void *lock)
{
	struct test_lock *l = lock;
	(void)mode;
	if (pthread_mutex_lock(&l->mutex))
		return -1;
	l->depth++;
	l->lock_calls++;
	return 0;
}

static int lock_unlock(unsigned mode, void *lock)
{
	struct test_lock *l = lock;
	(void)mode;
	l->depth--;
	return pthread_mutex_unlock(&l->mutex) ? -1 : 0;
}

static const struct evthread_lock_callbacks callbacks = {
	EVTHREAD_LOCK_API_VERSION,
	EVTHREAD_LOCKTYPE_RECURSIVE,
	lock_alloc,
	lock_free,
	lock_lock,
	lock_unlock,
};

struct seen {
	struct test_lock *lock;
	int calls;
	int depth_inside;
};

static void note_depth(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct seen *s = arg;
	(void)buf;
	(void)info;
	s->calls++;
	s->depth_inside = s->lock->depth;
}

static void test_own_lock(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct test_lock *lock;
	struct seen s;
	int a0 = allocs, f0 = frees, calls;
	char out[4];

	REQUIRE(buf != NULL);
	CHECK_INT_EQ(evbuffer_enable_locking(buf, NULL), 0);
	/* One recursive lock was made for it. */
	CHECK_INT_EQ(allocs, a0 + 1);
	CHECK_INT_EQ(allocs_recursive, 1);
	lock = last_allocated;
	REQUIRE(lock != NULL);
	CHECK(lock->type & EVTHREAD_LOCKTYPE_RECURSIVE);
	/* Only once. */
	CHECK_INT_EQ(evbuffer_enable_locking(buf, NULL), -1);
	CHECK_INT_EQ(allocs, a0 + 1);

	/* evbuffer_lock and evbuffer_unlock take and release it, nesting. */
	calls = lock->lock_calls;
	evbuffer_lock(buf);
	CHECK_INT_EQ(lock->depth, 1);
	CHECK_INT_EQ(lock->lock_calls, calls + 1);
	evbuffer_lock(buf);
	CHECK_INT_EQ(lock->depth, 2);
	CHECK_INT_EQ(evbuffer_add(buf, "abc", 3), 0);
	CHECK_INT_EQ(lock->depth, 2);
	evbuffer_unlock(buf);
	CHECK_INT_EQ(lock->depth, 1);
	evbuffer_unlock(buf);
	CHECK_INT_EQ(lock->depth, 0);

	/* Every operation takes the lock and leaves it released. */
	calls = lock->lock_calls;
	CHECK_INT_EQ(evbuffer_add(buf, "d", 1), 0);
	CHECK(lock->lock_calls > calls);
	CHECK_INT_EQ(lock->depth, 0);
	calls = lock->lock_calls;
	CHECK_INT_EQ(evbuffer_remove(buf, out, 2), 2);
	CHECK(lock->lock_calls > calls);
	CHECK_INT_EQ(lock->depth, 0);
	calls = lock->lock_calls;
	CHECK_UINT_EQ(evbuffer_get_length(buf), 2);
	CHECK(lock->lock_calls > calls);
	CHECK_INT_EQ(lock->depth, 0);

	/* Callbacks run with the lock held. */
	s.lock = lock;
	s.calls = 0;
	s.depth_inside = -1;
	REQUIRE(evbuffer_add_cb(buf, note_depth, &s) != NULL);
	CHECK_INT_EQ(evbuffer_add(buf, "e", 1), 0);
	CHECK_INT_EQ(s.calls, 1);
	CHECK(s.depth_inside >= 1);
	CHECK_INT_EQ(lock->depth, 0);

	/* The buffer frees the lock it made. */
	evbuffer_free(buf);
	CHECK_INT_EQ(frees, f0 + 1);
	CHECK(last_freed == lock);
}

static void test_lent_lock(void)
{
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	struct test_lock *mine = lock_alloc(EVTHREAD_LOCKTYPE_RECURSIVE);
	int a0 = allocs, f0 = frees, calls;

	REQUIRE(a && b && mine);
	CHECK_INT_EQ(evbuffer_enable_locking(a, mine), 0);
	CHECK_INT_EQ(evbuffer_enable_locking(b, mine), 0);
	/* No lock was made for them. */
	CHECK_INT_EQ(allocs, a0);
	CHECK_INT_EQ(evbuffer_enable_locking(a, NULL), -1);
	CHECK_INT_EQ(allocs, a0);

	calls = mine->lock_calls;
	evbuffer_lock(a);
	CHECK_INT_EQ(mine->depth, 1);
	evbuffer_lock(b);
	CHECK_INT_EQ(mine->depth, 2);
	evbuffer_unlock(b);
	evbuffer_unlock(a);
	CHECK_INT_EQ(mine->depth, 0);
	CHECK_INT_EQ(mine->lock_calls, calls + 2);

	/* Two buffers with one lock: moving between them works and releases it. */
	CHECK_INT_EQ(evbuffer_add(a, "shared", 6), 0);
	CHECK_INT_EQ(evbuffer_add_buffer(b, a), 0);
	CHECK_INT_EQ(evbuffer_remove_buffer(b, a, 3), 3);
	CHECK_INT_EQ(evbuffer_prepend_buffer(a, b), 0);
	CHECK_UINT_EQ(evbuffer_get_length(a), 6);
	CHECK_MEM_EQ(evbuffer_pullup(a, -1), "redsha", 6);
	CHECK_INT_EQ(mine->depth, 0);

	/* Freeing the buffers leaves the lent lock alone. */
	evbuffer_free(a);
	evbuffer_free(b);
	CHECK_INT_EQ(frees, f0);
	CHECK_INT_EQ(mine->depth, 0);
	lock_free(mine, EVTHREAD_LOCKTYPE_RECURSIVE);
}

static void test_segment_locks(void)
{
	char name[] = "/tmp/evrs_buffer_lock_XXXXXX";
	int fd = mkstemp(name);
	int a0, f0;
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_file_segment *seg;

	REQUIRE(fd >= 0 && buf != NULL);
	unlink(name);
	REQUIRE(write(fd, "segment data", 12) == 12);

	/* Without EVBUF_FS_DISABLE_LOCKING: whatever is allocated is freed again. */
	a0 = allocs;
	f0 = frees;
	seg = evbuffer_file_segment_new(fd, 0, -1, 0);
	REQUIRE(seg != NULL);
	CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 0, -1), 0);
	CHECK_UINT_EQ(evbuffer_get_length(buf), 12);
	evbuffer_file_segment_free(seg);
	CHECK_INT_EQ(evbuffer_drain(buf, 12), 0);
	CHECK_INT_EQ(allocs - a0, frees - f0);

	/* With it: no lock at all. */
	a0 = allocs;
	f0 = frees;
	seg = evbuffer_file_segment_new(fd, 0, -1, EVBUF_FS_DISABLE_LOCKING);
	REQUIRE(seg != NULL);
	CHECK_INT_EQ(evbuffer_add_file_segment(buf, seg, 2, 4), 0);
	CHECK_MEM_EQ(evbuffer_pullup(buf, -1), "gmen", 4);
	evbuffer_file_segment_free(seg);
	CHECK_INT_EQ(evbuffer_drain(buf, 4), 0);
	CHECK_INT_EQ(allocs, a0);
	CHECK_INT_EQ(frees, f0);
	evbuffer_free(buf);
	close(fd);
}

int main(void)
{
	struct evbuffer *buf = evbuffer_new();

	REQUIRE(buf != NULL);
	/* No lock functions yet. */
	CHECK_INT_EQ(evbuffer_enable_locking(buf, NULL), -1);
	evbuffer_lock(buf);
	evbuffer_unlock(buf);
	REQUIRE(evthread_set_lock_callbacks(&callbacks) == 0);
	/* (The library may make locks of its own at this point.) */
	{
		int a0 = allocs, f0 = frees;
		/* A buffer made before the lock functions existed can be locked now. */
		CHECK_INT_EQ(evbuffer_enable_locking(buf, NULL), 0);
		CHECK_INT_EQ(allocs, a0 + 1);
		evbuffer_free(buf);
		CHECK_INT_EQ(frees, f0 + 1);
	}
	allocs_recursive = 0;

	test_own_lock();
	test_lent_lock();
	test_segment_locks();
	return check_report();
}
