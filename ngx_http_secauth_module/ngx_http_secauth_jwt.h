
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_JWT_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_JWT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"


/* the token-kind claim (docs/jwt.md): absent or "access" */
#define NGX_HTTP_SECAUTH_TOKEN_USE       "token_use"
/* the refresh-token family of a token the module issued */
#define NGX_HTTP_SECAUTH_FAMILY_CLAIM    "fam"

#define NGX_HTTP_SECAUTH_JWT_MAX_SIZE    8192
#define NGX_HTTP_SECAUTH_JWT_CACHE_MAX   2048


/* secauth_jwt_revocation: on, off, or by default where a signing key is */
#define ngx_http_secauth_jwt_revocation_on(slcf)                              \
    ((slcf)->jwt_revocation == NGX_CONF_UNSET                                 \
     ? (slcf)->jwt_signing_key != NULL : (slcf)->jwt_revocation)


ngx_int_t ngx_http_secauth_jwt_check(ngx_http_request_t *r,
    ngx_http_secauth_ctx_t *ctx, ngx_str_t *token);
ngx_int_t ngx_http_secauth_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
/* a claim as text (ngx_http_secauth_jwt_claim_var.c) */
ngx_int_t ngx_http_secauth_claim_text(ngx_http_request_t *r, json_t *claim,
    ngx_str_t *sep, ngx_str_t *out);
char *ngx_http_secauth_claim_var(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_jwt_issued(ngx_http_request_t *r, ngx_str_t *token,
    const char *kind, ngx_flag_t expired_ok, json_t **claims);

char *ngx_http_secauth_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_jwt_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_jwt_key_request(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_jwt_merge(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *prev, ngx_http_secauth_loc_conf_t *conf);


#endif /* _NGX_HTTP_SECAUTH_JWT_H_INCLUDED_ */
