
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_LOGIN_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_LOGIN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


char *ngx_http_secauth_login(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_secauth_logout(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
time_t ngx_http_secauth_cookie_max_age(ngx_http_request_t *r);


#endif /* _NGX_HTTP_SECAUTH_LOGIN_H_INCLUDED_ */
