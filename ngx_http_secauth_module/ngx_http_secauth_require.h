
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_REQUIRE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_REQUIRE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"


/* one value of a secauth_require line */
typedef struct {
    ngx_http_complex_value_t    value;
    ngx_uint_t                  status;     /* 401 or 403 */
} ngx_http_secauth_require_t;


/* secauth_require $VAR ... [error=401|403]; */
char *ngx_http_secauth_require(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_secauth_require_merge(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *prev, ngx_http_secauth_loc_conf_t *conf);

/*
 * After the gate admitted the request: NGX_OK when every value of the
 * location's secauth_require is non-empty and not "0", else the status
 * of the first that is not ($secauth_error "forbidden", an info line),
 * or 500.
 */
ngx_int_t ngx_http_secauth_require_check(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_ctx_t *ctx);


#endif /* _NGX_HTTP_SECAUTH_REQUIRE_H_INCLUDED_ */
