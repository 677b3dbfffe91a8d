/*
 * lib/dl-rdkafka.h -- librdkafka (librdkafka.so.1), opened when a
 * kafka:// source or target is checked (lazylib.h).  Include this, never
 * <librdkafka/rdkafka.h>: the types are the library's, and every function
 * evpipe calls is a pointer of dl_rdkafka.  To call one more, add it to
 * DL_RDKAFKA_FUNCS and to the #defines below (either alone fails the
 * build).
 */
#ifndef DL_RDKAFKA_H
#define DL_RDKAFKA_H

#include <librdkafka/rdkafka.h>

#include "lazylib.h"

#define DL_RDKAFKA_FUNCS(X)                                                    \
	X(rd_kafka_assign)                                                     \
	X(rd_kafka_assignment)                                                 \
	X(rd_kafka_commit)                                                     \
	X(rd_kafka_conf_destroy)                                               \
	X(rd_kafka_conf_dup)                                                   \
	X(rd_kafka_conf_get)                                                   \
	X(rd_kafka_conf_new)                                                   \
	X(rd_kafka_conf_set)                                                   \
	X(rd_kafka_conf_set_dr_msg_cb)                                         \
	X(rd_kafka_conf_set_error_cb)                                          \
	X(rd_kafka_conf_set_log_cb)                                            \
	X(rd_kafka_conf_set_offset_commit_cb)                                  \
	X(rd_kafka_conf_set_opaque)                                            \
	X(rd_kafka_conf_set_rebalance_cb)                                      \
	X(rd_kafka_consumer_close)                                             \
	X(rd_kafka_consumer_poll)                                              \
	X(rd_kafka_destroy)                                                    \
	X(rd_kafka_err2str)                                                    \
	X(rd_kafka_error_code)                                                 \
	X(rd_kafka_error_destroy)                                              \
	X(rd_kafka_fatal_error)                                                \
	X(rd_kafka_flush)                                                      \
	X(rd_kafka_header_add)                                                 \
	X(rd_kafka_header_cnt)                                                 \
	X(rd_kafka_header_get_all)                                             \
	X(rd_kafka_headers_destroy)                                            \
	X(rd_kafka_headers_new)                                                \
	X(rd_kafka_incremental_assign)                                         \
	X(rd_kafka_incremental_unassign)                                       \
	X(rd_kafka_last_error)                                                 \
	X(rd_kafka_message_destroy)                                            \
	X(rd_kafka_message_errstr)                                             \
	X(rd_kafka_message_headers)                                            \
	X(rd_kafka_message_timestamp)                                          \
	X(rd_kafka_metadata)                                                   \
	X(rd_kafka_metadata_destroy)                                           \
	X(rd_kafka_new)                                                        \
	X(rd_kafka_offsets_for_times)                                          \
	X(rd_kafka_poll)                                                       \
	X(rd_kafka_poll_set_consumer)                                          \
	X(rd_kafka_produce_batch)                                              \
	X(rd_kafka_produceva)                                                  \
	X(rd_kafka_purge)                                                      \
	X(rd_kafka_queue_destroy)                                              \
	X(rd_kafka_queue_get_consumer)                                         \
	X(rd_kafka_queue_io_event_enable)                                      \
	X(rd_kafka_queue_length)                                               \
	X(rd_kafka_rebalance_protocol)                                         \
	X(rd_kafka_subscribe)                                                  \
	X(rd_kafka_topic_destroy)                                              \
	X(rd_kafka_topic_name)                                                 \
	X(rd_kafka_topic_new)                                                  \
	X(rd_kafka_topic_partition_list_add)                                   \
	X(rd_kafka_topic_partition_list_destroy)                               \
	X(rd_kafka_topic_partition_list_new)                                   \
	X(rd_kafka_unsubscribe)                                                \
	X(rd_kafka_version)

struct dl_rdkafka {
	DL_RDKAFKA_FUNCS(LAZYLIB_SLOT)
};
extern struct dl_rdkafka dl_rdkafka;

#ifndef LAZYLIB_NO_REDIRECT
#define rd_kafka_assign		    (dl_rdkafka.rd_kafka_assign)
#define rd_kafka_assignment	    (dl_rdkafka.rd_kafka_assignment)
#define rd_kafka_commit		    (dl_rdkafka.rd_kafka_commit)
#define rd_kafka_conf_destroy	    (dl_rdkafka.rd_kafka_conf_destroy)
#define rd_kafka_conf_dup	    (dl_rdkafka.rd_kafka_conf_dup)
#define rd_kafka_conf_get	    (dl_rdkafka.rd_kafka_conf_get)
#define rd_kafka_conf_new	    (dl_rdkafka.rd_kafka_conf_new)
#define rd_kafka_conf_set	    (dl_rdkafka.rd_kafka_conf_set)
#define rd_kafka_conf_set_dr_msg_cb (dl_rdkafka.rd_kafka_conf_set_dr_msg_cb)
#define rd_kafka_conf_set_error_cb  (dl_rdkafka.rd_kafka_conf_set_error_cb)
#define rd_kafka_conf_set_log_cb    (dl_rdkafka.rd_kafka_conf_set_log_cb)
#define rd_kafka_conf_set_offset_commit_cb                                     \
	(dl_rdkafka.rd_kafka_conf_set_offset_commit_cb)
