
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_REQUEST_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_REQUEST_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"


/*
 * What every layer needs of a request (ngx_http_secauth_request.c): its
 * context and store ops, the store, headers in and out, digests. Included
 * by ngx_http_secauth_module.h, after the types it uses.
 */

ngx_http_secauth_ctx_t *ngx_http_secauth_get_ctx(ngx_http_request_t *r,
    ngx_flag_t create);
ngx_http_secauth_store_op_t *ngx_http_secauth_new_op(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t **slot);
ngx_http_secauth_store_t *ngx_http_secauth_store(ngx_http_request_t *r);
char *ngx_http_secauth_content(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *slcf, ngx_uint_t kind,
    ngx_http_handler_pt handler);
ngx_int_t ngx_http_secauth_add_header(ngx_http_request_t *r,
    const char *key, ngx_str_t *value);
ngx_int_t ngx_http_secauth_retry_after(ngx_http_request_t *r,
    ngx_msec_t ms);
ngx_int_t ngx_http_secauth_bearer(ngx_http_request_t *r, ngx_str_t *token);
ngx_int_t ngx_http_secauth_login_location(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_str_t *location);
ngx_int_t ngx_http_secauth_sha256(ngx_str_t *parts, ngx_uint_t n,
    u_char *out);
ngx_int_t ngx_http_secauth_is_text(u_char *p, size_t len);
ngx_flag_t ngx_http_secauth_accepts(ngx_http_request_t *r,
    const char *type);


#endif /* _NGX_HTTP_SECAUTH_REQUEST_H_INCLUDED_ */
