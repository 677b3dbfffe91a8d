/*
 * checkpoint.h -- the --checkpoint file of follow mode: for each followed
 * file, its path, device and inode, a fingerprint of its first bytes and
 * the offset where the last delivered line ends.  A file rotated away
 * from the name while it was still being read has an entry of its own,
 * marked "rotated", under the name it was followed by.
 *
 * The file is one JSON object (evpipe(1), CHECKPOINTS):
 *
 *   {"evpipe_checkpoint":1,"files":[{"path":"app.ndjson","dev":2049,
 *    "ino":1234,"fingerprint":"9c1f0e2a7b3d4c5e","fingerprint_bytes":256,
 *    "offset":40960}]}
 *
 * It is written atomically (a temporary file, fsync, rename) with mode
 * 0600, and read back at start; anything malformed is an error, never a
 * silent restart from scratch.
 */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

struct errbuf;

/* Bytes at the start of a file that its fingerprint covers (at most). */
#define CKPT_FP_BYTES 256

struct ckpt_entry {
	char *path;
	uint64_t dev, ino;
	uint64_t fp;	   /* hash64 of the first fp_bytes bytes */
	uint64_t fp_bytes; /* 0 .. CKPT_FP_BYTES */
	uint64_t offset;   /* where the last delivered line ends */
	int rotated;	   /* rotated away from path, still being read */
};

struct ckpt {
	struct ckpt_entry *v;
	size_t n;
};

/*
 * Parse checkpoint text: a new struct ckpt, or NULL with a STATUS_USAGE
 * error in eb naming what is wrong.
 */
struct ckpt *ckpt_parse(const char *text, size_t len, struct errbuf *eb);

/*
 * Read and parse the file at path.  A file that does not exist is an
 * empty checkpoint (the first run).  NULL with an error in eb: STATUS_IO
 * if it cannot be read, STATUS_USAGE if it is not a checkpoint.
 */
struct ckpt *ckpt_load(const char *path, struct errbuf *eb);

/* The entry for the file now under path (not a rotated one), or NULL. */
const struct ckpt_entry *ckpt_find(const struct ckpt *c, const char *path);

/* Serialize entries[0..n) (a malloc'ed NUL-terminated string). */
char *ckpt_dump(const struct ckpt_entry *v, size_t n);

/* Replace path with text atomically (tmp + fsync + rename, mode 0600). */
int ckpt_write(const char *path, const char *text, struct errbuf *eb);

void ckpt_free(struct ckpt *c);

#endif
