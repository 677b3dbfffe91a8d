/*
 * keytable.c -- a bounded set of 128-bit key hashes (see keytable.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "errbuf.h"
#include "keytable.h"
#include "util.h"
#include "xmalloc.h"

#define KT_MIN_SLOTS 1024

static void
kt_index(struct keytable *kt, uint32_t i)
{
	uint64_t j = kt->e[i].lo & kt->mask;

	while (kt->slot[j] != 0)
		j = (j + 1) & kt->mask;
	kt->slot[j] = i + 1;
}

/* Rebuild the index with nslots slots from the entries in LRU order. */
static void
kt_rehash(struct keytable *kt, uint64_t nslots)
{
	uint32_t i;

	free(kt->slot);
	kt->slot = xcalloc(nslots, sizeof *kt->slot);
	kt->mask = nslots - 1;
	for (i = kt->head; i != KT_NONE; i = kt->e[i].next)
		kt_index(kt, i);
}

void
kt_init(struct keytable *kt, uint32_t capacity, int with_time, size_t valsize)
{
	memset(kt, 0, sizeof *kt);
	kt->cap = capacity ? capacity : 1;
	if (kt->cap > KT_MAX_CAPACITY)
		kt->cap = KT_MAX_CAPACITY;
	kt->valsize = valsize;
	kt->alloc = kt->cap < 1024 ? kt->cap : 1024;
	kt->e = xcalloc(kt->alloc, sizeof *kt->e);
	if (with_time)
		kt->t = xcalloc(kt->alloc, sizeof *kt->t);
	if (valsize)
		kt->val = xcalloc(kt->alloc, valsize);
	kt->slot = xcalloc(KT_MIN_SLOTS, sizeof *kt->slot);
	kt->mask = KT_MIN_SLOTS - 1;
	kt->free = kt->head = kt->tail = KT_NONE;
}

void
kt_release(struct keytable *kt)
{
	free(kt->e);
	free(kt->t);
	free(kt->val);
	free(kt->slot);
	memset(kt, 0, sizeof *kt);
}

uint32_t
kt_find(const struct keytable *kt, struct hash128 h)
{
	uint64_t j = h.lo & kt->mask;
	uint32_t s;

	while ((s = kt->slot[j]) != 0) {
		const struct kt_entry *e = &kt->e[s - 1];

		if (e->lo == h.lo && e->hi == h.hi)
			return s - 1;
		j = (j + 1) & kt->mask;
	}
	return KT_NONE;
}

static void
lru_unlink(struct keytable *kt, uint32_t i)
{
	struct kt_entry *e = &kt->e[i];

	if (e->prev != KT_NONE)
		kt->e[e->prev].next = e->next;
	else
		kt->head = e->next;
	if (e->next != KT_NONE)
		kt->e[e->next].prev = e->prev;
	else
		kt->tail = e->prev;
}

static void
lru_push(struct keytable *kt, uint32_t i)
{
	struct kt_entry *e = &kt->e[i];

	e->prev = KT_NONE;
	e->next = kt->head;
	if (kt->head != KT_NONE)
		kt->e[kt->head].prev = i;
	kt->head = i;
	if (kt->tail == KT_NONE)
		kt->tail = i;
}

void
kt_touch(struct keytable *kt, uint32_t i)
{
	if (kt->head == i)
		return;
	lru_unlink(kt, i);
	lru_push(kt, i);
}

/* Take entry i out of the index (backward-shift deletion). */
static void
kt_unindex(struct keytable *kt, uint32_t i)
{
	uint64_t j = kt->e[i].lo & kt->mask, k, home;

	while (kt->slot[j] != i + 1)
		j = (j + 1) & kt->mask;
	for (k = (j + 1) & kt->mask; kt->slot[k] != 0; k = (k + 1) & kt->mask) {
		home = kt->e[kt->slot[k] - 1].lo & kt->mask;
		/* Move slot k back to j unless its home lies in (j, k]. */
		if (((k - home) & kt->mask) >= ((k - j) & kt->mask)) {
			kt->slot[j] = kt->slot[k];
			j = k;
		}
	}
	kt->slot[j] = 0;
}

