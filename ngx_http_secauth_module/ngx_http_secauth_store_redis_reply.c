
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_redis.h"
#include "ngx_http_secauth_store_record.h"


/*
 * The replies of the store's commands. Each handler reads what its
 * command or script answers into the op and finishes it: reply is NULL
 * when the command failed (timeout, lost connection), and a reply of
 * another shape than expected is an error, logged, never a guess.
 */


void
ngx_http_secauth_store_redis_get_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t    rc;
    ngx_str_t    record;
    ngx_flag_t   stale;

    /* the script's answer: {record} or {record, 1} when stale */

    stale = 0;

    if (reply && op->check_pwv && reply->type != REDIS_REPLY_NIL) {

        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
            || reply->elements > 2)
        {
            rc = ngx_http_secauth_store_redis_error(op, "session script",
                                                    reply);
            ngx_http_secauth_store_redis_finish(op, rc);
            return;
        }

        stale = (reply->elements == 2);
        reply = reply->element[0];
    }

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_NIL) {
        rc = NGX_DECLINED;

    } else if (reply->type != REDIS_REPLY_STRING) {
        rc = ngx_http_secauth_store_redis_error(op, "GET session", reply);

    } else {
        record.data = (u_char *) reply->str;
        record.len = reply->len;

        /* a record we cannot read admits nobody, and is not an outage */

        rc = ngx_http_secauth_store_record_decode(op->pool, op->log,
                                                  &record, &op->session);

        if (rc == NGX_OK && stale) {
            op->count = 1;
            rc = NGX_DECLINED;
        }
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


void
ngx_http_secauth_store_redis_status_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_NIL) {
        rc = NGX_DECLINED;          /* SET XX: the key is gone */

    } else if (reply->type == REDIS_REPLY_STATUS
               || reply->type == REDIS_REPLY_INTEGER)
    {
        rc = NGX_OK;

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "session write", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


void
ngx_http_secauth_store_redis_count_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_INTEGER) {
        op->count = reply->integer > 0 ? (ngx_uint_t) reply->integer : 0;
        rc = op->count ? NGX_OK : NGX_DECLINED;

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "session delete", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


void
ngx_http_secauth_store_redis_exists_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_INTEGER) {
        rc = reply->integer > 0 ? NGX_OK : NGX_DECLINED;

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "EXISTS", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


/* {families, record...}: a record we cannot read is left out */

void
ngx_http_secauth_store_redis_list_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    size_t                       i;
    ngx_int_t                    rc;
    ngx_str_t                    record;
    redisReply                  *e;
    ngx_http_secauth_session_t  *s;

    if (reply == NULL) {
        ngx_http_secauth_store_redis_finish(op, NGX_ERROR);
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[0]->integer < 0)
    {
        rc = ngx_http_secauth_store_redis_error(op, "user list", reply);
        ngx_http_secauth_store_redis_finish(op, rc);
        return;
    }

    op->count = (ngx_uint_t) reply->element[0]->integer;

    op->sessions = ngx_array_create(op->pool, reply->elements,
                                    sizeof(ngx_http_secauth_session_t));
    if (op->sessions == NULL) {
        ngx_http_secauth_store_redis_finish(op, NGX_ERROR);
        return;
    }

    for (i = 1; i < reply->elements; i++) {
        e = reply->element[i];

        if (e->type != REDIS_REPLY_STRING) {
            continue;
        }

        s = ngx_array_push(op->sessions);
        if (s == NULL) {
            ngx_http_secauth_store_redis_finish(op, NGX_ERROR);
            return;
        }

        ngx_memzero(s, sizeof(ngx_http_secauth_session_t));

        record.data = (u_char *) e->str;
        record.len = e->len;

        if (ngx_http_secauth_store_record_decode(op->pool, op->log, &record, s)
            != NGX_OK)
        {
            op->sessions->nelts--;
        }
    }

    rc = (op->sessions->nelts || op->count) ? NGX_OK : NGX_DECLINED;

    ngx_http_secauth_store_redis_finish(op, rc);
}


