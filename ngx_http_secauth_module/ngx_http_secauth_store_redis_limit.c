
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_redis.h"


/*
 * The ops of rate limits (GCRA buckets) and of the failed-login throttle
 * on Redis: each one script, so that all of a request's buckets, or an
 * account's count and lock, change together.
 */


/* EVALSHA's numkeys, then a key, an interval and a tau per bucket */
#define NGX_HTTP_SECAUTH_LIMIT_ARGS  (1 + 3 * NGX_HTTP_SECAUTH_LIMITS_MAX)

#if (NGX_HTTP_SECAUTH_LIMIT_ARGS + 2 > NGX_HTTP_SECAUTH_REDIS_MAX_ARGS)
#error "NGX_HTTP_SECAUTH_REDIS_MAX_ARGS is too small for limit_take"
#endif


static ngx_int_t ngx_http_secauth_store_redis_throttle_keys(
    ngx_http_secauth_store_redis_t *sr, ngx_http_secauth_store_op_t *op,
    const char **argv, size_t *argvlen);


ngx_int_t
ngx_http_secauth_store_redis_limit_take(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                          *p;
    size_t                           len;
    size_t                           argvlen[NGX_HTTP_SECAUTH_LIMIT_ARGS];
    ngx_uint_t                       i, n;
    const char                      *argv[NGX_HTTP_SECAUTH_LIMIT_ARGS];
    ngx_http_secauth_bucket_t       *b;
    ngx_http_secauth_store_redis_t  *sr = st->data;

    n = op->nbuckets;

    if (n == 0 || n > NGX_HTTP_SECAUTH_LIMITS_MAX) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    /* "N", N keys, then interval and tau of each */

    p = ngx_pnalloc(op->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[0] = (const char *) p;
    argvlen[0] = ngx_sprintf(p, "%ui", n) - p;

    for (i = 0; i < n; i++) {
        b = &op->buckets[i];

        len = sr->conf->prefix.len + sizeof("limit:") - 1 + b->zone.len + 1
              + 2 * b->key.len;

        argv[1 + i] = ngx_pnalloc(op->pool, len);
        if (argv[1 + i] == NULL) {
            op->rc = NGX_ERROR;
            return NGX_OK;
        }

        argvlen[1 + i] = len;

        p = (u_char *) argv[1 + i];
        p = ngx_cpymem(p, sr->conf->prefix.data, sr->conf->prefix.len);
        p = ngx_cpymem(p, "limit:", sizeof("limit:") - 1);
        p = ngx_cpymem(p, b->zone.data, b->zone.len);
        *p++ = ':';
        ngx_hex_dump(p, b->key.data, b->key.len);
    }

    p = ngx_pnalloc(op->pool, 2 * n * NGX_INT64_LEN);
    if (p == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    for (i = 0; i < n; i++) {
        b = &op->buckets[i];

        argv[1 + n + 2 * i] = (const char *) p;
        argvlen[1 + n + 2 * i] = ngx_sprintf(p, "%uL", b->interval) - p;
        p += argvlen[1 + n + 2 * i];

        argv[2 + n + 2 * i] = (const char *) p;
        argvlen[2 + n + 2 * i] = ngx_sprintf(p, "%uL", b->tau) - p;
        p += argvlen[2 + n + 2 * i];
    }

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_LIMIT_TAKE,
                                      ngx_http_secauth_store_redis_limit_done,
                                      1 + 3 * n, argv, argvlen);
}


ngx_int_t
ngx_http_secauth_store_redis_login_attempt(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                          *p;
    size_t                           argvlen[7];
    ngx_uint_t                       i;
    const char                      *argv[7];
    ngx_http_secauth_throttle_t     *t;
    ngx_http_secauth_store_redis_t  *sr = st->data;

    t = op->throttle;

    argv[0] = "2";
    argvlen[0] = 1;
    if (ngx_http_secauth_store_redis_throttle_keys(sr, op, argv, argvlen)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    p = ngx_pnalloc(op->pool, 4 * NGX_INT64_LEN);
    if (p == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    for (i = 3; i < 7; i++) {
        argv[i] = (const char *) p;

        switch (i) {
        case 3:
            p = ngx_sprintf(p, "%ui", t->free);
            break;
        case 4:
            p = ngx_sprintf(p, "%M", t->lock);
            break;
        case 5:
            p = ngx_sprintf(p, "%M", t->max_lock);
            break;
        default:
            p = ngx_sprintf(p, "%T", t->forget);
        }

        argvlen[i] = p - (u_char *) argv[i];
    }

    return ngx_http_secauth_store_redis_start(st, op,
                                  NGX_HTTP_SECAUTH_SCRIPT_ATTEMPT,
                                  ngx_http_secauth_store_redis_attempt_done,
                                  7, argv, argvlen);
}


/* argv[1], argv[2]: the account's attempt count and lock */

static ngx_int_t
ngx_http_secauth_store_redis_throttle_keys(ngx_http_secauth_store_redis_t *sr,
    ngx_http_secauth_store_op_t *op, const char **argv, size_t *argvlen)
{
    argv[1] = ngx_http_secauth_store_redis_name_key(op->pool, &sr->conf->prefix,
                                                    "login_attempts:",
                                                    &op->session.user,
                                                    &argvlen[1]);
    argv[2] = ngx_http_secauth_store_redis_name_key(op->pool, &sr->conf->prefix,
                                                    "login_lock:",
                                                    &op->session.user,
                                                    &argvlen[2]);

    return (argv[1] && argv[2]) ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_secauth_store_redis_login_reset(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    size_t                           argvlen[3];
    const char                      *argv[3];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "DEL";
    argvlen[0] = 3;
    if (ngx_http_secauth_store_redis_throttle_keys(sr, op, argv, argvlen)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    return ngx_http_secauth_store_redis_start(st, op, -1,
                                      ngx_http_secauth_store_redis_count_done,
                                      3, argv, argvlen);
}


ngx_int_t
ngx_http_secauth_store_redis_login_release(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                           n[NGX_INT_T_LEN];
    size_t                           argvlen[4];
    const char                      *argv[4];
    ngx_http_secauth_store_redis_t  *sr = st->data;

    argv[0] = "2";
    argvlen[0] = 1;
    if (ngx_http_secauth_store_redis_throttle_keys(sr, op, argv, argvlen)
        != NGX_OK)
    {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    argv[3] = (const char *) n;
    argvlen[3] = ngx_sprintf(n, "%ui", op->count) - n;

    return ngx_http_secauth_store_redis_start(st, op,
                                      NGX_HTTP_SECAUTH_SCRIPT_RELEASE,
                                      ngx_http_secauth_store_redis_count_done,
                                      4, argv, argvlen);
}
