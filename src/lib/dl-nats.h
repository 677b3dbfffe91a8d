/*
 * lib/dl-nats.h -- libnats (libnats.so.3.4, the soname of the 3.4
 * series), opened when a nats:// or nats+tls:// source or target is
 * checked (lazylib.h).  Include this, never <nats/nats.h>: the types are
 * the library's, and every function evpipe calls is a pointer of
 * dl_nats.  To call one more, add it to DL_NATS_FUNCS and to the
 * #defines below (either alone fails the build).
 */
#ifndef DL_NATS_H
#define DL_NATS_H

#include <nats/nats.h>

#include "lazylib.h"

#define DL_NATS_FUNCS(X)                                                       \
	X(jsConsumerConfig_Init)                                               \
	X(jsConsumerInfo_Destroy)                                              \
	X(jsCtx_Destroy)                                                       \
	X(jsMsgMetaData_Destroy)                                               \
	X(jsOptions_Init)                                                      \
	X(jsPubOptions_Init)                                                   \
	X(jsStreamInfo_Destroy)                                                \
	X(jsStreamNamesList_Destroy)                                           \
	X(js_AddConsumer)                                                      \
	X(js_GetConsumerInfo)                                                  \
	X(js_GetStreamInfo)                                                    \
	X(js_PublishAsyncComplete)                                             \
	X(js_PublishAsyncGetPendingList)                                       \
	X(js_PublishMsgAsync)                                                  \
	X(js_StreamNames)                                                      \
	X(natsConnection_Close)                                                \
	X(natsConnection_Connect)                                              \
	X(natsConnection_Destroy)                                              \
	X(natsConnection_FlushTimeout)                                         \
	X(natsConnection_GetMaxPayload)                                        \
	X(natsConnection_JetStream)                                            \
	X(natsConnection_PublishRequestString)                                 \
	X(natsConnection_PublishString)                                        \
	X(natsConnection_Subscribe)                                            \
	X(natsInbox_Create)                                                    \
	X(natsInbox_Destroy)                                                   \
	X(natsMsgHeader_Get)                                                   \
	X(natsMsgHeader_Keys)                                                  \
	X(natsMsgHeader_Set)                                                   \
	X(natsMsgHeader_Values)                                                \
	X(natsMsgList_Destroy)                                                 \
	X(natsMsg_Create)                                                      \
	X(natsMsg_Destroy)                                                     \
	X(natsMsg_GetData)                                                     \
	X(natsMsg_GetDataLength)                                               \
	X(natsMsg_GetMetaData)                                                 \
	X(natsMsg_GetReply)                                                    \
	X(natsMsg_GetSubject)                                                  \
	X(natsOptions_Create)                                                  \
	X(natsOptions_Destroy)                                                 \
	X(natsOptions_LoadCATrustedCertificates)                               \
	X(natsOptions_LoadCertificatesChain)                                   \
	X(natsOptions_SetClosedCB)                                             \
	X(natsOptions_SetDisconnectedCB)                                       \
	X(natsOptions_SetNKeyFromSeed)                                         \
	X(natsOptions_SetName)                                                 \
	X(natsOptions_SetReconnectedCB)                                        \
	X(natsOptions_SetSecure)                                               \
	X(natsOptions_SetServers)                                              \
	X(natsOptions_SetTimeout)                                              \
	X(natsOptions_SetToken)                                                \
	X(natsOptions_SetUserCredentialsFromFiles)                             \
	X(natsStatus_GetText)                                                  \
	X(natsSubscription_Destroy)                                            \
	X(natsSubscription_Drain)                                              \
	X(natsSubscription_SetPendingLimits)                                   \
	X(natsSubscription_Unsubscribe)                                        \
	X(natsSubscription_WaitForDrainCompletion)                             \
	X(nats_GetLastError)                                                   \
	X(nats_Now)                                                            \
	X(nats_Sleep)

struct dl_nats {
	DL_NATS_FUNCS(LAZYLIB_SLOT)
};
extern struct dl_nats dl_nats;

