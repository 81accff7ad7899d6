
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_base64url.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_mfa.h"
#include "ngx_http_secauth_session.h"


/*
 * The second factor in a login (docs/mfa.md): once the password is
 * right, the user's MFA record is read; a user with TOTP on gets no
 * session or token without a code beside the password ("otp"), checked
 * by ngx_http_secauth_mfa.c. A wrong code is a failed login: the
 * throttle counted the attempt and keeps it.
 *
 * Without a code, a JSON client gets an mfa_token: a pending state in
 * the store (once_put under SHA-256("mfa-pending\n" token), "TRIES:EXP:
 * PWV:USER", 5 minutes), which {"mfa_token","otp"} then consumes
 * (once_consume: single use, of parallel uses one wins); a wrong code
 * puts it back with one try more, up to NGX_HTTP_SECAUTH_MFA_TRIES. The
 * token is no session id: the gate never looks it up.
 *
 * The calls answer NGX_DECLINED when the login may go on (no MFA for
 * this user, or the code was accepted: lctx->level says which),
 * NGX_ABORT for a wrong code (the caller fails the login), NGX_DONE
 * when a pending state was consumed (the caller counts the attempt with
 * the throttle, then calls ngx_http_secauth_mfa_login()), NGX_AGAIN
 * while the store works (next runs then), or a status to finish with.
 */


#define NGX_HTTP_SECAUTH_MFA_PENDING_TTL  300
#define NGX_HTTP_SECAUTH_MFA_TRIES        5


static const char  ngx_http_secauth_mfa_page_top[] =
    "<!doctype html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<title>Verify</title>\n"
    "<style>body{font:16px sans-serif;max-width:22em;margin:4em auto}"
    "label,input,button{display:block;width:100%;box-sizing:border-box}"
    "input{margin:.2em 0 1em;padding:.4em}button{padding:.5em}"
    ".error{color:#b00}</style>\n"
    "</head><body>\n<main>\n<h1>Two-step verification</h1>\n";

static const char  ngx_http_secauth_mfa_page_error[] =
    "<p class=\"error\" role=\"alert\">Invalid code.</p>\n";

static const char  ngx_http_secauth_mfa_page_body[] =
    "<p id=\"hint\">Enter the 6-digit code of your authenticator app, "
    "or one of your backup codes.</p>\n"
    "<form method=\"post\">\n"
    "<label for=\"otp\">Code</label>\n"
    "<input id=\"otp\" name=\"otp\" autocomplete=\"one-time-code\" "
    "autocapitalize=\"off\" spellcheck=\"false\" aria-describedby=\"hint\" "
    "required autofocus>\n"
    "<input type=\"hidden\" name=\"next\" value=\"";

static const char  ngx_http_secauth_mfa_page_end[] =
    "\">\n<button type=\"submit\">Verify</button>\n"
    "</form>\n</main>\n</body></html>\n";

