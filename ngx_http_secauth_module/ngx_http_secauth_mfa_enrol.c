
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_login.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_mfa.h"
#include "ngx_http_secauth_mfa_enrol.h"
#include "ngx_http_secauth_session.h"
#include "ngx_http_secauth_users.h"


/*
 * secauth_totp (docs/mfa.md, "Enrolment"): a logged-in session turns
 * its user's TOTP on (begin with the password, confirm with a code),
 * gets a new set of backup codes, or turns TOTP off. The location is
 * gated on the session (ngx_http_secauth_module.c makes it so), never
 * on secauth_mfa. The password and the codes count with the login
 * throttle as a login's do (ngx_http_secauth_login_check.c); the state
 * is written by ngx_http_secauth_mfa_state.c, the answers made by
 * ngx_http_secauth_mfa_enrol_page.c.
 */


/* steps, in lctx->state beside login_check.c's THROTTLE and VERIFY */
#define NGX_HTTP_SECAUTH_ENROL_RECORD    30   /* the user's record read */
#define NGX_HTTP_SECAUTH_ENROL_USER      31   /* the hash from Redis */
#define NGX_HTTP_SECAUTH_ENROL_PENDING   32   /* the pending secret */
#define NGX_HTTP_SECAUTH_ENROL_STEP      33   /* the code checked */
#define NGX_HTTP_SECAUTH_ENROL_CONSUMED  34   /* the pending one spent */
#define NGX_HTTP_SECAUTH_ENROL_WRITTEN   35   /* record written or gone */
#define NGX_HTTP_SECAUTH_ENROL_ENDED     36   /* the user's sessions */
#define NGX_HTTP_SECAUTH_ENROL_SESSION   37   /* the new session */
#define NGX_HTTP_SECAUTH_ENROL_STARTED   38   /* begin: pending stored */


static ngx_int_t ngx_http_secauth_enrol_handler(ngx_http_request_t *r);
static void ngx_http_secauth_enrol_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_enrol_parse(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx);
static void ngx_http_secauth_enrol_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_enrol_next(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx);
static ngx_int_t ngx_http_secauth_enrol_record(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx);
static ngx_int_t ngx_http_secauth_enrol_user(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx);
static ngx_int_t ngx_http_secauth_enrol_checked(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx);
static ngx_int_t ngx_http_secauth_enrol_write(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx);
static ngx_int_t ngx_http_secauth_enrol_session(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx);
static ngx_http_secauth_store_op_t *ngx_http_secauth_enrol_op(
    ngx_http_request_t *r, ngx_uint_t state);
static ngx_int_t ngx_http_secauth_enrol_wait(ngx_http_request_t *r,
    ngx_int_t rc);


char *
ngx_http_secauth_totp(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                          *rv;
    ngx_http_secauth_main_conf_t  *smcf;

    rv = ngx_http_secauth_content(cf, conf, NGX_HTTP_SECAUTH_HANDLER_TOTP,
                                  ngx_http_secauth_enrol_handler);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* the store and the thread pool are set up for it, and the gate */

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->store_used = 1;
    smcf->enabled = 1;

    return NGX_CONF_OK;
}


/* the gate has run: a valid session, or an outage let through (open) */

static ngx_int_t
ngx_http_secauth_enrol_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->session != NGX_HTTP_SECAUTH_VALID) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "secauth: secauth_totp without a valid session");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        r->main->count++;
        ngx_http_secauth_enrol_body(r);

        return NGX_DONE;
    }

    return ngx_http_secauth_body_start(r, ngx_http_secauth_enrol_body,
                                       "GET, HEAD, POST");
}


static void
ngx_http_secauth_enrol_body(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_enrol_ctx_t  *ectx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    ectx = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_enrol_ctx_t));
    if (ectx == NULL) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the session the gate found: its record, and its key again */

    ectx->session = ctx->op.session;
    ectx->login.username = ctx->user;
    ngx_memcpy(ectx->skey, ctx->op.key, NGX_HTTP_SECAUTH_KEY_LEN);

    ctx->login = ectx;

    rc = ngx_http_secauth_enrol_parse(r, ectx);
    if (rc != NGX_OK) {
        ngx_http_secauth_login_finish(r, rc);
        return;
    }

    r->write_event_handler = ngx_http_secauth_enrol_step;

    rc = ngx_http_secauth_enrol_next(r, ectx);

    if (rc != NGX_AGAIN) {
        ngx_http_secauth_login_finish(r, rc);
    }
}


