
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_REFRESH_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_REFRESH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


char *ngx_http_secauth_refresh(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_SECAUTH_REFRESH_H_INCLUDED_ */
