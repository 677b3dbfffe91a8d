/*
 * malloc-fail.c -- an LD_PRELOAD shim that makes allocations fail, for
 * tests/10-faults.bats: with EVPIPE_FAIL_MALLOC=N, the Nth call to
 * malloc, calloc or realloc (counting from 1) and every later one return
 * NULL, as on a machine that ran out of memory.  glibc only: it forwards
 * to glibc's own __libc_* allocators.
 */
#include <errno.h>
#include <stdlib.h>

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);

static long fail_at = -1, calls;

static int
fail_now(void)
{
	if (fail_at == -1) {
		const char *v = getenv("EVPIPE_FAIL_MALLOC");

		fail_at = v ? atol(v) : 0;
	}
	if (fail_at <= 0)
		return 0;
	if (__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) < fail_at)
		return 0;
	errno = ENOMEM;
	return 1;
}

void *
malloc(size_t n)
{
	return fail_now() ? NULL : __libc_malloc(n);
}

void *
calloc(size_t n, size_t sz)
{
	return fail_now() ? NULL : __libc_calloc(n, sz);
}

void *
realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __libc_realloc(p, n);
}
