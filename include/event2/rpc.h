/* SPDX-License-Identifier: BSD-3-Clause */
/* Remote procedure calls carried over HTTP, with generated message types. Part of evrs, an implementation of the libevent 2.2.1 API in Rust. */

#ifndef EVENT2_RPC_H_INCLUDED_
#define EVENT2_RPC_H_INCLUDED_

/* Integer types. */
#include <event2/util.h>
#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @file event2/rpc.h
 *
 * @brief A small RPC system: typed requests and replies sent as HTTP POSTs.
 *
 * Message types are described in an .rpc file and turned into C code by
 * the event_rpcgen.py generator, which provides for each message type a
 * structure and functions such as _new, _free, _marshal, _unmarshal,
 * _clear and _complete.  An RPC ties a name to a request type and a reply
 * type:
 *
 * @code
 *   EVRPC_HEADER(Lookup, LookupRequest, LookupReply)     // in a header
 *   EVRPC_GENERATE(Lookup, LookupRequest, LookupReply)   // in one .c file
 * @endcode
 *
 * A server attaches an RPC base to its HTTP server with evrpc_init() and
 * registers a handler per RPC with EVRPC_REGISTER().  The handler receives
 * an EVRPC_STRUCT(Lookup) holding the decoded request and an empty reply,
 * fills in the reply and finishes with EVRPC_REQUEST_DONE().
 *
 * A client creates a pool with evrpc_pool_new(), adds HTTP connections to
 * it, and starts calls with EVRPC_MAKE_REQUEST(); a callback receives the
 * status and the decoded reply.
 *
 * Hooks (evrpc_add_hook()) can inspect or rewrite the encoded messages on
 * either side, for instance to add authentication or compression.
 */

