
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_STORE_REDIS_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_STORE_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_redis.h"


/*
 * What the files of the store on Redis share, and only they include
 * (hiredis comes with it):
 *
 *   ngx_http_secauth_store_redis.c         the ops table, init, the ops of
 *                                          sessions, users, tokens
 *   ngx_http_secauth_store_redis_limit.c   the ops of rate limits and of
 *                                          the login throttle
 *   ngx_http_secauth_store_redis_once.c    one-time values, counters, and
 *                                          their own reply handlers
 *   ngx_http_secauth_store_redis_script.c  the Lua scripts
 *   ngx_http_secauth_store_redis_reply.c   the reply handlers (*_done) of
 *                                          the others
 *   ngx_http_secauth_store_redis_cmd.c     the keys, and an op's command:
 *                                          start, cancel, finish
 *
 * Each op builds its keys and arguments, starts one command (a plain one
 * or a script) with the reply handler that reads its answer, and that
 * handler finishes the op.
 */


/* indexes into ngx_http_secauth_store_redis_scripts[] */
#define NGX_HTTP_SECAUTH_SCRIPT_SESSION_PUT     0
#define NGX_HTTP_SECAUTH_SCRIPT_SESSION_DEL     1
#define NGX_HTTP_SECAUTH_SCRIPT_SESSION_DEL_ALL 2
#define NGX_HTTP_SECAUTH_SCRIPT_USER_PASSWORD   3
#define NGX_HTTP_SECAUTH_SCRIPT_LIMIT_TAKE      4
#define NGX_HTTP_SECAUTH_SCRIPT_ATTEMPT         5
#define NGX_HTTP_SECAUTH_SCRIPT_FAMILY_CREATE   6
#define NGX_HTTP_SECAUTH_SCRIPT_FAMILY_ROTATE   7
#define NGX_HTTP_SECAUTH_SCRIPT_REVOKED         8
#define NGX_HTTP_SECAUTH_SCRIPT_SESSION_GET     9
#define NGX_HTTP_SECAUTH_SCRIPT_USER_LIST       10
#define NGX_HTTP_SECAUTH_SCRIPT_RELEASE         11
#define NGX_HTTP_SECAUTH_SCRIPT_ONCE_CONSUME    12
#define NGX_HTTP_SECAUTH_SCRIPT_COUNTER_ADVANCE 13


/* st->data, and op->priv while a command is pending */
typedef struct {
    ngx_http_secauth_redis_t       *redis;
    ngx_http_secauth_redis_conf_t  *conf;
} ngx_http_secauth_store_redis_t;


/* ngx_http_secauth_store_redis_limit.c */
ngx_int_t ngx_http_secauth_store_redis_limit_take(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_store_redis_login_attempt(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_store_redis_login_reset(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_store_redis_login_release(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);

/* ngx_http_secauth_store_redis_once.c */
ngx_int_t ngx_http_secauth_store_redis_once_put(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_store_redis_once_consume(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_store_redis_counter_advance(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_store_redis_value_get(
    ngx_http_secauth_store_t *st, ngx_http_secauth_store_op_t *op);

/* ngx_http_secauth_store_redis_script.c */
extern ngx_http_secauth_redis_script_t  ngx_http_secauth_store_redis_scripts[];
extern ngx_uint_t  ngx_http_secauth_store_redis_nscripts;

/* ngx_http_secauth_store_redis_reply.c: handlers of the replies */
void ngx_http_secauth_store_redis_get_done(void *data, redisReply *reply);
void ngx_http_secauth_store_redis_status_done(void *data, redisReply *reply);
void ngx_http_secauth_store_redis_count_done(void *data, redisReply *reply);
void ngx_http_secauth_store_redis_exists_done(void *data, redisReply *reply);
void ngx_http_secauth_store_redis_list_done(void *data, redisReply *reply);
void ngx_http_secauth_store_redis_user_done(void *data, redisReply *reply);
void ngx_http_secauth_store_redis_limit_done(void *data, redisReply *reply);
void ngx_http_secauth_store_redis_attempt_done(void *data, redisReply *reply);
void ngx_http_secauth_store_redis_rotate_done(void *data, redisReply *reply);

/*
 * ngx_http_secauth_store_redis_cmd.c. start runs script (one of
 * NGX_HTTP_SECAUTH_SCRIPT_*) or, with -1, the command argv: NGX_AGAIN,
 * handler finishes the op later; or NGX_OK with op->rc NGX_ERROR when
 * Redis is down.
 */
ngx_int_t ngx_http_secauth_store_redis_start(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op, ngx_int_t script,
    ngx_http_secauth_redis_handler_pt handler, int argc, const char **argv,
    const size_t *argvlen);
void ngx_http_secauth_store_redis_cancel(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
void ngx_http_secauth_store_redis_finish(ngx_http_secauth_store_op_t *op,
    ngx_int_t rc);
ngx_int_t ngx_http_secauth_store_redis_error(ngx_http_secauth_store_op_t *op,
    const char *what, redisReply *reply);

/* keys, in op->pool: <prefix><kind><hex of a SHA-256>, <prefix><kind><name> */
const char *ngx_http_secauth_store_redis_hash_key(ngx_pool_t *pool,
    ngx_str_t *prefix, const char *kind, u_char *hash, size_t *len);
const char *ngx_http_secauth_store_redis_name_key(ngx_pool_t *pool,
    ngx_str_t *prefix, const char *kind, ngx_str_t *name, size_t *len);

#define ngx_http_secauth_store_redis_session_key(pool, prefix, hash, len)   \
    ngx_http_secauth_store_redis_hash_key(pool, prefix, "session:", hash,    \
                                          len)
#define ngx_http_secauth_store_redis_user_key(pool, prefix, user, len)      \
    ngx_http_secauth_store_redis_name_key(pool, prefix, "user_sessions:",    \
                                          user, len)
#define ngx_http_secauth_store_redis_user_record_key(pool, prefix, user,     \
                                                     len)                    \
    ngx_http_secauth_store_redis_name_key(pool, prefix, "user:", user, len)


#endif /* _NGX_HTTP_SECAUTH_STORE_REDIS_H_INCLUDED_ */