void
kt_remove(struct keytable *kt, uint32_t i)
{
	kt_unindex(kt, i);
	lru_unlink(kt, i);
	kt->e[i].next = kt->free;
	kt->free = i;
	kt->n--;
}

static void
kt_grow(struct keytable *kt)
{
	uint32_t old = kt->alloc;
	uint64_t want = (uint64_t)old * 2;

	if (want > kt->cap)
		want = kt->cap;
	kt->alloc = (uint32_t)want;
	kt->e = xreallocarray(kt->e, kt->alloc, sizeof *kt->e);
	if (kt->t)
		kt->t = xreallocarray(kt->t, kt->alloc, sizeof *kt->t);
	if (kt->val)
		kt->val = xreallocarray(kt->val, kt->alloc, kt->valsize);
}

uint32_t
kt_insert(struct keytable *kt, struct hash128 h)
{
	uint32_t i;

	if (kt->n >= kt->cap) {
		i = kt->tail;
		kt_unindex(kt, i);
		lru_unlink(kt, i);
		kt->n--;
		kt->evicted++;
	} else if (kt->free != KT_NONE) {
		i = kt->free;
		kt->free = kt->e[i].next;
	} else {
		if (kt->used == kt->alloc)
			kt_grow(kt);
		i = kt->used++;
	}
	kt->e[i].lo = h.lo;
	kt->e[i].hi = h.hi;
	if (kt->t)
		kt->t[i] = 0;
	if (kt->val)
		memset(kt_val(kt, i), 0, kt->valsize);
	lru_push(kt, i);
	kt->n++;
	if ((uint64_t)kt->n > (kt->mask + 1) / 4 * 3)
		kt_rehash(kt, (kt->mask + 1) * 2);
	kt_index(kt, i);
	return i;
}

/* ---- state files ------------------------------------------------------ */

/*
 * Layout, all integers little-endian:
 *	 0  8  magic "EVPKEYS1"
 *	 8  4  version (1)
 *	12  4  flags: bit 0 = each key has a time
 *	16 16  fingerprint of the key definition (lo, hi)
 *	32  8  number of keys
 *	40     keys, oldest first: lo, hi (and time, int64 ns) each
 *	 end 8 XXH3-64 of every byte before it
 */
#define KT_MAGIC   "EVPKEYS1"
#define KT_VERSION 1
#define KT_F_TIME  0x1
#define KT_HEADER  40

static void
put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

struct kt_writer {
	int fd;
	XXH3_state_t *xs;
	unsigned char buf[1 << 16];
	size_t len;
};

static int
kw_flush(struct kt_writer *w)
{
	if (write_full(w->fd, w->buf, w->len) == -1)
		return -1;
	w->len = 0;
	return 0;
}

static int
kw_add(struct kt_writer *w, const void *p, size_t n)
{
	if (w->len + n > sizeof w->buf && kw_flush(w) == -1)
		return -1;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	XXH3_64bits_update(w->xs, p, n);
	return 0;
}

static int
kw_add64(struct kt_writer *w, uint64_t v)
{
	unsigned char b[8];

	put64(b, v);
	return kw_add(w, b, 8);
}

