/*
 * checkpoint.c -- the --checkpoint file (see checkpoint.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "json/json-text.h"
#include "lib/errbuf.h"
#include "lib/util.h"
#include "lib/xmalloc.h"

#define CKPT_MAX_SIZE (64u << 20) /* a checkpoint file larger is refused */

static int
ckpt_uint(json_t *o, const char *key, size_t i, uint64_t *out,
	  struct errbuf *eb)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return errbuf_set(eb, STATUS_USAGE,
				  "files[%zu]: \"%s\" must be a non-negative "
				  "integer",
				  i, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
ckpt_entry_parse(json_t *o, size_t i, struct ckpt_entry *e, struct errbuf *eb)
{
	json_t *p = json_object_get(o, "path"), *f;
	const char *hex;

	if (!json_is_object(o))
		return errbuf_set(eb, STATUS_USAGE,
				  "files[%zu] must be an object", i);
	if (!json_is_string(p) || json_string_length(p) == 0 ||
	    strlen(json_string_value(p)) != json_string_length(p))
		return errbuf_set(eb, STATUS_USAGE,
				  "files[%zu]: \"path\" must be a non-empty "
				  "string",
				  i);
	if (ckpt_uint(o, "dev", i, &e->dev, eb) == -1 ||
	    ckpt_uint(o, "ino", i, &e->ino, eb) == -1 ||
	    ckpt_uint(o, "fingerprint_bytes", i, &e->fp_bytes, eb) == -1 ||
	    ckpt_uint(o, "offset", i, &e->offset, eb) == -1)
		return -1;
	if (e->fp_bytes > CKPT_FP_BYTES)
		return errbuf_set(eb, STATUS_USAGE,
				  "files[%zu]: \"fingerprint_bytes\" is over "
				  "%d",
				  i, CKPT_FP_BYTES);
	f = json_object_get(o, "fingerprint");
	hex = json_string_value(f);
	if (hex == NULL || json_string_length(f) != 16 ||
	    strspn(hex, hex_digits) != 16)
		return errbuf_set(eb, STATUS_USAGE,
				  "files[%zu]: \"fingerprint\" must be 16 "
				  "lowercase hex digits",
				  i);
	e->fp = strtoull(hex, NULL, 16);
	f = json_object_get(o, "rotated");
	if (f != NULL && !json_is_boolean(f))
		return errbuf_set(eb, STATUS_USAGE,
				  "files[%zu]: \"rotated\" must be true or "
				  "false",
				  i);
	e->rotated = json_is_true(f);
	e->path = xstrdup(json_string_value(p));
	return 0;
}

struct ckpt *
ckpt_parse(const char *text, size_t len, struct errbuf *eb)
{
	json_error_t jerr;
	json_t *root, *files, *ver;
	struct ckpt *c;
	size_t i, j;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return errbuf_set(eb, STATUS_USAGE, "not JSON: %s", jerr.text),
		       NULL;
	ver = json_object_get(root, "evpipe_checkpoint");
	files = json_object_get(root, "files");
	if (!json_is_object(root) || !json_is_integer(ver) ||
	    json_integer_value(ver) != 1 || !json_is_array(files)) {
		json_decref(root);
		return errbuf_set(eb, STATUS_USAGE,
				  "not an evpipe checkpoint (version 1)"),
		       NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->v = xcalloc(json_array_size(files) + 1, sizeof *c->v);
	for (i = 0; i < json_array_size(files); i++) {
		if (ckpt_entry_parse(json_array_get(files, i), i, &c->v[c->n],
				     eb) == -1) {
			json_decref(root);
			ckpt_free(c);
			return NULL;
		}
		/* One file under a name; any number rotated away from it. */
		for (j = 0; j < c->n && !c->v[c->n].rotated; j++)
			if (!c->v[j].rotated &&
			    strcmp(c->v[j].path, c->v[c->n].path) == 0) {
				errbuf_set(eb, STATUS_USAGE,
					   "files[%zu]: path listed twice", i);
				free(c->v[c->n].path);
				json_decref(root);
				ckpt_free(c);
				return NULL;
			}
		c->n++;
	}
	json_decref(root);
	return c;
}

struct ckpt *
ckpt_load(const char *path, struct errbuf *eb)
{
	struct ckpt *c;
	struct stat st;
	char *text;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		if (errno == ENOENT)
			return xcalloc(1, sizeof(struct ckpt));
		return errbuf_set(eb, STATUS_IO, "cannot open '%s': %s", path,
				  strerror(errno)),
		       NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CKPT_MAX_SIZE) {
		close(fd);
		return errbuf_set(eb, STATUS_USAGE,
				  "'%s' is not a regular file of at most "
				  "64M",
				  path),
		       NULL;
	}
	text = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, text + len, (size_t)st.st_size - len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	c = ckpt_parse(text, len, eb);
	free(text);
	if (c == NULL)
		errbuf_prefix(eb, "'%s'", path);
	return c;
}

const struct ckpt_entry *
ckpt_find(const struct ckpt *c, const char *path)
{
	size_t i;

	for (i = 0; c && i < c->n; i++)
		if (!c->v[i].rotated && strcmp(c->v[i].path, path) == 0)
			return &c->v[i];
	return NULL;
}

char *
ckpt_dump(const struct ckpt_entry *v, size_t n)
{
	json_t *root = json_object(), *files = json_array();
	char hex[17], *text;
	size_t i;

	json_object_set_new(root, "evpipe_checkpoint", json_integer(1));
	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		snprintf(hex, sizeof hex, "%016" PRIx64, v[i].fp);
		json_object_set_new(o, "path", json_string(v[i].path));
		json_object_set_new(o, "dev",
				    json_integer((json_int_t)v[i].dev));
		json_object_set_new(o, "ino",
				    json_integer((json_int_t)v[i].ino));
		json_object_set_new(o, "fingerprint", json_string(hex));
		json_object_set_new(o, "fingerprint_bytes",
				    json_integer((json_int_t)v[i].fp_bytes));
		json_object_set_new(o, "offset",
				    json_integer((json_int_t)v[i].offset));
		if (v[i].rotated)
			json_object_set_new(o, "rotated", json_true());
		json_array_append_new(files, o);
	}
	json_object_set_new(root, "files", files);
	text = jtext_dumps(root);
	json_decref(root);
	return text;
}

int
ckpt_write(const char *path, const char *text, struct errbuf *eb)
{
	char *tmp = xasprintf("%s.tmp", path);
	size_t len = strlen(text);
	int fd, err;

	/* A fresh file, never through a symlink someone left at its name. */
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd == -1) {
		errbuf_set(eb, STATUS_IO, "cannot write '%s': %s", tmp,
			   strerror(errno));
		free(tmp);
		return -1;
	}
	if (write_full(fd, text, len) == -1 || write_full(fd, "\n", 1) == -1 ||
	    fsync(fd) == -1) {
		err = errno;
		close(fd);
		unlink(tmp);
		errbuf_set(eb, STATUS_IO, "cannot write '%s': %s", tmp,
			   strerror(err));
		free(tmp);
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		err = errno;
		unlink(tmp);
		errbuf_set(eb, STATUS_IO, "cannot write '%s': %s", path,
			   strerror(err));
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

void
ckpt_free(struct ckpt *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	free(c);
}
