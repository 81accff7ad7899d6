
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_REDIS_PRIVATE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_REDIS_PRIVATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_secauth_redis.h"


/*
 * What the files of the Redis engine share; only they include it:
 *
 *   ngx_http_secauth_redis.c          the connection's life: create,
 *                                     connect, AUTH/SELECT/SCRIPT LOAD
 *                                     handshake, reconnect, destroy
 *   ngx_http_secauth_redis_event.c    hiredis on an nginx connection: the
 *                                     event hooks, the read path that
 *                                     counts replies before dispatching
 *   ngx_http_secauth_redis_command.c  commands: queued, timed, EVALSHA
 *                                     and EVAL after NOSCRIPT, answered
 *   ngx_http_secauth_redis_outage.c   a failure: logged with its cause,
 *                                     the connection dropped, a reconnect
 *                                     scheduled with backoff
 *
 * A file calls only those below it in this list.
 */


#define NGX_HTTP_SECAUTH_REDIS_DOWN        0
#define NGX_HTTP_SECAUTH_REDIS_CONNECTING  1
#define NGX_HTTP_SECAUTH_REDIS_READY       2

#define NGX_HTTP_SECAUTH_REDIS_MAXBUF       (16 * 1024)

#define NGX_HTTP_SECAUTH_REDIS_CAUSE_LEN    256


struct ngx_http_secauth_redis_s {
    ngx_http_secauth_redis_conf_t       *conf;
    ngx_http_secauth_redis_script_t     *scripts;
    ngx_uint_t                           nscripts;

    redisAsyncContext                   *ac;
    redisReader                         *framing;   /* counts replies */
    ngx_connection_t                    *connection;
    ngx_uint_t                           state;
    ngx_uint_t                           handshake;   /* replies awaited */

    ngx_event_t                          reconnect;
    ngx_event_t                          connect_timer;
    ngx_msec_t                           backoff;
    ngx_msec_t                           ready_since;   /* 0: not ready */

    ngx_queue_t                          free;        /* spare commands */
    ngx_log_t                           *log;

#if !(NGX_HTTP_SECAUTH_HAVE_HIREDIS_1)
    /* hiredis 0.14 has no limit on array replies: ours wraps its own */
    redisReplyObjectFunctions            reply_fns;
    void                              *(*create_array)(const redisReadTask *t,
                                                        int elements);
#endif

    time_t                               last_reply_log;

    /* the outage cause last logged, and when; cause_changed: "still" */
    ngx_msec_t                           cause_logged;
    size_t                               cause_len;
    u_char                  cause[NGX_HTTP_SECAUTH_REDIS_CAUSE_LEN];

    unsigned                             outage_logged:1;
    unsigned                             cause_changed:1;
    unsigned                             exiting:1;
};


struct ngx_http_secauth_redis_cmd_s {
    ngx_queue_t                          queue;
    ngx_http_secauth_redis_t            *rd;

    ngx_http_secauth_redis_handler_pt    handler;
    void                                *data;
    ngx_event_t                          timer;

    /* for EVAL after NOSCRIPT: the script and a copy of the arguments */
    ngx_http_secauth_redis_script_t     *script;
    int                                  argc;
    u_char                              *args;
    const char                   *argv[NGX_HTTP_SECAUTH_REDIS_MAX_ARGS];
    size_t                        argvlen[NGX_HTTP_SECAUTH_REDIS_MAX_ARGS];

    unsigned                             done:1;      /* answered */
    unsigned                             queued:1;    /* hiredis holds it */
    unsigned                             retried:1;   /* EVAL was sent */
};


/* ngx_http_secauth_redis_outage.c */
void ngx_http_secauth_redis_fail(ngx_http_secauth_redis_t *rd,
    const char *reason, const char *detail);
void ngx_http_secauth_redis_drop(ngx_http_secauth_redis_t *rd);
void ngx_http_secauth_redis_schedule(ngx_http_secauth_redis_t *rd);

/* ngx_http_secauth_redis_event.c */
ngx_int_t ngx_http_secauth_redis_attach(ngx_http_secauth_redis_t *rd);


#endif /* _NGX_HTTP_SECAUTH_REDIS_PRIVATE_H_INCLUDED_ */
