
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_CONF_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_CONF_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"


char *ngx_http_secauth_set_enum_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_login_merge(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *prev, ngx_http_secauth_loc_conf_t *conf);
char *ngx_http_secauth_mfa_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_realm(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_login_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_session_timeout(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_secauth_fail_open_warn(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf);
char *ngx_http_secauth_cookie_server(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf);
void ngx_http_secauth_check_tls(ngx_conf_t *cf,
    ngx_http_secauth_main_conf_t *smcf);


#endif /* _NGX_HTTP_SECAUTH_CONF_H_INCLUDED_ */
