
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_session.h"
#include "ngx_http_secauth_cookie.h"
#include "ngx_http_secauth_mfa.h"


/*
 * The session-cookie check of the gate (docs/sessions.md has the rules):
 * find exactly one cookie of our name, check its shape without any store
 * round trip, look up SHA-256(value) in the store, enforce the idle and
 * absolute timeouts, and now and then move last_seen forward.
 */


static ngx_int_t ngx_http_secauth_session_cookie(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static ngx_int_t ngx_http_secauth_session_scan(ngx_str_t *header,
    ngx_str_t *name, ngx_str_t *value, ngx_uint_t *found);
static ngx_int_t ngx_http_secauth_session_shape(ngx_str_t *value);
static ngx_int_t ngx_http_secauth_session_verdict(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx);
static void ngx_http_secauth_session_touch(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_loc_conf_t *slcf);
static ngx_int_t ngx_http_secauth_session_refuse(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, char *error, char *reason);


ngx_int_t
ngx_http_secauth_session_check(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx)
{
    ngx_int_t                      rc;
    ngx_str_t                      value;
    ngx_http_secauth_store_t      *st;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_loc_conf_t   *slcf;
    ngx_http_secauth_main_conf_t  *smcf;

    if (ctx->session == NGX_HTTP_SECAUTH_PENDING) {
        return ngx_http_secauth_session_verdict(r, ctx);
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    rc = ngx_http_secauth_session_cookie(r, &slcf->cookie->name, &value);

    if (rc == NGX_DECLINED) {
        ctx->session = NGX_HTTP_SECAUTH_ABSENT;
        return NGX_OK;
    }

    if (rc == NGX_BUSY) {
        return ngx_http_secauth_session_refuse(r, ctx, "duplicate_cookie",
                                               "more than one session "
                                               "cookie");
    }

    if (ngx_http_secauth_session_shape(&value) != NGX_OK) {
        return ngx_http_secauth_session_refuse(r, ctx, "malformed",
                                               "malformed session cookie");
    }

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));

    op->pool = r->pool;
    op->log = r->connection->log;
    op->check_pwv = smcf->users_redis;

    if (ngx_http_secauth_sha256(&value, 1, op->key) != NGX_OK) {
        return NGX_ERROR;
    }

    st = ngx_http_secauth_store(r);

    ngx_http_secauth_store_wait(r, ctx, op);
    ctx->session = NGX_HTTP_SECAUTH_PENDING;

    rc = ngx_http_secauth_store_call(st, session_get, op);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx->waiting = 0;

    return ngx_http_secauth_session_verdict(r, ctx);
}


/* the store has answered */

static ngx_int_t
ngx_http_secauth_session_verdict(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx)
{
    time_t                        now;
    ngx_http_secauth_session_t   *s;
    ngx_http_secauth_loc_conf_t  *slcf;

    if (ctx->op.rc == NGX_ERROR) {
        ctx->session = NGX_HTTP_SECAUTH_UNAVAILABLE;
        ngx_str_set(&ctx->error, "store_unavailable");
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: session store unavailable");
        return NGX_OK;
    }

    if (ctx->op.rc == NGX_DECLINED) {
        return ctx->op.count
               ? ngx_http_secauth_session_refuse(r, ctx, "stale_session",
                                                 "the user's password "
                                                 "changed, or the user is "
                                                 "gone")
               : ngx_http_secauth_session_refuse(r, ctx, "unknown_session",
                                                 "unknown session");
    }

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    s = &ctx->op.session;
    now = ngx_time();

    if (now - s->created >= slcf->absolute_timeout) {
        return ngx_http_secauth_session_refuse(r, ctx, "session_expired",
                                               "session reached its "
                                               "absolute timeout");
    }

    if (now - s->last_seen >= slcf->idle_timeout) {
        return ngx_http_secauth_session_refuse(r, ctx, "session_expired",
                                               "session idle for too long");
    }

    ctx->session = NGX_HTTP_SECAUTH_VALID;
    ctx->user = s->user;
    ctx->level = s->level;
    ngx_http_secauth_mfa_amr(s->level, &ctx->amr);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "secauth: session of \"%V\"", &s->user);

    /*
     * last_seen is written back only when a quarter of the idle window has
     * passed: most requests cost one read and no write, and the effective
     * idle timeout lies between 3/4 and all of the configured one
     */

    if (now - s->last_seen >= slcf->idle_timeout / 4) {
        ngx_http_secauth_session_touch(r, ctx, slcf);
    }

    return NGX_OK;
}


