
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_token.h"
#include "ngx_http_secauth_refresh.h"


/*
 * secauth_refresh and secauth_revoke (docs/tokens.md). A refresh spends
 * the refresh token presented and answers a new pair of the same family;
 * the store does the spending atomically, so that of parallel refreshes
 * with one token exactly one mints a pair, and a spent token presented
 * again (stolen, or replayed) revokes the whole family (RFC 9700 4.14.2).
 * A revoke deletes the family of the token presented and answers 200
 * whatever the token was (RFC 7009 2.2).
 */


typedef struct {
    ngx_str_t                      user;
    ngx_http_secauth_family_t      family;
    ngx_flag_t                     revoke;
} ngx_http_secauth_refresh_ctx_t;


static void ngx_http_secauth_refresh_body(ngx_http_request_t *r);
static void ngx_http_secauth_revoke_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_refresh_start(ngx_http_request_t *r,
    const char *field, ngx_str_t *token);
static ngx_int_t ngx_http_secauth_refresh_family(ngx_http_request_t *r,
    json_t *claims, ngx_http_secauth_refresh_ctx_t *rctx);
static void ngx_http_secauth_refresh_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_refresh_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *error);
static void ngx_http_secauth_refresh_finish(ngx_http_request_t *r,
    ngx_int_t rc);


/* secauth_refresh and secauth_revoke */

char *
ngx_http_secauth_refresh(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                          *rv;
    ngx_http_secauth_main_conf_t  *smcf;

    if (ngx_strcmp(cmd->name.data, "secauth_refresh") == 0) {
        rv = ngx_http_secauth_content(cf, conf,
                                      NGX_HTTP_SECAUTH_HANDLER_REFRESH,
                                      ngx_http_secauth_refresh_handler);

    } else {
        rv = ngx_http_secauth_content(cf, conf,
                                      NGX_HTTP_SECAUTH_HANDLER_REVOKE,
                                      ngx_http_secauth_revoke_handler);
    }

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* the zone (or Redis) and the thread pool are set up for them */

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->store_used = 1;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_secauth_refresh_handler(ngx_http_request_t *r)
{
    return ngx_http_secauth_body_start(r, ngx_http_secauth_refresh_body,
                                       "POST");
}


ngx_int_t
ngx_http_secauth_revoke_handler(ngx_http_request_t *r)
{
    return ngx_http_secauth_body_start(r, ngx_http_secauth_revoke_body,
                                       "POST");
}


static void
ngx_http_secauth_refresh_body(ngx_http_request_t *r)
{
    char                            *error;
    json_t                          *claims;
    ngx_int_t                        rc;
    ngx_str_t                        token;
    ngx_http_secauth_ctx_t          *ctx;
    ngx_http_secauth_store_op_t     *op;
    ngx_http_secauth_refresh_ctx_t  *rctx;

    rc = ngx_http_secauth_refresh_start(r, "refresh_token", &token);

    if (rc != NGX_OK) {
        ngx_http_secauth_refresh_finish(r, rc);
        return;
    }

    ctx = ngx_http_secauth_get_ctx(r, 0);
    rctx = ctx->login;

    error = ngx_http_secauth_jwt_issued(r, &token, "refresh", 0, &claims);

    if (error == NULL) {
        rc = ngx_http_secauth_refresh_family(r, claims, rctx);

        if (rc == NGX_ERROR) {
            ngx_http_secauth_refresh_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        if (rc != NGX_OK) {
            error = "bad_claims";
        }
    }

    if (error) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: refresh token refused: %s", error);

        rc = ngx_http_secauth_refresh_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_grant");
        ngx_http_secauth_refresh_finish(r, rc);
        return;
    }

    /* the successor's jti, which the store makes the one to spend next */

    if (ngx_http_secauth_token_id(r->pool, &rctx->family.next) != NGX_OK) {
        ngx_http_secauth_refresh_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;
    op->session.user = rctx->user;
    op->family = &rctx->family;

    r->write_event_handler = ngx_http_secauth_refresh_step;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r), family_rotate,
                                     op);
    if (rc == NGX_AGAIN) {
        return;
    }

    ctx->waiting = 0;
    ngx_http_secauth_refresh_step(r);
}


