
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_login.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_mfa.h"
#include "ngx_http_secauth_policy_conf.h"
#include "ngx_http_secauth_session.h"
#include "ngx_http_secauth_password_set.h"


/*
 * What a password change and a reset's confirmation share, once the
 * handler knows the user (ngx_http_secauth_password_set.h): the policy,
 * then, as a login, the throttle's count and the user's record, then in
 * one thread-pool task the current password checked (a change) and the
 * new one hashed, then the second factor when the user has one (a reset
 * never bypasses it), the reset token spent (of two confirmations one
 * wins), the hash written only at the version read (the version moves
 * on: every session, refresh family and access token of the user ends
 * on every node at once), the user's sessions deleted and, for a change,
 * a new session for this browser.
 */


static void ngx_http_secauth_pwset_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_pwset_user(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
static ngx_int_t ngx_http_secauth_pwset_verified(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
static ngx_int_t ngx_http_secauth_pwset_code(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
static ngx_int_t ngx_http_secauth_pwset_wrong(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx, const char *why);
static ngx_int_t ngx_http_secauth_pwset_next(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
static ngx_int_t ngx_http_secauth_pwset_write(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
static ngx_int_t ngx_http_secauth_pwset_session(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);


#define ngx_http_secauth_pwset_what(pctx)                                    \
    ((pctx)->kind == NGX_HTTP_SECAUTH_PWSET_CHANGE ? "change" : "reset")


ngx_http_secauth_pwset_ctx_t *
ngx_http_secauth_pwset_ctx(ngx_http_request_t *r, ngx_uint_t kind)
{
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_pwset_ctx_t  *pctx;

    ctx = ngx_http_secauth_get_ctx(r, 1);
    if (ctx == NULL) {
        return NULL;
    }

    pctx = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_pwset_ctx_t));
    if (pctx == NULL) {
        return NULL;
    }

    pctx->kind = kind;
    pctx->login.json = ngx_http_secauth_pwset_wants_json(r);

    ctx->login = pctx;

    return pctx;
}


ngx_int_t
ngx_http_secauth_pwset_start(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    ngx_uint_t                     reasons;
    ngx_http_secauth_loc_conf_t   *slcf;
    ngx_http_secauth_login_ctx_t  *lctx;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    lctx = &pctx->login;

    reasons = ngx_http_secauth_password_policy_check(r->connection->log,
                                                     slcf->password_policy,
                                                     &pctx->new_password,
                                                     &lctx->username, NULL);
    if (reasons) {
        ngx_explicit_memzero(pctx->new_password.data,
                             pctx->new_password.len);
        ngx_explicit_memzero(lctx->password.data, lctx->password.len);

        if (reasons == NGX_HTTP_SECAUTH_POLICY_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: password %s of \"%V\" refused: the new "
                      "password fails the policy",
                      ngx_http_secauth_pwset_what(pctx), &lctx->username);

        return ngx_http_secauth_pwset_weak(r, pctx, reasons);
    }

    lctx->new_password = pctx->new_password;
    lctx->level = NGX_HTTP_SECAUTH_AMR_PWD;

    if (pctx->kind == NGX_HTTP_SECAUTH_PWSET_CONFIRM) {
        /* the token stands for the current password */
        lctx->hash_only = 1;
        ngx_str_set(&lctx->password, "");
    }

    r->write_event_handler = ngx_http_secauth_pwset_step;

    /* a locked account is refused before any lookup or hashing */

    if (slcf->throttle) {
        return ngx_http_secauth_pwset_wait(r,
                                   ngx_http_secauth_login_attempt(r, lctx),
                                   ngx_http_secauth_pwset_step);
    }

    return ngx_http_secauth_pwset_user(r, pctx);
}


static ngx_int_t
ngx_http_secauth_pwset_user(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    ngx_http_secauth_store_op_t  *op;

    op = ngx_http_secauth_pwset_op(r, NGX_HTTP_SECAUTH_PWSET_USER);
    op->session.user = pctx->login.username;

    return ngx_http_secauth_pwset_wait(r,
                         ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                                     user_get, op),
                         ngx_http_secauth_pwset_step);
}


static void
ngx_http_secauth_pwset_step(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_pwset_ctx_t  *pctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->waiting || r->main->blocked) {
        return;
    }

    pctx = ctx->login;
    lctx = &pctx->login;
    op = &ctx->op;

    if (lctx->state != NGX_HTTP_SECAUTH_LOGIN_VERIFY
        && lctx->state != NGX_HTTP_SECAUTH_LOGIN_THROTTLE
        && op->rc == NGX_ERROR)
    {
        ngx_http_secauth_login_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    switch (lctx->state) {

    case NGX_HTTP_SECAUTH_LOGIN_THROTTLE:

        rc = ngx_http_secauth_login_throttled(r, lctx);

        if (rc == NGX_DECLINED) {
            if (ngx_http_secauth_retry_after(r, op->locked) != NGX_OK) {
                rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
                break;
            }

            rc = ngx_http_secauth_pwset_refuse(r, pctx,
                                               NGX_HTTP_TOO_MANY_REQUESTS,
                                               "too_many_attempts");

        } else if (rc == NGX_OK) {
            rc = ngx_http_secauth_pwset_user(r, pctx);
        }

        break;

    case NGX_HTTP_SECAUTH_PWSET_USER:

        ngx_http_secauth_login_user_found(r, lctx);

        if (pctx->kind == NGX_HTTP_SECAUTH_PWSET_CONFIRM
            && (!lctx->known || lctx->pwv != pctx->token_pwv))
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "secauth: password reset of \"%V\" refused: the "
                          "user is gone or changed the password since the "
                          "token was made", &lctx->username);
            lctx->settled = 1;
            rc = ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_BAD_REQUEST,
                                               "invalid_token");
            break;
        }

        rc = ngx_http_secauth_login_verify(r, lctx,
                                           ngx_http_secauth_pwset_step);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_VERIFY:
        rc = ngx_http_secauth_pwset_verified(r, pctx);
        break;

    case NGX_HTTP_SECAUTH_PWSET_MFA:
        rc = ngx_http_secauth_pwset_code(r, pctx);
        break;

    case NGX_HTTP_SECAUTH_PWSET_CODE:

        if (op->rc != NGX_OK) {
            rc = ngx_http_secauth_pwset_wrong(r, pctx,
                                              "a replayed or spent code");
            break;
        }

        lctx->level |= NGX_HTTP_SECAUTH_AMR_OTP;

        rc = ngx_http_secauth_pwset_next(r, pctx);
        break;

    case NGX_HTTP_SECAUTH_PWSET_CONSUMED:

        if (op->rc != NGX_OK) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "secauth: password reset of \"%V\" refused: the "
                          "token was spent meanwhile", &lctx->username);
            rc = ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_BAD_REQUEST,
                                               "invalid_token");
            break;
        }

        rc = ngx_http_secauth_pwset_write(r, pctx);
        break;

    case NGX_HTTP_SECAUTH_PWSET_WRITTEN:

        if (op->rc != NGX_OK) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "secauth: password %s of \"%V\" not written: the "
                          "user is gone or the password changed meanwhile",
                          ngx_http_secauth_pwset_what(pctx),
                          &lctx->username);
            rc = ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_CONFLICT,
                                               "password_changed");
            break;
        }

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: password of \"%V\" %s: version %ui",
                      &lctx->username,
                      pctx->kind == NGX_HTTP_SECAUTH_PWSET_CHANGE
                      ? "changed" : "reset", lctx->pwv + 1);

        if (ngx_http_secauth_login_forget(r, lctx) != NGX_OK) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        /* the version refuses them all already; this frees them */

        op = ngx_http_secauth_pwset_op(r, NGX_HTTP_SECAUTH_PWSET_ENDED);
        op->session.user = lctx->username;

        rc = ngx_http_secauth_pwset_wait(r,
                         ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                                     session_delete_user, op),
                         ngx_http_secauth_pwset_step);
        break;

    case NGX_HTTP_SECAUTH_PWSET_ENDED:

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: %ui sessions and token families of \"%V\" "
                      "ended", op->count, &lctx->username);

        rc = (pctx->kind == NGX_HTTP_SECAUTH_PWSET_CHANGE)
             ? ngx_http_secauth_pwset_session(r, pctx)
             : ngx_http_secauth_pwset_done(r, pctx);
        break;

    case NGX_HTTP_SECAUTH_PWSET_SESSION:

        if (ngx_http_secauth_set_cookie(r, &lctx->sid,
                                        ngx_http_secauth_cookie_max_age(r))
            != NGX_OK)
        {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        ctx->level = lctx->level;
        ngx_http_secauth_mfa_amr(lctx->level, &ctx->amr);

        rc = ngx_http_secauth_pwset_done(r, pctx);
        break;

    default:
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_AGAIN) {
        ngx_http_secauth_login_finish(r, rc);
    }
}


