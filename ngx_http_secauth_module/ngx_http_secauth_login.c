
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


/*
 * secauth_login and secauth_logout (docs/login.md). A login reads a small
 * body, finds the user (file, or Redis), verifies the password in the
 * thread pool (a dummy hash of the same cost for unknown users), and on
 * success stores a brand-new session and sets its cookie; any session the
 * client presented is destroyed first.
 */


#define NGX_HTTP_SECAUTH_BODY_MAX     4096
#define NGX_HTTP_SECAUTH_NEXT_MAX     2048

#define NGX_HTTP_SECAUTH_LOGIN_USER     1
#define NGX_HTTP_SECAUTH_LOGIN_VERIFY   2
#define NGX_HTTP_SECAUTH_LOGIN_STORE    3
#define NGX_HTTP_SECAUTH_LOGOUT_GET     4
#define NGX_HTTP_SECAUTH_LOGOUT_DELETE  5
#define NGX_HTTP_SECAUTH_LOGIN_THROTTLE 6


typedef struct {
    ngx_uint_t                          state;
    ngx_flag_t                          json;
    ngx_flag_t                          known;
    ngx_flag_t                          everywhere;
    ngx_str_t                           username;
    ngx_str_t                           password;
    ngx_str_t                           next;
    ngx_str_t                           hash;
    ngx_str_t                           sid;          /* the new cookie */
    ngx_http_secauth_password_task_t   *task;
} ngx_http_secauth_login_ctx_t;