/**
   Tells whether a field of a generated message has been set.

   @param msg the message
   @param member the field's name
   @return 1 if the field is set, 0 if not
*/
#define EVTAG_HAS(msg, member) \
	((msg)->member##_set == 1)

#ifndef EVENT2_RPC_COMPAT_H_INCLUDED_

/**
   Sets a field of a generated message through its _assign function.

   @param msg the message
   @param member the field's name
   @param value the new value
   @return 0 on success, -1 on failure
*/
#define EVTAG_ASSIGN(msg, member, value) \
	(*(msg)->base->member##_assign)((msg), (value))
/**
   Sets a variable-length field of a generated message (such as a byte
   array) through its _assign function.

   @param msg the message
   @param member the field's name
   @param value the new value
   @param len the length of @p value in bytes
   @return 0 on success, -1 on failure
*/
#define EVTAG_ASSIGN_WITH_LEN(msg, member, value, len)	\
	(*(msg)->base->member##_assign)((msg), (value), (len))
/**
   Reads a field of a generated message through its _get function.

   @param msg the message
   @param member the field's name
   @param pvalue where to store the value
   @return 0 on success, -1 if the field is not set
*/
#define EVTAG_GET(msg, member, pvalue) \
	(*(msg)->base->member##_get)((msg), (pvalue))
/**
   Reads a variable-length field of a generated message through its _get
   function.

   @param msg the message
   @param member the field's name
   @param pvalue where to store a pointer to the value
   @param plen where to store the length of the value
   @return 0 on success, -1 if the field is not set
*/
#define EVTAG_GET_WITH_LEN(msg, member, pvalue, plen)	\
	(*(msg)->base->member##_get)((msg), (pvalue), (plen))

#endif  /* EVENT2_RPC_COMPAT_H_INCLUDED_ */

/**
   Appends a value to an array field of a generated message.
*/
#define EVTAG_ARRAY_ADD_VALUE(msg, member, value) \
	(*(msg)->base->member##_add)((msg), (value))
/**
   Appends a new, empty element to an array field of a generated message
   and returns a pointer to it.
*/
#define EVTAG_ARRAY_ADD(msg, member) \
	(*(msg)->base->member##_add)(msg)
/**
   Reads the element at a given index of an array field; 0 on success, -1
   if the index is out of range.
*/
#define EVTAG_ARRAY_GET(msg, member, offset, pvalue)	\
	(*(msg)->base->member##_get)((msg), (offset), (pvalue))
/**
   Number of elements in an array field of a generated message.
*/
#define EVTAG_ARRAY_LEN(msg, member) ((msg)->member##_length)


struct evbuffer;
struct event_base;
struct evrpc_req_generic;
struct evrpc_request_wrapper;
struct evrpc;

/** Names the structure a server handler receives for one call of an RPC.
 *
 * @param rpcname the RPC's name
 */
#define EVRPC_STRUCT(rpcname) struct evrpc_req__##rpcname

struct evhttp_request;
struct evrpc_status;
struct evrpc_hook_meta;

/** Declares what an RPC needs: the structure handed to its server handler
 * (with the request, the reply and the underlying HTTP request) and the
 * prototype of the client function evrpc_send_request_<rpcname>().
 *
 * Use it in a header; the request and reply types come from
 * event_rpcgen.py.
 *
 * @param rpcname the RPC's name
 * @param reqstruct the request message type (without "struct")
 * @param rplystruct the reply message type (without "struct")
 * @see EVRPC_GENERATE()
 */
#define EVRPC_HEADER(rpcname, reqstruct, rplystruct) \
EVRPC_STRUCT(rpcname) {	\
	struct evrpc_hook_meta *hook_meta; \
	struct reqstruct* request; \
	struct rplystruct* reply; \
	struct evrpc* rpc; \
	struct evhttp_request* http_req; \
	struct evbuffer* rpc_data; \
};								     \
EVENT2_EXPORT_SYMBOL \
int evrpc_send_request_##rpcname(struct evrpc_pool *, \
    struct reqstruct *, struct rplystruct *, \
    void (*)(struct evrpc_status *, \
	struct reqstruct *, struct rplystruct *, void *cbarg),	\
    void *);

struct evrpc_pool;

/** Builds the client-side context of a call; used by EVRPC_MAKE_CTX(),
 * which should be preferred.
 *
 * @return the new context, or NULL on failure
 */
EVENT2_EXPORT_SYMBOL
struct evrpc_request_wrapper *evrpc_make_request_ctx(
	struct evrpc_pool *pool, void *request, void *reply,
	const char *rpcname,
	void (*req_marshal)(struct evbuffer*, void *),
	void (*rpl_clear)(void *),
	int (*rpl_unmarshal)(void *, struct evbuffer *),
	void (*cb)(struct evrpc_status *, void *, void *, void *),
	void *cbarg);

/** Builds the client-side context of a call, filling in the functions that
 * encode the request and decode the reply of the given message types.  The
 * context can be adjusted (see evrpc_request_set_pool() and friends) and
 * then started with evrpc_make_request().
 *
 * @param rpcname the RPC's name
 * @param reqstruct the request message type
 * @param rplystruct the reply message type
 * @param pool the pool to send the call through
 * @param request the request message
 * @param reply the reply message to fill in
 * @param cb called when the call completes or fails
 * @param cbarg passed to @p cb
 * @return the context, or NULL on failure
 */
#define EVRPC_MAKE_CTX(rpcname, reqstruct, rplystruct, \
    pool, request, reply, cb, cbarg)					\
	evrpc_make_request_ctx(pool, request, reply,			\
	    #rpcname,							\
	    (void (*)(struct evbuffer *, void *))reqstruct##_marshal,	\
	    (void (*)(void *))rplystruct##_clear,			\
	    (int (*)(void *, struct evbuffer *))rplystruct##_unmarshal, \
	    (void (*)(struct evrpc_status *, void *, void *, void *))cb, \
	    cbarg)

/** Defines the client function evrpc_send_request_<rpcname>() declared by
 * EVRPC_HEADER().  Use it in exactly one source file.
 *
 * @param rpcname the RPC's name
 * @param reqstruct the request message type
 * @param rplystruct the reply message type
 * @see EVRPC_HEADER()
 */
#define EVRPC_GENERATE(rpcname, reqstruct, rplystruct)			\
	int evrpc_send_request_##rpcname(struct evrpc_pool *pool,	\
	    struct reqstruct *request, struct rplystruct *reply,	\
	    void (*cb)(struct evrpc_status *,				\
		struct reqstruct *, struct rplystruct *, void *cbarg),	\
	    void *cbarg) {						\
	return evrpc_send_request_generic(pool, request, reply,	\
	    (void (*)(struct evrpc_status *, void *, void *, void *))cb, \
	    cbarg,							\
	    #rpcname,							\
	    (void (*)(struct evbuffer *, void *))reqstruct##_marshal,	\
	    (void (*)(void *))rplystruct##_clear,			\
	    (int (*)(void *, struct evbuffer *))rplystruct##_unmarshal); \
}

/** Gives the HTTP request that carried a call, so that a server handler
 * can look at its headers or the client's address.
 *
 * @param rpc_req the structure the handler received
 * @return the struct evhttp_request of the call
 */
#define EVRPC_REQUEST_HTTP(rpc_req) (rpc_req)->http_req

/** Sends the reply of a call and frees the call; see EVRPC_REQUEST_DONE().
 *
 * @param req the call being answered
 */
EVENT2_EXPORT_SYMBOL
void evrpc_request_done(struct evrpc_req_generic *req);

/** Gives the decoded request message of a call. */
EVENT2_EXPORT_SYMBOL
void *evrpc_get_request(struct evrpc_req_generic *req);
/** Gives the reply message of a call, for the handler to fill in. */
EVENT2_EXPORT_SYMBOL
void *evrpc_get_reply(struct evrpc_req_generic *req);

/** Finishes a call on the server side: encodes the filled-in reply and
 * sends it (or an error, if required fields are missing).  The call's
 * request and reply must not be used afterwards.
 *
 * @param rpc_req the structure the handler received
 */
#define EVRPC_REQUEST_DONE(rpc_req) do { \
  struct evrpc_req_generic *req_ = (struct evrpc_req_generic *)(rpc_req); \
  evrpc_request_done(req_);					\
} while (0)


struct evrpc_base;
struct evhttp;

/* Server side. */

/** Creates an RPC base that serves RPCs through an HTTP server.
 *
 * @param server the HTTP server the RPCs are served by
 * @return the new RPC base, or NULL on failure
 * @see evrpc_free()
 */
EVENT2_EXPORT_SYMBOL
struct evrpc_base *evrpc_init(struct evhttp *server);

/**
 * Frees an RPC base with its registered RPCs and hooks.  No call may be in
 * progress.
 *
 * @param base the RPC base to free
 * @see evrpc_init()
 */
EVENT2_EXPORT_SYMBOL
void evrpc_free(struct evrpc_base *base);

/** Registers the server handler of an RPC.
 *
 * The RPC is served at the HTTP path "/.rpc.<name>"; each name can be
 * registered once.
 *
 * @param base the RPC base
 * @param name the RPC's name
 * @param request the request message type
 * @param reply the reply message type
 * @param callback the handler, of the form
 *   void handler(EVRPC_STRUCT(name) *rpc, void *arg)
 * @param cbarg passed to @p callback
 * @return 0 on success, -1 on failure
 */
#define EVRPC_REGISTER(base, name, request, reply, callback, cbarg)	\
	evrpc_register_generic(base, #name,				\
	    (void (*)(struct evrpc_req_generic *, void *))callback, cbarg, \
	    (void *(*)(void *))request##_new_with_arg, NULL,		\
	    (void (*)(void *))request##_free,				\
	    (int (*)(void *, struct evbuffer *))request##_unmarshal,	\
	    (void *(*)(void *))reply##_new_with_arg, NULL,		\
	    (void (*)(void *))reply##_free, \
	    (int (*)(void *))reply##_complete, \
	    (void (*)(struct evbuffer *, void *))reply##_marshal)

/**
   Registers a filled-in struct evrpc with an RPC base; the base takes it
   over.  Meant for the library's own use; call EVRPC_REGISTER() instead.

   @return 0
   @see EVRPC_REGISTER()
*/
EVENT2_EXPORT_SYMBOL
int evrpc_register_rpc(struct evrpc_base *, struct evrpc *,
    void (*)(struct evrpc_req_generic*, void *), void *);

/**
 * Unregisters an RPC registered with EVRPC_REGISTER().
 *
 * @param base the RPC base
 * @param name the RPC's name
 * @return 0 on success, -1 if no such RPC is registered
 * @see EVRPC_REGISTER()
 */
#define EVRPC_UNREGISTER(base, name) evrpc_unregister_rpc((base), #name)

/** Unregisters an RPC by its name, given as a string; see
 * EVRPC_UNREGISTER().
 *
 * @return 0 on success, -1 if no such RPC is registered
 */
EVENT2_EXPORT_SYMBOL
int evrpc_unregister_rpc(struct evrpc_base *base, const char *name);

/*
 * Client side.
 */

struct evhttp_connection;
struct evrpc_status;

/** Starts a call of an RPC from a client.
 *
 * Expands to a call of evrpc_send_request_<name>(), which EVRPC_GENERATE()
 * defines.
 *
 * @param name the RPC's name
 * @param pool the pool whose connections may carry the call
 * @param request the request message to send
 * @param reply the reply message, filled in when the answer arrives
 * @param cb called with the status, the request, the reply and @p cbarg
 *   when the call completes or fails
 * @param cbarg passed to @p cb
 * @return 0 on success, -1 on failure (then @p cb has already run with
 *   EVRPC_STATUS_ERR_UNSTARTED)
 */
#define EVRPC_MAKE_REQUEST(name, pool, request, reply, cb, cbarg)	\
	evrpc_send_request_##name((pool), (request), (reply), (cb), (cbarg))

/**
   Starts a call from a context made with EVRPC_MAKE_CTX().  Only needed
   when the context is customised; EVRPC_MAKE_REQUEST() is simpler.  The
   pool must have at least one connection.

   @param ctx the call's context
   @returns 0 on success, -1 on failure
   @see EVRPC_MAKE_REQUEST(), EVRPC_MAKE_CTX()
*/
EVENT2_EXPORT_SYMBOL
int evrpc_make_request(struct evrpc_request_wrapper *ctx);

/** Creates an empty pool of client connections, through which calls are
 * made.
 *
 * @param base the event base for the pool's timers; may be NULL in a
 *   program with a single event base
 * @return the new pool, or NULL on failure
 * @see evrpc_pool_free()
 */
EVENT2_EXPORT_SYMBOL
struct evrpc_pool *evrpc_pool_new(struct event_base *base);
/** Frees a pool, its connections and the calls still queued on it.
 *
 * @param pool the pool to free
 * @see evrpc_pool_new()
 */
EVENT2_EXPORT_SYMBOL
void evrpc_pool_free(struct evrpc_pool *pool);

/**
 * Adds an HTTP connection to a pool; calls are sent on whichever of the
 * pool's connections is idle.  The pool takes the connection over.
 *
 * @param pool the pool
 * @param evcon a client connection that has not been used yet
 */
EVENT2_EXPORT_SYMBOL
void evrpc_pool_add_connection(struct evrpc_pool *pool,
    struct evhttp_connection *evcon);

/**
 * Takes an HTTP connection out of a pool; the caller owns it again.
 *
 * @param pool the pool
 * @param evcon a connection of the pool
 */
EVENT2_EXPORT_SYMBOL
void evrpc_pool_remove_connection(struct evrpc_pool *pool,
    struct evhttp_connection *evcon);

/**
 * Sets how many seconds a call may take before it is given up and its
 * callback reports EVRPC_STATUS_ERR_TIMEOUT.  0 means calls never time
 * out, which suits calls answered only when something happens.
 *
 * The timeout is applied to the connections already in the pool, and to
 * connections added later unless they have a timeout of their own.
 *
 * @param pool the pool
 * @param timeout_in_secs the timeout in seconds, or 0 for none
 */
EVENT2_EXPORT_SYMBOL
void evrpc_pool_set_timeout(struct evrpc_pool *pool, int timeout_in_secs);

/*
 * Hooks: functions that see, and may change, the encoded messages of an
 * RPC base or pool, for purposes such as authentication or compression.
 */

/** Which messages a hook applies to. */
enum EVRPC_HOOK_TYPE {
	EVRPC_INPUT,		/**< messages received */
	EVRPC_OUTPUT		/**< messages about to be sent */
};

#ifndef _WIN32
/** Old name of EVRPC_INPUT (absent on Windows, whose headers define
 * INPUT). */
#define INPUT EVRPC_INPUT
/** Old name of EVRPC_OUTPUT (absent on Windows, whose headers define
 * OUTPUT). */
#define OUTPUT EVRPC_OUTPUT
#endif

/*
 * What a hook tells the RPC machinery to do next.
 */

/** Results of a hook function. */
enum EVRPC_HOOK_RESULT {
	EVRPC_TERMINATE = -1,	/**< abandon the call */
	EVRPC_CONTINUE = 0,	/**< go on with the call */
	EVRPC_PAUSE = 1		/**< hold the call until evrpc_resume_request() */
};

/** Adds a hook to an RPC base or a pool.
 *
 * The hook receives the call's context, the HTTP request, the buffer with
 * the encoded message and @p cb_arg.  It returns an enum EVRPC_HOOK_RESULT
 * value: EVRPC_CONTINUE goes on at once, EVRPC_TERMINATE abandons the call,
 * and EVRPC_PAUSE holds the call until evrpc_resume_request().
 *
 * @param vbase a struct evrpc_base or a struct evrpc_pool
 * @param hook_type EVRPC_INPUT or EVRPC_OUTPUT
 * @param cb the hook function
 * @param cb_arg passed to @p cb
 * @return a handle for evrpc_remove_hook()
 * @see evrpc_remove_hook()
 */
EVENT2_EXPORT_SYMBOL
void *evrpc_add_hook(void *vbase,
    enum EVRPC_HOOK_TYPE hook_type,
    int (*cb)(void *, struct evhttp_request *, struct evbuffer *, void *),
    void *cb_arg);

/** Removes a hook added with evrpc_add_hook().
 *
 * @param vbase the struct evrpc_base or struct evrpc_pool it was added to
 * @param hook_type EVRPC_INPUT or EVRPC_OUTPUT, as when it was added
 * @param handle the handle evrpc_add_hook() returned
 * @return 1 if the hook was removed, 0 if it was not found
 * @see evrpc_add_hook()
 */
EVENT2_EXPORT_SYMBOL
int evrpc_remove_hook(void *vbase,
    enum EVRPC_HOOK_TYPE hook_type,
    void *handle);

/** Lets a call held by a hook that returned EVRPC_PAUSE go on.
 *
 * @param vbase the struct evrpc_base or struct evrpc_pool of the hook
 * @param ctx the context the hook received
 * @param res how to go on: EVRPC_CONTINUE or EVRPC_TERMINATE
 * @return 0 on success, -1 if no call is held for @p ctx
 */
EVENT2_EXPORT_SYMBOL
int evrpc_resume_request(void *vbase, void *ctx, enum EVRPC_HOOK_RESULT res);

/** Attaches a named piece of data to a call, from a hook.  The data stays
 * with the call on this side: what a client's output hook adds, the same
 * call's input hooks can read; it is not sent to the peer.
 *
 * @param ctx the context the hook received
 * @param key the name, a NUL-terminated string (copied)
 * @param data the data (copied)
 * @param data_size the size of @p data in bytes
 */
EVENT2_EXPORT_SYMBOL
void evrpc_hook_add_meta(void *ctx, const char *key,
    const void *data, size_t data_size);

/** Looks up a named piece of data attached to a call.
 *
 * @param ctx the context the hook received
 * @param key the name, a NUL-terminated string
 * @param data receives a pointer to the data, owned by the call
 * @param data_size receives the size of the data
 * @return 0 if found, -1 if not
 */
EVENT2_EXPORT_SYMBOL
int evrpc_hook_find_meta(void *ctx, const char *key,
    void **data, size_t *data_size);

/**
 * Gives the HTTP connection a call travels on, from within a hook.
 *
 * @param ctx the context the hook received
 * @return the connection, or NULL if it is not known
 */
EVENT2_EXPORT_SYMBOL
struct evhttp_connection *evrpc_hook_get_connection(void *ctx);

/**
   Starts a call with explicitly given encoding and decoding functions;
   used by the functions EVRPC_GENERATE() defines.  Call it through
   EVRPC_MAKE_REQUEST().

   @return 0 on success, -1 on failure (after running @p cb with
     EVRPC_STATUS_ERR_UNSTARTED)
   @see EVRPC_MAKE_REQUEST()
 */
EVENT2_EXPORT_SYMBOL
int evrpc_send_request_generic(struct evrpc_pool *pool,
    void *request, void *reply,
    void (*cb)(struct evrpc_status *, void *, void *, void *),
    void *cb_arg,
    const char *rpcname,
    void (*req_marshal)(struct evbuffer *, void *),
    void (*rpl_clear)(void *),
    int (*rpl_unmarshal)(void *, struct evbuffer *));

/**
   Registers an RPC with explicitly given message functions; used by
   EVRPC_REGISTER(), which should be called instead.

   @return 0 on success, -1 on failure
   @see EVRPC_REGISTER()
 */
EVENT2_EXPORT_SYMBOL
int evrpc_register_generic(struct evrpc_base *base, const char *name,
    void (*callback)(struct evrpc_req_generic *, void *), void *cbarg,
    void *(*req_new)(void *), void *req_new_arg, void (*req_free)(void *),
    int (*req_unmarshal)(void *, struct evbuffer *),
    void *(*rpl_new)(void *), void *rpl_new_arg, void (*rpl_free)(void *),
    int (*rpl_complete)(void *),
    void (*rpl_marshal)(struct evbuffer *, void *));

/** Gives the pool a call context will be sent through. */
EVENT2_EXPORT_SYMBOL
struct evrpc_pool* evrpc_request_get_pool(struct evrpc_request_wrapper *ctx);
/** Changes the pool a call context will be sent through. */
EVENT2_EXPORT_SYMBOL
void evrpc_request_set_pool(struct evrpc_request_wrapper *ctx,
    struct evrpc_pool *pool);
/** Changes the completion callback of a call context, and its argument. */
EVENT2_EXPORT_SYMBOL
void evrpc_request_set_cb(struct evrpc_request_wrapper *ctx,
    void (*cb)(struct evrpc_status*, void *request, void *reply, void *arg),
    void *cb_arg);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_RPC_H_INCLUDED_ */
