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
	char err[256];
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
		char buf[256];

		if (poll(&pfd, 1, 200) > 0) {
			ssize_t n = read(0, buf, sizeof buf);

			if (n == 0 || (n < 0 && errno != EINTR))
				break;
		}
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
