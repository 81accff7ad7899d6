
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_form.h"


/*
 * What the module's own locations (login, logout, refresh, revoke, admin)
 * share: reading a small POST body, its form and JSON fields, and sending
 * an answer that no cache keeps.
 */


static ngx_int_t ngx_http_secauth_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_secauth_same_origin(ngx_http_request_t *r);
static ngx_table_elt_t *ngx_http_secauth_header(ngx_http_request_t *r,
    const char *name, size_t len);


static ngx_http_request_body_filter_pt  ngx_http_secauth_next_body_filter;


/*
 * A chunked body announces no length: the limit is applied as it arrives,
 * as client_max_body_size is, rather than once it has all been read (into
 * a temporary file past client_body_buffer_size).
 */

ngx_int_t
ngx_http_secauth_body_init(ngx_conf_t *cf)
{
    ngx_http_secauth_next_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_secauth_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                         received;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (slcf->handler == NGX_HTTP_SECAUTH_HANDLER_NONE
        || !r->headers_in.chunked)
    {
        return ngx_http_secauth_next_body_filter(r, in);
    }

    /* the chunked filter counts what has arrived; HTTP/2 counts it apart */

    received = r->headers_in.content_length_n;

#if (NGX_HTTP_V2)
    if (r->stream) {
        received = r->request_body->received;
    }
#endif

    if (received > NGX_HTTP_SECAUTH_BODY_MAX) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: chunked request body of more than %d bytes "
                      "refused", NGX_HTTP_SECAUTH_BODY_MAX);

        r->lingering_close = 1;

        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    return ngx_http_secauth_next_body_filter(r, in);
}


/*
 * POST only, same origin, a small form or JSON body: reads it and calls
 * body; anything else is answered here (allow: the methods to list)
 */

ngx_int_t
ngx_http_secauth_body_start(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt body, const char *allow)
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

        h->value.data = (u_char *) allow;
        h->value.len = ngx_strlen(allow);

        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_secauth_same_origin(r) != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: cross-site POST refused (CSRF)");
        return NGX_HTTP_FORBIDDEN;
    }

    if (r->headers_in.content_length_n > NGX_HTTP_SECAUTH_BODY_MAX) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: request body of %O bytes refused",
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


/*
 * An empty body (Content-Length: 0, or a chunked one with no data) is an
 * empty string, not NULL; its buffer list holds only a last_buf marker
 * without memory (pos == last == NULL), skipped like any empty buffer.
 */

ngx_int_t
ngx_http_secauth_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    size_t        len, n;
    u_char       *p;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body && r->request_body->temp_file) {
        return NGX_ERROR;
    }

    len = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            len += cl->buf->last - cl->buf->pos;
        }
    }

    if (len > NGX_HTTP_SECAUTH_BODY_MAX) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            n = cl->buf->last - cl->buf->pos;

            if (n == 0) {
                continue;
            }

            p = ngx_cpymem(p, cl->buf->pos, n);
            ngx_explicit_memzero(cl->buf->pos, n);
        }
    }

    *p = '\0';
    body->len = p - body->data;

    return NGX_OK;
}


/*
 * application/x-www-form-urlencoded: "+" is a space, %XX is decoded; a
 * field given twice is ambiguous and refused (NGX_ERROR); NGX_DECLINED
 * when absent.
 */

ngx_int_t
ngx_http_secauth_form_field(ngx_http_request_t *r, ngx_str_t *body,
    const char *name, ngx_str_t *value)
{
    int             rc;
    long            n;
    size_t          len;
    const u_char   *raw;

    rc = ngx_http_secauth_form_find(body->data, body->len, (u_char *) name,
                                    ngx_strlen(name), &raw, &len);
    if (rc == 0) {
        return NGX_DECLINED;
    }

    if (rc < 0) {
        return NGX_ERROR;
    }

    value->data = ngx_pnalloc(r->pool, len + 1);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    n = ngx_http_secauth_form_decode(value->data, raw, len);
    if (n < 0) {
        return NGX_ERROR;
    }

    value->len = n;

    return NGX_OK;
}


ngx_int_t
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


ngx_int_t
ngx_http_secauth_body_fields(ngx_http_request_t *r, const char *what,
    const char **names, ngx_str_t *values, ngx_uint_t n, ngx_flag_t *json)
{
    json_t        *obj;
    ngx_int_t      rc;
    ngx_str_t      body;
    ngx_uint_t     i;
    json_error_t   err;

    for (i = 0; i < n; i++) {
        ngx_str_null(&values[i]);
    }

    if (ngx_http_secauth_media_type(r->headers_in.content_type,
                                    "application/json")
        == NGX_OK)
    {
        *json = 1;

    } else if (ngx_http_secauth_media_type(r->headers_in.content_type,
                                      "application/x-www-form-urlencoded")
               != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: %s body of another type refused", what);
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    if (ngx_http_secauth_read_body(r, &body) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: %s body too large", what);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    rc = NGX_OK;
    obj = NULL;

    if (*json) {
        obj = json_loadb((char *) body.data, body.len,
                         JSON_REJECT_DUPLICATES, &err);

        if (obj == NULL || !json_is_object(obj)) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: %s body is no JSON object", what);
            rc = NGX_HTTP_BAD_REQUEST;
        }
    }

    for (i = 0; rc == NGX_OK && i < n; i++) {
        rc = obj ? ngx_http_secauth_json_field(r, obj, names[i], &values[i])
                 : ngx_http_secauth_form_field(r, &body, names[i],
                                               &values[i]);
        if (rc == NGX_DECLINED) {
            ngx_str_null(&values[i]);
            rc = NGX_OK;

        } else if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: %s body with a bad \"%s\" field",
                          what, names[i]);
            rc = NGX_HTTP_BAD_REQUEST;
        }
    }

    if (obj) {
        json_decref(obj);
    }

    ngx_explicit_memzero(body.data, body.len);

    return rc;
}


/* the media type exactly, parameters (";charset=...") allowed */

ngx_int_t
ngx_http_secauth_media_type(ngx_table_elt_t *ct, const char *type)
{
    if (ct == NULL
        || !ngx_http_secauth_form_media_type(ct->value.data, ct->value.len,
                                             type))
    {
        return NGX_DECLINED;
    }

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


ngx_int_t
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


ngx_int_t
ngx_http_secauth_send_page(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *csp, ngx_str_t *body)
{
    if (ngx_http_secauth_add_header(r, "Content-Security-Policy", csp)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_send(r, status, "text/html; charset=utf-8",
                                 body);
}
