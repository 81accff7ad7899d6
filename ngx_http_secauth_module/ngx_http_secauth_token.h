
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_TOKEN_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_TOKEN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_store.h"


/* random bytes in a jti or a family id (base64url: 22 characters) */
#define NGX_HTTP_SECAUTH_TOKEN_ID_BYTES  16


/* a new random id, for a jti or a family */
ngx_int_t ngx_http_secauth_token_id(ngx_pool_t *pool, ngx_str_t *id);

/*
 * A new access token and a refresh token (its jti: refresh_jti) of family
 * f for user, signed with secauth_jwt_signing_key: the JSON answer of a
 * login or a refresh (RFC 6749 5.1) in body.
 */
ngx_int_t ngx_http_secauth_token_pair(ngx_http_request_t *r, ngx_str_t *user,
    ngx_http_secauth_family_t *f, ngx_str_t *refresh_jti, ngx_str_t *body);

/* secauth_refresh and secauth_revoke (ngx_http_secauth_refresh.c) */
ngx_int_t ngx_http_secauth_refresh_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_secauth_revoke_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_SECAUTH_TOKEN_H_INCLUDED_ */
