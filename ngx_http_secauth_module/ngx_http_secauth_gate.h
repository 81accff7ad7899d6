
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_GATE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_GATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


ngx_int_t ngx_http_secauth_access_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_secauth_subrequest_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_SECAUTH_GATE_H_INCLUDED_ */