static ngx_str_t  ngx_http_secauth_mfa_page_csp = ngx_string(
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'");


static ngx_int_t ngx_http_secauth_mfa_login_wait(ngx_http_request_t *r,
    ngx_int_t rc, ngx_http_event_handler_pt next);
static ngx_int_t ngx_http_secauth_mfa_login_code(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next);
static ngx_int_t ngx_http_secauth_mfa_login_old(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next);
static ngx_int_t ngx_http_secauth_mfa_login_issue(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next);
static ngx_int_t ngx_http_secauth_mfa_login_pending(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_mfa_login_put(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_mfa_login_wrong(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_mfa_pending_key(ngx_str_t *token,
    u_char *key);
static ngx_int_t ngx_http_secauth_mfa_cookie_name(ngx_http_request_t *r,
    ngx_str_t *name);
static ngx_int_t ngx_http_secauth_mfa_page(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *next);




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
    ngx_int_t                rc;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx->op.rc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (lctx->state == NGX_HTTP_SECAUTH_LOGIN_MFA_PENDING) {
        return ngx_http_secauth_mfa_login_pending(r, lctx);
    }

    if (lctx->state == NGX_HTTP_SECAUTH_LOGIN_MFA_ISSUED) {
        return ngx_http_secauth_mfa_login_issue(r, lctx, NULL);
    }

    if (lctx->state == NGX_HTTP_SECAUTH_LOGIN_MFA) {

        if (ctx->op.rc == NGX_DECLINED) {
            /* no TOTP for this user */
            return NGX_DECLINED;
        }

        return ngx_http_secauth_mfa_login_code(r, lctx, next);
    }

    /* NGX_HTTP_SECAUTH_LOGIN_MFA_CODE */

    if (ctx->op.rc != NGX_OK && ctx->op.once && !lctx->old_key) {

        /* a backup code of before a key rotation? */

        lctx->old_key = 1;

        rc = ngx_http_secauth_mfa_login_old(r, lctx, next);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    if (ctx->op.rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: login failed for \"%V\": a replayed or "
                      "spent code", &lctx->username);
        return ngx_http_secauth_mfa_login_wrong(r, lctx);
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

        return ngx_http_secauth_mfa_login_issue(r, lctx, next);
    }

    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;

    lctx->gen = rec.gen;
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
        return ngx_http_secauth_mfa_login_wrong(r, lctx);
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


/* the backup code again, under the old key: NGX_DECLINED if none */

static ngx_int_t
ngx_http_secauth_mfa_login_old(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next)
{
    ngx_int_t                     rc;
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_store_op_t  *op;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    op = &ctx->op;

    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;

    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_mfa_check_old(r, op, &lctx->username, lctx->gen,
                                        &lctx->otp);

    if (rc == NGX_DECLINED || rc == NGX_ERROR) {
        ctx->waiting = 0;

        /* the first refusal stands: no backup code, or no old key */
        op->rc = NGX_DECLINED;

        return rc == NGX_ERROR ? NGX_HTTP_INTERNAL_SERVER_ERROR
                               : NGX_DECLINED;
    }

    return ngx_http_secauth_mfa_login_wait(r, rc, next);
}


/* {"mfa_token": T, "otp": C}: the second step of a JSON login */

ngx_int_t
ngx_http_secauth_mfa_login_parse(ngx_http_request_t *r, void *obj,
    ngx_http_secauth_login_ctx_t *lctx)
{
    if (ngx_http_secauth_json_field(r, obj, "mfa_token", &lctx->pending)
        != NGX_OK
        || lctx->pending.len != 43
        || !ngx_http_secauth_b64url_valid(lctx->pending.data, 43))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: login with a malformed mfa_token");
        ngx_str_null(&lctx->pending);
        return NGX_DECLINED;
    }

    if (ngx_http_secauth_json_field(r, obj, "otp", &lctx->otp) != NGX_OK) {
        /* absent or not a string: a code that is never right */
        ngx_str_set(&lctx->otp, "");
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_secauth_mfa_login_resume(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next)
{
    ngx_int_t                     rc;
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_store_op_t  *op;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;

    op->once = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_once_t));
    if (op->once == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_secauth_mfa_pending_key(&lctx->pending, op->key) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_MFA_PENDING;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r), once_consume,
                                     op);

    return ngx_http_secauth_mfa_login_wait(r, rc, next);
}


/* the consumed pending state, in ctx->op: "TRIES:EXP:PWV:USER" */

static ngx_int_t
ngx_http_secauth_mfa_login_pending(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    u_char                  *p, *last, *f[3];
    off_t                    v[3];
    ngx_uint_t               i;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx->op.rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: login with an unknown, spent or expired "
                      "mfa_token");
        return NGX_ABORT;
    }

    p = ctx->op.once->data.data;
    last = p + ctx->op.once->data.len;

    for (i = 0; i < 3; i++) {
        f[i] = ngx_strlchr(p, last, ':');
        if (f[i] == NULL || f[i] == p) {
            goto invalid;
        }

        v[i] = ngx_atoof(p, f[i] - p);
        if (v[i] == NGX_ERROR) {
            goto invalid;
        }

        p = f[i] + 1;
    }

    if (p == last) {
        goto invalid;
    }

    if (v[1] <= ngx_time()) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: login with an expired mfa_token");
        return NGX_ABORT;
    }

    lctx->tries = (ngx_uint_t) v[0];
    lctx->pending_exp = (time_t) v[1];
    lctx->pwv = (ngx_uint_t) v[2];
    lctx->username.data = p;
    lctx->username.len = last - p;
    lctx->known = 1;

    return NGX_DONE;