/* NGX_OK, or the status: 400 (a field missing, bad JSON), 413, 415 */

static ngx_int_t
ngx_http_secauth_enrol_parse(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx)
{
    json_t                        *obj;
    ngx_int_t                      rc;
    ngx_str_t                      body, action;
    ngx_uint_t                     i;
    json_error_t                   err;
    ngx_table_elt_t               *ct;
    ngx_http_secauth_login_ctx_t  *lctx;

    static struct {
        ngx_str_t                  name;
        ngx_uint_t                 action;
    } actions[] = {
        { ngx_string("begin"), NGX_HTTP_SECAUTH_ENROL_BEGIN },
        { ngx_string("confirm"), NGX_HTTP_SECAUTH_ENROL_CONFIRM },
        { ngx_string("backup_codes"), NGX_HTTP_SECAUTH_ENROL_CODES },
        { ngx_string("disable"), NGX_HTTP_SECAUTH_ENROL_DISABLE },
    };

    lctx = &ectx->login;
    lctx->json = ngx_http_secauth_enrol_wants_json(r);

    if (r->method != NGX_HTTP_POST) {
        ectx->action = NGX_HTTP_SECAUTH_ENROL_GET;
        return NGX_OK;
    }

    ct = r->headers_in.content_type;
    obj = NULL;

    if (ngx_http_secauth_media_type(ct, "application/json") == NGX_OK) {
        lctx->json = 1;

    } else if (ngx_http_secauth_media_type(ct,
                                      "application/x-www-form-urlencoded")
               != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: enrolment body of another type refused");
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    if (ngx_http_secauth_read_body(r, &body) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: enrolment body too large");
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    if (lctx->json) {
        obj = json_loadb((char *) body.data, body.len,
                         JSON_REJECT_DUPLICATES, &err);
        ngx_explicit_memzero(body.data, body.len);

        if (obj == NULL || !json_is_object(obj)) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: enrolment body is no JSON object");
            rc = NGX_HTTP_BAD_REQUEST;
            goto done;
        }

        rc = ngx_http_secauth_json_field(r, obj, "action", &action);

    } else {
        rc = ngx_http_secauth_form_field(r, &body, "action", &action);
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: enrolment without an action");
        rc = NGX_HTTP_BAD_REQUEST;
        goto done;
    }

    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (action.len == actions[i].name.len
            && ngx_strncmp(action.data, actions[i].name.data, action.len)
               == 0)
        {
            ectx->action = actions[i].action;
            break;
        }
    }

    if (ectx->action == NGX_HTTP_SECAUTH_ENROL_GET) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: enrolment with an unknown action");
        rc = NGX_HTTP_BAD_REQUEST;
        goto done;
    }

    if (ectx->action == NGX_HTTP_SECAUTH_ENROL_BEGIN) {
        rc = obj ? ngx_http_secauth_json_field(r, obj, "password",
                                               &lctx->password)
                 : ngx_http_secauth_form_field(r, &body, "password",
                                               &lctx->password);

        if (rc == NGX_OK
            && ngx_http_secauth_password_length(lctx->password.data,
                                                lctx->password.len)
               != NGX_OK)
        {
            rc = NGX_DECLINED;
        }

    } else {
        rc = obj ? ngx_http_secauth_json_field(r, obj, "otp", &lctx->otp)
                 : ngx_http_secauth_form_field(r, &body, "otp", &lctx->otp);
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: enrolment \"%V\" without a usable %s",
                      &action,
                      ectx->action == NGX_HTTP_SECAUTH_ENROL_BEGIN
                      ? "password" : "code");
        ngx_str_null(&lctx->otp);
        rc = NGX_HTTP_BAD_REQUEST;
        goto done;
    }

    /* copies out of the body: it is wiped below */

    if (lctx->password.len) {
        lctx->password.data = ngx_pstrdup(r->pool, &lctx->password);
        if (lctx->password.data == NULL) {
            ngx_str_null(&lctx->password);
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (lctx->otp.len) {
        lctx->otp.data = ngx_pstrdup(r->pool, &lctx->otp);
        if (lctx->otp.data == NULL) {
            ngx_str_null(&lctx->otp);
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

done:

    if (obj) {
        json_decref(obj);

    } else {
        ngx_explicit_memzero(body.data, body.len);
    }

    return rc;
}


/* the first step of each action */

static ngx_int_t
ngx_http_secauth_enrol_next(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx)
{
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    switch (ectx->action) {

    case NGX_HTTP_SECAUTH_ENROL_GET:
    case NGX_HTTP_SECAUTH_ENROL_BEGIN:
        return ngx_http_secauth_enrol_record(r, ectx);

    default:

        /* a code is counted before it is checked, as a login's */

        if (slcf->throttle) {
            return ngx_http_secauth_enrol_wait(r,
                             ngx_http_secauth_login_attempt(r, &ectx->login));
        }

        return ngx_http_secauth_enrol_checked(r, ectx);
    }
}


static ngx_int_t
ngx_http_secauth_enrol_record(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx)
{
    ngx_int_t                     rc;
    ngx_http_secauth_store_op_t  *op;

    op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_RECORD);

    rc = ngx_http_secauth_mfa_record_get(r, op, &ectx->login.username, 0);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_enrol_wait(r, rc);
}


static void
ngx_http_secauth_enrol_step(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_loc_conf_t   *slcf;
    ngx_http_secauth_enrol_ctx_t  *ectx;
    ngx_http_secauth_login_ctx_t  *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->waiting || r->main->blocked) {
        return;
    }

    ectx = ctx->login;
    lctx = &ectx->login;
    op = &ctx->op;
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (lctx->state != NGX_HTTP_SECAUTH_LOGIN_VERIFY
        && lctx->state != NGX_HTTP_SECAUTH_LOGIN_THROTTLE
        && op->rc == NGX_ERROR)
    {
        ngx_http_secauth_login_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    switch (lctx->state) {

    case NGX_HTTP_SECAUTH_ENROL_RECORD:

        if (ectx->action == NGX_HTTP_SECAUTH_ENROL_GET) {
            rc = ngx_http_secauth_enrol_state(r, ectx, op->rc == NGX_OK);
            break;
        }

        if (ectx->action != NGX_HTTP_SECAUTH_ENROL_BEGIN) {
            rc = ngx_http_secauth_enrol_checked(r, ectx);
            break;
        }

        if (op->rc == NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: enrolment of \"%V\" refused: TOTP is "
                          "on already", &lctx->username);
            rc = ngx_http_secauth_enrol_refuse(r, ectx, NGX_HTTP_CONFLICT,
                                               "mfa_enabled");
            break;
        }

        if (slcf->throttle) {
            rc = ngx_http_secauth_enrol_wait(r,
                                  ngx_http_secauth_login_attempt(r, lctx));
            break;
        }

        rc = ngx_http_secauth_enrol_user(r, ectx);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_THROTTLE:

        rc = ngx_http_secauth_login_throttled(r, lctx);

        if (rc == NGX_DECLINED) {
            if (ngx_http_secauth_retry_after(r, op->locked) != NGX_OK) {
                rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
                break;
            }

            rc = ngx_http_secauth_enrol_refuse(r, ectx,
                                               NGX_HTTP_TOO_MANY_REQUESTS,
                                               "too_many_attempts");

        } else if (rc == NGX_OK) {
            rc = (ectx->action == NGX_HTTP_SECAUTH_ENROL_BEGIN)
                 ? ngx_http_secauth_enrol_user(r, ectx)
                 : ngx_http_secauth_enrol_checked(r, ectx);
        }

        break;

    case NGX_HTTP_SECAUTH_ENROL_USER:

        ngx_http_secauth_login_user_found(r, lctx);

        rc = ngx_http_secauth_login_verify(r, lctx,
                                           ngx_http_secauth_enrol_step);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_VERIFY:

        if (!ngx_http_secauth_login_verified(r, lctx)) {
            rc = ngx_http_secauth_enrol_refuse(r, ectx,
                                               NGX_HTTP_UNAUTHORIZED,
                                               "invalid_credentials");
            break;
        }

        /* the password was right: a new secret, pending for this session */

        if (ngx_http_secauth_mfa_secret_new(r, &lctx->username,
                                            &ectx->secret, &ectx->sealed)
            != NGX_OK)
        {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_STARTED);
        rc = ngx_http_secauth_mfa_enrol_put(r, op, ectx->skey,
                                            &ectx->sealed);
        rc = (rc == NGX_ERROR) ? NGX_HTTP_INTERNAL_SERVER_ERROR
                               : ngx_http_secauth_enrol_wait(r, rc);
        break;

    case NGX_HTTP_SECAUTH_ENROL_STARTED:
        rc = ngx_http_secauth_enrol_done(r, ectx);
        break;

    case NGX_HTTP_SECAUTH_ENROL_PENDING:
        rc = ngx_http_secauth_enrol_checked(r, ectx);
        break;

    case NGX_HTTP_SECAUTH_ENROL_STEP:

        if (op->rc != NGX_OK) {
            rc = ngx_http_secauth_enrol_wrong(r, ectx,
                                              "a replayed or spent code");
            break;
        }

        lctx->settled = 1;

        if (ectx->action == NGX_HTTP_SECAUTH_ENROL_CONFIRM) {
            /* of parallel confirmations, the one that spends it goes on */
            op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_CONSUMED);
            rc = ngx_http_secauth_mfa_enrol_get(r, op, ectx->skey, 1);

        } else if (ectx->action == NGX_HTTP_SECAUTH_ENROL_DISABLE) {
            op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_WRITTEN);
            rc = ngx_http_secauth_mfa_record_get(r, op, &lctx->username, 1);

        } else {
            rc = ngx_http_secauth_enrol_write(r, ectx);
            break;
        }

        rc = (rc == NGX_ERROR) ? NGX_HTTP_INTERNAL_SERVER_ERROR
                               : ngx_http_secauth_enrol_wait(r, rc);
        break;

    case NGX_HTTP_SECAUTH_ENROL_CONSUMED:

        if (op->rc != NGX_OK) {
            rc = ngx_http_secauth_enrol_refuse(r, ectx, NGX_HTTP_CONFLICT,
                                               "no_enrolment");
            break;
        }

        if (ngx_http_secauth_mfa_gen_new(&ectx->gen) != NGX_OK) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        rc = ngx_http_secauth_enrol_write(r, ectx);
        break;

    case NGX_HTTP_SECAUTH_ENROL_WRITTEN:

        if (ectx->action == NGX_HTTP_SECAUTH_ENROL_CONFIRM) {
            /* every session and token family of the user ends */

            op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_ENDED);
            op->session.user = lctx->username;

            rc = ngx_http_secauth_enrol_wait(r,
                         ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                                     session_delete_user, op));
            break;
        }

        rc = ngx_http_secauth_enrol_done(r, ectx);
        break;

    case NGX_HTTP_SECAUTH_ENROL_ENDED:

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: TOTP on for \"%V\": %ui sessions and token "
                      "families ended", &lctx->username, op->count);

        rc = ngx_http_secauth_enrol_session(r, ectx);
        break;

    case NGX_HTTP_SECAUTH_ENROL_SESSION:

        if (ngx_http_secauth_set_cookie(r, &lctx->sid,
                                        ngx_http_secauth_cookie_max_age(r))
            != NGX_OK)
        {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        ctx->level = lctx->level;
        ngx_http_secauth_mfa_amr(lctx->level, &ctx->amr);

        rc = ngx_http_secauth_enrol_done(r, ectx);
        break;

    default:
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_AGAIN) {
        ngx_http_secauth_login_finish(r, rc);
    }
}


