
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_admin.h"
#include "ngx_http_secauth_body.h"


/*
 * secauth_admin (docs/admin.md): for operators only, behind allow/deny.
 *
 *   GET  ?user=NAME            {"user":..., "sessions":[...], "families":N}
 *   POST user=NAME (or JSON)   ends every session and refresh-token family
 *                              of the user, and so every access token the
 *                              gate checks against its family:
 *                              {"user":..., "ended":N}
 *
 * This is how a user of the user file or of the shm zone is offboarded
 * (the file is read only, and its users have no password version), and
 * what scripts/secauth-user --admin calls.
 */


typedef struct {
    ngx_flag_t                      end;      /* else: list */
} ngx_http_secauth_admin_ctx_t;


static ngx_int_t ngx_http_secauth_admin_handler(ngx_http_request_t *r);
static void ngx_http_secauth_admin_list(ngx_http_request_t *r);
static void ngx_http_secauth_admin_end(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_admin_user(ngx_http_request_t *r,
    ngx_str_t *raw, ngx_flag_t escaped);
static void ngx_http_secauth_admin_start(ngx_http_request_t *r,
    ngx_flag_t end);
static void ngx_http_secauth_admin_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_admin_answer(ngx_http_request_t *r,
    ngx_uint_t status, json_t *obj);


char *
ngx_http_secauth_admin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->store_used = 1;

    return ngx_http_secauth_content(cf, conf, NGX_HTTP_SECAUTH_HANDLER_ADMIN,
                                    ngx_http_secauth_admin_handler);
}


static ngx_int_t
ngx_http_secauth_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        rc = ngx_http_read_client_request_body(r, ngx_http_secauth_admin_list);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    return ngx_http_secauth_body_start(r, ngx_http_secauth_admin_end,
                                       "GET, HEAD, POST");
}


static void
ngx_http_secauth_admin_list(ngx_http_request_t *r)
{
    ngx_str_t  raw;

    if (ngx_http_arg(r, (u_char *) "user", 4, &raw) != NGX_OK) {
        raw.len = 0;
    }

    if (ngx_http_secauth_admin_user(r, &raw, 1) == NGX_OK) {
        ngx_http_secauth_admin_start(r, 0);
    }
}


static void
ngx_http_secauth_admin_end(ngx_http_request_t *r)
{
    json_t           *obj;
    ngx_int_t         rc;
    ngx_str_t         body, raw;
    ngx_flag_t        escaped;
    json_error_t      err;
    ngx_table_elt_t  *ct;

    if (ngx_http_secauth_read_body(r, &body) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    ct = r->headers_in.content_type;
    raw.len = 0;
    escaped = 1;
    obj = NULL;

    if (ngx_http_secauth_media_type(ct, "application/json") == NGX_OK) {
        obj = json_loadb((char *) body.data, body.len,
                         JSON_REJECT_DUPLICATES, &err);

        if (obj == NULL || !json_is_object(obj)
            || ngx_http_secauth_json_field(r, obj, "user", &raw) != NGX_OK)
        {
            raw.len = 0;
        }

        escaped = 0;

    } else if (ngx_http_secauth_media_type(ct,
                                      "application/x-www-form-urlencoded")
               == NGX_OK)
    {
        rc = ngx_http_secauth_form_field(r, &body, "user", &raw);

        if (rc != NGX_OK) {
            raw.len = 0;
        }

        /* the form parser has unescaped the value already */
        escaped = 0;

    } else {
        ngx_http_finalize_request(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE);
        return;
    }

    rc = ngx_http_secauth_admin_user(r, &raw, escaped);

    /* the name is copied: the JSON document may go */

    if (obj) {
        json_decref(obj);
    }

    if (rc == NGX_OK) {
        ngx_http_secauth_admin_start(r, 1);
    }
}


/*
 * The user named, normalised as at the login (ASCII letters folded) into
 * the context's op; else the 400 is sent, and NGX_DECLINED returned.
 */

static ngx_int_t
ngx_http_secauth_admin_user(ngx_http_request_t *r, ngx_str_t *raw,
    ngx_flag_t escaped)
{
    u_char                  *p, *dst;
    json_t                  *obj;
    ngx_str_t                in;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r, 1);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_ERROR;
    }

    ngx_memzero(&ctx->op, sizeof(ngx_http_secauth_store_op_t));
    ctx->op.pool = r->pool;
    ctx->op.log = r->connection->log;

    in.data = ngx_pnalloc(r->pool, raw->len + 1);
    if (in.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_ERROR;
    }

    if (escaped) {
        p = raw->data;
        dst = in.data;
        ngx_unescape_uri(&dst, &p, raw->len, NGX_UNESCAPE_URI);
        in.len = dst - in.data;

    } else {
        in.len = ngx_cpymem(in.data, raw->data, raw->len) - in.data;
    }

    if (in.len
        && ngx_http_secauth_username(r->pool, &in, &ctx->op.session.user)
           == NGX_OK)
    {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "secauth: admin request without a valid \"user\"");

    obj = json_pack("{ss}", "error", "invalid_user");

    ngx_http_finalize_request(r,
                    ngx_http_secauth_admin_answer(r, NGX_HTTP_BAD_REQUEST,
                                                  obj));
    return NGX_DECLINED;
}


