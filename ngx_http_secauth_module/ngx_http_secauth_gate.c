
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_gate.h"
#include "ngx_http_secauth_session.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_mfa.h"
#include "ngx_http_secauth_require.h"


static ngx_int_t ngx_http_secauth_check_jwt(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx);
static ngx_int_t ngx_http_secauth_mfa_gate(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_ctx_t *ctx);
static ngx_int_t ngx_http_secauth_refuse(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_ctx_t *ctx);
static ngx_int_t ngx_http_secauth_is_browser(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_redirect(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf);
static ngx_int_t ngx_http_secauth_challenge(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_ctx_t *ctx);


static ngx_str_t  ngx_http_secauth_method_session = ngx_string("session");
static ngx_str_t  ngx_http_secauth_method_jwt = ngx_string("jwt");


ngx_int_t
ngx_http_secauth_access_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (slcf->mode == NGX_HTTP_SECAUTH_OFF) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_secauth_get_ctx(r->main, 1);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * Each kind of credential is checked at most once per request; after an
     * internal redirect the earlier result is reused, and only a kind the
     * new location adds is looked at.
     */

    if (ctx->waiting) {
        /*
         * another request of the same main request (parallel SSI
         * subrequests) waits for the store: this one runs again with it
         */
        return (ngx_http_secauth_wait_also(r, ctx) == NGX_OK)
               ? NGX_AGAIN : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_secauth_mode_has_session(slcf->mode)) {
        if (ctx->session == NGX_HTTP_SECAUTH_UNCHECKED
            || ctx->session == NGX_HTTP_SECAUTH_PENDING)
        {
            rc = ngx_http_secauth_session_check(r, ctx);

            if (rc == NGX_AGAIN) {
                return NGX_AGAIN;
            }

            if (rc != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        if (ctx->session == NGX_HTTP_SECAUTH_VALID) {
            ctx->method = ngx_http_secauth_method_session;
            return ngx_http_secauth_mfa_gate(r, slcf, ctx);
        }
    }

    if (ngx_http_secauth_mode_has_jwt(slcf->mode)) {
        if (ctx->jwt == NGX_HTTP_SECAUTH_UNCHECKED
            || ctx->jwt == NGX_HTTP_SECAUTH_PENDING)
        {
            rc = ngx_http_secauth_check_jwt(r, ctx);

            if (rc == NGX_AGAIN) {
                return NGX_AGAIN;
            }

            if (rc != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        if (ctx->jwt == NGX_HTTP_SECAUTH_VALID) {
            ctx->method = ngx_http_secauth_method_jwt;
            return ngx_http_secauth_mfa_gate(r, slcf, ctx);
        }
    }

    if ((ngx_http_secauth_mode_has_session(slcf->mode)
         && ctx->session == NGX_HTTP_SECAUTH_UNAVAILABLE)
        || (ngx_http_secauth_mode_has_jwt(slcf->mode)
            && ctx->jwt == NGX_HTTP_SECAUTH_UNAVAILABLE))
    {
        if (ctx->keys_unavailable) {
            /* a token no key can check is never admitted, fail open or not */
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        rc = ngx_http_secauth_unavailable(r, slcf, "authentication");
        ctx->admitted = (rc == NGX_OK);
        return rc;
    }

    return ngx_http_secauth_refuse(r, slcf, ctx);
}


/*
 * nginx skips the access phase of subrequests (auth_request, SSI,
 * mirror): a gated location they reach is gated here, one phase earlier,
 * on the main request's credentials and in its context, whether or not
 * the main request was gated itself. Admitted, the next preaccess
 * handler runs (NGX_OK would skip them). The exceptions are the
 * module's own: a password reset's notify location is run for a client
 * that has no credentials by design (ngx_http_secauth_password_reset.c),
 * and a key request is what checks them (_jwt_fetch.c).
 */

ngx_int_t
ngx_http_secauth_subrequest_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_secauth_ctx_t  *ctx;

    if (r == r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx && (ctx->notify == r || ctx->key_fetch == r)) {
        return NGX_DECLINED;
    }

    rc = ngx_http_secauth_access_handler(r);

    return (rc == NGX_OK) ? NGX_DECLINED : rc;
}


static ngx_int_t
ngx_http_secauth_check_jwt(ngx_http_request_t *r, ngx_http_secauth_ctx_t *ctx)
{
    ngx_int_t  rc;
    ngx_str_t  token;

    if (ctx->jwt == NGX_HTTP_SECAUTH_PENDING) {
        return ngx_http_secauth_jwt_check(r, ctx, NULL);
    }

    rc = ngx_http_secauth_bearer(r, &token);

    if (rc == NGX_DECLINED) {
        ctx->jwt = NGX_HTTP_SECAUTH_ABSENT;
        return NGX_OK;
    }

    if (rc == NGX_ERROR) {
        ctx->jwt = NGX_HTTP_SECAUTH_INVALID;
        ngx_str_set(&ctx->error, "malformed");
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: malformed bearer credentials");
        return NGX_OK;
    }

    return ngx_http_secauth_jwt_check(r, ctx, &token);
}


/*
 * secauth_mfa on: a valid credential without the second factor is a
 * 403, mfa_required (the user is known: logging in again would not
 * help without a code), or for a browser's session with enrol= a 302
 * to the enrolment page. A token's level comes from its amr claim
 * ("mfa": the second factor), a session's from its record. The
 * enrolment location itself (secauth_totp) is never held to it.
 */

static ngx_int_t
ngx_http_secauth_mfa_gate(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (slcf->mfa && !(ctx->level & NGX_HTTP_SECAUTH_AMR_OTP)
        && slcf->handler != NGX_HTTP_SECAUTH_HANDLER_TOTP)
    {
        ngx_str_set(&ctx->error, "mfa_required");
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: \"%V\" has no second factor, which this "
                      "location requires", &ctx->user);

        if (slcf->mfa_enrol.len
            && r == r->main
            && ctx->session == NGX_HTTP_SECAUTH_VALID
            && ngx_http_secauth_is_browser(r))
        {
            if (ngx_http_secauth_add_header(r, "Location", &slcf->mfa_enrol)
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return NGX_HTTP_MOVED_TEMPORARILY;
        }

        return NGX_HTTP_FORBIDDEN;
    }

    rc = ngx_http_secauth_require_check(r, slcf, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx->admitted = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_refuse(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_ctx_t *ctx)
{
    if (ctx->error.len == 0) {
        ngx_str_set(&ctx->error, "no_credentials");
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: no credentials were provided");
    }

    /*
     * auth_request takes any answer but 2xx, 401 and 403 for an error:
     * a subrequest and secauth_verify answer 401, and the operator's
     * error_page sends browsers to the login page
     */

    if (slcf->login_url
        && r == r->main
        && slcf->handler != NGX_HTTP_SECAUTH_HANDLER_VERIFY
        && ngx_http_secauth_is_browser(r))
    {
        return ngx_http_secauth_redirect(r, slcf);
    }

    return ngx_http_secauth_challenge(r, slcf, ctx);
}


/*
 * A browser navigation: GET or HEAD asking for HTML. API clients (JSON,
 * curl's "*" "/" "*"), form posts and XHRs get a 401 they can act on.
 */

static ngx_int_t
ngx_http_secauth_is_browser(ngx_http_request_t *r)
{
    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return 0;
    }

    return ngx_http_secauth_accepts(r, "text/html");
}


/* 302 to the login URL, the original URI in "next" */

static ngx_int_t
ngx_http_secauth_redirect(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf)
{
    ngx_str_t  url;

    if (ngx_http_secauth_login_location(r, slcf, &url) != NGX_OK
        || ngx_http_secauth_add_header(r, "Location", &url) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_MOVED_TEMPORARILY;
}


/* 401 with an RFC 6750 challenge */

static ngx_int_t
ngx_http_secauth_challenge(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_ctx_t *ctx)
{
    size_t            len;
    u_char           *p;
    ngx_flag_t        invalid;
    ngx_table_elt_t  *h;

    invalid = (ctx->jwt == NGX_HTTP_SECAUTH_INVALID);

    len = sizeof("Bearer realm=\"\"") - 1 + slcf->realm.len;

    if (invalid) {
        len += sizeof(", error=\"invalid_token\"") - 1;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value.data = p;

    p = ngx_cpymem(p, "Bearer realm=\"", sizeof("Bearer realm=\"") - 1);
    p = ngx_cpymem(p, slcf->realm.data, slcf->realm.len);
    *p++ = '"';

    if (invalid) {
        p = ngx_cpymem(p, ", error=\"invalid_token\"",
                       sizeof(", error=\"invalid_token\"") - 1);
    }

    h->value.len = p - h->value.data;

    r->headers_out.www_authenticate = h;

    return NGX_HTTP_UNAUTHORIZED;
}