#ifndef LAZYLIB_NO_REDIRECT
#define jsConsumerConfig_Init	      (dl_nats.jsConsumerConfig_Init)
#define jsConsumerInfo_Destroy	      (dl_nats.jsConsumerInfo_Destroy)
#define jsCtx_Destroy		      (dl_nats.jsCtx_Destroy)
#define jsMsgMetaData_Destroy	      (dl_nats.jsMsgMetaData_Destroy)
#define jsOptions_Init		      (dl_nats.jsOptions_Init)
#define jsPubOptions_Init	      (dl_nats.jsPubOptions_Init)
#define jsStreamInfo_Destroy	      (dl_nats.jsStreamInfo_Destroy)
#define jsStreamNamesList_Destroy     (dl_nats.jsStreamNamesList_Destroy)
#define js_AddConsumer		      (dl_nats.js_AddConsumer)
#define js_GetConsumerInfo	      (dl_nats.js_GetConsumerInfo)
#define js_GetStreamInfo	      (dl_nats.js_GetStreamInfo)
#define js_PublishAsyncComplete	      (dl_nats.js_PublishAsyncComplete)
#define js_PublishAsyncGetPendingList (dl_nats.js_PublishAsyncGetPendingList)
#define js_PublishMsgAsync	      (dl_nats.js_PublishMsgAsync)
#define js_StreamNames		      (dl_nats.js_StreamNames)
#define natsConnection_Close	      (dl_nats.natsConnection_Close)
#define natsConnection_Connect	      (dl_nats.natsConnection_Connect)
#define natsConnection_Destroy	      (dl_nats.natsConnection_Destroy)
#define natsConnection_FlushTimeout   (dl_nats.natsConnection_FlushTimeout)
#define natsConnection_GetMaxPayload  (dl_nats.natsConnection_GetMaxPayload)
#define natsConnection_JetStream      (dl_nats.natsConnection_JetStream)
#define natsConnection_PublishRequestString                                    \
	(dl_nats.natsConnection_PublishRequestString)
#define natsConnection_PublishString (dl_nats.natsConnection_PublishString)
#define natsConnection_Subscribe     (dl_nats.natsConnection_Subscribe)
#define natsInbox_Create	     (dl_nats.natsInbox_Create)
#define natsInbox_Destroy	     (dl_nats.natsInbox_Destroy)
#define natsMsgHeader_Get	     (dl_nats.natsMsgHeader_Get)
#define natsMsgHeader_Keys	     (dl_nats.natsMsgHeader_Keys)
#define natsMsgHeader_Set	     (dl_nats.natsMsgHeader_Set)
#define natsMsgHeader_Values	     (dl_nats.natsMsgHeader_Values)
#define natsMsgList_Destroy	     (dl_nats.natsMsgList_Destroy)
#define natsMsg_Create		     (dl_nats.natsMsg_Create)
#define natsMsg_Destroy		     (dl_nats.natsMsg_Destroy)
#define natsMsg_GetData		     (dl_nats.natsMsg_GetData)
#define natsMsg_GetDataLength	     (dl_nats.natsMsg_GetDataLength)
#define natsMsg_GetMetaData	     (dl_nats.natsMsg_GetMetaData)
#define natsMsg_GetReply	     (dl_nats.natsMsg_GetReply)
#define natsMsg_GetSubject	     (dl_nats.natsMsg_GetSubject)
#define natsOptions_Create	     (dl_nats.natsOptions_Create)
#define natsOptions_Destroy	     (dl_nats.natsOptions_Destroy)
#define natsOptions_LoadCATrustedCertificates                                  \
	(dl_nats.natsOptions_LoadCATrustedCertificates)
#define natsOptions_LoadCertificatesChain                                      \
	(dl_nats.natsOptions_LoadCertificatesChain)
#define natsOptions_SetClosedCB	      (dl_nats.natsOptions_SetClosedCB)
#define natsOptions_SetDisconnectedCB (dl_nats.natsOptions_SetDisconnectedCB)
#define natsOptions_SetNKeyFromSeed   (dl_nats.natsOptions_SetNKeyFromSeed)
#define natsOptions_SetName	      (dl_nats.natsOptions_SetName)
#define natsOptions_SetReconnectedCB  (dl_nats.natsOptions_SetReconnectedCB)
#define natsOptions_SetSecure	      (dl_nats.natsOptions_SetSecure)
#define natsOptions_SetServers	      (dl_nats.natsOptions_SetServers)
#define natsOptions_SetTimeout	      (dl_nats.natsOptions_SetTimeout)
#define natsOptions_SetToken	      (dl_nats.natsOptions_SetToken)
#define natsOptions_SetUserCredentialsFromFiles                                \
	(dl_nats.natsOptions_SetUserCredentialsFromFiles)
#define natsStatus_GetText	 (dl_nats.natsStatus_GetText)
#define natsSubscription_Destroy (dl_nats.natsSubscription_Destroy)
#define natsSubscription_Drain	 (dl_nats.natsSubscription_Drain)
#define natsSubscription_SetPendingLimits                                      \
	(dl_nats.natsSubscription_SetPendingLimits)
#define natsSubscription_Unsubscribe (dl_nats.natsSubscription_Unsubscribe)
#define natsSubscription_WaitForDrainCompletion                                \
	(dl_nats.natsSubscription_WaitForDrainCompletion)
#define nats_GetLastError (dl_nats.nats_GetLastError)
#define nats_Now	  (dl_nats.nats_Now)
#define nats_Sleep	  (dl_nats.nats_Sleep)
#endif

#endif
