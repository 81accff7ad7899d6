
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_session.h"
#include "ngx_http_secauth_jwt.h"


static void ngx_http_secauth_store_done(ngx_http_secauth_store_op_t *op);
static ngx_int_t ngx_http_secauth_park(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx);
static ngx_int_t ngx_http_secauth_check_jwt(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx);
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
        return (ngx_http_secauth_park(r, ctx) == NGX_OK)
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
            ctx->admitted = 1;
            return NGX_OK;
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
            ctx->admitted = 1;
            return NGX_OK;
        }
    }

    if ((ngx_http_secauth_mode_has_session(slcf->mode)
         && ctx->session == NGX_HTTP_SECAUTH_UNAVAILABLE)
        || (ngx_http_secauth_mode_has_jwt(slcf->mode)
            && ctx->jwt == NGX_HTTP_SECAUTH_UNAVAILABLE))
    {
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
 * handler runs (NGX_OK would skip them).
 */

ngx_int_t
ngx_http_secauth_subrequest_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r == r->main) {
        return NGX_DECLINED;
    }

    rc = ngx_http_secauth_access_handler(r);

    return (rc == NGX_OK) ? NGX_DECLINED : rc;
}


/*
 * The store did not answer in time: 503 (secauth_fail closed), or admit
 * (open) with a warning once a second at most, the outage itself being
 * logged once by the store.
 */

ngx_int_t
ngx_http_secauth_unavailable(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, const char *what)
{
    ngx_http_secauth_main_conf_t  *smcf;

    if (slcf->fail == NGX_HTTP_SECAUTH_FAIL_CLOSED) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    if (smcf->fail_open_logged != ngx_time()) {
        smcf->fail_open_logged = ngx_time();
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: store unavailable, request admitted "
                      "without %s (secauth_fail open)", what);
    }

    return NGX_OK;
}


/*
 * Parks the request until a store op completes: the op's handler posts
 * the resume event, which runs the phases again, and the access handler
 * reads the result (the way an access handler waits, cf. auth_request).
 */

void
ngx_http_secauth_store_wait(ngx_http_request_t *r, ngx_http_secauth_ctx_t *ctx,
    ngx_http_secauth_store_op_t *op)
{
    op->handler = ngx_http_secauth_store_done;
    op->data = ctx;
    ctx->waiting = 1;
    ctx->parked = r;
}


static void
ngx_http_secauth_store_done(ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_ctx_t  *ctx = op->data;

    ctx->waiting = 0;

    /* not from inside the store's callback: the store may be mid-reply */
    ngx_post_event(&ctx->resume, &ngx_posted_events);
}


void
ngx_http_secauth_resume(ngx_event_t *ev)
{
    ngx_uint_t               i, n;
    ngx_connection_t        *c;
    ngx_http_request_t      *r, **w;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->parked ? ctx->parked : ctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "secauth: resume \"%V\"", &r->uri);

    /*
     * The others that wait for the same answer are posted first: running
     * the parked request may finalize the main one and free its pool,
     * which holds ctx and the waiters; posted requests die with it.
     */

    if (ctx->waiters && ctx->waiters->nelts) {
        n = ctx->waiters->nelts;
        w = ctx->waiters->elts;
        ctx->waiters->nelts = 0;

        for (i = 0; i < n; i++) {
            if (ngx_http_post_request(w[i], NULL) != NGX_OK) {
                ngx_http_finalize_request(w[i],
                                          NGX_HTTP_INTERNAL_SERVER_ERROR);
            }
        }
    }

    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}


/* another request of the context waits for the store's answer */

static ngx_int_t
ngx_http_secauth_park(ngx_http_request_t *r, ngx_http_secauth_ctx_t *ctx)
{
    ngx_uint_t           i;
    ngx_http_request_t **w;

    if (r == ctx->parked) {
        return NGX_OK;
    }

    if (ctx->waiters == NULL) {
        ctx->waiters = ngx_array_create(r->pool, 2,
                                        sizeof(ngx_http_request_t *));
        if (ctx->waiters == NULL) {
            return NGX_ERROR;
        }
    }

    w = ctx->waiters->elts;

    for (i = 0; i < ctx->waiters->nelts; i++) {
        if (w[i] == r) {
            return NGX_OK;
        }
    }

    w = ngx_array_push(ctx->waiters);
    if (w == NULL) {
        return NGX_ERROR;
    }

    *w = r;

    return NGX_OK;
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
 * Finds "Authorization: Bearer <token>". The scheme is case-insensitive
 * (RFC 7235 2.1); other schemes (Basic, ...) count as no bearer token.
 * NGX_DECLINED: none, NGX_ERROR: "Bearer" without a usable token.
 */

ngx_int_t
ngx_http_secauth_bearer(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char           *p, *last;
    ngx_table_elt_t  *h;

    h = r->headers_in.authorization;

    if (h == NULL) {
        return NGX_DECLINED;
    }

    p = h->value.data;
    last = p + h->value.len;

    if (h->value.len < sizeof("Bearer") - 1
        || ngx_strncasecmp(p, (u_char *) "Bearer", sizeof("Bearer") - 1) != 0)
    {
        return NGX_DECLINED;
    }

    p += sizeof("Bearer") - 1;

    if (p < last && *p != ' ') {
        return NGX_DECLINED;     /* "Bearerx": another scheme */
    }

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    if (p == last) {
        return NGX_ERROR;
    }

    token->data = p;
    token->len = last - p;

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
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return 0;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Accept") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Accept",
                               sizeof("Accept") - 1) == 0
            && ngx_strlcasestrn(h[i].value.data,
                                h[i].value.data + h[i].value.len,
                                (u_char *) "text/html",
                                sizeof("text/html") - 1 - 1)
               != NULL)
        {
            return 1;
        }
    }
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


/*
 * The login URL with the request's URI in "next": the gate's redirect,
 * and $secauth_login_location for an error_page after auth_request. A
 * relative URL becomes absolute in nginx's header filter by its rules
 * (absolute_redirect, server_name_in_redirect, port_in_redirect).
 */

ngx_int_t
ngx_http_secauth_login_location(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_str_t *location)
{
    size_t              len;
    u_char             *p;
    uintptr_t           escape;
    ngx_str_t           url, *uri;
    ngx_http_request_t *m;

    if (ngx_http_complex_value(r, slcf->login_url, &url) != NGX_OK) {
        return NGX_ERROR;
    }

    /* what the client asked for, whatever redirects happened since */

    m = r->main;
    uri = &m->unparsed_uri;

    escape = ngx_escape_uri(NULL, uri->data, uri->len,
                            NGX_ESCAPE_URI_COMPONENT);

    len = url.len + sizeof("&next=") - 1 + uri->len + 2 * escape;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    location->data = p;

    p = ngx_cpymem(p, url.data, url.len);
    p = ngx_cpymem(p, ngx_strlchr(url.data, url.data + url.len, '?')
                      ? "&next=" : "?next=",
                   sizeof("&next=") - 1);
    p = (u_char *) ngx_escape_uri(p, uri->data, uri->len,
                                  NGX_ESCAPE_URI_COMPONENT);

    location->len = p - location->data;

    return NGX_OK;
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