/* fire and forget: the request does not wait for the write */

static void
ngx_http_secauth_session_touch(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_loc_conf_t *slcf)
{
    time_t                        now, left;
    ngx_http_secauth_store_op_t  *op;

    now = ngx_time();

    op = ngx_http_secauth_new_op(r, NULL);
    if (op == NULL) {
        return;
    }

    ngx_memcpy(op->key, ctx->op.key, NGX_HTTP_SECAUTH_KEY_LEN);

    op->session = ctx->op.session;
    op->session.last_seen = now;

    left = ctx->op.session.created + slcf->absolute_timeout - now;
    op->ttl = ngx_min(slcf->idle_timeout, left);

    if (op->ttl <= 0) {
        return;
    }

    (void) ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                       session_touch, op);
}


static ngx_int_t
ngx_http_secauth_session_refuse(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, char *error, char *reason)
{
    ctx->session = NGX_HTTP_SECAUTH_INVALID;

    ctx->error.data = (u_char *) error;
    ctx->error.len = ngx_strlen(error);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "secauth: session refused: %s", reason);

    return NGX_OK;
}


/*
 * Cookie rules (RFC 6265 5.4 as browsers send it): pairs separated by ";",
 * whitespace around names and values ignored, names compared exactly.
 * NGX_DECLINED: no cookie of that name; NGX_BUSY: more than one (a tossed
 * cookie from a sibling domain or another path: ambiguous, refused).
 */

static ngx_int_t
ngx_http_secauth_session_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_uint_t         found;
#if (nginx_version >= 1023000)
    ngx_table_elt_t   *h;
#else
    ngx_uint_t         i;
    ngx_table_elt_t  **h;
#endif

    found = 0;

#if (nginx_version >= 1023000)

    for (h = r->headers_in.cookie; h; h = h->next) {
        if (ngx_http_secauth_session_scan(&h->value, name, value, &found)
            != NGX_OK)
        {
            return NGX_BUSY;
        }
    }

#else

    h = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        if (ngx_http_secauth_session_scan(&h[i]->value, name, value, &found)
            != NGX_OK)
        {
            return NGX_BUSY;
        }
    }

#endif

    return found ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_secauth_session_scan(ngx_str_t *header, ngx_str_t *name,
    ngx_str_t *value, ngx_uint_t *found)
{
    size_t         len;
    unsigned int   n;
    const u_char  *data;

    n = *found ? 1 : 0;

    if (ngx_http_secauth_cookie_scan(header->data, header->len, name->data,
                                     name->len, &data, &len, &n)
        != 0)
    {
        return NGX_BUSY;
    }

    if (n && !*found) {
        value->data = (u_char *) data;
        value->len = len;
        *found = 1;
    }

    return NGX_OK;
}


/* exactly one well-formed session cookie: NGX_OK; else NGX_DECLINED */

ngx_int_t
ngx_http_secauth_session_find(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    if (ngx_http_secauth_session_cookie(r, name, value) != NGX_OK
        || ngx_http_secauth_session_shape(value) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* exactly 43 base64url characters; anything else costs no lookup */

#if (NGX_HTTP_SECAUTH_SESSION_ID_LEN != NGX_HTTP_SECAUTH_COOKIE_ID_LEN)
#error "the session id the cookie check expects is not the one login makes"
#endif

static ngx_int_t
ngx_http_secauth_session_shape(ngx_str_t *value)
{
    return ngx_http_secauth_cookie_id_valid(value->data, value->len)
           ? NGX_OK : NGX_ERROR;
}