/* the task is done: the current password matched, the new one hashed */

static ngx_int_t
ngx_http_secauth_pwset_verified(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    ngx_int_t                      rc;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_login_ctx_t  *lctx;

    lctx = &pctx->login;

    if (!ngx_http_secauth_login_verified(r, lctx)) {
        return ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_UNAUTHORIZED,
                                             "invalid_credentials");
    }

    if (!lctx->task->rehashed) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "secauth: password %s of \"%V\": the new password "
                      "could not be hashed", ngx_http_secauth_pwset_what(pctx),
                      &lctx->username);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    op = ngx_http_secauth_pwset_op(r, NGX_HTTP_SECAUTH_PWSET_MFA);

    rc = ngx_http_secauth_mfa_record_get(r, op, &lctx->username, 0);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_pwset_wait(r, rc, ngx_http_secauth_pwset_step);
}


/* the MFA record read: none, or its code to check */

static ngx_int_t
ngx_http_secauth_pwset_code(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    ngx_int_t                        rc;
    ngx_str_t                        data;
    ngx_http_secauth_ctx_t          *ctx;
    ngx_http_secauth_store_op_t     *op;
    ngx_http_secauth_mfa_record_t    rec;
    ngx_http_secauth_login_ctx_t    *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    lctx = &pctx->login;
    op = &ctx->op;

    if (op->rc != NGX_OK) {
        /* TOTP is off */
        return ngx_http_secauth_pwset_next(r, pctx);
    }

    data = op->once->data;

    if (ngx_http_secauth_mfa_record_parse(&data, &rec) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "secauth: the MFA record of \"%V\" is invalid",
                      &lctx->username);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (lctx->otp.len == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: password %s of \"%V\" without the code of "
                      "its second factor", ngx_http_secauth_pwset_what(pctx),
                      &lctx->username);

        /* not a guess: the attempt is taken back */
        lctx->settled = 0;

        return ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_UNAUTHORIZED,
                                             "mfa_required");
    }

    op = ngx_http_secauth_pwset_op(r, NGX_HTTP_SECAUTH_PWSET_CODE);

    rc = ngx_http_secauth_mfa_check(r, op, &lctx->username, &rec,
                                    &lctx->otp);

    if (rc == NGX_ERROR) {
        ctx->waiting = 0;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED || rc == NGX_ABORT) {
        ctx->waiting = 0;
        return ngx_http_secauth_pwset_wrong(r, pctx, "a wrong code");
    }

    return ngx_http_secauth_pwset_wait(r, rc, ngx_http_secauth_pwset_step);
}


