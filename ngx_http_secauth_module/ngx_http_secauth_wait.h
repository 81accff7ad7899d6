
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_WAIT_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_WAIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"


/*
 * Waiting for the store (ngx_http_secauth_wait.c): park, resume, answer
 * an outage. Included by ngx_http_secauth_module.h, after the types.
 */

ngx_int_t ngx_http_secauth_unavailable(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, const char *what);
void ngx_http_secauth_resume(ngx_event_t *ev);
void ngx_http_secauth_store_wait(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_wait_also(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx);


#endif /* _NGX_HTTP_SECAUTH_WAIT_H_INCLUDED_ */
