
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_login.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_jwt.h"


/*
 * secauth_logout (docs/login.md): the session the client presents goes
 * (with everywhere=1 every session and token family of its user), and so
 * does its cookie; an API client logs out with its access token instead,
 * whose refresh-token family is revoked.
 */


static ngx_int_t ngx_http_secauth_logout_handler(ngx_http_request_t *r);
static void ngx_http_secauth_logout_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_logout_bearer(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static void ngx_http_secauth_logout_step(ngx_http_request_t *r);


char *
ngx_http_secauth_logout(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                          *rv;
    ngx_http_secauth_main_conf_t  *smcf;

    rv = ngx_http_secauth_content(cf, conf, NGX_HTTP_SECAUTH_HANDLER_LOGOUT,
                                  ngx_http_secauth_logout_handler);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* the zone (or Redis) and the thread pool are set up for it */

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->store_used = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_secauth_logout_handler(ngx_http_request_t *r)
{
    return ngx_http_secauth_body_start(r, ngx_http_secauth_logout_body,
                                       "POST");
}


static void
ngx_http_secauth_logout_body(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      body, v;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 1);
    if (ctx == NULL) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    lctx = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_login_ctx_t));
    if (lctx == NULL) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->login = lctx;

    if (ngx_http_secauth_read_body(r, &body) != NGX_OK) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return;
    }

    /* everywhere=1 (form field or query argument): all the user's sessions */

    if ((ngx_http_secauth_form_field(r, &body, "everywhere", &v) == NGX_OK
         || ngx_http_arg(r, (u_char *) "everywhere", 10, &v) == NGX_OK)
        && v.len == 1 && v.data[0] == '1')
    {
        lctx->everywhere = 1;
    }

    if (ngx_http_secauth_form_field(r, &body, "next", &lctx->next) == NGX_OK)
    {
        ngx_http_secauth_safe_next(r, &lctx->next);

    } else {
        ngx_http_secauth_next_arg(r, &lctx->next);
    }

    r->write_event_handler = ngx_http_secauth_logout_step;

    if (ngx_http_secauth_presented_session(r, &ctx->op) != NGX_OK) {

        if (ngx_http_secauth_logout_bearer(r, lctx) == NGX_OK) {
            return;
        }

        lctx->state = NGX_HTTP_SECAUTH_LOGOUT_DELETE;
        ctx->op.rc = NGX_DECLINED;
        ngx_http_secauth_logout_step(r);
        return;
    }

    lctx->state = lctx->everywhere ? NGX_HTTP_SECAUTH_LOGOUT_GET
                                   : NGX_HTTP_SECAUTH_LOGOUT_DELETE;

    ngx_http_secauth_store_wait(r, ctx, &ctx->op);

    rc = lctx->everywhere
         ? ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                       session_get, &ctx->op)
         : ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                       session_delete, &ctx->op);

    if (rc == NGX_AGAIN) {
        return;
    }

    ctx->waiting = 0;
    ngx_http_secauth_logout_step(r);
}


/*
 * An API client logs out with its access token, which must be one the
 * gate would take but for revocation (unexpired): its family goes, and
 * with everywhere=1, if that family was still alive, all the user's
 * sessions and families. NGX_DECLINED when no such token was presented;
 * else the logout is under way.
 */

static ngx_int_t
ngx_http_secauth_logout_bearer(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    char                         *error;
    json_t                       *claims, *fam, *sub;
    ngx_int_t                     rc;
    ngx_str_t                     token;
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_store_op_t  *op;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (slcf->jwt_signing_key == NULL
        || ngx_http_secauth_bearer(r, &token) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    error = ngx_http_secauth_jwt_issued(r, &token, "access", 0, &claims);

    fam = error ? NULL : json_object_get(claims,
                                         NGX_HTTP_SECAUTH_FAMILY_CLAIM);

    if (!json_is_string(fam) || json_string_length(fam) == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: logout with an unusable bearer token: %s",
                      error ? error : "bad_claims");
        return NGX_DECLINED;
    }

    ctx = ngx_http_secauth_get_ctx(r, 0);
    sub = json_object_get(claims, "sub");

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;
    op->session.user.data = (u_char *) json_string_value(sub);
    op->session.user.len = json_string_length(sub);

    op->family = &lctx->family;
    op->family->id.data = (u_char *) json_string_value(fam);
    op->family->id.len = json_string_length(fam);

    lctx->bearer = 1;
    lctx->state = NGX_HTTP_SECAUTH_LOGOUT_FAMILY;

    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r), family_revoke,
                                     op);
    if (rc == NGX_AGAIN) {
        return NGX_OK;
    }

    ctx->waiting = 0;
    ngx_http_secauth_logout_step(r);

    return NGX_OK;
}


static void
ngx_http_secauth_logout_step(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->waiting) {
        return;
    }

    lctx = ctx->login;

    if (ctx->op.rc == NGX_ERROR) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    if (lctx->state == NGX_HTTP_SECAUTH_LOGOUT_FAMILY) {

        /* a token of a family already revoked ends nothing more */

        if (ctx->op.rc != NGX_OK || !lctx->everywhere) {
            ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                          "secauth: \"%V\" logged out: its tokens are "
                          "revoked", &ctx->op.session.user);

            ngx_http_secauth_login_finish(r, NGX_HTTP_NO_CONTENT);
            return;
        }

        /* on as for a session: op->session.user is the token's */
        lctx->state = NGX_HTTP_SECAUTH_LOGOUT_GET;
    }

    if (lctx->state == NGX_HTTP_SECAUTH_LOGOUT_GET && ctx->op.rc == NGX_OK) {

        /* "log out everywhere": every session and family of this user */

        lctx->state = NGX_HTTP_SECAUTH_LOGOUT_DELETE;
        lctx->username = ctx->op.session.user;

        ngx_http_secauth_store_wait(r, ctx, &ctx->op);

        rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                         session_delete_user, &ctx->op);
        if (rc == NGX_AGAIN) {
            return;
        }

        ctx->waiting = 0;

        if (ctx->op.rc == NGX_ERROR) {
            ngx_http_secauth_login_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE);
            return;
        }
    }

    if (lctx->username.len) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: \"%V\" logged out everywhere (%ui sessions "
                      "and token families)", &lctx->username, ctx->op.count);
    }

    /* an API client has no cookie and goes nowhere */

    if (lctx->bearer) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_NO_CONTENT);
        return;
    }

    /* the cookie goes whatever the store said */

    if (ngx_http_secauth_set_cookie(r, NULL, 0) != NGX_OK
        || ngx_http_secauth_add_header(r, "Location", &lctx->next) != NGX_OK)
    {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_secauth_login_finish(r, NGX_HTTP_SEE_OTHER);
}