/* a wrong code counts with the throttle, as a wrong password */

static ngx_int_t
ngx_http_secauth_pwset_wrong(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx, const char *why)
{
    pctx->login.settled = 1;

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "secauth: password %s of \"%V\" refused: %s",
                  ngx_http_secauth_pwset_what(pctx), &pctx->login.username,
                  why);

    return ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_UNAUTHORIZED,
                                         "invalid_code");
}


/* every check passed: a reset spends its token, then the write */

static ngx_int_t
ngx_http_secauth_pwset_next(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    ngx_http_secauth_store_op_t  *op;

    if (pctx->kind != NGX_HTTP_SECAUTH_PWSET_CONFIRM) {
        return ngx_http_secauth_pwset_write(r, pctx);
    }

    op = ngx_http_secauth_pwset_op(r, NGX_HTTP_SECAUTH_PWSET_CONSUMED);

    op->once = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_once_t));
    if (op->once == NULL) {
        ngx_http_secauth_get_ctx(r, 0)->waiting = 0;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(op->key, pctx->tkey, NGX_HTTP_SECAUTH_KEY_LEN);

    return ngx_http_secauth_pwset_wait(r,
                         ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                                     once_consume, op),
                         ngx_http_secauth_pwset_step);
}


/* the new hash, at the version read: the version moves on */