/* the user's hash: from Redis (a wait), or from the file */

static ngx_int_t
ngx_http_secauth_enrol_user(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx)
{
    ngx_str_t                     *hash;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_loc_conf_t   *slcf;
    ngx_http_secauth_login_ctx_t  *lctx;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    lctx = &ectx->login;

    if (slcf->users->redis) {
        op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_USER);
        op->session.user = lctx->username;

        return ngx_http_secauth_enrol_wait(r,
                         ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                                     user_get, op));
    }

    hash = ngx_http_secauth_users_find(slcf->users, &lctx->username);

    if (hash) {
        lctx->hash = *hash;
        lctx->known = 1;
    }

    return ngx_http_secauth_login_verify(r, lctx, ngx_http_secauth_enrol_step);
}


/*
 * A code to check: confirm checks it against the pending secret (read
 * first), backup_codes and disable against the user's record (read
 * first); the answer comes in the STEP state
 */

static ngx_int_t
ngx_http_secauth_enrol_checked(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx)
{
    ngx_int_t                       rc;
    ngx_str_t                       data;
    ngx_http_secauth_ctx_t         *ctx;
    ngx_http_secauth_store_op_t    *op;
    ngx_http_secauth_mfa_record_t   rec;
    ngx_http_secauth_login_ctx_t   *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    lctx = &ectx->login;
    op = &ctx->op;

    if (ectx->action == NGX_HTTP_SECAUTH_ENROL_CONFIRM) {

        if (lctx->state != NGX_HTTP_SECAUTH_ENROL_PENDING) {
            op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_PENDING);
            rc = ngx_http_secauth_mfa_enrol_get(r, op, ectx->skey, 0);

            return (rc == NGX_ERROR) ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                     : ngx_http_secauth_enrol_wait(r, rc);
        }

        if (op->rc != NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: confirmation of \"%V\" without an "
                          "enrolment begun (or after 10 minutes)",
                          &lctx->username);
            return ngx_http_secauth_enrol_refuse(r, ectx, NGX_HTTP_CONFLICT,
                                                 "no_enrolment");
        }

        ectx->sealed = op->once->data;

        op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_STEP);
        rc = ngx_http_secauth_mfa_check_totp(r, op, &lctx->username,
                                             &ectx->sealed, &lctx->otp);

    } else {

        if (lctx->state != NGX_HTTP_SECAUTH_ENROL_RECORD) {
            return ngx_http_secauth_enrol_record(r, ectx);
        }

        if (op->rc != NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: \"%V\" has TOTP off already",
                          &lctx->username);
            return ngx_http_secauth_enrol_refuse(r, ectx, NGX_HTTP_CONFLICT,
                                                 "mfa_disabled");
        }

        data = op->once->data;

        if (ngx_http_secauth_mfa_record_parse(&data, &rec) != NGX_OK) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "secauth: the MFA record of \"%V\" is invalid",
                          &lctx->username);
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        ectx->gen = rec.gen + 1;
        ectx->sealed = rec.sealed;

        op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_STEP);
        rc = ngx_http_secauth_mfa_check(r, op, &lctx->username, &rec,
                                        &lctx->otp);
    }

    if (rc == NGX_ERROR) {
        ctx->waiting = 0;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED || rc == NGX_ABORT) {
        ctx->waiting = 0;
        return ngx_http_secauth_enrol_wrong(r, ectx, "a wrong code");
    }

    return ngx_http_secauth_enrol_wait(r, rc);
}


