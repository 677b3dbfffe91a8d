/*
 * kafka-mock -- a Kafka cluster of three brokers for the tests, held in
 * this process by librdkafka's mock cluster (it speaks the wire
 * protocol, on 127.0.0.1 only).
 *
 *   kafka-mock [TOPIC:PARTITIONS ...]
 *
 * creates the topics, prints the bootstrap list ("127.0.0.1:P1,...") on
 * stdout, and runs until its stdin ends or it gets SIGTERM or SIGINT.
 * Other topics are created when a client first asks for them.
 *
 * Its stdin is also a control channel, one command a line:
 *
 *   down BROKER                    the broker (1, 2 or 3) drops its
 *                                  connections and takes no new ones
 *   up BROKER                      it takes connections again
 *   leader TOPIC PARTITION BROKER  the partition's leader moves
 *
 * Each command done is acknowledged on stderr with "kafka-mock: ok: "
 * and the command; one it cannot do with "kafka-mock: error: ".  The
 * mock moves no leader by itself: a partition led by a broker that is
 * down cannot be produced to or read until the broker is up again or
 * the leader is moved (rd_kafka_mock_broker_set_down()).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

/* The cluster's own client has no brokers to talk to: keep it quiet. */
static void
quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf;
}

/* Run one command line of the control channel. */
static void
control(rd_kafka_mock_cluster_t *mc, char *line)
{
	char topic[256], word[16];
	int broker, part, n = 0;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__INVALID_ARG;

	line[strcspn(line, "\r")] = '\0';
	if (line[0] == '\0')
		return;
	if (sscanf(line, "%15s %d %n", word, &broker, &n) == 2 &&
	    line[n] == '\0' && strcmp(word, "down") == 0)
		err = rd_kafka_mock_broker_set_down(mc, broker);
	else if (sscanf(line, "%15s %d %n", word, &broker, &n) == 2 &&
		 line[n] == '\0' && strcmp(word, "up") == 0)
		err = rd_kafka_mock_broker_set_up(mc, broker);
	else if (sscanf(line, "leader %255s %d %d %n", topic, &part, &broker,
			&n) == 3 &&
		 line[n] == '\0')
		err = rd_kafka_mock_partition_set_leader(mc, topic, part,
							 broker);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		fprintf(stderr, "kafka-mock: ok: %s\n", line);
	else
		fprintf(stderr, "kafka-mock: error: %s: %s\n", line,
			err == RD_KAFKA_RESP_ERR__INVALID_ARG
				? "expected down N, up N or leader TOPIC P N"
				: rd_kafka_err2str(err));
	fflush(stderr);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t *mc;
	struct sigaction sa;
	rd_kafka_t *rk;
	char err[256], line[1024];
	size_t have = 0;
	int i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (rk == NULL) {
		fprintf(stderr, "kafka-mock: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, 3);
	if (mc == NULL) {
		fprintf(stderr, "kafka-mock: cannot start the mock cluster\n");
		return 1;
	}
	for (i = 1; i < argc; i++) {
		char *colon = strrchr(argv[i], ':');
		int parts = colon ? atoi(colon + 1) : 0;

		if (colon == NULL || parts <= 0) {
			fprintf(stderr,
				"kafka-mock: expected TOPIC:PARTITIONS, "
				"not '%s'\n",
				argv[i]);
			return 2;
		}
		*colon = '\0';
		if (rd_kafka_mock_topic_create(mc, argv[i], parts, 3) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "kafka-mock: cannot create %s\n",
				argv[i]);
			return 1;
		}
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		char *nl;
		ssize_t n;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(0, line + have, sizeof line - 1 - have);
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
		if (n < 0)
			continue;
		have += (size_t)n;
		line[have] = '\0';
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			control(mc, line);
			have -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, have + 1);
		}
		if (have == sizeof line - 1) {
			fprintf(stderr, "kafka-mock: error: a line too long\n");
			have = 0;
		}
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
