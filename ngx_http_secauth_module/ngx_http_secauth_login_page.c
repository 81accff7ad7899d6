
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_session.h"
#include "ngx_http_secauth_login.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_redirect.h"


/*
 * What the login and logout locations answer, below their handlers and
 * the credential check: the sign-in form, a refused login (the form or
 * JSON), the session cookie set and the one presented, the redirect
 * target ("next") and the end of the request.
 */


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


ngx_int_t
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

    return ngx_http_secauth_send_page(r, status, &ngx_http_secauth_form_csp,
                                      &body);
}


/* 401, or 429 while the account is locked: the form, or JSON */

ngx_int_t
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


/* the end of a login or a logout: whatever ended it, the secrets go */

void
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

        /* a backup code that was not spent is still a secret */

        if (lctx->otp.len) {
            ngx_explicit_memzero(lctx->otp.data, lctx->otp.len);
        }

        if (lctx->new_password.len) {
            ngx_explicit_memzero(lctx->new_password.data,
                                 lctx->new_password.len);
        }
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, rc);
}


/*
 * Redirect targets (ASVS 3.7.2): a same-origin path, or "/"
 * (core/ngx_http_secauth_redirect.c says which)
 */

void
ngx_http_secauth_safe_next(ngx_http_request_t *r, ngx_str_t *next)
{
    if (!ngx_http_secauth_redirect_safe(next->data, next->len)) {
        ngx_str_set(next, "/");
    }
}


/* "next" from the query string, percent-decoded once, then checked */

void
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

ngx_int_t
ngx_http_secauth_set_cookie(ngx_http_request_t *r, ngx_str_t *value,
    time_t max_age)
{
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    return ngx_http_secauth_set_named_cookie(r, &slcf->cookie->name, value,
                                             max_age);
}


/* a cookie of another name (a pending login's) with the session's flags */

ngx_int_t
ngx_http_secauth_set_named_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value, time_t max_age)
{
    u_char                       *p;
    size_t                        len;
    ngx_str_t                     v;
    ngx_http_secauth_cookie_t    *ck;
    ngx_http_secauth_loc_conf_t  *slcf;

    static const char  *samesite[] = { "Lax", "Strict", "None" };

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    ck = slcf->cookie;

    len = name->len + 1 + (value ? value->len : 0)
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

    p = ngx_sprintf(p, "%V=", name);

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

ngx_int_t
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


/*
 * A brand-new session (ASVS 7.2.4) of user, in op for session_put: its
 * id, 32 random bytes in base64url, into sid (the cookie's value), its
 * SHA-256 as the store key, the record, the TTL of the location's
 * timeouts
 */

ngx_int_t
ngx_http_secauth_session_new(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, ngx_uint_t level,
    ngx_uint_t pwv, ngx_str_t *sid)
{
    u_char                        raw[32];
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    sid->data = ngx_pnalloc(r->pool, NGX_HTTP_SECAUTH_SESSION_ID_LEN);
    if (sid->data == NULL || RAND_bytes(raw, sizeof(raw)) != 1) {
        return NGX_ERROR;
    }

    sid->len = ngx_http_secauth_b64url_encode(sid->data, raw, sizeof(raw));
    ngx_explicit_memzero(raw, sizeof(raw));

    if (ngx_http_secauth_sha256(sid, 1, op->key) != NGX_OK) {
        return NGX_ERROR;
    }

    op->session.user = *user;
    op->session.created = ngx_time();
    op->session.last_seen = op->session.created;
    op->session.level = level;
    op->session.pwv = pwv;
    op->session.redis_user = slcf->users->redis;
    op->session.ip = r->connection->addr_text;
    op->ttl = ngx_min(slcf->idle_timeout, slcf->absolute_timeout);

    return NGX_OK;
}
