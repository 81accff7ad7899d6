
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_SESSION_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_SESSION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_store.h"


/* 256 random bits, base64url without padding */
#define NGX_HTTP_SECAUTH_SESSION_ID_LEN  43


ngx_int_t ngx_http_secauth_session_check(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx);

ngx_int_t ngx_http_secauth_session_find(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);


#endif /* _NGX_HTTP_SECAUTH_SESSION_H_INCLUDED_ */