static ngx_int_t ngx_http_secauth_login_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_logout_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_login_start(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt body);
static void ngx_http_secauth_login_body(ngx_http_request_t *r);
static void ngx_http_secauth_logout_body(ngx_http_request_t *r);
static void ngx_http_secauth_login_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_login_user(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_verify(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_attempt(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_login_refuse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_uint_t status,
    ngx_msec_t locked);
static ngx_int_t ngx_http_secauth_login_success(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static void ngx_http_secauth_logout_step(ngx_http_request_t *r);
static void ngx_http_secauth_login_finish(ngx_http_request_t *r,
    ngx_int_t rc);
static ngx_int_t ngx_http_secauth_login_parse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
static ngx_int_t ngx_http_secauth_form_field(ngx_http_request_t *r,
    ngx_str_t *body, const char *name, ngx_str_t *value);
static ngx_int_t ngx_http_secauth_json_field(ngx_http_request_t *r,
    json_t *obj, const char *name, ngx_str_t *value);
static ngx_int_t ngx_http_secauth_read_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_secauth_media_type(ngx_table_elt_t *ct,
    const char *type);
static ngx_int_t ngx_http_secauth_same_origin(ngx_http_request_t *r);
static ngx_table_elt_t *ngx_http_secauth_header(ngx_http_request_t *r,
    const char *name, size_t len);
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
static ngx_int_t ngx_http_secauth_send(ngx_http_request_t *r,
    ngx_uint_t status, const char *type, ngx_str_t *body);


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

    if (cmd->name.len == sizeof("secauth_login") - 1) {
        slcf->handler = NGX_HTTP_SECAUTH_HANDLER_LOGIN;
        clcf->handler = ngx_http_secauth_login_handler;

    } else {
        slcf->handler = NGX_HTTP_SECAUTH_HANDLER_LOGOUT;
        clcf->handler = ngx_http_secauth_logout_handler;
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

    return ngx_http_secauth_login_start(r, ngx_http_secauth_login_body);
}


static ngx_int_t
ngx_http_secauth_logout_handler(ngx_http_request_t *r)
{
    return ngx_http_secauth_login_start(r, ngx_http_secauth_logout_body);
}


/* POST only, same origin, a small form or JSON body */

static ngx_int_t
ngx_http_secauth_login_start(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt body)
{
    ngx_int_t          rc;
    ngx_table_elt_t   *h;

    if (r->method != NGX_HTTP_POST) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif
        ngx_str_set(&h->key, "Allow");

        if (body == ngx_http_secauth_login_body) {
            ngx_str_set(&h->value, "GET, HEAD, POST");

        } else {
            ngx_str_set(&h->value, "POST");
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_secauth_same_origin(r) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: cross-site POST refused (login CSRF)");
        return NGX_HTTP_FORBIDDEN;
    }

    if (r->headers_in.content_length_n > NGX_HTTP_SECAUTH_BODY_MAX) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: login body of %O bytes refused",
                      r->headers_in.content_length_n);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
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

            if (ngx_http_secauth_hash_acceptable(&ctx->op.value, &reason)
                == NGX_OK)
            {
                lctx->hash = ctx->op.value;
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

            rc = ngx_http_secauth_login_refuse(r, lctx,
                                               NGX_HTTP_UNAUTHORIZED, 0);
            break;
        }

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

        rc = ngx_http_secauth_login_user(r, lctx);
        break;

    case NGX_HTTP_SECAUTH_LOGIN_STORE:

        if (ctx->op.rc != NGX_OK) {
            rc = NGX_HTTP_SERVICE_UNAVAILABLE;
            break;
        }

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "secauth: \"%V\" logged in", &lctx->username);

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
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "secauth: password thread pool queue is full");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_AGAIN;
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

    if (lctx->state == NGX_HTTP_SECAUTH_LOGOUT_GET && ctx->op.rc == NGX_OK) {

        /* "log out everywhere": every session of this session's user */

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
                      "secauth: \"%V\" logged out everywhere (%ui sessions)",
                      &lctx->username, ctx->op.count);
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
 * 413 for a body that is too large, 415 for another content type.
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

    if (ngx_http_secauth_username(r->pool, &user, &lctx->username)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: login with an invalid user name");
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


/* the media type exactly, parameters (";charset=...") allowed */

static ngx_int_t
ngx_http_secauth_media_type(ngx_table_elt_t *ct, const char *type)
{
    size_t   n;
    u_char  *p;

    n = ngx_strlen(type);

    if (ct == NULL || ct->value.len < n
        || ngx_strncasecmp(ct->value.data, (u_char *) type, n) != 0)
    {
        return NGX_DECLINED;
    }

    p = ct->value.data + n;

    if (p == ct->value.data + ct->value.len || *p == ';' || *p == ' '
        || *p == '\t')
    {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_secauth_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    size_t        len;
    u_char       *p;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    if (r->request_body->temp_file) {
        return NGX_ERROR;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += cl->buf->last - cl->buf->pos;
    }

    if (len > NGX_HTTP_SECAUTH_BODY_MAX) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
        ngx_explicit_memzero(cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    body->len = p - body->data;

    return NGX_OK;
}


/*
 * application/x-www-form-urlencoded: "+" is a space, %XX is decoded; a
 * field given twice is ambiguous and refused (NGX_ERROR); NGX_DECLINED
 * when absent.
 */

static ngx_int_t
ngx_http_secauth_form_field(ngx_http_request_t *r, ngx_str_t *body,
    const char *name, ngx_str_t *value)
{
    size_t     n;
    u_char    *p, *last, *end, *src, *dst;
    ngx_int_t  found;

    n = ngx_strlen(name);
    p = body->data;
    last = p + body->len;
    found = 0;

    while (p < last) {
        end = ngx_strlchr(p, last, '&');
        if (end == NULL) {
            end = last;
        }

        if ((size_t) (end - p) > n && p[n] == '='
            && ngx_strncmp(p, name, n) == 0)
        {
            if (found) {
                return NGX_ERROR;
            }

            found = 1;

            value->data = ngx_pnalloc(r->pool, end - p - n);
            if (value->data == NULL) {
                return NGX_ERROR;
            }

            for (src = p + n + 1, dst = value->data; src < end; src++) {
                if (*src == '+') {
                    *dst++ = ' ';

                } else if (*src == '%') {
                    if (end - src < 3
                        || ngx_hextoi(src + 1, 2) == NGX_ERROR)
                    {
                        return NGX_ERROR;
                    }

                    *dst++ = (u_char) ngx_hextoi(src + 1, 2);
                    src += 2;

                } else {
                    *dst++ = *src;
                }
            }

            value->len = dst - value->data;
        }

        p = end + 1;
    }

    return found ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_secauth_json_field(ngx_http_request_t *r, json_t *obj,
    const char *name, ngx_str_t *value)
{
    json_t  *v;

    v = json_object_get(obj, name);

    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    value->len = json_string_length(v);
    value->data = ngx_pnalloc(r->pool, value->len + 1);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(value->data, json_string_value(v), value->len);

    return NGX_OK;
}


/*
 * Login CSRF (ASVS 3.5): a browser's cross-site POST says so in Origin or
 * Sec-Fetch-Site. Clients that send neither (curl, apps) are not browsers
 * being tricked.
 */

static ngx_int_t
ngx_http_secauth_same_origin(ngx_http_request_t *r)
{
    u_char           *p, *last;
    ngx_str_t         host;
    ngx_table_elt_t  *h;

    h = ngx_http_secauth_header(r, "Sec-Fetch-Site",
                                sizeof("Sec-Fetch-Site") - 1);

    if (h && !(h->value.len == 11
               && ngx_strncasecmp(h->value.data, (u_char *) "same-origin",
                                  11) == 0)
          && !(h->value.len == 4
               && ngx_strncasecmp(h->value.data, (u_char *) "none", 4) == 0))
    {
        return NGX_DECLINED;
    }

    h = ngx_http_secauth_header(r, "Origin", sizeof("Origin") - 1);

    if (h == NULL) {
        return NGX_OK;
    }

    /* scheme://host[:port], compared with Host (scheme may be proxied) */

    p = ngx_strlcasestrn(h->value.data, h->value.data + h->value.len,
                         (u_char *) "://", 3 - 1);
    if (p == NULL || r->headers_in.host == NULL) {
        return NGX_DECLINED;
    }

    p += 3;
    last = h->value.data + h->value.len;
    host = r->headers_in.host->value;

    if ((size_t) (last - p) != host.len
        || ngx_strncasecmp(p, host.data, host.len) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_secauth_header(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/*
 * Redirect targets (ASVS 3.7.2): a same-origin path only, "/x" but not
 * "//x", "/\x", "/%2f%2fx", "https:x", "javascript:", nor anything with
 * controls or a backslash, before or after percent-decoding. Else "/".
 */

static void
ngx_http_secauth_safe_next(ngx_http_request_t *r, ngx_str_t *next)
{
    u_char  *p, *dst, *src, *last;
    size_t   len;

    if (next->len == 0 || next->len > NGX_HTTP_SECAUTH_NEXT_MAX
        || next->data[0] != '/')
    {
        goto root;
    }

    for (p = next->data; p < next->data + next->len; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '\\' || *p == '"'
            || *p == '<' || *p == '>')
        {
            goto root;
        }
    }

    p = ngx_pnalloc(r->pool, next->len);
    if (p == NULL) {
        goto root;
    }

    /* decoded twice over: "%252f" is "/" to some proxies */

    src = next->data;
    dst = p;
    ngx_unescape_uri(&dst, &src, next->len, 0);
    len = dst - p;

    src = p;
    dst = p;
    ngx_unescape_uri(&dst, &src, len, 0);
    len = dst - p;

    last = p + len;

    if (len < 1 || p[0] != '/' || (len > 1 && (p[1] == '/' || p[1] == '\\')))
    {
        goto root;
    }

    for ( /* void */ ; p < last; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\\') {
            goto root;
        }
    }

    return;

root:

    ngx_str_set(next, "/");
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


static ngx_int_t
ngx_http_secauth_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, ngx_str_t *body)
{
    ngx_int_t                     rc;
    ngx_buf_t                    *b;
    ngx_str_t                     v;
    ngx_chain_t                   out;
    ngx_http_secauth_loc_conf_t  *slcf;

    static ngx_str_t  no_store = ngx_string("no-store");
    static ngx_str_t  nosniff = ngx_string("nosniff");
    static ngx_str_t  deny = ngx_string("DENY");

    if (ngx_http_secauth_add_header(r, "Cache-Control", &no_store) != NGX_OK
        || ngx_http_secauth_add_header(r, "X-Content-Type-Options", &nosniff)
           != NGX_OK
        || ngx_http_secauth_add_header(r, "X-Frame-Options", &deny) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == NGX_HTTP_UNAUTHORIZED) {
        slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

        v.len = sizeof("Bearer realm=\"\"") - 1 + slcf->realm.len;
        v.data = ngx_pnalloc(r->pool, v.len);
        if (v.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_sprintf(v.data, "Bearer realm=\"%V\"", &slcf->realm);

        if (ngx_http_secauth_add_header(r, "WWW-Authenticate", &v)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = body->len;
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = body->len ? 1 : 0;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_send_header(r);

    if (rc != NGX_ERROR && rc <= NGX_OK && !r->header_only) {
        rc = ngx_http_output_filter(r, &out);
    }

    /*
     * NGX_AGAIN here is a slow client, which ngx_http_finalize_request()
     * handles; to the callers NGX_AGAIN means "still waiting": say NGX_OK
     */

    return (rc == NGX_AGAIN) ? NGX_OK : rc;
}

