
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_BODY_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_BODY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>


#define NGX_HTTP_SECAUTH_BODY_MAX     4096


/* postconfiguration: the size limit on chunked bodies */
ngx_int_t ngx_http_secauth_body_init(ngx_conf_t *cf);
/* NGX_DONE (body runs later), or the status to answer at once */
ngx_int_t ngx_http_secauth_body_start(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt body, const char *allow);
/*
 * the body read, in one piece, never NULL (the buffers are wiped);
 * NGX_ERROR: too big
 */
ngx_int_t ngx_http_secauth_read_body(ngx_http_request_t *r, ngx_str_t *body);
/* NGX_OK, NGX_DECLINED (absent) or NGX_ERROR (given twice, bad escape) */
ngx_int_t ngx_http_secauth_form_field(ngx_http_request_t *r, ngx_str_t *body,
    const char *name, ngx_str_t *value);
/* NGX_OK for a string member, NGX_DECLINED otherwise */
ngx_int_t ngx_http_secauth_json_field(ngx_http_request_t *r, json_t *obj,
    const char *name, ngx_str_t *value);
ngx_int_t ngx_http_secauth_media_type(ngx_table_elt_t *ct, const char *type);
/*
 * The n named string fields of a POST body, a form or a JSON object
 * (*json set when it is JSON), copied into the request's pool; a field
 * absent is left empty. The body read is wiped. NGX_OK, or the status to
 * answer, logged with what: 400 (no JSON object, a form field twice or
 * badly escaped), 413, 415.
 */
ngx_int_t ngx_http_secauth_body_fields(ngx_http_request_t *r,
    const char *what, const char **names, ngx_str_t *values, ngx_uint_t n,
    ngx_flag_t *json);
/* the whole answer; 401 gets WWW-Authenticate: Bearer */
ngx_int_t ngx_http_secauth_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, ngx_str_t *body);
/* an HTML page of the module's, under its Content-Security-Policy */
ngx_int_t ngx_http_secauth_send_page(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *csp, ngx_str_t *body);


#endif /* _NGX_HTTP_SECAUTH_BODY_H_INCLUDED_ */
