/*
 * progress.h -- the progress line on stderr (--progress, evpipe(1)).
 *
 * For a regular file of known size: a bar with bytes read, percent,
 * events/s and ETA (for a gzip file, the compressed bytes); otherwise a
 * spinner with counts.  On a terminal the line is redrawn in place at most
 * 10 times a second and erased at the end; elsewhere (only when asked) a
 * plain line is printed once a second and once at the end of each input.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct input;
struct progress;

/* Files at least this large turn progress on by default on a terminal. */
#define PROGRESS_AUTO_SIZE (16ULL << 20)

/*
 * mode: 1 --progress, 0 --no-progress, -1 not given (on when stderr is
 * a terminal and an input is a regular file of PROGRESS_AUTO_SIZE or
 * more).  Returns NULL when off.
 */
struct progress *progress_new(int mode, const char *const *inputs);
void progress_free(struct progress *p);

/* Start an input (sizes it). */
void progress_begin(struct progress *p, struct input *in);
/*
 * Redraw if it is time, with the runner's count of lines.  The bytes read
 * come from the file offset.
 */
void progress_tick(struct progress *p, uint64_t events);
/* The input ended: final line (not a terminal) or erase it. */
void progress_end(struct progress *p, uint64_t events);

#endif
