
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_redis.h"


/*
 * One-time values and monotone counters on Redis (the store interface's
 * once_put, once_consume, counter_advance, and value_get, which reads a
 * value without consuming it):
 *
 *   <prefix>once:<hex of op->key>       string, the value; TTL op->ttl
 *   <prefix>counter:<hex of op->key>    string, decimal; TTL op->ttl
 *
 * A consume and an advance decide on what they read, so each is one
 * script: of two parallel consumes on any nodes, one gets the value.
 */


static void ngx_http_secauth_store_redis_once_done(void *data,
    redisReply *reply);
static void ngx_http_secauth_store_redis_counter_done(void *data,
    redisReply *reply);


ngx_int_t
ngx_http_secauth_store_redis_once_put(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           ttl[NGX_TIME_T_LEN];
    size_t                           argvlen[5];
    const char                      *argv[5];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    if (op->ttl <= 0 || op->once->data.len > NGX_HTTP_SECAUTH_ONCE_MAX) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: one-time value of %uz bytes for %T s "
                      "refused", op->once->data.len, op->ttl);
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = "SET";
    argvlen[0] = 3;
    argv[1] = ngx_http_secauth_store_redis_hash_key(op->pool, &sr->conf->prefix,
                                                    "once:", op->key,
                                                    &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[2] = (const char *) op->once->data.data;
    argvlen[2] = op->once->data.len;
    argv[3] = "EX";
    argvlen[3] = 2;
    argv[4] = (const char *) ttl;
    argvlen[4] = ngx_sprintf(ttl, "%T", op->ttl) - ttl;

    return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_status_done,
                                      5, argv, argvlen);
}


ngx_int_t
ngx_http_secauth_store_redis_once_consume(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                           argvlen[2];
    const char                      *argv[2];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    /* EVALSHA's number of keys, then the key */
    argv[0] = "1";
    argvlen[0] = 1;
    argv[1] = ngx_http_secauth_store_redis_hash_key(op->pool, &sr->conf->prefix,
                                                    "once:", op->key,
                                                    &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_ONCE_CONSUME,
                                      ngx_http_secauth_store_redis_once_done,
                                      2, argv, argvlen);
}


ngx_int_t
ngx_http_secauth_store_redis_counter_advance(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           ttl[NGX_TIME_T_LEN];
    u_char                           value[NGX_INT64_LEN];
    size_t                           argvlen[4];
    const char                      *argv[4];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    /* Lua numbers are doubles: exact up to 2^53 */

    if (op->ttl <= 0 || op->counter->value >= ((uint64_t) 1 << 53)) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: counter value %uL for %T s refused",
                      op->counter->value, op->ttl);
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = "1";
    argvlen[0] = 1;
    argv[1] = ngx_http_secauth_store_redis_hash_key(op->pool, &sr->conf->prefix,
                                                    "counter:", op->key,
                                                    &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[2] = (const char *) value;
    argvlen[2] = ngx_sprintf(value, "%uL", op->counter->value) - value;
    argv[3] = (const char *) ttl;
    argvlen[3] = ngx_sprintf(ttl, "%T", op->ttl) - ttl;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_COUNTER_ADVANCE,
                                      ngx_http_secauth_store_redis_counter_done,
                                      4, argv, argvlen);
}


/* a plain GET: the value stays */

ngx_int_t
ngx_http_secauth_store_redis_value_get(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                           argvlen[2];
    const char                      *argv[2];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "GET";
    argvlen[0] = 3;
    argv[1] = ngx_http_secauth_store_redis_hash_key(op->pool, &sr->conf->prefix,
                                                    "once:", op->key,
                                                    &argvlen[1]);
    if (argv[1] == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_once_done,
                                      2, argv, argvlen);
}


/* the value, or nil: never stored, consumed already, expired */

static void
ngx_http_secauth_store_redis_once_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_NIL) {
        rc = NGX_DECLINED;

    } else if (reply->type != REDIS_REPLY_STRING
               || reply->len > NGX_HTTP_SECAUTH_ONCE_MAX)
    {
        rc = ngx_http_secauth_store_redis_error(op, "one-time value", reply);

    } else {
        op->once->data.len = reply->len;
        op->once->data.data = ngx_pnalloc(op->pool, reply->len + 1);

        if (op->once->data.data == NULL) {
            rc = NGX_ERROR;

        } else {
            ngx_memcpy(op->once->data.data, reply->str, reply->len);
            op->once->data.data[reply->len] = '\0';
            rc = NGX_OK;
        }
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


/* {1}: advanced; {0, "current"}: not */

static void
ngx_http_secauth_store_redis_counter_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    off_t      n;
    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1
               && reply->element[0]->type == REDIS_REPLY_INTEGER
               && reply->element[0]->integer == 1)
    {
        rc = NGX_OK;

    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
               && reply->element[0]->type == REDIS_REPLY_INTEGER
               && reply->element[0]->integer == 0
               && reply->element[1]->type == REDIS_REPLY_STRING
               && (n = ngx_atoof((u_char *) reply->element[1]->str,
                                 reply->element[1]->len))
                  != NGX_ERROR)
    {
        op->counter->current = (uint64_t) n;
        rc = NGX_DECLINED;

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "counter", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}
