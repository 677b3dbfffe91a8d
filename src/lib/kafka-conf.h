/*
 * kafka-conf.h -- librdkafka properties as users write them for kcat:
 * "key=value" words (--kafka-set) and properties files (--kafka-config),
 * shared by the kafka:// target (sink/kafka.c) and source
 * (source/kafka.c).
 */
#ifndef KAFKA_CONF_H
#define KAFKA_CONF_H

#include <stdint.h>

#include "dl-rdkafka.h"

struct errbuf;

#define KAFKA_CONF_MAX_LINE 4096 /* of a --kafka-config file */

/* Set key to val; where names the origin in the usage error. 0 or -1. */
int kafka_conf_put(rd_kafka_conf_t *conf, const char *key, const char *val,
		   const char *where, struct errbuf *eb);

/* Apply "key=value" (blanks around both trimmed; line is changed). */
int kafka_conf_line(rd_kafka_conf_t *conf, char *line, const char *where,
		    struct errbuf *eb);

/* Apply a properties file: key=value lines, blank lines, # comments. */
int kafka_conf_file(rd_kafka_conf_t *conf, const char *path, struct errbuf *eb);

/* --kafka-config FILE (may be NULL), then each --kafka-set word. */
int kafka_conf_user(rd_kafka_conf_t *conf, const char *file,
		    const char *const *set, size_t nset, struct errbuf *eb);

/*
 * Some combinations of properties are refused only when a client is made
 * (enable.idempotence=true with acks=1, max.poll.interval.ms below
 * session.timeout.ms): make one of type from a copy of conf, without its
 * brokers (no connection is tried), and free it at once.  0, or -1 with
 * a STATUS_USAGE error "where: librdkafka's reason".
 */
int kafka_conf_try(const rd_kafka_conf_t *conf, rd_kafka_type_t type,
		   const char *where, struct errbuf *eb);

/* The integer value of property key in conf, or dflt when it has none. */
int64_t kafka_conf_int(const rd_kafka_conf_t *conf, const char *key,
		       int64_t dflt);

#endif
