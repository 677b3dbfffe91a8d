/*
 * lib/dl-mhd.h -- libmicrohttpd (libmicrohttpd.so.12), opened when an
 * http:// or https:// source is checked (lazylib.h).  Include this, never
 * <microhttpd.h>: the types are the library's, and every function evpipe
 * calls is a pointer of dl_mhd (MHD_start_daemon() and
 * MHD_get_daemon_info() are variadic: a pointer to a variadic function
 * is called like the function).  To call one more, add it to
 * DL_MHD_FUNCS and to the #defines below (either alone fails the build).
 */
#ifndef DL_MHD_H
#define DL_MHD_H

#include <microhttpd.h>

#include "lazylib.h"

#define DL_MHD_FUNCS(X)                                                        \
	X(MHD_add_response_header)                                             \
	X(MHD_create_response_from_buffer)                                     \
	X(MHD_destroy_response)                                                \
	X(MHD_get_connection_info)                                             \
	X(MHD_get_connection_values)                                           \
	X(MHD_get_daemon_info)                                                 \
	X(MHD_get_timeout)                                                     \
	X(MHD_lookup_connection_value)                                         \
	X(MHD_queue_response)                                                  \
	X(MHD_resume_connection)                                               \
	X(MHD_run)                                                             \
	X(MHD_start_daemon)                                                    \
	X(MHD_stop_daemon)                                                     \
	X(MHD_suspend_connection)

struct dl_mhd {
	DL_MHD_FUNCS(LAZYLIB_SLOT)
};
extern struct dl_mhd dl_mhd;

#ifndef LAZYLIB_NO_REDIRECT
#define MHD_add_response_header		(dl_mhd.MHD_add_response_header)
#define MHD_create_response_from_buffer (dl_mhd.MHD_create_response_from_buffer)
#define MHD_destroy_response		(dl_mhd.MHD_destroy_response)
#define MHD_get_connection_info		(dl_mhd.MHD_get_connection_info)
#define MHD_get_connection_values	(dl_mhd.MHD_get_connection_values)
#define MHD_get_daemon_info		(dl_mhd.MHD_get_daemon_info)
#define MHD_get_timeout			(dl_mhd.MHD_get_timeout)
#define MHD_lookup_connection_value	(dl_mhd.MHD_lookup_connection_value)
#define MHD_queue_response		(dl_mhd.MHD_queue_response)
#define MHD_resume_connection		(dl_mhd.MHD_resume_connection)
#define MHD_run				(dl_mhd.MHD_run)
#define MHD_start_daemon		(dl_mhd.MHD_start_daemon)
#define MHD_stop_daemon			(dl_mhd.MHD_stop_daemon)
#define MHD_suspend_connection		(dl_mhd.MHD_suspend_connection)
#endif

#endif
