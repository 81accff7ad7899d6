
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_redis.h"


/*
 * What every op of the store on Redis shares: the keys it names, and its
 * one command, started, cancelled with the op, and finished by the reply
 * handler.
 */


ngx_int_t
ngx_http_secauth_store_redis_start(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op, ngx_int_t script,
    ngx_http_secauth_redis_handler_pt handler, int argc, const char **argv,
    const size_t *argvlen)
{
    ngx_int_t                        rc;
    ngx_http_secauth_redis_cmd_t    *cmd;
    ngx_http_secauth_store_redis_t  *sr = st->data;

    if (script < 0) {
        rc = ngx_http_secauth_redis_command(sr->redis, handler, op, argc,
                                            argv, argvlen, &cmd);

    } else {
        rc = ngx_http_secauth_redis_eval(sr->redis, script, handler, op,
                                         argc, argv, argvlen, &cmd);
    }

    if (rc != NGX_OK) {
        /* Redis is down: answer at once, the outage is already logged */
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    op->pending = cmd;
    op->priv = sr;

    return NGX_AGAIN;
}


void
ngx_http_secauth_store_redis_cancel(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    if (op->pending) {
        ngx_http_secauth_redis_cancel(op->pending);
        op->pending = NULL;
    }
}


void
ngx_http_secauth_store_redis_finish(ngx_http_secauth_store_op_t *op,
    ngx_int_t rc)
{
    op->pending = NULL;
    op->rc = rc;

    if (op->handler) {
        op->handler(op);
    }
}


ngx_int_t
ngx_http_secauth_store_redis_error(ngx_http_secauth_store_op_t *op,
    const char *what, redisReply *reply)
{
    ngx_http_secauth_store_redis_t  *sr = op->priv;

    ngx_http_secauth_redis_log_reply(sr->redis, what, reply);

    return NGX_ERROR;
}


/* <prefix><kind><lowercase hex of a SHA-256> */

const char *
ngx_http_secauth_store_redis_hash_key(ngx_pool_t *pool, ngx_str_t *prefix,
    const char *kind, u_char *hash, size_t *len)
{
    size_t   kind_len;
    u_char  *key, *p;

    kind_len = ngx_strlen(kind);
    *len = prefix->len + kind_len + 2 * NGX_HTTP_SECAUTH_KEY_LEN;

    key = ngx_pnalloc(pool, *len);
    if (key == NULL) {
        return NULL;
    }

    p = ngx_cpymem(key, prefix->data, prefix->len);
    p = ngx_cpymem(p, kind, kind_len);
    ngx_hex_dump(p, hash, NGX_HTTP_SECAUTH_KEY_LEN);

    return (const char *) key;
}


/* <prefix><kind><name> */

const char *
ngx_http_secauth_store_redis_name_key(ngx_pool_t *pool, ngx_str_t *prefix,
    const char *kind, ngx_str_t *name, size_t *len)
{
    size_t   kind_len;
    u_char  *key, *p;

    kind_len = ngx_strlen(kind);
    *len = prefix->len + kind_len + name->len;

    key = ngx_pnalloc(pool, *len);
    if (key == NULL) {
        return NULL;
    }

    p = ngx_cpymem(key, prefix->data, prefix->len);
    p = ngx_cpymem(p, kind, kind_len);
    ngx_memcpy(p, name->data, name->len);

    return (const char *) key;
}
