
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

/*
 * SHA-256 of session ids and keys on every request: the low-level API,
 * deprecated in OpenSSL 3 but kept, as nginx keeps it for ngx_sha1
 * (ngx_event_openssl.h); see ngx_http_secauth_sha256()
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_text.h"


/*
 * The per-request helpers of every layer, below the features, the gate
 * and the handlers alike: the request's context and its store ops, the
 * store, the content handler of a location, headers in and out, digests.
 * Nothing here calls up; waiting for the store is ngx_http_secauth_wait.c.
 */


static void ngx_http_secauth_ctx_cleanup(void *data);


/*
 * The context is allocated as the data of a pool cleanup: an internal
 * redirect zeroes r->ctx, and the cleanup list is where it is found again
 * (the same technique as the realip module).
 */

ngx_http_secauth_ctx_t *
ngx_http_secauth_get_ctx(ngx_http_request_t *r, ngx_flag_t create)
{
    ngx_pool_cleanup_t      *cln;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_secauth_module);
    if (ctx) {
        return ctx;
    }

    if (r->internal || r->filter_finalize) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_secauth_ctx_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_secauth_module);
                return ctx;
            }
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_secauth_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_secauth_ctx_t));

    ctx->request = r;
    ctx->resume.handler = ngx_http_secauth_resume;
    ctx->resume.data = ctx;
    ctx->resume.log = r->connection->log;

    cln->handler = ngx_http_secauth_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_secauth_module);

    return ctx;
}


/*
 * The request goes away: its pending store calls must not call back, and
 * its reference to the verified claims (json_t *) goes.
 */

static void
ngx_http_secauth_ctx_cleanup(void *data)
{
    ngx_http_secauth_ctx_t  *ctx = data;

    ngx_uint_t                    n;
    ngx_http_secauth_store_t     *st;
    ngx_http_secauth_store_op_t  *op;

    st = ngx_http_secauth_store(ctx->request);
    n = 0;

    if (ctx->op.pending) {
        ngx_http_secauth_store_cancel(st, &ctx->op);
        n++;
    }

    for (op = ctx->ops; op; op = op->next) {
        if (op->pending) {
            ngx_http_secauth_store_cancel(st, op);
            n++;
        }
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "secauth: %ui store ops cancelled with the request", n);

    if (ctx->resume.posted) {
        ngx_delete_posted_event(&ctx->resume);
    }

    if (ctx->claims) {
        json_decref(ctx->claims);
        ctx->claims = NULL;
    }
}


/*
 * A store op of the request beyond ctx->op, zeroed, in the context's list
 * (so that the context's cleanup cancels it whatever happens to the
 * request meanwhile: an op must never outlive its pool), and in the given
 * slot when there is one. Most requests need none, and the context stays
 * small.
 */

ngx_http_secauth_store_op_t *
ngx_http_secauth_new_op(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t **slot)
{
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_store_op_t  *op;

    ctx = ngx_http_secauth_get_ctx(r->main, 0);
    if (ctx == NULL) {
        return NULL;
    }

    op = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_store_op_t));
    if (op == NULL) {
        return NULL;
    }

    op->pool = r->pool;
    op->log = r->connection->log;

    op->next = ctx->ops;
    ctx->ops = op;

    if (slot) {
        *slot = op;
    }

    return op;
}


ngx_http_secauth_store_t *
ngx_http_secauth_store(ngx_http_request_t *r)
{
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    return &smcf->store;
}


/*
 * A location directive that makes the location one of the module's
 * content handlers (kind: NGX_HTTP_SECAUTH_HANDLER_*); one per location
 */

char *
ngx_http_secauth_content(ngx_conf_t *cf, ngx_http_secauth_loc_conf_t *slcf,
    ngx_uint_t kind, ngx_http_handler_pt handler)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->handler != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    slcf->handler = kind;
    clcf->handler = handler;

    return NGX_CONF_OK;
}


/* an output header; "Location" also becomes r->headers_out.location */

ngx_int_t
ngx_http_secauth_add_header(ngx_http_request_t *r, const char *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;

    if (ngx_strcmp(key, "Location") == 0) {
        ngx_http_clear_location(r);
        r->headers_out.location = h;
    }

    return NGX_OK;
}


/* Retry-After in whole seconds, at least 1 */

ngx_int_t
ngx_http_secauth_retry_after(ngx_http_request_t *r, ngx_msec_t ms)
{
    u_char     *p;
    ngx_str_t   v;

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v.data = p;
    v.len = ngx_sprintf(p, "%M", ngx_max((ms + 999) / 1000, 1)) - p;

    return ngx_http_secauth_add_header(r, "Retry-After", &v);
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


/*
 * SHA-256 of the pieces given. Through EVP, OpenSSL 3 looks the algorithm
 * up under a lock, or with a kept context still frees and allocates the
 * provider's state on every digest; SHA256_*() is the same assembly on a
 * context on the stack. Safe in any thread.
 */

ngx_int_t
ngx_http_secauth_sha256(ngx_str_t *parts, ngx_uint_t n, u_char *out)
{
    ngx_uint_t  i;
    SHA256_CTX  c;

    if (SHA256_Init(&c) != 1) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (SHA256_Update(&c, parts[i].data, parts[i].len) != 1) {
            return NGX_ERROR;
        }
    }

    if (SHA256_Final(out, &c) != 1) {
        return NGX_ERROR;
    }

    ngx_explicit_memzero(&c, sizeof(SHA256_CTX));

    return NGX_OK;
}


/*
 * Users and claims end up in headers for the backend: no control
 * characters (CR, LF, NUL would split or cut them); UTF-8 is fine
 * (core/ngx_http_secauth_text.c, as the store's record codec checks).
 */

ngx_int_t
ngx_http_secauth_is_text(u_char *p, size_t len)
{
    return ngx_http_secauth_text_valid(p, len) ? NGX_OK : NGX_DECLINED;
}


/* whether an Accept header of the request names type (a substring) */

ngx_flag_t
ngx_http_secauth_accepts(ngx_http_request_t *r, const char *type)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(type);
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
                                (u_char *) type, len - 1)
               != NULL)
        {
            return 1;
        }
    }
}
