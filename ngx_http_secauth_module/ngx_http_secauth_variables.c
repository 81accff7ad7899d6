
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_variables.h"


/*
 * The getters of the module's own variables (the table is in
 * ngx_http_secauth_module.c); $secauth_limit_status and
 * $secauth_claim_NAME belong to the limits and to the JWT layer.
 */


/* $secauth_user, $secauth_method, $secauth_error: a string of the context */

ngx_int_t
ngx_http_secauth_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t               *s;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r->main, 0);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


/*
 * $secauth_login_location: where the gate would send a browser, for the
 * error_page of an auth_request layout (docs/verify.md)
 */

ngx_int_t
ngx_http_secauth_login_location_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                     url;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    if (slcf->login_url == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ngx_http_secauth_login_location(r, slcf, &url) != NGX_OK) {
        return NGX_ERROR;
    }

    v->len = url.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = url.data;

    return NGX_OK;
}
