
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

/* how long the n-th attempt locks the account, in ms (0: not at all) */
ngx_msec_t ngx_http_secauth_throttle_lock(ngx_http_secauth_throttle_t *t,
    ngx_uint_t n);

/* the shm store's login_* operations: in op->throttle->zone */
ngx_int_t ngx_http_secauth_login_attempt_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_login_reset_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_login_release_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);


#endif /* _NGX_HTTP_SECAUTH_THROTTLE_H_INCLUDED_ */
