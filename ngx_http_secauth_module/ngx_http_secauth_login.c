
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_session.h"
#include "ngx_http_secauth_password.h"
#include "ngx_http_secauth_users.h"
#include "ngx_http_secauth_login.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_token.h"
#include "ngx_http_secauth_mfa.h"


/*
 * secauth_login (docs/login.md). A login reads a small body, finds the
 * user (file, or Redis), verifies the password in the thread pool (a
 * dummy hash of the same cost for unknown users), and on success stores a
 * brand-new session and sets its cookie, or with JSON where the module
 * signs tokens answers a new pair; any session the client presented is
 * destroyed first. The credential check is ngx_http_secauth_login_check.c,
 * the answers ngx_http_secauth_login_page.c; secauth_logout is
 * ngx_http_secauth_logout.c.
 */


static ngx_int_t ngx_http_secauth_login_handler(ngx_http_request_t *r);
static void ngx_http_secauth_login_body(ngx_http_request_t *r);
static void ngx_http_secauth_login_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_login_wait(ngx_http_request_t *r,
    ngx_int_t rc);
static ngx_int_t ngx_http_secauth_login_user(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_mfa(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_int_t rc);
static ngx_int_t ngx_http_secauth_login_success(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_tokens(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_parse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);


char *
ngx_http_secauth_login(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                          *rv;
    ngx_http_secauth_main_conf_t  *smcf;

    rv = ngx_http_secauth_content(cf, conf, NGX_HTTP_SECAUTH_HANDLER_LOGIN,
                                  ngx_http_secauth_login_handler);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* the zone (or Redis) and the thread pool are set up for it */

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->store_used = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_secauth_login_handler(ngx_http_request_t *r)
{
    ngx_str_t  next;

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {

        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_secauth_next_arg(r, &next);

        return ngx_http_secauth_login_form(r, NGX_HTTP_OK, &next);
    }

    return ngx_http_secauth_body_start(r, ngx_http_secauth_login_body,
                                       "GET, HEAD, POST");
}


static void
ngx_http_secauth_login_body(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_loc_conf_t   *slcf;
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

    rc = ngx_http_secauth_login_parse(r, lctx);

    if (rc == NGX_DECLINED) {
        /* a name no account can have: a failed login, at once */
        rc = ngx_http_secauth_login_refuse(r, lctx, NGX_HTTP_UNAUTHORIZED, 0);
        ngx_http_secauth_login_finish(r, rc);
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_secauth_login_finish(r, rc);
        return;
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    r->write_event_handler = ngx_http_secauth_login_step;

    if (lctx->pending.len) {
        rc = ngx_http_secauth_mfa_login_resume(r, lctx,
                                               ngx_http_secauth_login_step);
        if (rc != NGX_AGAIN) {
            ngx_http_secauth_login_finish(r, rc);
        }

        return;
    }

    /* a locked account is refused before any lookup or hashing */

    if (slcf->throttle) {
        rc = ngx_http_secauth_login_attempt(r, lctx);
        rc = ngx_http_secauth_login_wait(r, rc);

    } else {
        rc = ngx_http_secauth_login_user(r, lctx);
    }

    if (rc != NGX_AGAIN) {
        ngx_http_secauth_login_finish(r, rc);
    }
}


/* the user's hash: from Redis (a wait), or from the file */

static ngx_int_t
ngx_http_secauth_login_user(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_int_t                     rc;
    ngx_str_t                    *hash;
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_store_op_t  *op;
    ngx_http_secauth_loc_conf_t  *slcf;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (slcf->users->redis) {
        op = &ctx->op;
        ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
        op->pool = r->pool;
        op->log = r->connection->log;
        op->session.user = lctx->username;

        lctx->state = NGX_HTTP_SECAUTH_LOGIN_USER;
        ngx_http_secauth_store_wait(r, ctx, op);

        rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r), user_get,
                                         op);

        return ngx_http_secauth_login_wait(r, rc);
    }

    hash = ngx_http_secauth_users_find(slcf->users, &lctx->username);

    if (hash) {
        lctx->hash = *hash;
        lctx->known = 1;
    }

    return ngx_http_secauth_login_verify(r, lctx,
                                         ngx_http_secauth_login_step);
}


/* each completed wait (store or thread) comes back here */

static void
ngx_http_secauth_login_step(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      body;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->waiting || r->main->blocked) {
        return;
    }

    lctx = ctx->login;

    switch (lctx->state) {

    case NGX_HTTP_SECAUTH_LOGIN_USER:

        if (ctx->op.rc == NGX_ERROR) {
            ngx_http_secauth_login_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE);
            return;
        }

        ngx_http_secauth_login_user_found(r, lctx);

        rc = ngx_http_secauth_login_verify(r, lctx,
                                           ngx_http_secauth_login_step);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_VERIFY:

        if (!ngx_http_secauth_login_verified(r, lctx)) {
            rc = ngx_http_secauth_login_failed(r, lctx);
            break;
        }

        rc = ngx_http_secauth_mfa_login(r, lctx, ngx_http_secauth_login_step);
        rc = ngx_http_secauth_login_mfa(r, lctx, rc);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_MFA:
    case NGX_HTTP_SECAUTH_LOGIN_MFA_CODE:
    case NGX_HTTP_SECAUTH_LOGIN_MFA_PENDING:
    case NGX_HTTP_SECAUTH_LOGIN_MFA_ISSUED:

        rc = ngx_http_secauth_mfa_login_step(r, lctx,
                                             ngx_http_secauth_login_step);
        rc = ngx_http_secauth_login_mfa(r, lctx, rc);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_THROTTLE:

        rc = ngx_http_secauth_login_throttled(r, lctx);

        if (rc == NGX_OK && lctx->pending.len) {
            /* the second step of a login: its code, not a password */
            rc = ngx_http_secauth_mfa_login(r, lctx,
                                            ngx_http_secauth_login_step);
            rc = ngx_http_secauth_login_mfa(r, lctx, rc);

        } else if (rc == NGX_OK) {
            rc = ngx_http_secauth_login_user(r, lctx);

        } else if (rc == NGX_DECLINED) {
            rc = ngx_http_secauth_login_refuse(r, lctx,
                                               NGX_HTTP_TOO_MANY_REQUESTS,
                                               ctx->op.locked);
        }

        break;

    case NGX_HTTP_SECAUTH_LOGIN_FAMILY:

        if (ctx->op.rc != NGX_OK) {
            rc = NGX_HTTP_SERVICE_UNAVAILABLE;
            break;
        }

        if (ngx_http_secauth_token_pair(r, &lctx->username, &lctx->family,
                                        &lctx->family.jti, &body)
            != NGX_OK)
        {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: \"%V\" logged in (tokens)", &lctx->username);

        /* $secauth_user, e.g. for the access log */
        ctx->user = lctx->username;
        ngx_http_secauth_mfa_amr(lctx->level, &ctx->amr);

        rc = ngx_http_secauth_send(r, NGX_HTTP_OK, "application/json", &body);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_STORE:

        if (ctx->op.rc != NGX_OK) {
            rc = NGX_HTTP_SERVICE_UNAVAILABLE;
            break;
        }

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: \"%V\" logged in", &lctx->username);

        ctx->user = lctx->username;
        ngx_http_secauth_mfa_amr(lctx->level, &ctx->amr);

        if (ngx_http_secauth_set_cookie(r, &lctx->sid,
                                        ngx_http_secauth_cookie_max_age(r))
            != NGX_OK
            || ngx_http_secauth_mfa_login_done(r, lctx) != NGX_OK)
        {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        if (lctx->json) {
            ngx_str_t  body = ngx_string("{\"ok\":true}\n");

            rc = ngx_http_secauth_send(r, NGX_HTTP_OK, "application/json",
                                       &body);
            break;
        }

        if (ngx_http_secauth_add_header(r, "Location", &lctx->next)
            != NGX_OK)
        {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        rc = NGX_HTTP_SEE_OTHER;
        break;

    default:
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_AGAIN) {
        ngx_http_secauth_login_finish(r, rc);
    }
}


/*
 * After a store call: the request waits for the answer, or the answer is
 * there already (the shm store answers at once) and the next step runs
 * now; NGX_AGAIN either way.
 */

static ngx_int_t
ngx_http_secauth_login_wait(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_secauth_ctx_t  *ctx;

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx = ngx_http_secauth_get_ctx(r, 0);

    ctx->waiting = 0;
    ngx_http_secauth_login_step(r);

    return NGX_AGAIN;
}


/* what the second factor answered (ngx_http_secauth_mfa_login.c) */

static ngx_int_t
ngx_http_secauth_login_mfa(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_int_t rc)
{
    ngx_http_secauth_loc_conf_t  *slcf;

    switch (rc) {

    case NGX_DECLINED:
        return ngx_http_secauth_login_success(r, lctx);

    case NGX_ABORT:

        /* a second step has no password whose time to pad */

        return lctx->task ? ngx_http_secauth_login_failed(r, lctx)
                          : ngx_http_secauth_mfa_login_refuse(r, lctx);

    case NGX_DONE:

        /* a pending login's code counts with the throttle, as a password */

        slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

        if (slcf->throttle) {
            rc = ngx_http_secauth_login_attempt(r, lctx);
            return ngx_http_secauth_login_wait(r, rc);
        }

        rc = ngx_http_secauth_mfa_login(r, lctx, ngx_http_secauth_login_step);
        return ngx_http_secauth_login_mfa(r, lctx, rc);

    default:
        return rc;
    }
}


/* ASVS 7.2.4: a new id; the presented one is destroyed */

static ngx_int_t
ngx_http_secauth_login_success(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_store_t      *st;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_loc_conf_t   *slcf;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    st = ngx_http_secauth_store(r);

    /* these writes go on without us; the request's cleanup detaches them */

    op = ngx_http_secauth_new_op(r, NULL);
    if (op == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_secauth_presented_session(r, op) == NGX_OK) {
        (void) ngx_http_secauth_store_call(st, session_delete, op);
    }

    if (ngx_http_secauth_login_forget(r, lctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (lctx->task == NULL) {
        /* the second step of a login: no password was checked now */

    } else if (lctx->task->rehashed && slcf->users->redis) {
        op = ngx_http_secauth_new_op(r, NULL);
        if (op == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        op->session.user = lctx->username;
        op->session.pwv = lctx->pwv;
        op->value.data = lctx->task->new_hash;
        op->value.len = ngx_strlen(lctx->task->new_hash);

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: password hash of \"%V\" upgraded",
                      &lctx->username);

        (void) ngx_http_secauth_store_call(st, user_set_password, op);

    } else if (lctx->task->typed_form && !slcf->users->redis) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: the password hash of \"%V\" in \"%V\" is "
                      "of the password as typed, not of its NFKC form: "
                      "set it again with scripts/secauth-user",
                      &lctx->username, &slcf->users->path);

    } else if (lctx->task->weak && !slcf->users->redis) {
        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: the password hash of \"%V\" in \"%V\" is "
                      "weaker than secauth_password_hash: set it again "
                      "with scripts/secauth-user", &lctx->username,
                      &slcf->users->path);
    }

    /* API clients get tokens where the module can sign them */

    if (lctx->json && slcf->jwt_signing_key) {
        return ngx_http_secauth_login_tokens(r, lctx);
    }

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));

    op->pool = r->pool;
    op->log = r->connection->log;

    if (ngx_http_secauth_session_new(r, op, &lctx->username, lctx->level,
                                     lctx->pwv, &lctx->sid)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_STORE;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_store_call(st, session_put, op);

    return ngx_http_secauth_login_wait(r, rc);
}