invalid:

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "secauth: an invalid pending MFA record");

    return NGX_HTTP_SERVICE_UNAVAILABLE;
}


/*
 * No code beside the right password: a new pending state, stored before
 * the answer names it (next set), then the answer (next NULL, the store
 * has answered)
 */

static ngx_int_t
ngx_http_secauth_mfa_login_issue(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next)
{
    u_char                        *p, raw[32];
    ngx_int_t                      rc;
    ngx_str_t                      body;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_store_op_t   *op;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    op = &ctx->op;

    if (next == NULL) {
        if (op->rc != NGX_OK) {
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        if (!lctx->json) {
            /* a browser: the code page, the pending login in a cookie */

            if (ngx_http_secauth_mfa_cookie_name(r, &body) != NGX_OK
                || ngx_http_secauth_set_named_cookie(r, &body,
                                                     &lctx->pending,
                                           NGX_HTTP_SECAUTH_MFA_PENDING_TTL)
                   != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return ngx_http_secauth_mfa_page(r, NGX_HTTP_OK, &lctx->next);
        }

        body.len = sizeof("{\"error\":\"mfa_required\",\"mfa_token\":\"\"}\n")
                   - 1 + lctx->pending.len;
        body.data = ngx_pnalloc(r->pool, body.len);
        if (body.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_sprintf(body.data,
                    "{\"error\":\"mfa_required\",\"mfa_token\":\"%V\"}\n",
                    &lctx->pending);

        return ngx_http_secauth_send(r, NGX_HTTP_UNAUTHORIZED,
                                     "application/json", &body);
    }

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, ngx_http_secauth_b64url_encoded_len(32));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lctx->pending.data = p;
    lctx->pending.len = ngx_http_secauth_b64url_encode(p, raw, sizeof(raw));
    ngx_explicit_memzero(raw, sizeof(raw));

    lctx->tries = 0;
    lctx->pending_exp = ngx_time() + NGX_HTTP_SECAUTH_MFA_PENDING_TTL;

    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_MFA_ISSUED;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_mfa_login_put(r, lctx, op);

    if (rc == NGX_ERROR) {
        ctx->waiting = 0;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_mfa_login_wait(r, rc, next);
}


/* the pending state of lctx into the store, until its expiry */

static ngx_int_t
ngx_http_secauth_mfa_login_put(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_secauth_store_op_t *op)
{
    u_char  *p;

    op->once = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_once_t));
    if (op->once == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, 3 * NGX_INT64_LEN + 3 + lctx->username.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    op->once->data.data = p;
    op->once->data.len = ngx_sprintf(p, "%ui:%T:%ui:%V", lctx->tries,
                                     lctx->pending_exp, lctx->pwv,
                                     &lctx->username)
                         - p;

    if (ngx_http_secauth_mfa_pending_key(&lctx->pending, op->key) != NGX_OK)
    {
        return NGX_ERROR;
    }

    op->ttl = ngx_max(lctx->pending_exp - ngx_time(), 1);

    return ngx_http_secauth_store_call(ngx_http_secauth_store(r), once_put,
                                       op);
}


/*
 * A wrong code: the throttle keeps the attempt; a pending state comes
 * back with one try more, unless that was its last
 */

static ngx_int_t
ngx_http_secauth_mfa_login_wrong(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_http_secauth_store_op_t  *op;

    lctx->settled = 1;

    if (lctx->pending.len == 0) {
        return NGX_ABORT;
    }

    if (++lctx->tries >= NGX_HTTP_SECAUTH_MFA_TRIES
        || lctx->pending_exp <= ngx_time())
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: the pending login of \"%V\" ended after "
                      "%ui wrong codes", &lctx->username, lctx->tries);
        return NGX_ABORT;
    }

    /* goes on without the request, like the login's other writes */

    op = ngx_http_secauth_new_op(r, NULL);
    if (op == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_secauth_mfa_login_put(r, lctx, op) == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lctx->retry = 1;

    return NGX_ABORT;
}


static ngx_int_t
ngx_http_secauth_mfa_pending_key(ngx_str_t *token, u_char *key)
{
    ngx_str_t  parts[2];

    ngx_str_set(&parts[0], "mfa-pending\n");
    parts[1] = *token;

    return ngx_http_secauth_sha256(parts, 2, key);
}


/*
 * A form without a user name but with a code: the second step of a
 * browser's login, its pending login in the cookie. NGX_DECLINED: not a
 * second step (a first one: the caller parses it).
 */

ngx_int_t
ngx_http_secauth_mfa_login_form(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_str_t *body)
{
    ngx_str_t  name, value;

    if (ngx_http_secauth_form_field(r, body, "username", &value) == NGX_OK
        || ngx_http_secauth_form_field(r, body, "otp", &lctx->otp) != NGX_OK)
    {
        ngx_str_null(&lctx->otp);
        return NGX_DECLINED;
    }

    if (ngx_http_secauth_form_field(r, body, "next", &lctx->next) != NGX_OK) {
        ngx_str_null(&lctx->next);
    }

    if (ngx_http_secauth_mfa_cookie_name(r, &name) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_secauth_session_find(r, &name, &lctx->pending) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: a code without a pending login");
        ngx_str_null(&lctx->pending);
        return NGX_HTTP_BAD_REQUEST;
    }

    return NGX_OK;
}


/* a second step refused: the code page again while the login is pending */

ngx_int_t
ngx_http_secauth_mfa_login_refuse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_str_t  name;

    if (lctx->json || lctx->pending.len == 0) {
        return ngx_http_secauth_login_refuse(r, lctx, NGX_HTTP_UNAUTHORIZED,
                                             0);
    }

    if (lctx->retry) {
        return ngx_http_secauth_mfa_page(r, NGX_HTTP_UNAUTHORIZED,
                                         &lctx->next);
    }

    /* ended: back to the password */

    if (ngx_http_secauth_mfa_cookie_name(r, &name) != NGX_OK
        || ngx_http_secauth_set_named_cookie(r, &name, NULL, 0) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_login_refuse(r, lctx, NGX_HTTP_UNAUTHORIZED, 0);
}


/* a browser's login done: its pending cookie goes */

ngx_int_t
ngx_http_secauth_mfa_login_done(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_str_t  name;

    if (lctx->json || lctx->pending.len == 0) {
        return NGX_OK;
    }

    if (ngx_http_secauth_mfa_cookie_name(r, &name) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_secauth_set_named_cookie(r, &name, NULL, 0);
}


/* the session cookie's name and "-mfa" */

static ngx_int_t
ngx_http_secauth_mfa_cookie_name(ngx_http_request_t *r, ngx_str_t *name)
{
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    name->len = slcf->cookie->name.len + sizeof("-mfa") - 1;
    name->data = ngx_pnalloc(r->pool, name->len);
    if (name->data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(name->data, "%V-mfa", &slcf->cookie->name);

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_mfa_page(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *next)
{
    u_char     *p;
    size_t      len;
    uintptr_t   escape;
    ngx_str_t   body;

    escape = ngx_escape_html(NULL, next->data, next->len);

    len = sizeof(ngx_http_secauth_mfa_page_top) - 1
          + sizeof(ngx_http_secauth_mfa_page_error) - 1
          + sizeof(ngx_http_secauth_mfa_page_body) - 1
          + next->len + escape
          + sizeof(ngx_http_secauth_mfa_page_end) - 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;

    p = ngx_cpymem(p, ngx_http_secauth_mfa_page_top,
                   sizeof(ngx_http_secauth_mfa_page_top) - 1);

    if (status != NGX_HTTP_OK) {
        p = ngx_cpymem(p, ngx_http_secauth_mfa_page_error,
                       sizeof(ngx_http_secauth_mfa_page_error) - 1);
    }

    p = ngx_cpymem(p, ngx_http_secauth_mfa_page_body,
                   sizeof(ngx_http_secauth_mfa_page_body) - 1);
    p = (u_char *) ngx_escape_html(p, next->data, next->len);
    p = ngx_cpymem(p, ngx_http_secauth_mfa_page_end,
                   sizeof(ngx_http_secauth_mfa_page_end) - 1);

    body.len = p - body.data;

    return ngx_http_secauth_send_page(r, status, &ngx_http_secauth_mfa_page_csp,
                                      &body);
}
