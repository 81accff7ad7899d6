
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_mfa.h"


/*
 * The second factor in a login (docs/mfa.md): once the password is
 * right, the user's MFA record is read; a user with TOTP on gets no
 * session or token without a code beside the password ("otp"), checked
 * by ngx_http_secauth_mfa.c. A wrong code is a failed login: the
 * throttle counted the attempt and keeps it.
 *
 * Both calls answer NGX_DECLINED when the login may go on (no MFA for
 * this user, or the code was accepted: lctx->level says which),
 * NGX_ABORT for a wrong code (the caller fails the login), NGX_AGAIN
 * while the store works (next runs then), or a status to finish with.
 */


static ngx_int_t ngx_http_secauth_mfa_login_wait(ngx_http_request_t *r,
    ngx_int_t rc, ngx_http_event_handler_pt next);
static ngx_int_t ngx_http_secauth_mfa_login_code(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next);


static ngx_str_t  ngx_http_secauth_json_mfa_required =
    ngx_string("{\"error\":\"mfa_required\"}\n");


ngx_int_t
ngx_http_secauth_mfa_login(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    lctx->level = NGX_HTTP_SECAUTH_AMR_PWD;

    if (smcf->secret == NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_secauth_get_ctx(r, 0);

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;

    op->once = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_once_t));
    if (op->once == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_secauth_mfa_user_key(&lctx->username, op->key) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_MFA;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r), value_get,
                                     op);

    return ngx_http_secauth_mfa_login_wait(r, rc, next);
}


ngx_int_t
ngx_http_secauth_mfa_login_step(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next)
{
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx->op.rc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (lctx->state == NGX_HTTP_SECAUTH_LOGIN_MFA) {

        if (ctx->op.rc == NGX_DECLINED) {
            /* no TOTP for this user */
            return NGX_DECLINED;
        }

        return ngx_http_secauth_mfa_login_code(r, lctx, next);
    }

    /* NGX_HTTP_SECAUTH_LOGIN_MFA_CODE */

    if (ctx->op.rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: login failed for \"%V\": a replayed or "
                      "spent code", &lctx->username);
        return NGX_ABORT;
    }

    lctx->level |= NGX_HTTP_SECAUTH_AMR_OTP;

    return NGX_DECLINED;
}


/* the record is in ctx->op: the code beside the password, or none */

static ngx_int_t
ngx_http_secauth_mfa_login_code(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next)
{
    ngx_int_t                       rc;
    ngx_str_t                       data;
    ngx_http_secauth_ctx_t         *ctx;
    ngx_http_secauth_store_op_t    *op;
    ngx_http_secauth_mfa_record_t   rec;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    op = &ctx->op;

    data = op->once->data;

    if (ngx_http_secauth_mfa_record_parse(&data, &rec) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "secauth: the MFA record of \"%V\" is invalid",
                      &lctx->username);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (lctx->otp.data == NULL) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: \"%V\" needs a second factor",
                      &lctx->username);

        /* the password was right: this attempt is taken back */
        lctx->settled = 0;

        return ngx_http_secauth_send(r, NGX_HTTP_UNAUTHORIZED,
                                     "application/json",
                                     &ngx_http_secauth_json_mfa_required);
    }

    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_MFA_CODE;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_mfa_check(r, op, &lctx->username, &rec,
                                    &lctx->otp);

    if (rc == NGX_DECLINED || rc == NGX_ERROR) {
        ctx->waiting = 0;

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: login failed for \"%V\": a wrong code",
                      &lctx->username);
        return NGX_ABORT;
    }

    return ngx_http_secauth_mfa_login_wait(r, rc, next);
}


static ngx_int_t
ngx_http_secauth_mfa_login_wait(ngx_http_request_t *r, ngx_int_t rc,
    ngx_http_event_handler_pt next)
{
    ngx_http_secauth_ctx_t  *ctx;

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx = ngx_http_secauth_get_ctx(r, 0);

    ctx->waiting = 0;
    next(r);

    return NGX_AGAIN;
}
