/*
 * sink/broker.h -- what the broker targets (sink/kafka.c, sink/nats.c)
 * share: the parts of their URLs and the queue of messages the broker
 * refused for good, which sinkset.c dead-letters (sink_take_failed()).
 */
#ifndef BROKER_H
#define BROKER_H

#include <pthread.h>
#include <stddef.h>

struct errbuf;

/* "kafka://" + "HOST:PORT,HOST:PORT/PATH?NAME=VALUE&NAME=VALUE", split. */
struct broker_url {
	char *hosts; /* "HOST:PORT,HOST:PORT" */
	char *path;  /* the topic or subject */
	char *param; /* the value of ?NAME= (the first name), or NULL */
	char **more; /* the values of the second name, in order */
	size_t nmore;
};

/*
 * Split rest (what follows the scheme) of spec.  param_name names the
 * query parameters the kind knows: "key" or "msgid", given at most once,
 * or "key,header" where the second may be repeated.  Parameters are
 * separated by the '&' that lie outside {EXPR} parts (a literal '&' in a
 * template is written {"&"}); a value runs to the next such '&'.  0, or
 * -1 with a STATUS_USAGE error.  Free with broker_url_free().
 */
int broker_url_parse(const char *rest, const char *spec, const char *param_name,
		     struct broker_url *u, struct errbuf *eb);
void broker_url_free(struct broker_url *u);

/* One refused message: its bytes and the broker's error. */
struct broker_failure {
	char *event;
	size_t len;
	char why[512]; /* as much as sinkset.c takes */
};

/* The refused messages, filled from the clients' threads. */
struct broker_failq {
	pthread_mutex_t mu;
	struct broker_failure *v;
	size_t n, cap, head;
};

void broker_failq_init(struct broker_failq *q);
void broker_failq_push(struct broker_failq *q, const void *event, size_t len,
		       const char *spec, const char *why);
/* Pop the oldest into the sink_take_failed() arguments: 1, or 0 if none. */
int broker_failq_pop(struct broker_failq *q, char **event, size_t *len,
		     char *why, size_t whysz);
void broker_failq_clear(struct broker_failq *q);
void broker_failq_destroy(struct broker_failq *q);

/*
 * A block a target's write() or write_meta() is handed (sink_kind):
 * events a line each, and, with write_meta(), their metadata a line each
 * (the event's compact JSON input_meta, or an empty line for none).
 */
struct broker_block {
	const char *p, *end;   /* the events not yet taken */
	const char *mp, *mend; /* their metadata; mp NULL: none */
};

/* One event of a block: its bytes, and its metadata (NULL, 0: none). */
struct broker_event {
	const char *ev;
	size_t len;
	const char *meta;
	size_t metalen;
};

void broker_block_init(struct broker_block *b, const char *buf, size_t len,
		       const char *meta, size_t metalen);

/* The next event of b in *e: 1, or 0 at the end of the block. */
int broker_block_next(struct broker_block *b, struct broker_event *e);

#endif