/* a new refresh-token family, then its first pair */

static ngx_int_t
ngx_http_secauth_login_tokens(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_loc_conf_t   *slcf;
    ngx_http_secauth_family_t     *f;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    f = &lctx->family;

    if (ngx_http_secauth_token_id(r->pool, &f->id) != NGX_OK
        || ngx_http_secauth_token_id(r->pool, &f->jti) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    f->exp = ngx_time() + slcf->jwt_refresh_ttl;
    f->pwv = lctx->pwv;
    f->level = lctx->level;
    f->redis_user = slcf->users->redis;

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;
    op->session.user = lctx->username;
    op->family = f;

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_FAMILY;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r), family_create,
                                     op);

    return ngx_http_secauth_login_wait(r, rc);
}


/*
 * NGX_OK, or the status to answer: 400 for missing or invalid fields,
 * 413 for a body that is too large, 415 for another content type;
 * NGX_DECLINED for a user name that is not valid UTF-8 (a failed login).
 */

static ngx_int_t
ngx_http_secauth_login_parse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    json_t           *obj;
    ngx_int_t         rc;
    ngx_str_t         body, user;
    ngx_table_elt_t  *ct;
    json_error_t      err;

    ct = r->headers_in.content_type;

    if (ngx_http_secauth_media_type(ct, "application/json") == NGX_OK) {
        lctx->json = 1;

    } else if (ngx_http_secauth_media_type(ct,
                                      "application/x-www-form-urlencoded")
               != NGX_OK)
    {
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    if (ngx_http_secauth_read_body(r, &body) != NGX_OK) {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    if (lctx->json) {
        obj = json_loadb((char *) body.data, body.len,
                         JSON_REJECT_DUPLICATES, &err);

        if (obj && json_is_object(obj) && json_object_get(obj, "mfa_token"))
        {
            rc = ngx_http_secauth_mfa_login_parse(r, obj, lctx);
            json_decref(obj);
            ngx_explicit_memzero(body.data, body.len);
            return rc;
        }

        if (obj == NULL || !json_is_object(obj)
            || ngx_http_secauth_json_field(r, obj, "username", &user)
               != NGX_OK
            || ngx_http_secauth_json_field(r, obj, "password",
                                           &lctx->password)
               != NGX_OK)
        {
            if (obj) {
                json_decref(obj);
            }

            goto bad;
        }

        if (ngx_http_secauth_json_field(r, obj, "next", &lctx->next)
            != NGX_OK)
        {
            ngx_str_null(&lctx->next);
        }

        /* present but not a string: a code that is never right */

        if (json_object_get(obj, "otp")
            && ngx_http_secauth_json_field(r, obj, "otp", &lctx->otp)
               != NGX_OK)
        {
            ngx_str_set(&lctx->otp, "");
        }

        json_decref(obj);

    } else {
        rc = ngx_http_secauth_mfa_login_form(r, lctx, &body);

        if (rc != NGX_DECLINED) {
            ngx_explicit_memzero(body.data, body.len);

            if (rc == NGX_OK) {
                ngx_http_secauth_safe_next(r, &lctx->next);
            }

            return rc;
        }

        if (ngx_http_secauth_form_field(r, &body, "username", &user)
               != NGX_OK
            || ngx_http_secauth_form_field(r, &body, "password",
                                           &lctx->password)
               != NGX_OK)
        {
            goto bad;
        }

        if (ngx_http_secauth_form_field(r, &body, "next", &lctx->next)
            != NGX_OK)
        {
            ngx_str_null(&lctx->next);
        }

        if (ngx_http_secauth_form_field(r, &body, "otp", &lctx->otp)
            != NGX_OK)
        {
            ngx_str_null(&lctx->otp);
        }
    }

    ngx_explicit_memzero(body.data, body.len);

    ngx_http_secauth_safe_next(r, &lctx->next);

    switch (ngx_http_secauth_username(r->pool, &user, &lctx->username)) {

    case NGX_OK:
        break;

    case NGX_ABORT:

        /*
         * no account can have this name: the answer of an unknown user,
         * without the name (its bytes are not text) in the log
         */

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: login failed: the user name is not valid "
                      "UTF-8");
        ngx_explicit_memzero(lctx->password.data, lctx->password.len);
        return NGX_DECLINED;

    case NGX_ERROR:
        ngx_explicit_memzero(lctx->password.data, lctx->password.len);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;

    default:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: login with an invalid user name");
        ngx_explicit_memzero(lctx->password.data, lctx->password.len);
        return NGX_HTTP_BAD_REQUEST;
    }

    /* capped before any hashing: libargon2 would take 4 GiB */

    if (ngx_http_secauth_password_length(lctx->password.data,
                                         lctx->password.len)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: login with an empty or over-long password");
        ngx_explicit_memzero(lctx->password.data, lctx->password.len);
        return NGX_HTTP_BAD_REQUEST;
    }

    return NGX_OK;

bad:

    ngx_explicit_memzero(body.data, body.len);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "secauth: login body without a user name and a password");

    return NGX_HTTP_BAD_REQUEST;
}

