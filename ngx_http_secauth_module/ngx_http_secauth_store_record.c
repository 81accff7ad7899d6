
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include "ngx_http_secauth_text.h"
#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_record.h"


/*
 * The session record as the Redis backend keeps it: JSON, the form
 * docs/sessions.md documents for operators who write one by hand. The
 * shm backend keeps the same fields in a binary form of its own.
 */


static ngx_int_t ngx_http_secauth_store_record_time(json_t *obj,
    const char *name, ngx_flag_t required, time_t *t);


/*
 * The record, as stored in Redis (docs/sessions.md):
 * {"user":"alice","created":1700000000,"last_seen":1700000000,
 *  "level":1,"pwv":0,"ip":"192.0.2.1"}, and "users":"redis" when the
 * user's record is in Redis (its password version is then checked)
 */

ngx_int_t
ngx_http_secauth_store_record_encode(ngx_pool_t *pool,
    ngx_http_secauth_session_t *s, ngx_str_t *record)
{
    char    *text;
    json_t  *obj;

    obj = json_pack("{s:s%,s:I,s:I,s:I,s:I,s:s%}",
                    "user", (char *) s->user.data, s->user.len,
                    "created", (json_int_t) s->created,
                    "last_seen", (json_int_t) s->last_seen,
                    "level", (json_int_t) s->level,
                    "pwv", (json_int_t) s->pwv,
                    "ip", s->ip.len ? (char *) s->ip.data : "", s->ip.len);
    if (obj == NULL) {
        return NGX_ERROR;
    }

    if (s->redis_user
        && json_object_set_new(obj, "users", json_string("redis")) != 0)
    {
        json_decref(obj);
        return NGX_ERROR;
    }

    text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);

    if (text == NULL) {
        return NGX_ERROR;
    }

    record->len = ngx_strlen(text);
    record->data = ngx_pnalloc(pool, record->len);

    if (record->data == NULL) {
        free(text);
        return NGX_ERROR;
    }

    ngx_memcpy(record->data, text, record->len);
    free(text);

    return NGX_OK;
}


/*
 * A record that is not what docs/sessions.md says admits nobody:
 * NGX_DECLINED, logged at error level (someone wrote it by hand).
 */

ngx_int_t
ngx_http_secauth_store_record_decode(ngx_pool_t *pool, ngx_log_t *log,
    ngx_str_t *record, ngx_http_secauth_session_t *s)
{
    time_t        level, pwv;
    size_t        len;
    json_t       *obj, *v;
    const char   *str;
    json_error_t  err;

    obj = json_loadb((const char *) record->data, record->len,
                     JSON_REJECT_DUPLICATES, &err);

    if (obj == NULL || !json_is_object(obj)) {
        goto bad;
    }

    v = json_object_get(obj, "user");

    if (!json_is_string(v)) {
        goto bad;
    }

    str = json_string_value(v);
    len = json_string_length(v);

    if (len == 0 || len > NGX_HTTP_SECAUTH_USER_MAX
        || !ngx_http_secauth_text_valid((const unsigned char *) str, len))
    {
        goto bad;
    }

    s->user.data = ngx_pnalloc(pool, len);
    if (s->user.data == NULL) {
        json_decref(obj);
        return NGX_ERROR;
    }

    ngx_memcpy(s->user.data, str, len);
    s->user.len = len;

    level = 0;
    pwv = 0;

    if (ngx_http_secauth_store_record_time(obj, "created", 1, &s->created)
           != NGX_OK
        || ngx_http_secauth_store_record_time(obj, "last_seen", 1,
                                              &s->last_seen)
           != NGX_OK
        || ngx_http_secauth_store_record_time(obj, "level", 0, &level)
           != NGX_OK
        || ngx_http_secauth_store_record_time(obj, "pwv", 0, &pwv)
           != NGX_OK)
    {
        goto bad;
    }

    s->level = level;
    s->pwv = pwv;

    v = json_object_get(obj, "users");
    s->redis_user = json_is_string(v)
                    && ngx_strcmp(json_string_value(v), "redis") == 0;

    ngx_str_null(&s->ip);

    v = json_object_get(obj, "ip");

    if (json_is_string(v) && json_string_length(v) <= NGX_SOCKADDR_STRLEN) {
        len = json_string_length(v);

        s->ip.data = ngx_pnalloc(pool, len + 1);
        if (s->ip.data == NULL) {
            json_decref(obj);
            return NGX_ERROR;
        }

        ngx_memcpy(s->ip.data, json_string_value(v), len + 1);
        s->ip.len = len;
    }

    json_decref(obj);

    return NGX_OK;

bad:

    if (obj) {
        json_decref(obj);
    }

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "secauth: session record in the store is malformed");

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_secauth_store_record_time(json_t *obj, const char *name,
    ngx_flag_t required, time_t *t)
{
    json_t      *v;
    json_int_t   n;

    v = json_object_get(obj, name);

    if (v == NULL) {
        return required ? NGX_ERROR : NGX_OK;
    }

    if (!json_is_integer(v)) {
        return NGX_ERROR;
    }

    n = json_integer_value(v);

    if (n < 0 || n > NGX_MAX_INT32_VALUE * (json_int_t) 4) {
        return NGX_ERROR;
    }

    *t = (time_t) n;

    return NGX_OK;
}
