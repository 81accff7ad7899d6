
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_session.h"
#include "ngx_http_secauth_password.h"
#include "ngx_http_secauth_users.h"
#include "ngx_http_secauth_login.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_token.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_redirect.h"


/*
 * secauth_login and secauth_logout (docs/login.md). A login reads a small
 * body, finds the user (file, or Redis), verifies the password in the
 * thread pool (a dummy hash of the same cost for unknown users), and on
 * success stores a brand-new session and sets its cookie; any session the
 * client presented is destroyed first.
 */


#define NGX_HTTP_SECAUTH_LOGIN_USER     1
#define NGX_HTTP_SECAUTH_LOGIN_VERIFY   2
#define NGX_HTTP_SECAUTH_LOGIN_STORE    3
#define NGX_HTTP_SECAUTH_LOGOUT_GET     4
#define NGX_HTTP_SECAUTH_LOGOUT_DELETE  5
#define NGX_HTTP_SECAUTH_LOGIN_THROTTLE 6
#define NGX_HTTP_SECAUTH_LOGIN_FAMILY   7
#define NGX_HTTP_SECAUTH_LOGOUT_FAMILY  8
#define NGX_HTTP_SECAUTH_LOGIN_PAD      9


typedef struct {
    ngx_uint_t                          state;
    ngx_flag_t                          json;
    ngx_flag_t                          known;
    ngx_flag_t                          everywhere;
    ngx_flag_t                          bearer;       /* logout by token */
    ngx_uint_t                          pwv;          /* the user's */
    ngx_str_t                           username;
    ngx_str_t                           password;
    ngx_str_t                           next;
    ngx_str_t                           hash;
    ngx_str_t                           sid;          /* the new cookie */
    ngx_http_secauth_family_t           family;       /* the new tokens */
    ngx_http_secauth_password_task_t   *task;

    /* the throttle's count of this attempt, taken back unless it failed */
    ngx_http_request_t                 *request;
    ngx_http_secauth_store_op_t        *release;
    ngx_uint_t                          attempt;
    unsigned                            counted:1;
    unsigned                            settled:1;
} ngx_http_secauth_login_ctx_t;


