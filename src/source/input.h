/*
 * input.h -- an input file or stdin as a byte stream, gzip detected by its
 * magic bytes (not its name) and inflated on the fly.
 */
#ifndef INPUT_H
#define INPUT_H

#include <stddef.h>
#include <sys/types.h>

struct errbuf;
struct input;

/*
 * Open path ("-" is stdin) for reading.  NULL with a STATUS_IO error
 * ("cannot open 'x': No such file or directory", "'d' is a directory").
 */
struct input *input_open(const char *path, struct errbuf *eb);

/* The name used in messages: the path, or "<stdin>". */
const char *input_name(const struct input *in);

/* The file descriptor, for poll(2). */
int input_fd(const struct input *in);

/* Whether input arrives from a pipe, socket or terminal (not a file). */
int input_is_stream(const struct input *in);

/*
 * Read up to n decompressed bytes: >0, 0 at end, -1 with a STATUS_IO
 * error (or a corrupt gzip stream).  Matches linebuf_read_fn.  A stream
 * is never waited for: with nothing to read right now, -1 with errno
 * EAGAIN and eb->status 0 (the line reader's LINE_AGAIN).
 */
ssize_t input_read(void *in, char *buf, size_t n, struct errbuf *eb);

/* Close (stdin is left open) and free. */
void input_close(struct input *in);

#endif
