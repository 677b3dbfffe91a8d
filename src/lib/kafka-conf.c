/*
 * kafka-conf.c -- librdkafka properties from the command line and from
 * properties files (see kafka-conf.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "kafka-conf.h"
#include "xmalloc.h"

int
kafka_conf_put(rd_kafka_conf_t *conf, const char *key, const char *val,
	       const char *where, struct errbuf *eb)
{
	char err[256];

	if (rd_kafka_conf_set(conf, key, val, err, sizeof err) !=
	    RD_KAFKA_CONF_OK)
		return errbuf_set(eb, STATUS_USAGE, "%s: %s", where, err);
	return 0;
}

int
kafka_conf_line(rd_kafka_conf_t *conf, char *line, const char *where,
		struct errbuf *eb)
{
	char *eq = strchr(line, '='), *k = line, *v, *e;

	if (eq == NULL)
		return errbuf_set(eb, STATUS_USAGE,
				  "%s: expected KEY=VALUE, not '%s'", where,
				  line);
	*eq = '\0';
	v = eq + 1;
	while (*k == ' ' || *k == '\t')
		k++;
	for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
		e[-1] = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	for (e = v + strlen(v);
	     e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
		e[-1] = '\0';
	if (*k == '\0')
		return errbuf_set(eb, STATUS_USAGE, "%s: empty property name",
				  where);
	return kafka_conf_put(conf, k, v, where, eb);
}

int
kafka_conf_file(rd_kafka_conf_t *conf, const char *path, struct errbuf *eb)
{
	char line[KAFKA_CONF_MAX_LINE], where[KAFKA_CONF_MAX_LINE + 64];
	unsigned long lineno = 0;
	FILE *fp = fopen(path, "r");
	int rc = 0;

	if (fp == NULL)
		return errbuf_set(eb, STATUS_USAGE, "--kafka-config %s: %s",
				  path, strerror(errno));
	while (rc == 0 && fgets(line, sizeof line, fp)) {
		char *p = line;
		size_t n = strlen(line);

		lineno++;
		snprintf(where, sizeof where, "--kafka-config %s:%lu", path,
			 lineno);
		if (n > 0 && line[n - 1] != '\n' && !feof(fp)) {
			rc = errbuf_set(eb, STATUS_USAGE, "%s: line too long",
					where);
			break;
		}
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#' || *p == '\r')
			continue;
		rc = kafka_conf_line(conf, p, where, eb);
	}
	if (rc == 0 && ferror(fp))
		rc = errbuf_set(eb, STATUS_USAGE, "--kafka-config %s: %s", path,
				strerror(errno));
	fclose(fp);
	return rc;
}

int
kafka_conf_user(rd_kafka_conf_t *conf, const char *file, const char *const *set,
		size_t nset, struct errbuf *eb)
{
	size_t i;

	if (file && kafka_conf_file(conf, file, eb) == -1)
		return -1;
	for (i = 0; i < nset; i++) {
		char *kv = xstrdup(set[i]);
		int r = kafka_conf_line(conf, kv, "--kafka-set", eb);

		free(kv);
		if (r == -1)
			return -1;
	}
	return 0;
}

/* The trial client has no brokers: librdkafka's warning says so. */
static void
kafka_conf_try_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

int
kafka_conf_try(const rd_kafka_conf_t *conf, rd_kafka_type_t type,
	       const char *where, struct errbuf *eb)
{
	rd_kafka_conf_t *c = rd_kafka_conf_dup(conf);
	rd_kafka_t *rk;
	char err[512];

	rd_kafka_conf_set_log_cb(c, kafka_conf_try_log);
	if (rd_kafka_conf_set(c, "bootstrap.servers", "", err, sizeof err) !=
	    RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(c);
		return errbuf_set(eb, STATUS_USAGE, "%s: %s", where, err);
	}
	rk = rd_kafka_new(type, c, err, sizeof err);
	if (rk == NULL) {
		rd_kafka_conf_destroy(c);
		return errbuf_set(eb, STATUS_USAGE, "%s: %s", where, err);
	}
	rd_kafka_destroy(rk);
	return 0;
}

int64_t
kafka_conf_int(const rd_kafka_conf_t *conf, const char *key, int64_t dflt)
{
	char val[64], *end;
	size_t sz = sizeof val;
	long long v;

	if (rd_kafka_conf_get(conf, key, val, &sz) != RD_KAFKA_CONF_OK)
		return dflt;
	errno = 0;
	v = strtoll(val, &end, 10);
	if (errno || end == val || *end != '\0')
		return dflt;
	return v;
}