static ngx_int_t ngx_http_secauth_login_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_logout_handler(ngx_http_request_t *r);
static void ngx_http_secauth_login_body(ngx_http_request_t *r);
static void ngx_http_secauth_logout_body(ngx_http_request_t *r);
static void ngx_http_secauth_login_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_login_user(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_verify(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_attempt(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_counted(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_uint_t attempt);
static void ngx_http_secauth_login_release(void *data);
static ngx_int_t ngx_http_secauth_login_failed(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static void ngx_http_secauth_login_padded(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_login_refuse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_uint_t status,
    ngx_msec_t locked);
static ngx_int_t ngx_http_secauth_login_success(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_tokens(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_logout_bearer(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static void ngx_http_secauth_logout_step(ngx_http_request_t *r);
static void ngx_http_secauth_login_finish(ngx_http_request_t *r,
    ngx_int_t rc);
static ngx_int_t ngx_http_secauth_login_parse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static void ngx_http_secauth_safe_next(ngx_http_request_t *r,
    ngx_str_t *next);
static void ngx_http_secauth_next_arg(ngx_http_request_t *r,
    ngx_str_t *next);
static ngx_int_t ngx_http_secauth_set_cookie(ngx_http_request_t *r,
    ngx_str_t *value, time_t max_age);
static ngx_int_t ngx_http_secauth_presented_session(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_login_form(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *next);


static ngx_str_t  ngx_http_secauth_json_failed =
    ngx_string("{\"error\":\"invalid_credentials\"}\n");
static ngx_str_t  ngx_http_secauth_json_locked =
    ngx_string("{\"error\":\"too_many_attempts\"}\n");


static const char  ngx_http_secauth_form_top[] =
    "<!doctype html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<title>Sign in</title>\n"
    "<style>body{font:16px sans-serif;max-width:22em;margin:4em auto}"
    "label,input,button{display:block;width:100%;box-sizing:border-box}"
    "input{margin:.2em 0 1em;padding:.4em}button{padding:.5em}"
    ".error{color:#b00}</style>\n"
    "</head><body>\n<main>\n<h1>Sign in</h1>\n";

static const char  ngx_http_secauth_form_error[] =
    "<p class=\"error\" role=\"alert\">Invalid user name or password.</p>\n";

static const char  ngx_http_secauth_form_locked[] =
    "<p class=\"error\" role=\"alert\">Too many failed attempts: "
    "try again in a moment.</p>\n";

static const char  ngx_http_secauth_form_body[] =
    "<form method=\"post\">\n"
    "<label for=\"username\">User name</label>\n"
    "<input id=\"username\" name=\"username\" autocomplete=\"username\" "
    "required autofocus>\n"
    "<label for=\"password\">Password</label>\n"
    "<input id=\"password\" name=\"password\" type=\"password\" "
    "autocomplete=\"current-password\" required>\n"
    "<input type=\"hidden\" name=\"next\" value=\"";

static const char  ngx_http_secauth_form_end[] =
    "\">\n<button type=\"submit\">Sign in</button>\n"
    "</form>\n</main>\n</body></html>\n";


/* nothing from elsewhere: no scripts, no images, posts only to itself */
static ngx_str_t  ngx_http_secauth_form_csp = ngx_string(
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'");


char *
ngx_http_secauth_login(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_secauth_main_conf_t  *smcf;

    if (slcf->handler != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);

    /* the zone (or Redis) and the thread pool are set up for it */
    smcf->store_used = 1;

    if (ngx_strcmp(cmd->name.data, "secauth_login") == 0) {
        slcf->handler = NGX_HTTP_SECAUTH_HANDLER_LOGIN;
        clcf->handler = ngx_http_secauth_login_handler;

    } else if (ngx_strcmp(cmd->name.data, "secauth_logout") == 0) {
        slcf->handler = NGX_HTTP_SECAUTH_HANDLER_LOGOUT;
        clcf->handler = ngx_http_secauth_logout_handler;

    } else if (ngx_strcmp(cmd->name.data, "secauth_refresh") == 0) {
        slcf->handler = NGX_HTTP_SECAUTH_HANDLER_REFRESH;
        clcf->handler = ngx_http_secauth_refresh_handler;

    } else {
        slcf->handler = NGX_HTTP_SECAUTH_HANDLER_REVOKE;
        clcf->handler = ngx_http_secauth_revoke_handler;
    }

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


static ngx_int_t
ngx_http_secauth_logout_handler(ngx_http_request_t *r)
{
    return ngx_http_secauth_body_start(r, ngx_http_secauth_logout_body,
                                       "POST");
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

    /* a locked account is refused before any lookup or hashing */

    rc = slcf->throttle ? ngx_http_secauth_login_attempt(r, lctx)
                        : ngx_http_secauth_login_user(r, lctx);

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
        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        ctx->waiting = 0;
        ngx_http_secauth_login_step(r);
        return NGX_AGAIN;
    }

    hash = ngx_http_secauth_users_find(slcf->users, &lctx->username);

    if (hash) {
        lctx->hash = *hash;
        lctx->known = 1;
    }

    return ngx_http_secauth_login_verify(r, lctx);
}


/* the attempt is counted (or refused, locked) before anything else */

static ngx_int_t
ngx_http_secauth_login_attempt(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_int_t                     rc;
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_store_op_t  *op;
    ngx_http_secauth_loc_conf_t  *slcf;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;
    op->session.user = lctx->username;
    op->throttle = slcf->throttle;

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_THROTTLE;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                     login_attempt, op);
    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx->waiting = 0;
    ngx_http_secauth_login_step(r);

    return NGX_AGAIN;
}


/* each completed wait (store or thread) comes back here */

static void
ngx_http_secauth_login_step(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      body;
    const char                    *reason;
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

        if (ctx->op.rc == NGX_OK) {

            /* the same formats as the user file; else as if unknown */

            /* weak ones (NGX_AGAIN) too: they are rehashed on success */

            if (ngx_http_secauth_hash_acceptable(&ctx->op.value, &reason)
                != NGX_DECLINED)
            {
                lctx->hash = ctx->op.value;
                lctx->pwv = ctx->op.session.pwv;
                lctx->known = 1;

            } else {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "secauth: the Redis record of \"%V\" holds a "
                              "hash that %s: refused", &lctx->username,
                              reason);
            }
        }

        rc = ngx_http_secauth_login_verify(r, lctx);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_VERIFY:

        if (lctx->task->error) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "secauth: password hash of \"%V\": %s",
                          &lctx->username, lctx->task->error);
        }

        if (!lctx->known || !lctx->task->valid) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "secauth: login failed for \"%V\"",
                          &lctx->username);

            /* a verified mismatch: the one thing the throttle counts */
            lctx->settled = (lctx->task->error == NULL);

            rc = ngx_http_secauth_login_failed(r, lctx);
            break;
        }

        lctx->settled = 1;

        rc = ngx_http_secauth_login_success(r, lctx);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_THROTTLE:

        if (ctx->op.rc == NGX_ERROR) {
            rc = NGX_HTTP_SERVICE_UNAVAILABLE;
            break;
        }

        if (ctx->op.rc == NGX_DECLINED) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "secauth: login for \"%V\" refused: locked for "
                          "%M ms after failed logins", &lctx->username,
                          ctx->op.locked);

            rc = ngx_http_secauth_login_refuse(r, lctx,
                                               NGX_HTTP_TOO_MANY_REQUESTS,
                                               ctx->op.locked);
            break;
        }

        if (ctx->op.locked) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "secauth: \"%V\" locked for %M ms after %ui "
                          "logins without success", &lctx->username,
                          ctx->op.locked, ctx->op.count);
        }

        if (ngx_http_secauth_login_counted(r, lctx, ctx->op.count)
            != NGX_OK)
        {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        rc = ngx_http_secauth_login_user(r, lctx);
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

        if (ngx_http_secauth_set_cookie(r, &lctx->sid,
                                        ngx_http_secauth_cookie_max_age(r))
            != NGX_OK)
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


static ngx_int_t
ngx_http_secauth_login_verify(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_int_t                      rc;
    ngx_str_t                     *hash;
    ngx_http_secauth_loc_conf_t   *slcf;
    ngx_http_secauth_main_conf_t  *smcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    /* unknown users cost the same work as known ones (ASVS 6.3.8) */

    hash = lctx->known ? &lctx->hash : &slcf->password_hash->dummy;

    lctx->task = ngx_http_secauth_password_task(r, &lctx->password, hash,
                                                slcf->password_hash);
    if (lctx->task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a new hash is only of use where it can be written back */
    lctx->task->rehash = slcf->users->redis;

    ngx_explicit_memzero(lctx->password.data, lctx->password.len);

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_VERIFY;
    r->write_event_handler = ngx_http_secauth_login_step;

    rc = ngx_http_secauth_password_verify(r, smcf->thread_pool, lctx->task);

    if (rc == NGX_DECLINED) {
        /* overload, not a wrong password: the attempt is taken back */
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_AGAIN;
}


/*
 * The throttle counted this attempt: unless its password turns out
 * wrong (or right, which forgets the count), the count is taken back when
 * the request ends, whatever ended it: a full thread pool, a store
 * outage, a client gone before the verification was done.
 */

static ngx_int_t
ngx_http_secauth_login_counted(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_uint_t attempt)
{
    ngx_pool_cleanup_t           *cln;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    /* allocated now: nothing is allocated while the pool goes */

    lctx->release = ngx_http_secauth_new_op(r, NULL);
    if (lctx->release == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    lctx->release->session.user = lctx->username;
    lctx->release->throttle = slcf->throttle;
    lctx->release->count = attempt;

    lctx->request = r;
    lctx->attempt = attempt;
    lctx->counted = 1;

    cln->handler = ngx_http_secauth_login_release;
    cln->data = lctx;

    return NGX_OK;
}


/*
 * A pool cleanup added after the context's: it runs first, and the op is
 * in the context's list (ngx_http_secauth_new_op), whose cleanup then
 * detaches it if Redis has not answered yet (the command itself still
 * runs): its reply must not be written into the freed pool.
 */

static void
ngx_http_secauth_login_release(void *data)
{
    ngx_http_secauth_login_ctx_t *lctx = data;

    ngx_http_request_t  *r;

    if (!lctx->counted || lctx->settled) {
        return;
    }

    r = lctx->request;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "secauth: login attempt %ui of \"%V\" taken back",
                   lctx->attempt, &lctx->username);

    (void) ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                       login_release, lctx->release);
}


/*
 * 401 for a failed verification, held until a dummy verification would
 * have been done (ASVS 6.3.8: a weak hash answers no faster than an
 * unknown user): a timer on the write event, as limit_req's delay.
 */

static ngx_int_t
ngx_http_secauth_login_failed(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_msec_t  pad;

    pad = ngx_http_secauth_password_pad(r, lctx->task);

    if (pad == 0) {
        return ngx_http_secauth_login_refuse(r, lctx, NGX_HTTP_UNAUTHORIZED,
                                             0);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "secauth: failed login held %M ms", pad);

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_PAD;

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_secauth_login_padded;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, pad);

    return NGX_AGAIN;
}


static void
ngx_http_secauth_login_padded(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_event_t                   *wev;
    ngx_http_secauth_ctx_t        *ctx;

    wev = r->connection->write;

    if (wev->delayed) {
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    r->read_event_handler = ngx_http_block_reading;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->login == NULL) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_secauth_login_refuse(r, ctx->login, NGX_HTTP_UNAUTHORIZED,
                                       0);
    ngx_http_secauth_login_finish(r, rc);
}


/* 401, or 429 while the account is locked: the form, or JSON */

static ngx_int_t
ngx_http_secauth_login_refuse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_uint_t status, ngx_msec_t locked)
{
    if (status == NGX_HTTP_TOO_MANY_REQUESTS
        && ngx_http_secauth_retry_after(r, locked) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (lctx->json) {
        return ngx_http_secauth_send(r, status, "application/json",
                                     status == NGX_HTTP_TOO_MANY_REQUESTS
                                     ? &ngx_http_secauth_json_locked
                                     : &ngx_http_secauth_json_failed);
    }

    return ngx_http_secauth_login_form(r, status, &lctx->next);
}


/* ASVS 7.2.4: a new id; the presented one is destroyed */

static ngx_int_t
ngx_http_secauth_login_success(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    u_char                        *p, raw[32];
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_store_t      *st;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_loc_conf_t   *slcf;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    st = ngx_http_secauth_store(r);

    /* these writes go on without us; the request's cleanup detaches them */

    op = ngx_http_secauth_new_op(r, &ctx->touch);
    if (op == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_secauth_presented_session(r, op) == NGX_OK) {
        (void) ngx_http_secauth_store_call(st, session_delete, op);
    }

    if (slcf->throttle) {
        op = ngx_http_secauth_new_op(r, &ctx->forget);
        if (op == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        op->session.user = lctx->username;
        op->throttle = slcf->throttle;

        (void) ngx_http_secauth_store_call(st, login_reset, op);
    }

    if (lctx->task->rehashed && slcf->users->redis) {
        op = ngx_http_secauth_new_op(r, &ctx->jwt_op);
        if (op == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        op->session.user = lctx->username;
        op->value.data = lctx->task->new_hash;
        op->value.len = ngx_strlen(lctx->task->new_hash);

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: password hash of \"%V\" upgraded",
                      &lctx->username);

        (void) ngx_http_secauth_store_call(st, user_set_password, op);

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

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_SECAUTH_SESSION_ID_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lctx->sid.data = p;
    lctx->sid.len = ngx_http_secauth_b64url_encode(p, raw, sizeof(raw));
    ngx_explicit_memzero(raw, sizeof(raw));

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));

    op->pool = r->pool;
    op->log = r->connection->log;

    if (ngx_http_secauth_sha256(&lctx->sid, 1, op->key) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    op->session.user = lctx->username;
    op->session.created = ngx_time();
    op->session.last_seen = op->session.created;
    op->session.level = 1;
    op->session.pwv = lctx->pwv;
    op->session.redis_user = slcf->users->redis;
    op->session.ip = r->connection->addr_text;
    op->ttl = ngx_min(slcf->idle_timeout, slcf->absolute_timeout);

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_STORE;
    ngx_http_secauth_store_wait(r, ctx, op);

    rc = ngx_http_secauth_store_call(st, session_put, op);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx->waiting = 0;
    ngx_http_secauth_login_step(r);

    return NGX_AGAIN;
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
    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx->waiting = 0;
    ngx_http_secauth_login_step(r);

    return NGX_AGAIN;
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


static void
ngx_http_secauth_login_finish(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx && ctx->login) {
        lctx = ctx->login;

        if (lctx->password.len) {
            ngx_explicit_memzero(lctx->password.data, lctx->password.len);
        }
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, rc);
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

        json_decref(obj);

    } else {
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


/*
 * Redirect targets (ASVS 3.7.2): a same-origin path, or "/"
 * (core/ngx_http_secauth_redirect.c says which)
 */

static void
ngx_http_secauth_safe_next(ngx_http_request_t *r, ngx_str_t *next)
{
    if (!ngx_http_secauth_redirect_safe(next->data, next->len)) {
        ngx_str_set(next, "/");
    }
}


/* "next" from the query string, percent-decoded once, then checked */

static void
ngx_http_secauth_next_arg(ngx_http_request_t *r, ngx_str_t *next)
{
    u_char     *dst, *src;
    ngx_str_t   arg;

    if (ngx_http_arg(r, (u_char *) "next", 4, &arg) != NGX_OK) {
        ngx_str_null(next);
        goto check;
    }

    next->data = ngx_pnalloc(r->pool, arg.len);
    if (next->data == NULL) {
        ngx_str_null(next);
        goto check;
    }

    /*
     * the gate encoded the original URI as one query component: decoding
     * it once gives that URI back exactly; safe_next() refuses what a
     * URI may not hold (controls, spaces...)
     */

    dst = next->data;
    src = arg.data;
    ngx_unescape_uri(&dst, &src, arg.len, 0);
    next->len = dst - next->data;

check:

    ngx_http_secauth_safe_next(r, next);
}


/* Set-Cookie with the secauth_cookie attributes; NULL value: expire it */

static ngx_int_t
ngx_http_secauth_set_cookie(ngx_http_request_t *r, ngx_str_t *value,
    time_t max_age)
{
    u_char                       *p;
    size_t                        len;
    ngx_str_t                     v;
    ngx_http_secauth_cookie_t    *ck;
    ngx_http_secauth_loc_conf_t  *slcf;

    static const char  *samesite[] = { "Lax", "Strict", "None" };

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    ck = slcf->cookie;

    len = ck->name.len + 1 + (value ? value->len : 0)
          + sizeof("; Path=") - 1 + ck->path.len
          + sizeof("; Domain=") - 1 + ck->domain.len
          + sizeof("; Max-Age=") - 1 + NGX_TIME_T_LEN
          + sizeof("; Expires=Thu, 01 Jan 1970 00:00:00 GMT") - 1
          + sizeof("; Secure; HttpOnly; SameSite=Strict") - 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v.data = p;

    p = ngx_sprintf(p, "%V=", &ck->name);

    if (value) {
        p = ngx_cpymem(p, value->data, value->len);
    }

    p = ngx_sprintf(p, "; Path=%V", &ck->path);

    if (ck->domain.len) {
        p = ngx_sprintf(p, "; Domain=%V", &ck->domain);
    }

    p = ngx_sprintf(p, "; Max-Age=%T", max_age);

    if (value == NULL) {
        p = ngx_cpymem(p, "; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                       sizeof("; Expires=Thu, 01 Jan 1970 00:00:00 GMT") - 1);
    }

    if (ck->secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    p = ngx_sprintf(p, "; HttpOnly; SameSite=%s", samesite[ck->samesite]);

    v.len = p - v.data;

    return ngx_http_secauth_add_header(r, "Set-Cookie", &v);
}


time_t
ngx_http_secauth_cookie_max_age(ngx_http_request_t *r)
{
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    return slcf->absolute_timeout;
}


/* the session cookie the client sent, as a store key; else NGX_DECLINED */

static ngx_int_t
ngx_http_secauth_presented_session(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op)
{
    ngx_str_t                     value;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (ngx_http_secauth_session_find(r, &slcf->cookie->name, &value)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;

    if (ngx_http_secauth_sha256(&value, 1, op->key) != NGX_OK) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_login_form(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *next)
{
    u_char     *p;
    size_t      len;
    uintptr_t   escape;
    ngx_str_t   body;

    escape = ngx_escape_html(NULL, next->data, next->len);

    len = sizeof(ngx_http_secauth_form_top) - 1
          + ngx_max(sizeof(ngx_http_secauth_form_error),
                    sizeof(ngx_http_secauth_form_locked)) - 1
          + sizeof(ngx_http_secauth_form_body) - 1
          + next->len + escape
          + sizeof(ngx_http_secauth_form_end) - 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body.data = p;

    p = ngx_cpymem(p, ngx_http_secauth_form_top,
                   sizeof(ngx_http_secauth_form_top) - 1);

    if (status == NGX_HTTP_TOO_MANY_REQUESTS) {
        p = ngx_cpymem(p, ngx_http_secauth_form_locked,
                       sizeof(ngx_http_secauth_form_locked) - 1);

    } else if (status != NGX_HTTP_OK) {
        p = ngx_cpymem(p, ngx_http_secauth_form_error,
                       sizeof(ngx_http_secauth_form_error) - 1);
    }

    p = ngx_cpymem(p, ngx_http_secauth_form_body,
                   sizeof(ngx_http_secauth_form_body) - 1);
    p = (u_char *) ngx_escape_html(p, next->data, next->len);
    p = ngx_cpymem(p, ngx_http_secauth_form_end,
                   sizeof(ngx_http_secauth_form_end) - 1);

    body.len = p - body.data;

    if (ngx_http_secauth_add_header(r, "Content-Security-Policy",
                                    &ngx_http_secauth_form_csp)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_send(r, status, "text/html; charset=utf-8",
                                 &body);
}


