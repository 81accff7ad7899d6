
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_JWKS_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_JWKS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"


char *ngx_http_secauth_jwks(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
/* after the JWT settings merged: the location's JWK Set, built once */
char *ngx_http_secauth_jwks_merge(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf);


#endif /* _NGX_HTTP_SECAUTH_JWKS_H_INCLUDED_ */