void
ngx_http_secauth_store_redis_user_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t    rc, pwv;
    redisReply  *hash, *version;

    /* HMGET password pwv: a missing pwv is version 0 */

    if (reply == NULL) {
        rc = NGX_ERROR;
        goto done;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        rc = ngx_http_secauth_store_redis_error(op, "HMGET user", reply);
        goto done;
    }

    hash = reply->element[0];
    version = reply->element[1];
    pwv = 0;

    if (version->type == REDIS_REPLY_STRING) {
        pwv = ngx_atoi((u_char *) version->str, version->len);
    }

    if (hash->type == REDIS_REPLY_NIL) {
        rc = NGX_DECLINED;

    } else if (hash->type == REDIS_REPLY_STRING
               && hash->len <= NGX_HTTP_SECAUTH_HASH_MAX
               && pwv != NGX_ERROR
               && version->type != REDIS_REPLY_ERROR)
    {
        op->value.data = ngx_pnalloc(op->pool, hash->len);

        if (op->value.data == NULL) {
            rc = NGX_ERROR;

        } else {
            ngx_memcpy(op->value.data, hash->str, hash->len);
            op->value.len = hash->len;
            op->session.pwv = (ngx_uint_t) pwv;
            rc = NGX_OK;
        }

    } else {
        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "secauth: the Redis record of \"%V\" has an invalid "
                      "password or pwv field", &op->session.user);
        rc = NGX_ERROR;
    }

done:

    ngx_http_secauth_store_redis_finish(op, rc);
}


void
ngx_http_secauth_store_redis_limit_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t    rc;
    ngx_uint_t   i;
    redisReply  *e;

    rc = NGX_ERROR;

    if (reply == NULL) {
        goto done;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
        goto bad;
    }

    for (i = 0; i < reply->elements; i++) {
        e = reply->element[i];

        if (e->type != REDIS_REPLY_INTEGER || e->integer < 0) {
            goto bad;
        }
    }

    i = (ngx_uint_t) reply->element[0]->integer;

    if (i == 0 && reply->elements == op->nbuckets + 1) {
        for (i = 0; i < op->nbuckets; i++) {
            op->buckets[i].wait = reply->element[i + 1]->integer;
        }

        rc = NGX_OK;
        goto done;
    }

    if (i >= 1 && i <= op->nbuckets && reply->elements == 2) {
        op->count = i;
        op->buckets[i - 1].wait = reply->element[1]->integer;
        rc = NGX_DECLINED;
        goto done;
    }

bad:

    rc = ngx_http_secauth_store_redis_error(op, "limit", reply);

done:

    ngx_http_secauth_store_redis_finish(op, rc);
}


/* {0, ms left}: locked; {attempts, ms locked from now on} */

void
ngx_http_secauth_store_redis_attempt_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t  rc;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
               && reply->element[0]->type == REDIS_REPLY_INTEGER
               && reply->element[1]->type == REDIS_REPLY_INTEGER
               && reply->element[0]->integer >= 0
               && reply->element[1]->integer >= 0)
    {
        op->count = (ngx_uint_t) reply->element[0]->integer;
        op->locked = (ngx_msec_t) reply->element[1]->integer;
        rc = op->count ? NGX_OK : NGX_DECLINED;

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "login attempt", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}


void
ngx_http_secauth_store_redis_rotate_done(void *data, redisReply *reply)
{
    ngx_http_secauth_store_op_t *op = data;

    ngx_int_t     rc;
    redisReply  **e;

    if (reply == NULL) {
        rc = NGX_ERROR;

    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
               && reply->element[0]->type == REDIS_REPLY_INTEGER)
    {
        e = reply->element;

        if (e[0]->integer == 3 && reply->elements == 4
            && e[1]->type == REDIS_REPLY_INTEGER && e[1]->integer >= 0
            && e[2]->type == REDIS_REPLY_INTEGER && e[2]->integer > 0
            && e[3]->type == REDIS_REPLY_INTEGER && e[3]->integer >= 0)
        {
            op->family->pwv = (ngx_uint_t) e[1]->integer;
            op->family->exp = (time_t) e[2]->integer;
            op->family->level = (ngx_uint_t) e[3]->integer;
            rc = NGX_OK;

        } else if (e[0]->integer >= 0 && e[0]->integer <= 2) {
            op->count = (ngx_uint_t) e[0]->integer;
            rc = NGX_DECLINED;

        } else {
            rc = ngx_http_secauth_store_redis_error(op, "family rotate",
                                                    reply);
        }

    } else {
        rc = ngx_http_secauth_store_redis_error(op, "family rotate", reply);
    }

    ngx_http_secauth_store_redis_finish(op, rc);
}