#define rd_kafka_conf_set_opaque (dl_rdkafka.rd_kafka_conf_set_opaque)
#define rd_kafka_conf_set_rebalance_cb                                         \
	(dl_rdkafka.rd_kafka_conf_set_rebalance_cb)
#define rd_kafka_consumer_close	      (dl_rdkafka.rd_kafka_consumer_close)
#define rd_kafka_consumer_poll	      (dl_rdkafka.rd_kafka_consumer_poll)
#define rd_kafka_destroy	      (dl_rdkafka.rd_kafka_destroy)
#define rd_kafka_err2str	      (dl_rdkafka.rd_kafka_err2str)
#define rd_kafka_error_code	      (dl_rdkafka.rd_kafka_error_code)
#define rd_kafka_error_destroy	      (dl_rdkafka.rd_kafka_error_destroy)
#define rd_kafka_fatal_error	      (dl_rdkafka.rd_kafka_fatal_error)
#define rd_kafka_flush		      (dl_rdkafka.rd_kafka_flush)
#define rd_kafka_header_add	      (dl_rdkafka.rd_kafka_header_add)
#define rd_kafka_header_cnt	      (dl_rdkafka.rd_kafka_header_cnt)
#define rd_kafka_header_get_all	      (dl_rdkafka.rd_kafka_header_get_all)
#define rd_kafka_headers_destroy      (dl_rdkafka.rd_kafka_headers_destroy)
#define rd_kafka_headers_new	      (dl_rdkafka.rd_kafka_headers_new)
#define rd_kafka_incremental_assign   (dl_rdkafka.rd_kafka_incremental_assign)
#define rd_kafka_incremental_unassign (dl_rdkafka.rd_kafka_incremental_unassign)
#define rd_kafka_last_error	      (dl_rdkafka.rd_kafka_last_error)
#define rd_kafka_message_destroy      (dl_rdkafka.rd_kafka_message_destroy)
#define rd_kafka_message_errstr	      (dl_rdkafka.rd_kafka_message_errstr)
#define rd_kafka_message_headers      (dl_rdkafka.rd_kafka_message_headers)
#define rd_kafka_message_timestamp    (dl_rdkafka.rd_kafka_message_timestamp)
/* function-like: "struct rd_kafka_metadata" is a type of the same name */
#define rd_kafka_metadata(...)	    (dl_rdkafka.rd_kafka_metadata)(__VA_ARGS__)
#define rd_kafka_metadata_destroy   (dl_rdkafka.rd_kafka_metadata_destroy)
#define rd_kafka_new		    (dl_rdkafka.rd_kafka_new)
#define rd_kafka_offsets_for_times  (dl_rdkafka.rd_kafka_offsets_for_times)
#define rd_kafka_poll		    (dl_rdkafka.rd_kafka_poll)
#define rd_kafka_poll_set_consumer  (dl_rdkafka.rd_kafka_poll_set_consumer)
#define rd_kafka_produce_batch	    (dl_rdkafka.rd_kafka_produce_batch)
#define rd_kafka_produceva	    (dl_rdkafka.rd_kafka_produceva)
#define rd_kafka_purge		    (dl_rdkafka.rd_kafka_purge)
#define rd_kafka_queue_destroy	    (dl_rdkafka.rd_kafka_queue_destroy)
#define rd_kafka_queue_get_consumer (dl_rdkafka.rd_kafka_queue_get_consumer)
#define rd_kafka_queue_io_event_enable                                         \
	(dl_rdkafka.rd_kafka_queue_io_event_enable)
#define rd_kafka_queue_length	    (dl_rdkafka.rd_kafka_queue_length)
#define rd_kafka_rebalance_protocol (dl_rdkafka.rd_kafka_rebalance_protocol)
#define rd_kafka_subscribe	    (dl_rdkafka.rd_kafka_subscribe)
#define rd_kafka_topic_destroy	    (dl_rdkafka.rd_kafka_topic_destroy)
#define rd_kafka_topic_name	    (dl_rdkafka.rd_kafka_topic_name)
#define rd_kafka_topic_new	    (dl_rdkafka.rd_kafka_topic_new)
#define rd_kafka_topic_partition_list_add                                      \
	(dl_rdkafka.rd_kafka_topic_partition_list_add)
#define rd_kafka_topic_partition_list_destroy                                  \
	(dl_rdkafka.rd_kafka_topic_partition_list_destroy)
#define rd_kafka_topic_partition_list_new                                      \
	(dl_rdkafka.rd_kafka_topic_partition_list_new)
#define rd_kafka_unsubscribe (dl_rdkafka.rd_kafka_unsubscribe)
#define rd_kafka_version     (dl_rdkafka.rd_kafka_version)
#endif

#endif