static void
ngx_http_secauth_revoke_body(ngx_http_request_t *r)
{
    char                            *error;
    json_t                          *claims;
    ngx_int_t                        rc;
    ngx_str_t                        token;
    ngx_http_secauth_ctx_t          *ctx;
    ngx_http_secauth_store_op_t     *op;
    ngx_http_secauth_refresh_ctx_t  *rctx;

    rc = ngx_http_secauth_refresh_start(r, "token", &token);

    if (rc != NGX_OK) {
        ngx_http_secauth_refresh_finish(r, rc);
        return;
    }

    ctx = ngx_http_secauth_get_ctx(r, 0);
    rctx = ctx->login;
    rctx->revoke = 1;
    ngx_memzero(&ctx->op, sizeof(ngx_http_secauth_store_op_t));

    /* either kind of ours, even expired: its family may still be alive */

    error = ngx_http_secauth_jwt_issued(r, &token, NULL, 1, &claims);

    if (error == NULL) {
        rc = ngx_http_secauth_refresh_family(r, claims, rctx);

        if (rc == NGX_ERROR) {
            ngx_http_secauth_refresh_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        if (rc != NGX_OK) {
            error = "bad_claims";
        }
    }

    if (error) {
        /* RFC 7009 2.2: an invalid token is not an error to the client */

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: revocation of an unusable token ignored: %s",
                      error);

        ngx_http_secauth_refresh_step(r);
        return;
    }

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;
    op->session.user = rctx->user;
    op->family = &rctx->family;

    r->write_event_handler = ngx_http_secauth_refresh_step;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r), family_revoke,
                                     op);
    if (rc == NGX_AGAIN) {
        return;
    }

    ctx->waiting = 0;
    ngx_http_secauth_refresh_step(r);
}


/*
 * The body's token parameter: a form (RFC 6749 6, RFC 7009 2.1) or a JSON
 * object. NGX_OK, or what to finalize the request with (NGX_DONE: the
 * 400 is sent).
 */

static ngx_int_t
ngx_http_secauth_refresh_start(ngx_http_request_t *r, const char *field,
    ngx_str_t *token)
{
    json_t                          *obj;
    ngx_int_t                        rc;
    ngx_str_t                        body;
    ngx_table_elt_t                 *ct;
    json_error_t                     err;
    ngx_http_secauth_ctx_t          *ctx;
    ngx_http_secauth_refresh_ctx_t  *rctx;

    ctx = ngx_http_secauth_get_ctx(r, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rctx = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_refresh_ctx_t));
    if (rctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->login = rctx;

    if (ngx_http_secauth_read_body(r, &body) != NGX_OK) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    ct = r->headers_in.content_type;

    if (ngx_http_secauth_media_type(ct, "application/json") == NGX_OK) {
        obj = json_loadb((char *) body.data, body.len,
                         JSON_REJECT_DUPLICATES, &err);

        rc = (obj && json_is_object(obj))
             ? ngx_http_secauth_json_field(r, obj, field, token)
             : NGX_DECLINED;

        if (obj) {
            json_decref(obj);
        }

    } else if (ngx_http_secauth_media_type(ct,
                                      "application/x-www-form-urlencoded")
               == NGX_OK)
    {
        rc = ngx_http_secauth_form_field(r, &body, field, token);

    } else {
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    if (rc == NGX_OK && token->len) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "secauth: request without a usable \"%s\"", field);

    rc = ngx_http_secauth_refresh_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_request");

    /* answered: the caller only finalizes */
    return (rc == NGX_OK) ? NGX_DONE : rc;
}


/* the family, jti and user of a token of ours; NGX_DECLINED: not usable */

