
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_USERS_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_USERS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_userfile.h"


#define NGX_HTTP_SECAUTH_USERNAME_MAX  NGX_HTTP_SECAUTH_USERFILE_NAME_MAX


typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   hash;
    ngx_uint_t                  line;
} ngx_http_secauth_user_t;


typedef struct {
    ngx_flag_t                  redis;
    ngx_str_t                   path;
    ngx_array_t                *users;     /* sorted by name */
} ngx_http_secauth_users_t;


char *ngx_http_secauth_users_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_str_t *ngx_http_secauth_users_find(ngx_http_secauth_users_t *users,
    ngx_str_t *name);
ngx_int_t ngx_http_secauth_username(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *out);


#endif /* _NGX_HTTP_SECAUTH_USERS_H_INCLUDED_ */