static ngx_int_t
ngx_http_secauth_pwset_write(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_login_ctx_t  *lctx;

    lctx = &pctx->login;

    op = ngx_http_secauth_pwset_op(r, NGX_HTTP_SECAUTH_PWSET_WRITTEN);
    op->session.user = lctx->username;
    op->session.pwv = lctx->pwv;
    op->check_pwv = 1;
    op->value.data = lctx->task->new_hash;
    op->value.len = ngx_strlen(lctx->task->new_hash);

    return ngx_http_secauth_pwset_wait(r,
                         ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                                     user_set_password, op),
                         ngx_http_secauth_pwset_step);
}


/* ASVS 7.2.4: a change gives the browser a new session, at the version */

static ngx_int_t
ngx_http_secauth_pwset_session(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_login_ctx_t  *lctx;

    lctx = &pctx->login;

    op = ngx_http_secauth_pwset_op(r, NGX_HTTP_SECAUTH_PWSET_SESSION);

    if (ngx_http_secauth_session_new(r, op, &lctx->username, lctx->level,
                                     lctx->pwv + 1, &lctx->sid)
        != NGX_OK)
    {
        ngx_http_secauth_get_ctx(r, 0)->waiting = 0;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_pwset_wait(r,
                         ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                                     session_put, op),
                         ngx_http_secauth_pwset_step);
}


ngx_http_secauth_store_op_t *
ngx_http_secauth_pwset_op(ngx_http_request_t *r, ngx_uint_t state)
{
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_pwset_ctx_t  *pctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    pctx = ctx->login;

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;

    pctx->login.state = state;
    ngx_http_secauth_store_wait(r, ctx, op);

    return op;
}


ngx_int_t
ngx_http_secauth_pwset_wait(ngx_http_request_t *r, ngx_int_t rc,
    ngx_http_event_handler_pt step)
{
    ngx_http_secauth_ctx_t  *ctx;

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ctx = ngx_http_secauth_get_ctx(r, 0);

    ctx->waiting = 0;
    step(r);

    return NGX_AGAIN;
}


ngx_int_t
ngx_http_secauth_reset_token_key(ngx_str_t *token, u_char *key)
{
    ngx_str_t  parts[2];

    ngx_str_set(&parts[0], "reset\n");
    parts[1] = *token;

    return ngx_http_secauth_sha256(parts, 2, key);
}


ngx_int_t
ngx_http_secauth_reset_user_key(ngx_str_t *user, u_char *key)
{
    ngx_str_t  parts[2];

    ngx_str_set(&parts[0], "reset-user\n");
    parts[1] = *user;

    return ngx_http_secauth_sha256(parts, 2, key);
}


/*
 * nginx -t: the three handlers write user records, which only Redis
 * users are (a file is read-only to the module)
 */

char *
ngx_http_secauth_pwset_merge(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf)
{
    const char                    *name;
    ngx_http_secauth_main_conf_t  *smcf;

    switch (conf->handler) {

    case NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CHANGE:
        name = "secauth_password_change";
        break;

    case NGX_HTTP_SECAUTH_HANDLER_PASSWORD_RESET:
        name = "secauth_password_reset";
        break;

    case NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CONFIRM:
        name = "secauth_password_reset_confirm";
        break;

    default:
        return NGX_CONF_OK;
    }

    if (conf->users == NULL || !conf->users->redis) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" needs writable user records: "
                           "\"secauth_users redis\" (a user file is "
                           "read-only)", name);
        return NGX_CONF_ERROR;
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);

    if (smcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth_users redis\" needs \"secauth_redis\"");
        return NGX_CONF_ERROR;
    }

    if (conf->handler == NGX_HTTP_SECAUTH_HANDLER_PASSWORD_RESET) {

        if (conf->reset_url.len == 0 || conf->reset_notify.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"secauth_password_reset\" needs "
                               "\"secauth_reset_url\" and "
                               "\"secauth_reset_notify\"");
            return NGX_CONF_ERROR;
        }

        if (conf->reset_notify.data[0] != '/') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"secauth_reset_notify\" is a URI of this "
                               "server: \"%V\"", &conf->reset_notify);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}