static ngx_int_t
ngx_http_secauth_refresh_family(ngx_http_request_t *r, json_t *claims,
    ngx_http_secauth_refresh_ctx_t *rctx)
{
    json_t                        *fam, *jti, *sub;
    fam = json_object_get(claims, NGX_HTTP_SECAUTH_FAMILY_CLAIM);
    jti = json_object_get(claims, "jti");
    sub = json_object_get(claims, "sub");

    if (!json_is_string(fam) || json_string_length(fam) == 0
        || json_string_length(fam) > NGX_HTTP_SECAUTH_ID_MAX
        || !json_is_string(jti) || json_string_length(jti) == 0
        || json_string_length(jti) > NGX_HTTP_SECAUTH_ID_MAX)
    {
        return NGX_DECLINED;
    }

    /* the claims live as long as the request (a pool cleanup) */

    rctx->family.id.data = (u_char *) json_string_value(fam);
    rctx->family.id.len = json_string_length(fam);
    rctx->family.jti.data = (u_char *) json_string_value(jti);
    rctx->family.jti.len = json_string_length(jti);
    rctx->user.data = (u_char *) json_string_value(sub);
    rctx->user.len = json_string_length(sub);

    return NGX_OK;
}


static void
ngx_http_secauth_refresh_step(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        body;
    ngx_http_secauth_ctx_t          *ctx;
    ngx_http_secauth_store_op_t     *op;
    ngx_http_secauth_refresh_ctx_t  *rctx;

    static ngx_str_t  empty = ngx_string("{}\n");

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->waiting) {
        return;
    }

    rctx = ctx->login;
    op = &ctx->op;

    if (rctx->revoke) {

        if (op->family && op->rc == NGX_ERROR) {
            ngx_http_secauth_refresh_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE);
            return;
        }

        if (op->family && op->rc == NGX_OK) {
            ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                          "secauth: tokens of \"%V\" revoked", &rctx->user);
        }

        rc = ngx_http_secauth_send(r, NGX_HTTP_OK, "application/json",
                                   &empty);
        ngx_http_secauth_refresh_finish(r, rc);
        return;
    }

    if (op->rc == NGX_ERROR) {
        ngx_http_secauth_refresh_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    if (op->rc == NGX_DECLINED) {

        switch (op->count) {

        case NGX_HTTP_SECAUTH_FAMILY_REUSED:
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "secauth: a spent refresh token of \"%V\" was "
                          "presented again: all its tokens are revoked",
                          &rctx->user);
            break;

        case NGX_HTTP_SECAUTH_FAMILY_STALE:
            ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                          "secauth: refresh token of \"%V\" refused: the "
                          "password changed since", &rctx->user);
            break;

        default:
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: refresh token of \"%V\" refused: "
                          "revoked or expired", &rctx->user);
        }

        rc = ngx_http_secauth_refresh_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_grant");
        ngx_http_secauth_refresh_finish(r, rc);
        return;
    }

    if (ngx_http_secauth_token_pair(r, &rctx->user, &rctx->family,
                                    &rctx->family.next, &body)
        != NGX_OK)
    {
        ngx_http_secauth_refresh_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "secauth: tokens of \"%V\" refreshed", &rctx->user);

    rc = ngx_http_secauth_send(r, NGX_HTTP_OK, "application/json", &body);
    ngx_http_secauth_refresh_finish(r, rc);
}


/* RFC 6749 5.2: {"error": ...} */

static ngx_int_t
ngx_http_secauth_refresh_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error)
{
    ngx_str_t  body;

    body.len = sizeof("{\"error\":\"\"}\n") - 1 + ngx_strlen(error);
    body.data = ngx_pnalloc(r->pool, body.len);
    if (body.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(body.data, "{\"error\":\"%s\"}\n", error);

    return ngx_http_secauth_send(r, status, "application/json", &body);
}


static void
ngx_http_secauth_refresh_finish(ngx_http_request_t *r, ngx_int_t rc)
{
    if (rc == NGX_DONE) {
        rc = NGX_OK;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, rc);
}