/* a new set of backup codes, then the record that names it */

static ngx_int_t
ngx_http_secauth_enrol_write(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx)
{
    ngx_int_t                     rc;
    ngx_http_secauth_store_op_t  *op;

    if (ngx_http_secauth_mfa_codes_new(r, &ectx->login.username, ectx->gen,
                                       ectx->codes)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_WRITTEN);

    rc = ngx_http_secauth_mfa_record_put(r, op, &ectx->login.username,
                                         ectx->gen, &ectx->sealed);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_enrol_wait(r, rc);
}


/* ASVS 7.2.4: a new id for the session whose level changed */

static ngx_int_t
ngx_http_secauth_enrol_session(ngx_http_request_t *r,
    ngx_http_secauth_enrol_ctx_t *ectx)
{
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_login_ctx_t  *lctx;

    lctx = &ectx->login;
    lctx->level = NGX_HTTP_SECAUTH_AMR_PWD | NGX_HTTP_SECAUTH_AMR_OTP;

    op = ngx_http_secauth_enrol_op(r, NGX_HTTP_SECAUTH_ENROL_SESSION);

    if (ngx_http_secauth_session_new(r, op, &lctx->username, lctx->level,
                                     ectx->session.pwv, &lctx->sid)
        != NGX_OK)
    {
        ngx_http_secauth_get_ctx(r, 0)->waiting = 0;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_enrol_wait(r,
                         ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                                     session_put, op));
}


/* ctx->op, fresh, waited for in the given state */

static ngx_http_secauth_store_op_t *
ngx_http_secauth_enrol_op(ngx_http_request_t *r, ngx_uint_t state)
{
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_enrol_ctx_t  *ectx;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    ectx = ctx->login;

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;

    ectx->login.state = state;
    ngx_http_secauth_store_wait(r, ctx, op);

    return op;
}


/* after a store call: wait, or the answer is there and the step runs now */

static ngx_int_t
ngx_http_secauth_enrol_wait(ngx_http_request_t *r, ngx_int_t rc)
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
    ngx_http_secauth_enrol_step(r);

    return NGX_AGAIN;
}