static void
ngx_http_secauth_admin_start(ngx_http_request_t *r, ngx_flag_t end)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_admin_ctx_t  *actx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    actx = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_admin_ctx_t));
    if (actx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    actx->end = end;
    ctx->login = actx;

    r->write_event_handler = ngx_http_secauth_admin_step;
    ngx_http_secauth_store_wait(r, ctx, &ctx->op);

    rc = end ? ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                           session_delete_user, &ctx->op)
             : ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                           user_list, &ctx->op);
    if (rc == NGX_AGAIN) {
        return;
    }

    ctx->waiting = 0;
    ngx_http_secauth_admin_step(r);
}


static void
ngx_http_secauth_admin_step(ngx_http_request_t *r)
{
    json_t                        *obj, *list, *item;
    ngx_int_t                      rc;
    ngx_uint_t                     i;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_admin_ctx_t  *actx;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_session_t    *s;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->waiting) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    op = &ctx->op;
    actx = ctx->login;

    if (op->rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    obj = json_object();
    if (obj == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = json_object_set_new(obj, "user",
                             json_stringn((char *) op->session.user.data,
                                          op->session.user.len));

    if (actx->end) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: admin: every session and token of \"%V\" "
                      "ended (%ui)", &op->session.user,
                      op->rc == NGX_OK ? op->count : 0);

        rc |= json_object_set_new(obj, "ended",
                           json_integer(op->rc == NGX_OK ? op->count : 0));

        ngx_http_finalize_request(r,
                         ngx_http_secauth_admin_answer(r, rc ? 0 : NGX_HTTP_OK,
                                                       obj));
        return;
    }

    list = json_array();
    rc |= json_object_set_new(obj, "sessions", list);
    rc |= json_object_set_new(obj, "families",
                        json_integer(op->rc == NGX_OK ? op->count : 0));

    s = (op->rc == NGX_OK && op->sessions) ? op->sessions->elts : NULL;

    for (i = 0; s && i < op->sessions->nelts && rc == 0; i++) {
        item = json_pack("{sIsIss#}",
                         "created", (json_int_t) s[i].created,
                         "last_seen", (json_int_t) s[i].last_seen,
                         "ip", (char *) s[i].ip.data, s[i].ip.len);

        rc |= json_array_append_new(list, item);
    }

    ngx_http_finalize_request(r,
                     ngx_http_secauth_admin_answer(r, rc ? 0 : NGX_HTTP_OK,
                                                   obj));
}


/* the JSON answer; obj is consumed; status 0 (or no obj): 500 */

static ngx_int_t
ngx_http_secauth_admin_answer(ngx_http_request_t *r, ngx_uint_t status,
    json_t *obj)
{
    char       *text;
    ngx_int_t   rc;
    ngx_str_t   body;

    if (obj == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    text = (status == 0) ? NULL : json_dumps(obj, JSON_COMPACT);
    json_decref(obj);

    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.len = ngx_strlen(text) + 1;
    body.data = ngx_pnalloc(r->pool, body.len);
    if (body.data == NULL) {
        free(text);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(body.data, text, body.len - 1);
    body.data[body.len - 1] = '\n';

    free(text);

    rc = ngx_http_secauth_send(r, status, "application/json", &body);

    return rc;
}
