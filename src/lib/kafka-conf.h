/*
 * kafka-conf.h -- librdkafka properties as users write them for kcat:
 * "key=value" words (--kafka-set) and properties files (--kafka-config),
 * shared by the kafka:// target (sink/kafka.c) and source
 * (source/kafka.c).
 */
#ifndef KAFKA_CONF_H
#define KAFKA_CONF_H

#include <librdkafka/rdkafka.h>

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

#endif