/* The directory path is in, as a new string. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	return xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* fsync the directory holding path, so the rename is durable. */
static int
fsync_dir(const char *path)
{
	char *dir = dir_of(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	free(dir);
	if (fd == -1)
		return -1;
	if (fsync(fd) == -1 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

int
kt_save_check(const char *path, struct errbuf *eb)
{
	char *dir = dir_of(path);
	int rc = 0;

	if (access(dir, W_OK | X_OK) == -1)
		rc = errbuf_set(eb, STATUS_IO, "%s: cannot save state: %s",
				path, strerror(errno));
	free(dir);
	return rc;
}

int
kt_save(const struct keytable *kt, const char *path, struct hash128 fp,
	int64_t min_time, struct errbuf *eb)
{
	struct kt_writer *w = xmalloc(sizeof *w);
	unsigned char hdr[KT_HEADER];
	char *tmp = xasprintf("%s.XXXXXX", path);
	uint64_t count = 0;
	uint32_t i;
	off_t count_at = 32;
	int err = 0;

	for (i = kt->tail; i != KT_NONE; i = kt->e[i].prev)
		if (kt->t == NULL || kt->t[i] >= min_time)
			count++;
	memcpy(hdr, KT_MAGIC, 8);
	memset(hdr + 8, 0, 8);
	hdr[8] = KT_VERSION;
	hdr[12] = kt->t ? KT_F_TIME : 0;
	put64(hdr + 16, fp.lo);
	put64(hdr + 24, fp.hi);
	put64(hdr + count_at, count);

	w->len = 0;
	w->xs = XXH3_createState();
	w->fd = mkstemp(tmp);
	if (w->xs == NULL || w->fd == -1) {
		err = errno ? errno : ENOMEM;
		goto fail;
	}
	XXH3_64bits_reset(w->xs);
	if (kw_add(w, hdr, sizeof hdr) == -1)
		goto fail_errno;
	for (i = kt->tail; i != KT_NONE; i = kt->e[i].prev) {
		if (kt->t && kt->t[i] < min_time)
			continue;
		if (kw_add64(w, kt->e[i].lo) == -1 ||
		    kw_add64(w, kt->e[i].hi) == -1 ||
		    (kt->t && kw_add64(w, (uint64_t)kt->t[i]) == -1))
			goto fail_errno;
	}
	{
		unsigned char sum[8];

		put64(sum, XXH3_64bits_digest(w->xs));
		if (w->len + 8 > sizeof w->buf && kw_flush(w) == -1)
			goto fail_errno;
		memcpy(w->buf + w->len, sum, 8);
		w->len += 8;
	}
	if (kw_flush(w) == -1 || fsync(w->fd) == -1)
		goto fail_errno;
	if (close(w->fd) == -1) {
		w->fd = -1;
		goto fail_errno;
	}
	w->fd = -1;
	if (rename(tmp, path) == -1)
		goto fail_errno;
	if (fsync_dir(path) == -1)
		goto fail_errno;
	XXH3_freeState(w->xs);
	free(w);
	free(tmp);
	return 0;

fail_errno:
	err = errno;
fail:
	if (w->fd != -1) {
		close(w->fd);
		unlink(tmp);
	} else if (access(tmp, F_OK) == 0) {
		unlink(tmp);
	}
	if (w->xs)
		XXH3_freeState(w->xs);
	free(w);
	errbuf_set(eb, STATUS_IO, "%s: cannot save state: %s", path,
		   strerror(err));
	free(tmp);
	return -1;
}

/* Check a state file's header, size and checksum; 0 or -1. */
static int
kt_check(const unsigned char *p, size_t len, struct hash128 fp, uint32_t *flags,
	 uint64_t *count, struct errbuf *eb)
{
	uint32_t version;
	size_t rec;

	if (len < KT_HEADER + 8 || memcmp(p, KT_MAGIC, 8) != 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "not an evpipe state file (bad magic or "
				  "too short)");
	version = get32(p + 8);
	*flags = get32(p + 12);
	if (version != KT_VERSION)
		return errbuf_set(eb, STATUS_USAGE,
				  "state file version %u is not supported "
				  "(this evpipe reads version %d)",
				  version, KT_VERSION);
	if (*flags & ~(uint32_t)KT_F_TIME)
		return errbuf_set(eb, STATUS_USAGE,
				  "state file has unknown flags 0x%x", *flags);
	if (get64(p + len - 8) != XXH3_64bits(p, len - 8))
		return errbuf_set(eb, STATUS_USAGE,
				  "state file is corrupt (checksum mismatch)");
	if (get64(p + 16) != fp.lo || get64(p + 24) != fp.hi)
		return errbuf_set(eb, STATUS_USAGE,
				  "state file was written for another key "
				  "(-k); remove it or use the same key");
	rec = (*flags & KT_F_TIME) ? 24 : 16;
	*count = get64(p + 32);
	if (*count > (len - KT_HEADER - 8) / rec ||
	    *count * rec != len - KT_HEADER - 8)
		return errbuf_set(eb, STATUS_USAGE,
				  "state file is corrupt (%llu keys do not "
				  "fit its %zu bytes)",
				  (unsigned long long)*count, len);
	return 0;
}

/* Insert the keys [from, to) of a checked state file; 0 or -1. */
static int
kt_load_keys(struct keytable *kt, const unsigned char *data, uint32_t flags,
	     uint64_t from, uint64_t to, int64_t now, struct errbuf *eb)
{
	size_t rec = (flags & KT_F_TIME) ? 24 : 16;
	const unsigned char *p = data + KT_HEADER + from * rec;
	uint64_t k;

	for (k = from; k < to; k++, p += rec) {
		struct hash128 h = { get64(p), get64(p + 8) };
		uint32_t i;

		if (kt_find(kt, h) != KT_NONE)
			return errbuf_set(eb, STATUS_USAGE,
					  "state file is corrupt (key %llu "
					  "appears twice)",
					  (unsigned long long)k + 1);
		i = kt_insert(kt, h);
		if (kt->t)
			kt->t[i] = (flags & KT_F_TIME) ? (int64_t)get64(p + 16)
						       : now;
	}
	return 0;
}

int
kt_load(struct keytable *kt, const void *data, size_t len, struct hash128 fp,
	int64_t now, struct errbuf *eb)
{
	uint64_t count, skip;
	uint32_t flags;

	if (kt_check(data, len, fp, &flags, &count, eb) == -1)
		return -1;
	skip = count > kt->cap ? count - kt->cap : 0;
	if (kt_load_keys(kt, data, flags, skip, count, now, eb) == -1)
		return -1;
	kt->evicted = 0;
	return 0;
}

/* Let the kernel drop the mapped pages of [from, to) from memory. */
static void
drop_pages(unsigned char *base, size_t from, size_t to)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	from = from / pg * pg;
	to = to / pg * pg;
	if (to > from)
		madvise(base + from, to - from, MADV_DONTNEED);
}

int
kt_load_file(struct keytable *kt, const char *path, struct hash128 fp,
	     int64_t now, struct errbuf *eb)
{
	struct stat st;
	unsigned char *data;
	uint64_t count = 0;
	uint32_t flags = 0;
	size_t len;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		return errbuf_set(eb, STATUS_IO, "%s: %s", path,
				  strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errbuf_set(eb, STATUS_IO, "%s: not a regular file",
				  path);
	}
	if (st.st_size == 0) {
		close(fd);
		return errbuf_set(eb, STATUS_USAGE,
				  "%s: not an evpipe state file (empty)", path);
	}
	/* Mapped, not read: the pages are dropped as soon as we are done. */
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED)
		return errbuf_set(eb, STATUS_IO, "%s: %s", path,
				  strerror(errno));
	/*
	 * Checked first, then loaded a slice at a time, dropping the pages
	 * read: the mapped file never adds its size to the resident memory
	 * (a 10M-key state is 160 MB).
	 */
	madvise(data, (size_t)st.st_size, MADV_SEQUENTIAL);
	len = (size_t)st.st_size;
	rc = kt_check(data, len, fp, &flags, &count, eb);
	drop_pages(data, 0, len);
	if (rc == 0) {
		uint64_t k = count > kt->cap ? count - kt->cap : 0, end;
		size_t rec = (flags & KT_F_TIME) ? 24 : 16;

		for (; rc == 0 && k < count; k = end) {
			end = count - k > 65536 ? k + 65536 : count;
			rc = kt_load_keys(kt, data, flags, k, end, now, eb);
			drop_pages(data, KT_HEADER + k * rec,
				   KT_HEADER + end * rec);
		}
		kt->evicted = 0;
	}
	munmap(data, (size_t)st.st_size);
	if (rc == -1)
		errbuf_prefix(eb, "%s", path);
	return rc;
}
