
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_REDIS_CONF_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_REDIS_CONF_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * What "secauth_redis" says; read-only after configuration. Without
 * hiredis: the main conf holds it, and every file sees the main conf.
 */
typedef struct {
    ngx_str_t                   url;          /* for log messages */
    ngx_str_t                   host;         /* IP literal, or unix path */
    ngx_int_t                   port;         /* 0: unix socket */
    ngx_int_t                   db;
    ngx_str_t                   user;
    ngx_str_t                   password;
    ngx_str_t                   prefix;
    ngx_msec_t                  timeout;
    ngx_msec_t                  connect_timeout;
} ngx_http_secauth_redis_conf_t;


/* the arguments of "secauth_redis", in cf->args */
char *ngx_http_secauth_redis_parse(ngx_conf_t *cf,
    ngx_http_secauth_redis_conf_t *rcf);


#endif /* _NGX_HTTP_SECAUTH_REDIS_CONF_H_INCLUDED_ */
