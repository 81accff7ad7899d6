
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_LIMIT_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_LIMIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_store.h"




/* secauth_limit_zone KEY zone=NAME:SIZE rate=RATE (http level) */
typedef struct {
    ngx_str_t                       name;
    ngx_shm_zone_t                 *shm_zone;    /* buckets without Redis:
                                                    the store's handle */
    ngx_http_complex_value_t        key;
    ngx_int_t                       var;         /* the key's variable when
                                                    it is one, else
                                                    NGX_ERROR */
    uint64_t                        interval;    /* us: 1 / rate */
} ngx_http_secauth_limit_zone_t;


/* which requests a limit counts (methods=) */
#define NGX_HTTP_SECAUTH_LIMIT_DEFAULT  0   /* post at a login location,
                                               else all */
#define NGX_HTTP_SECAUTH_LIMIT_ALL      1
#define NGX_HTTP_SECAUTH_LIMIT_POST     2


/* secauth_limit zone=NAME [burst=N] [nodelay] [methods=all|post] */
typedef struct {
    ngx_str_t                       name;
    ngx_http_secauth_limit_zone_t  *zone;
    ngx_uint_t                      burst;
    ngx_flag_t                      nodelay;
    ngx_uint_t                      methods;
} ngx_http_secauth_limit_t;


char *ngx_http_secauth_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_secauth_limit_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_limit_log_level(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_limit_merge(ngx_conf_t *cf, ngx_array_t **limits,
    ngx_array_t *prev);
ngx_int_t ngx_http_secauth_limit_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_secauth_limit_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

#endif /* _NGX_HTTP_SECAUTH_LIMIT_H_INCLUDED_ */
