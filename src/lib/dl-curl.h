/*
 * lib/dl-curl.h -- libcurl (libcurl.so.4), opened when an http:// or
 * https:// target is checked (lazylib.h).  Include this, never
 * <curl/curl.h>: the types are the library's, and every function evpipe
 * calls is a pointer of dl_curl.  To call one more, add it to
 * DL_CURL_FUNCS and to the #defines below (either alone fails the
 * build).
 *
 * curl.h wraps curl_easy_setopt(), curl_easy_getinfo() and
 * curl_multi_setopt() in macros of the same name: with gcc, checks of
 * the third argument's type against the option (typecheck-gcc.h);
 * otherwise a plain call.  Those macros call the library's own symbol,
 * so they are replaced here by the pointers; "make warnings" compiles
 * sink/http.c once more with LAZYLIB_NO_REDIRECT (gcc, -O2, not linked)
 * so that the type checks still run.
 */
#ifndef DL_CURL_H
#define DL_CURL_H

#include <curl/curl.h>

#include "lazylib.h"

#define DL_CURL_FUNCS(X)                                                       \
	X(curl_easy_cleanup)                                                   \
	X(curl_easy_getinfo)                                                   \
	X(curl_easy_init)                                                      \
	X(curl_easy_setopt)                                                    \
	X(curl_easy_strerror)                                                  \
	X(curl_global_init)                                                    \
	X(curl_multi_add_handle)                                               \
	X(curl_multi_cleanup)                                                  \
	X(curl_multi_info_read)                                                \
	X(curl_multi_init)                                                     \
	X(curl_multi_perform)                                                  \
	X(curl_multi_poll)                                                     \
	X(curl_multi_remove_handle)                                            \
	X(curl_multi_setopt)                                                   \
	X(curl_multi_wakeup)                                                   \
	X(curl_slist_append)                                                   \
	X(curl_slist_free_all)

struct dl_curl {
	DL_CURL_FUNCS(LAZYLIB_SLOT)
};
extern struct dl_curl dl_curl;

#ifndef LAZYLIB_NO_REDIRECT
#undef curl_easy_getinfo
#undef curl_easy_setopt
#undef curl_multi_setopt
#define curl_easy_cleanup	 (dl_curl.curl_easy_cleanup)
#define curl_easy_getinfo	 (dl_curl.curl_easy_getinfo)
#define curl_easy_init		 (dl_curl.curl_easy_init)
#define curl_easy_setopt	 (dl_curl.curl_easy_setopt)
#define curl_easy_strerror	 (dl_curl.curl_easy_strerror)
#define curl_global_init	 (dl_curl.curl_global_init)
#define curl_multi_add_handle	 (dl_curl.curl_multi_add_handle)
#define curl_multi_cleanup	 (dl_curl.curl_multi_cleanup)
#define curl_multi_info_read	 (dl_curl.curl_multi_info_read)
#define curl_multi_init		 (dl_curl.curl_multi_init)
#define curl_multi_perform	 (dl_curl.curl_multi_perform)
#define curl_multi_poll		 (dl_curl.curl_multi_poll)
#define curl_multi_remove_handle (dl_curl.curl_multi_remove_handle)
#define curl_multi_setopt	 (dl_curl.curl_multi_setopt)
#define curl_multi_wakeup	 (dl_curl.curl_multi_wakeup)
#define curl_slist_append	 (dl_curl.curl_slist_append)
#define curl_slist_free_all	 (dl_curl.curl_slist_free_all)
#endif

#endif
