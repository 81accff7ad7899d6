
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_THROTTLE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_THROTTLE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_store.h"


char *ngx_http_secauth_login_throttle(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
/* the default (on) when a login location has none; NULL: off */
char *ngx_http_secauth_throttle_merge(ngx_conf_t *cf,
    ngx_http_secauth_throttle_t **conf, ngx_http_secauth_throttle_t *prev,
    ngx_flag_t login);


#endif /* _NGX_HTTP_SECAUTH_THROTTLE_H_INCLUDED_ */
